//! Functions by value: `make_function(code, base_globals, None, None,
//! empty_cells)` then `function_setstate` fills in the rest, so recursive
//! closures and functions that reach themselves through globals work.

use super::bytecode::code_globals;
use super::reference::{forced_by_value, sys_modules};
use super::refs::refs;
use super::{raised, save_reduced};
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyModule, PyString, PyTuple};
use std::collections::HashMap;

/// Per Pickler: functions that share a globals dict when pickled share one
/// after loading (cloudpickle's `globals_ref`). Holds the original dict so
/// its address can't be reused while the entry lives.
#[derive(Default)]
pub struct GlobalsRef(HashMap<usize, (Py<PyAny>, Py<PyDict>)>);

impl GlobalsRef {
    /// For the Pickler's `__traverse__`: the dicts it holds.
    pub fn visit(&self, visit: &pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        for (globals, base) in self.0.values() {
            visit.call(globals)?;
            visit.call(base)?;
        }
        Ok(())
    }
}

/// Rule predicate: a function that must go by value although `pickle`
/// might find it (`forced_by_value`); the rest go through `save_global`,
/// which falls back to by value when the lookup fails.
pub unsafe fn function_needs_by_value(_p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    if crate::save::known_globals::lookup(obj).is_some() {
        return Ok(false);
    }
    let py = Python::assume_attached();
    let func = Bound::from_borrowed_ptr(py, obj);
    raised(py, forced_by_value(&func))
}

pub unsafe fn save_function_by_value(p: &mut Core, obj: *mut PyObject) -> Res {
    let py = Python::assume_attached();
    let func = Bound::from_borrowed_ptr(py, obj);
    let reduce = function_reduce(&mut p.globals_ref, &func);
    save_reduced(p, obj, reduce)
}

fn function_reduce<'py>(globals_ref: &mut GlobalsRef, func: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = func.py();
    let r = refs(py)?;
    let code = func.getattr(pyo3::intern!(py, "__code__"))?;
    let globals = func.getattr(pyo3::intern!(py, "__globals__"))?.cast_into::<PyDict>()?;
    let closure = func.getattr(pyo3::intern!(py, "__closure__"))?;

    let base_globals = base_globals(globals_ref, &globals)?;
    // Empty cells first: the real ones may hold the function itself.
    let empty_cells = if closure.is_none() {
        py.None().into_bound(py)
    } else {
        let n = closure.len()?;
        let cells: Vec<Bound<'py, PyAny>> = (0..n).map(|_| new_empty_cell(py)).collect::<PyResult<_>>()?;
        PyTuple::new(py, cells)?.into_any()
    };
    let newargs = PyTuple::new(py, [code.clone(), base_globals.into_any(), py.None().into_bound(py), py.None().into_bound(py), empty_cells])?;
    let state = function_state(func, &code, &globals, &closure)?;
    let none = py.None().into_bound(py);
    Ok(PyTuple::new(
        py,
        [r.make_function.bind(py).clone(), newargs.into_any(), state, none.clone(), none, r.function_setstate.bind(py).clone()],
    )?
    .into_any())
}

fn base_globals<'py>(globals_ref: &mut GlobalsRef, globals: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyDict>> {
    let py = globals.py();
    let key = globals.as_ptr() as usize;
    if let Some((_, base)) = globals_ref.0.get(&key) {
        return Ok(base.bind(py).clone());
    }
    // Module attributes that relative imports inside the function need.
    let base = PyDict::new(py);
    for name in [
        pyo3::intern!(py, "__package__"),
        pyo3::intern!(py, "__name__"),
        pyo3::intern!(py, "__path__"),
        pyo3::intern!(py, "__file__"),
    ] {
        if let Some(value) = globals.get_item(name)? {
            base.set_item(name, value)?;
        }
    }
    globals_ref.0.insert(key, (globals.clone().into_any().unbind(), base.clone().unbind()));
    Ok(base)
}

fn new_empty_cell(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    unsafe { Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyCell_New(std::ptr::null_mut())) }
}

