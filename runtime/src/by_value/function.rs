//! Functions by value: `make_function(code, base_globals, None, None,
//! empty_cells)` then `function_setstate` fills in the rest, so recursive
//! closures and functions that reach themselves through globals work.

use super::bytecode::code_globals;
use super::reference::{forced_by_value, sys_modules};
use super::refs::refs;
use super::transient::{begin_dict, end_dict, save_at, save_dict_of, save_entry, write_call, write_setstate};
use super::{raised, save_reduced};
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::generated::facts::CODE_CONSTRUCTOR_FIELDS;
use crate::opcodes::TUPLE2;
use crate::owned::Owned;
use crate::path::Step;
use crate::pyalloc::name;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyModule, PyString};
use std::collections::HashMap;

/// Per Pickler: functions that share a globals dict when pickled share one
/// after loading (cloudpickle's `globals_ref`). Holds the original dict so
/// its address can't be reused while the entry lives.
#[derive(Default)]
pub struct GlobalsRef(HashMap<usize, (Py<PyAny>, Py<PyDict>)>);

impl GlobalsRef {
    pub fn clone_ref(&self, py: Python<'_>) -> GlobalsRef {
        GlobalsRef(self.0.iter().map(|(&k, (g, b))| (k, (g.clone_ref(py), b.clone_ref(py)))).collect())
    }

    /// Takes the entries of `other` this one lacks.
    pub fn adopt(&mut self, other: &GlobalsRef) {
        let py = unsafe { Python::assume_attached() };
        for (&key, (globals, base)) in &other.0 {
            self.0.entry(key).or_insert_with(|| (globals.clone_ref(py), base.clone_ref(py)));
        }
    }

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
    let live_main = raised(py, globals_stay_main(p, &func))?;
    let parts = raised(py, FunctionParts::read(&mut p.globals_ref, &func, live_main))?;
    if live_main {
        refer_to_main_dict(p, &parts.base_globals)?;
    }
    if p.proto < 2 {
        return save_reduced(p, obj, parts.into_reduce(py));
    }
    let r = raised(py, refs(py))?;
    parts.write(p, obj, r.make_function.as_ptr(), r.function_setstate.as_ptr())
}

/// dill's `recurse=False` (an `anethum.dill` pickler's default): a
/// function of `__main__` keeps `__main__.__dict__` as its globals, the
/// loading side's, rather than a copy of the globals it uses.
fn globals_stay_main(p: &Core, func: &Bound<'_, PyAny>) -> PyResult<bool> {
    if p.python.as_deref().and_then(|hooks| hooks.recurse) != Some(false) {
        return Ok(false);
    }
    let py = func.py();
    let Some(main) = super::reference::sys_modules(py)?.get_item(name!(py, "__main__")?)? else { return Ok(false) };
    let Ok(main_dict) = main.getattr(name!(py, "__dict__")?) else { return Ok(false) };
    Ok(func.getattr(name!(py, "__globals__")?)?.is(&main_dict))
}

/// Puts `__main__.__dict__` in the memo as `main_module_dict()`, so the
/// function's globals are written as a reference to it.
unsafe fn refer_to_main_dict(p: &mut Core, main_dict: &Bound<'_, PyDict>) -> Res {
    if p.memo.get(main_dict.as_ptr()).is_some() {
        return Ok(());
    }
    let py = main_dict.py();
    let r = raised(py, refs(py))?;
    let reduction = raised(py, crate::pyalloc::tuple(py, [r.main_module_dict.bind(py).clone(), pyo3::types::PyTuple::empty(py).into_any()]))?;
    crate::save::save_reduce(p, reduction.as_ptr(), main_dict.as_ptr())?;
    p.out.write_byte(crate::opcodes::POP)
}

/// The attributes a function keeps in plain fields, read through the C
/// API's getters (what the attributes return, without attribute lookup)
/// for exact functions, by attribute otherwise.
struct FunctionFields<'py> {
    code: Bound<'py, PyAny>,
    globals: Bound<'py, PyAny>,
    closure: Bound<'py, PyAny>,
    defaults: Bound<'py, PyAny>,
    kwdefaults: Bound<'py, PyAny>,
    module: Bound<'py, PyAny>,
}

