//! By reference or by value: an object goes by reference when its module
//! is found and importable, is not `__main__`, is not registered for
//! by-value pickling, and looking its qualified name up in it gives back
//! the very same object. For functions and classes `save_global` does the
//! lookup (falling back to by value when it fails); TypeVars use
//! `importable_module` here.

use super::refs::refs;
use crate::pyalloc::name;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule, PyString};

/// The module that holds `obj` under `name` by reference, if there is one
/// (cloudpickle's `_lookup_module_and_qualname`, registry check included).
pub fn importable_module<'py>(obj: &Bound<'py, PyAny>, name: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyModule>>> {
    let py = obj.py();
    let Some(module_name) = which_module(obj, name)? else { return Ok(None) };
    if module_name.is_instance_of::<PyString>() && module_name.cast::<PyString>()?.to_str()? == "__main__" {
        return Ok(None);
    }
    let modules = sys_modules(py)?;
    let Some(module) = modules.get_item(&module_name)? else { return Ok(None) };
    let Ok(module) = module.cast_into::<PyModule>() else { return Ok(None) };
    match get_attribute(&module, name)? {
        Some(found) if found.is(obj) => {}
        _ => return Ok(None),
    }
    if is_registered_by_value(&module)? {
        return Ok(None);
    }
    Ok(Some(module))
}

/// The other name under which `obj`'s module holds it, where its own
/// name leads elsewhere (`typing._TypedDict`, whose qualname `TypedDict`
/// names a function): a global of that module that is `obj`, first
/// defined first. None in `__main__`, in a module not imported or
/// registered by value.
pub fn module_alias<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyString>>> {
    let py = obj.py();
    let Some(module_name) = super::class_attr::class_attr_opt(obj, name!(py, "__module__")?)? else { return Ok(None) };
    let Ok(module_name) = module_name.cast_into::<PyString>() else { return Ok(None) };
    if module_name.to_cow()? == "__main__" {
        return Ok(None);
    }
    let Some(module) = sys_modules(py)?.get_item(&module_name)? else { return Ok(None) };
    let Ok(module) = module.cast_into::<PyModule>() else { return Ok(None) };
    if is_registered_by_value(&module)? {
        return Ok(None);
    }
    for (key, value) in module.dict().iter() {
        if value.is(obj) {
            if let Ok(key) = key.cast_into::<PyString>() {
                return Ok(Some(key));
            }
        }
    }
    Ok(None)
}

/// The interpreter's module dict (what `sys.modules` is, and what the
/// import system itself uses).
pub fn sys_modules(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let modules = unsafe { pyo3::ffi::PyImport_GetModuleDict() };
    if modules.is_null() {
        return Err(crate::pyalloc::error::<pyo3::exceptions::PyRuntimeError>("unable to get sys.modules"));
    }
    Ok(unsafe { Bound::from_borrowed_ptr(py, modules) }.cast_into::<PyDict>()?)
}

/// `__module__`, else the first module (not `__main__`) holding `obj`
/// under `name`; errors while looking are side effects and are ignored.
fn which_module<'py>(obj: &Bound<'py, PyAny>, name: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = obj.py();
    if let Some(module_name) = obj.getattr_opt(name!(py, "__module__")?)? {
        if !module_name.is_none() {
            return Ok(Some(module_name));
        }
    }
    let snapshot = sys_modules(py)?.copy()?;
    for (module_name, module) in snapshot.iter() {
        if let Ok(text) = module_name.extract::<&str>() {
            if text == "__main__" || text == "__mp_main__" {
                continue;
            }
        }
        let Ok(module) = module.cast_into::<PyModule>() else { continue };
        if let Ok(Some(found)) = get_attribute(&module, name) {
            if found.is(obj) {
                return Ok(Some(module_name));
            }
        }
    }
    Ok(None)
}

/// `pickle._getattribute`: follow a dotted name, refusing `<locals>`.
fn get_attribute<'py>(module: &Bound<'py, PyModule>, name: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Ok(name) = name.extract::<&str>() else { return Ok(None) };
    let mut current = module.clone().into_any();
    for part in name.split('.') {
        if part == "<locals>" {
            return Ok(None);
        }
        match current.getattr(crate::pyalloc::string(module.py(), part)?) {
            Ok(next) => current = next,
            Err(err) if err.is_instance_of::<pyo3::exceptions::PyAttributeError>(module.py()) => return Ok(None),
            Err(err) => return Err(err),
        }
    }
    Ok(Some(current))
}

/// Whether a function or class must go by value even if `pickle` could
/// find it by name: it lives in `__main__` (not importable elsewhere), in a
/// module that isn't imported, or in a module registered with
/// `register_pickle_by_value` — or it obviously can't be found (defined
/// inside a function). Everything else is
/// tried by reference first; `save_global` falls back to by value when the
/// lookup fails.
pub fn forced_by_value(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = obj.py();
    // Defined inside a function: no lookup can find it (and failing one,
    // with its formatted exception, is what would cost the most here).
    if let Some(qualname) = super::class_attr::class_attr_opt(obj, name!(py, "__qualname__")?)? {
        if let Ok(qualname) = qualname.cast_into::<PyString>() {
            if qualname.to_cow()?.contains("<locals>") {
                return Ok(true);
            }
        }
    }
    let module_name = if unsafe { pyo3::ffi::PyFunction_Check(obj.as_ptr()) } != 0 {
        // A function's `__module__` is a plain field: read it directly.
        match unsafe { pyo3::ffi::PyFunction_GetModule(obj.as_ptr()) } {
            module if module.is_null() => return Ok(false),
            module => unsafe { Bound::from_borrowed_ptr(py, module) },
        }
    } else {
        match super::class_attr::class_attr_opt(obj, name!(py, "__module__")?)? {
            Some(module_name) => module_name,
            None => return Ok(false),
        }
    };
    let Ok(module_name) = module_name.cast_into::<PyString>() else { return Ok(false) };
    let name = module_name.to_cow()?;
    if name == "__main__" {
        return Ok(true);
    }
    // As cloudpickle: a module that isn't imported here is taken to be
    // dynamic, rather than trying (slowly, through sys.path) to import it.
    if !sys_modules(py)?.contains(&module_name)? {
        return Ok(true);
    }
    is_registered_name(py, &name)
}

/// Whether the module or one of its parent packages is registered with
/// `anethum.register_pickle_by_value`.
pub fn is_registered_by_value(module: &Bound<'_, PyModule>) -> PyResult<bool> {
    let name: String = module.getattr(name!(module.py(), "__name__")?)?.extract()?;
    is_registered_name(module.py(), &name)
}

fn is_registered_name(py: Python<'_>, name: &str) -> PyResult<bool> {
    let registry = refs(py)?.by_value_modules.bind(py);
    if registry.is_empty() {
        return Ok(false);
    }
    let mut current = name;
    loop {
        if registry.contains(crate::pyalloc::string(py, current)?)? {
            return Ok(true);
        }
        match current.rfind('.') {
            Some(dot) => current = &current[..dot],
            None => return Ok(false),
        }
    }
}