/// A fresh, non-interned copy of a string, so that the memo sees the same
/// identities whether the function was defined here or loaded from a pickle.
pub fn fresh_str<'py>(text: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    match text.cast::<PyString>() {
        Ok(s) => Ok(PyString::new(text.py(), &s.to_cow()?).into_any()),
        Err(_) => Ok(text.clone()),
    }
}

/// `(func.__dict__ copy, slotstate)` for `anethum.loaders.function_setstate`.
fn function_state<'py>(
    func: &Bound<'py, PyAny>,
    code: &Bound<'py, PyAny>,
    globals: &Bound<'py, PyDict>,
    closure: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = func.py();
    let slots = PyDict::new(py);
    // Interned keys: the memo then writes each key once per pickle.
    let name_key = pyo3::intern!(py, "__name__");
    let qualname_key = pyo3::intern!(py, "__qualname__");
    slots.set_item(name_key, fresh_str(&func.getattr(name_key)?)?)?;
    slots.set_item(qualname_key, fresh_str(&func.getattr(qualname_key)?)?)?;
    for key in [
        pyo3::intern!(py, "__annotations__"),
        pyo3::intern!(py, "__kwdefaults__"),
        pyo3::intern!(py, "__defaults__"),
        pyo3::intern!(py, "__module__"),
        pyo3::intern!(py, "__doc__"),
    ] {
        slots.set_item(key, func.getattr(key)?)?;
    }
    slots.set_item(pyo3::intern!(py, "__closure__"), closure)?;

    let f_globals = PyDict::new(py);
    for name in code_globals(code)?.iter() {
        if let Some(value) = globals.get_item(&name)? {
            f_globals.set_item(name, value)?;
        }
    }
    let mut dependencies: Vec<Bound<'py, PyAny>> = f_globals.values().iter().collect();
    if !closure.is_none() {
        for cell in closure.try_iter()? {
            if let Ok(value) = cell?.getattr(pyo3::intern!(py, "cell_contents")) {
                dependencies.push(value);
            }
        }
    }
    slots.set_item(pyo3::intern!(py, "_anethum_submodules"), imported_submodules(code, &dependencies)?)?;
    slots.set_item(pyo3::intern!(py, "__globals__"), f_globals)?;

    let state = PyDict::new(py);
    if let Some(dict) = func.getattr_opt(pyo3::intern!(py, "__dict__"))? {
        for (key, value) in dict.cast_into::<PyDict>()?.iter() {
            state.set_item(fresh_str(&key)?, value)?;
        }
    }
    Ok(PyTuple::new(py, [state.into_any(), slots.into_any()])?.into_any())
}

/// Submodules of packages the function uses that are imported now and
/// reached as attributes (`import a.b` used as `a.b.f`): they are pickled
/// so that loading imports them.
fn imported_submodules<'py>(code: &Bound<'py, PyAny>, dependencies: &[Bound<'py, PyAny>]) -> PyResult<Bound<'py, PyList>> {
    let py = code.py();
    let out = PyList::empty(py);
    let packages: Vec<&Bound<'py, PyAny>> = dependencies
        .iter()
        .filter(|d| d.is_instance_of::<PyModule>())
        .filter(|d| d.getattr("__package__").is_ok_and(|p| p.is_truthy().unwrap_or(false)))
        .collect();
    if packages.is_empty() {
        return Ok(out);
    }
    let co_names: Vec<String> = code.getattr("co_names")?.extract()?;
    let modules = sys_modules(py)?;
    let names: Vec<String> = modules.keys().iter().filter_map(|k| k.extract().ok()).collect();
    for package in packages {
        let prefix = format!("{}.", package.getattr("__name__")?.extract::<String>()?);
        for name in names.iter().filter(|n| n.starts_with(&prefix)) {
            if name[prefix.len()..].split('.').all(|token| co_names.iter().any(|c| c == token)) {
                if let Some(module) = modules.get_item(name)? {
                    out.append(module)?;
                }
            }
        }
    }
    Ok(out)
}