impl<'py> FunctionFields<'py> {
    fn read(func: &Bound<'py, PyAny>) -> PyResult<Self> {
        let py = func.py();
        let f = func.as_ptr();
        if unsafe { pyo3::ffi::PyFunction_Check(f) } == 0 {
            return Ok(FunctionFields {
                code: func.getattr(name!(py, "__code__")?)?,
                globals: func.getattr(name!(py, "__globals__")?)?,
                closure: func.getattr(name!(py, "__closure__")?)?,
                defaults: func.getattr(name!(py, "__defaults__")?)?,
                kwdefaults: func.getattr(name!(py, "__kwdefaults__")?)?,
                module: func.getattr(name!(py, "__module__")?)?,
            });
        }
        // Borrowed references; a missing one reads as None, as the attribute does.
        let field = |ptr: *mut PyObject| unsafe {
            if ptr.is_null() { py.None().into_bound(py) } else { Bound::from_borrowed_ptr(py, ptr) }
        };
        unsafe {
            Ok(FunctionFields {
                code: field(pyo3::ffi::PyFunction_GetCode(f)),
                globals: field(pyo3::ffi::PyFunction_GetGlobals(f)),
                closure: field(pyo3::ffi::PyFunction_GetClosure(f)),
                defaults: field(pyo3::ffi::PyFunction_GetDefaults(f)),
                kwdefaults: field(pyo3::ffi::PyFunction_GetKwDefaults(f)),
                module: field(pyo3::ffi::PyFunction_GetModule(f)),
            })
        }
    }
}

/// What a function pickled by value is made of:
/// `make_function(code, base_globals, None, None, empty_cells)`, then
/// `function_setstate(func, (dict_state, slots + {"__globals__": globals}))`.
struct FunctionParts<'py> {
    code: Bound<'py, PyAny>,
    base_globals: Bound<'py, PyDict>,
    empty_cells: Bound<'py, PyAny>,
    /// `func.__dict__`, with fresh keys.
    dict_state: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    /// Attributes set at load that the new function doesn't have already,
    /// `_anethum_submodules` last.
    slots: Vec<(Bound<'py, PyString>, Bound<'py, PyAny>)>,
    /// The globals the code uses, first use first.
    globals: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>,
}

impl<'py> FunctionParts<'py> {
    /// `live_main`: the globals are the loading side's `__main__.__dict__`
    /// itself, none shipped (dill's `recurse=False`).
    fn read(globals_ref: &mut GlobalsRef, func: &Bound<'py, PyAny>, live_main: bool) -> PyResult<Self> {
        let py = func.py();
        let fields = FunctionFields::read(func)?;
        let (code, closure) = (fields.code, fields.closure);
        let func_globals = fields.globals.cast_into::<PyDict>()?;
        let base_globals = if live_main { func_globals.clone() } else { base_globals(globals_ref, &func_globals)? };
        // Empty cells first: the real ones may hold the function itself.
        let empty_cells = if closure.is_none() {
            py.None().into_bound(py)
        } else {
            let n = closure.len()?;
            let cells: Vec<Bound<'py, PyAny>> = (0..n).map(|_| new_empty_cell(py)).collect::<PyResult<_>>()?;
            crate::pyalloc::tuple(py, cells)?.into_any()
        };

        // Interned keys: the memo then writes each key once per pickle.
        // Only what differs from the function `make_function` makes at
        // load: that one already has the code's name and qualname, no
        // defaults, no annotations, no closure to fill, and the globals'
        // `__name__` as its module. `function_setstate` leaves the rest.
        let mut slots = Vec::with_capacity(9);
        let code_name = code.getattr(name!(py, "co_name")?)?;
        // Code objects have a qualname where the constructor takes one (3.11+).
        let code_qualname = if CODE_CONSTRUCTOR_FIELDS.contains(&"qualname") {
            code.getattr(name!(py, "co_qualname")?)?
        } else {
            code_name.clone()
        };
        for (key, made) in [(name!(py, "__name__")?, &code_name), (name!(py, "__qualname__")?, &code_qualname)] {
            let value = func.getattr(key)?;
            if !value.eq(made)? {
                slots.push((key.clone(), fresh_str(&value)?));
            }
        }
        if let Some((key, value)) = super::annotations::function_annotations(func)? {
            slots.push((key, value));
        }
        if !fields.kwdefaults.is_none() {
            slots.push((name!(py, "__kwdefaults__")?.clone(), fields.kwdefaults));
        }
        if !fields.defaults.is_none() {
            slots.push((name!(py, "__defaults__")?.clone(), fields.defaults));
        }
        let made_module = base_globals.get_item(name!(py, "__name__")?)?;
        let same_module = match &made_module {
            Some(made) => fields.module.eq(made)?,
            None => fields.module.is_none(),
        };
        if !same_module {
            slots.push((name!(py, "__module__")?.clone(), fields.module));
        }
        let doc = name!(py, "__doc__")?;
        slots.push((doc.clone(), func.getattr(doc)?));
        if !closure.is_none() {
            slots.push((name!(py, "__closure__")?.clone(), closure.clone()));
        }

        let names = if live_main { pyo3::types::PyTuple::empty(py) } else { code_globals(&code)? };
        let mut globals = Vec::with_capacity(names.len());
        for name in names.iter() {
            if let Some(value) = func_globals.get_item(&name)? {
                globals.push((name, super::lazy_import::resolved(value)?));
            }
        }
        // Modules the function reaches (globals, closure): their imported
        // submodules it uses as attributes must be imported at load.
        let mut modules: Vec<Bound<'py, PyAny>> =
            globals.iter().map(|(_, value)| value).filter(|v| v.is_instance_of::<PyModule>()).cloned().collect();
        if !closure.is_none() {
            for cell in closure.try_iter()? {
                // Empty cells (a recursive closure's, while pickling) are skipped.
                let contents = unsafe { pyo3::ffi::PyCell_Get(cell?.as_ptr()) };
                if let Some(value) = unsafe { Bound::from_owned_ptr_or_opt(py, contents) } {
                    if value.is_instance_of::<PyModule>() {
                        modules.push(value);
                    }
                }
            }
        }
        if !modules.is_empty() {
            let submodules = imported_submodules(&code, &modules)?;
            if !submodules.is_empty() {
                slots.push((name!(py, "_anethum_submodules")?.clone(), submodules.into_any()));
            }
        }

        let mut dict_state = Vec::new();
        if let Some(dict) = func.getattr_opt(name!(py, "__dict__")?)? {
            for (key, value) in dict.cast_into::<PyDict>()?.iter() {
                dict_state.push((fresh_str(&key)?, value));
            }
        }
        Ok(FunctionParts { code, base_globals, empty_cells, dict_state, slots, globals })
    }

