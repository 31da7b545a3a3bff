//! Module-wide objects that `_pickle.c` keeps in its `PickleState`:
//! exception types, copyreg tables, the Python 2 name maps and helpers.
//! Loaded once at import; held for the life of the process.

use crate::owned::Owned;
use pyo3::ffi;
use pyo3::prelude::*;

fn python_type(py: Python<'_>, expression: &std::ffi::CStr) -> *mut ffi::PyTypeObject {
    // Held for the life of the process, like the rest of the module state.
    match py.eval(expression, None, None) {
        Ok(found) if found.is_instance_of::<pyo3::types::PyType>() => found.into_ptr().cast(),
        _ => std::ptr::null_mut(),
    }
}

/// Fills the type slots: the generated table of the types the rules find
/// (`spec/overrides.toml`), and the few others. A type missing from this
/// Python stays null, which no object's type is.
fn load_python_types(py: Python<'_>) {
    use std::sync::atomic::Ordering::Relaxed;
    for (slot, module, expression) in crate::process::PROCESS.found_types.table() {
        slot.store(found_type(py, module, expression), Relaxed);
    }
    let slots = &crate::process::PROCESS.types;
    slots.lazy_import_type.store(python_type(py, c"getattr(__import__('types'), 'LazyImportType', None)"), Relaxed);
}

/// `expression` evaluated in `module`'s namespace, if that is a type.
fn found_type(py: Python<'_>, module: &std::ffi::CStr, expression: &std::ffi::CStr) -> *mut ffi::PyTypeObject {
    let Ok(name) = module.to_str() else { return std::ptr::null_mut() };
    let namespace = match crate::pyalloc::import(py, name) {
        Ok(module) => module.dict(),
        Err(_) => return std::ptr::null_mut(),
    };
    match py.eval(expression, Some(&namespace), None) {
        Ok(found) if found.is_instance_of::<pyo3::types::PyType>() => found.into_ptr().cast(),
        _ => std::ptr::null_mut(),
    }
}

pub struct ModuleState {
    pub pickling_error: Owned,
    /// `copyreg.dispatch_table`
    pub dispatch_table: Owned,
    /// `anethum.Pickler.dispatch`: reducers registered on the class (as Ray
    /// does with `CloudPickler.dispatch`), tried before copyreg's.
    pub class_dispatch: Owned,
    /// `copyreg._extension_registry`
    pub extension_registry: Owned,
    /// `_compat_pickle.REVERSE_NAME_MAPPING` / `REVERSE_IMPORT_MAPPING`
    pub name_mapping_3to2: Owned,
    pub import_mapping_3to2: Owned,
    pub codecs_encode: Owned,
    pub getattr: Owned,
    pub partial: Owned,
    pub str_latin1: Owned,
    pub str_reduce_ex: Owned,
    pub str_reduce: Owned,
    pub str_qualname: Owned,
    pub str_name: Owned,
    pub str_module: Owned,
    pub str_main: Owned,
    pub str_newobj: Owned,
    pub str_newobj_ex: Owned,
    pub str_new: Owned,
    pub str_class: Owned,
    pub str_items: Owned,
    pub str_dot: Owned,
    pub str_persistent_id: Owned,
    pub str_reducer_override: Owned,
    pub str_dispatch_table: Owned,
    /// `copyreg.__newobj__`
    pub copyreg_newobj: Owned,
    /// Names whose definition anywhere in a class's MRO changes how
    /// `object.__reduce_ex__` reduces its instances (save/plain_instance.rs).
    pub reduce_hooks: [Owned; 6],
    pub str_getstate: Owned,
    pub str_slotnames: Owned,
    pub str_spec: Owned,
    pub str_initializing: Owned,
    /// `object.__reduce_ex__` (the descriptor).
    pub object_reduce_ex: Owned,
}

// The objects are only touched with the GIL held.
unsafe impl Send for ModuleState {}
unsafe impl Sync for ModuleState {}

