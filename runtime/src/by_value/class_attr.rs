//! `getattr(cls, name)` for the attributes every class has, without the
//! detour of a metaclass's Python `__getattr__` hook: a metaclass that
//! defines `__getattr__` (Enum's, up to 3.11) makes every class attribute
//! lookup call `type.__getattribute__` through a slot wrapper (~2k
//! instructions). When no metaclass in the MRO overrides
//! `__getattribute__`, that first step is `type`'s own `tp_getattro`,
//! called here directly; only a miss goes on to the full `getattr`, so
//! `__getattr__` still answers what it alone can answer.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyString;

pub fn class_attr<'py>(cls: &Bound<'py, PyAny>, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    unsafe {
        if ffi::PyType_Check(cls.as_ptr()) != 0 && !overrides_getattribute(ffi::Py_TYPE(cls.as_ptr())) {
            if let Some(getattro) = ffi::PyType_Type.tp_getattro {
                let found = getattro(cls.as_ptr(), name.as_ptr());
                if !found.is_null() {
                    return Ok(Bound::from_owned_ptr(py, found));
                }
                ffi::PyErr_Clear();
            }
        }
    }
    cls.getattr(name)
}

pub fn class_attr_opt<'py>(cls: &Bound<'py, PyAny>, name: &Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyAny>>> {
    match class_attr(cls, name) {
        Ok(found) => Ok(Some(found)),
        Err(err) if err.is_instance_of::<pyo3::exceptions::PyAttributeError>(cls.py()) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Whether a class in the metaclass's MRO (besides `type` and `object`)
/// defines `__getattribute__`.
unsafe fn overrides_getattribute(meta: *mut ffi::PyTypeObject) -> bool {
    if meta == std::ptr::addr_of_mut!(ffi::PyType_Type) {
        return false;
    }
    let mro = (*meta).tp_mro;
    if mro.is_null() {
        return true;
    }
    // Without the name (no memory), the full lookup is always correct.
    let Ok(name) = crate::pyalloc::name!(Python::assume_attached(), "__getattribute__") else { return true };
    let name = name.as_ptr();
    for i in 0..ffi::PyTuple_GET_SIZE(mro) {
        let base = ffi::PyTuple_GET_ITEM(mro, i).cast::<ffi::PyTypeObject>();
        if base == std::ptr::addr_of_mut!(ffi::PyType_Type) || base == std::ptr::addr_of_mut!(ffi::PyBaseObject_Type) {
            continue;
        }
        let dict = (*base).tp_dict;
        if dict.is_null() || ffi::PyDict_Contains(dict, name) != 0 {
            return true;
        }
    }
    false
}