    /// The reduce tuple, for protocols 0 and 1 (no TUPLE2 to write directly).
    fn into_reduce(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = refs(py)?;
        let none = py.None().into_bound(py);
        let newargs =
            crate::pyalloc::tuple(py, [self.code, self.base_globals.into_any(), none.clone(), none.clone(), self.empty_cells])?;
        let slots = crate::pyalloc::dict(py)?;
        for (key, value) in self.slots {
            slots.set_item(key, value)?;
        }
        let globals = crate::pyalloc::dict(py)?;
        for (name, value) in self.globals {
            globals.set_item(name, value)?;
        }
        slots.set_item(name!(py, "__globals__")?, globals)?;
        let dict_state = crate::pyalloc::dict(py)?;
        for (key, value) in self.dict_state {
            dict_state.set_item(key, value)?;
        }
        let state = crate::pyalloc::tuple(py, [dict_state.into_any(), slots.into_any()])?;
        let (make_function, setstate) = (r.make_function.bind(py).clone(), r.function_setstate.bind(py).clone());
        Ok(crate::pyalloc::tuple(py, [make_function, newargs.into_any(), state.into_any(), none.clone(), none, setstate])?
            .into_any())
    }

    /// Writes what `save_reduce` writes for `into_reduce()`, without
    /// building or memoizing the argument tuple and the state containers.
    unsafe fn write(self, p: &mut Core, obj: *mut PyObject, make_function: *mut PyObject, setstate: *mut PyObject) -> Res {
        let none = pyo3::ffi::Py_None();
        let args = [self.code.as_ptr(), self.base_globals.as_ptr(), none, none, self.empty_cells.as_ptr()];
        if !write_call(p, obj, make_function, &args)? {
            return Ok(());
        }
        write_setstate(p, obj, setstate, |p| {
            let dict_state = self.dict_state.iter().map(|(k, v)| (k.as_ptr(), v.as_ptr()));
            save_dict_of(p, dict_state).map_err(|_| p.error_path.record_by_value(Step::Index(0)))?;
            self.write_slots(p).map_err(|_| p.error_path.record_by_value(Step::Index(1)))?;
            p.out.write_byte(TUPLE2)
        })
    }