#[inline(always)]
pub fn state() -> &'static ModuleState {
    crate::process::PROCESS.module.get().expect("anethum._anethum is not initialised")
}

fn owned(obj: Bound<'_, PyAny>) -> Owned {
    unsafe { Owned::new(obj.into_ptr()) }
}

fn interned(py: Python<'_>, text: &str) -> PyResult<Owned> {
    Ok(owned(crate::pyalloc::intern(py, text)?.into_any()))
}

/// `import(module).name`, without pyo3's panicking `&str` conversions.
fn attribute<'py>(py: Python<'py>, module: &str, name: &str) -> PyResult<Bound<'py, PyAny>> {
    crate::pyalloc::getattr(&crate::pyalloc::import(py, module)?, name)
}

fn exact_dict(py: Python<'_>, module: &str, name: &str) -> PyResult<Owned> {
    let value = attribute(py, module, name)?;
    if !value.is_exact_instance_of::<pyo3::types::PyDict>() {
        return Err(crate::pyalloc::error::<pyo3::exceptions::PyRuntimeError>(&format!(
            "{module}.{name} should be a dict, not {}",
            value.get_type().name()?
        )));
    }
    Ok(owned(value))
}

pub fn init(py: Python<'_>) -> PyResult<()> {
    if crate::process::PROCESS.module.get().is_some() {
        return Ok(());
    }
    let pickle = crate::pyalloc::import(py, "pickle")?;
    load_python_types(py);
    let state = ModuleState {
        pickling_error: owned(crate::pyalloc::getattr(&pickle, "PicklingError")?),
        dispatch_table: exact_dict(py, "copyreg", "dispatch_table")?,
        class_dispatch: owned(crate::pyalloc::dict(py)?.into_any()),
        extension_registry: exact_dict(py, "copyreg", "_extension_registry")?,
        name_mapping_3to2: exact_dict(py, "_compat_pickle", "REVERSE_NAME_MAPPING")?,
        import_mapping_3to2: exact_dict(py, "_compat_pickle", "REVERSE_IMPORT_MAPPING")?,
        codecs_encode: owned(attribute(py, "codecs", "encode")?),
        getattr: owned(attribute(py, "builtins", "getattr")?),
        partial: owned(attribute(py, "functools", "partial")?),
        str_latin1: interned(py, "latin1")?,
        str_reduce_ex: interned(py, "__reduce_ex__")?,
        str_reduce: interned(py, "__reduce__")?,
        str_qualname: interned(py, "__qualname__")?,
        str_name: interned(py, "__name__")?,
        str_module: interned(py, "__module__")?,
        str_main: interned(py, "__main__")?,
        str_newobj: interned(py, "__newobj__")?,
        str_newobj_ex: interned(py, "__newobj_ex__")?,
        str_new: interned(py, "__new__")?,
        str_class: interned(py, "__class__")?,
        str_items: interned(py, "items")?,
        str_dot: interned(py, ".")?,
        str_persistent_id: interned(py, "persistent_id")?,
        str_reducer_override: interned(py, "reducer_override")?,
        str_dispatch_table: interned(py, "dispatch_table")?,
        copyreg_newobj: owned(attribute(py, "copyreg", "__newobj__")?),
        reduce_hooks: [
            interned(py, "__reduce_ex__")?,
            interned(py, "__reduce__")?,
            interned(py, "__getstate__")?,
            interned(py, "__getnewargs_ex__")?,
            interned(py, "__getnewargs__")?,
            interned(py, "__class__")?,
        ],
        str_getstate: interned(py, "__getstate__")?,
        str_slotnames: interned(py, "__slotnames__")?,
        str_spec: interned(py, "__spec__")?,
        str_initializing: interned(py, "_initializing")?,
        object_reduce_ex: owned(crate::pyalloc::getattr(&py.get_type::<pyo3::PyAny>(), "__dict__")?.get_item(crate::pyalloc::intern(py, "__reduce_ex__")?)?),
    };
    let _ = crate::process::PROCESS.module.set(state);
    Ok(())
}