    unsafe fn write_slots(&self, p: &mut Core) -> Res {
        begin_dict(p)?;
        for (key, value) in &self.slots {
            save_entry(p, key.as_ptr(), value.as_ptr())?;
        }
        let py = self.code.py();
        let key = super::raised(py, name!(py, "__globals__"))?.as_ptr();
        save_at(p, key, || Step::Key(Owned::borrowed(key)))?;
        let globals = self.globals.iter().map(|(k, v)| (k.as_ptr(), v.as_ptr()));
        save_dict_of(p, globals).map_err(|_| p.error_path.record_by_value(Step::Value(Owned::borrowed(key))))?;
        end_dict(p)
    }
}


fn base_globals<'py>(globals_ref: &mut GlobalsRef, globals: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyDict>> {
    let py = globals.py();
    let key = globals.as_ptr() as usize;
    if let Some((_, base)) = globals_ref.0.get(&key) {
        return Ok(base.bind(py).clone());
    }
    // Module attributes that relative imports inside the function need.
    let base = crate::pyalloc::dict(py)?;
    for name in [
        name!(py, "__package__")?,
        name!(py, "__name__")?,
        name!(py, "__path__")?,
        name!(py, "__file__")?,
    ] {
        // Fresh copies: the module's strings may be the very ones its code
        // objects hold as `co_filename` or a class as `__module__`, which
        // the memo shares then; not so in a process that loaded them (code
        // objects intern their filename...), whose pickle, and so the
        // tracker ids of classes, would differ.
        if let Some(value) = globals.get_item(name)? {
            base.set_item(name, fresh_str(&value)?)?;
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
        Ok(s) => Ok(crate::pyalloc::string(text.py(), &s.to_cow()?)?.into_any()),
        Err(_) => Ok(text.clone()),
    }
}

/// Submodules of packages the function uses that are imported now and
/// reached as attributes (`import a.b` used as `a.b.f`): they are pickled
/// so that loading imports them.
fn imported_submodules<'py>(code: &Bound<'py, PyAny>, dependencies: &[Bound<'py, PyAny>]) -> PyResult<Bound<'py, PyList>> {
    let py = code.py();
    let out = crate::pyalloc::list(py, [])?;
    let packages: Vec<&Bound<'py, PyAny>> = dependencies
        .iter()
        .filter(|d| d.is_instance_of::<PyModule>())
        .filter(|d| name!(py, "__package__").and_then(|name| d.getattr(name)).is_ok_and(|p| p.is_truthy().unwrap_or(false)))
        .collect();
    if packages.is_empty() {
        return Ok(out);
    }
    let co_names: Vec<String> = code.getattr(name!(py, "co_names")?)?.extract()?;
    let modules = sys_modules(py)?;
    let names: Vec<String> = crate::pyalloc::keys(&modules)?.iter().filter_map(|k| k.extract().ok()).collect();
    let pending = pending_lazy_imports(py)?;
    for package in packages {
        let prefix = format!("{}.", package.getattr(name!(py, "__name__")?)?.extract::<String>()?);
        let reached = |name: &&String| {
            name.starts_with(&prefix) && name[prefix.len()..].split('.').all(|token| co_names.iter().any(|c| c == token))
        };
        for name in names.iter().filter(reached) {
            if let Some(module) = modules.get_item(name)? {
                out.append(module)?;
            }
        }
        // Imported now, as the function's first use of the attribute
        // would: the loading side has no lazy import pending.
        for name in pending.iter().filter(reached).filter(|name| !names.contains(name)) {
            crate::pyalloc::import(py, name)?;
            if let Some(module) = sys_modules(py)?.get_item(name)? {
                out.append(module)?;
            }
        }
    }
    Ok(out)
}

/// `sys.lazy_modules` (3.15, PEP 810): submodules that a `lazy import
/// a.b.c` will import when `a.b` is first read; none before 3.15.
fn pending_lazy_imports(py: Python<'_>) -> PyResult<Vec<String>> {
    if crate::ffi::types::lazy_import_type().is_null() {
        return Ok(Vec::new());
    }
    let Some(pending) = crate::pyalloc::import(py, "sys")?.getattr_opt(name!(py, "lazy_modules")?)? else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = pending.try_iter()?.filter_map(|name| name.ok()?.extract().ok()).collect();
    names.sort();
    Ok(names)
}
