//! Lazy imports (PEP 810, 3.15): `lazy import x` binds a proxy in the
//! module's dict that LOAD_GLOBAL replaces by the import on first use; a
//! plain dict read, as when shipping a function's globals or a dynamic
//! module's dict, gets the proxy, which no one can pickle or make again.
//! What goes into the pickle is what the name stands for: the import,
//! done now (its error, if it fails, is the pickling's).

use pyo3::prelude::*;

/// `value`, or what it imports if it is a lazy-import proxy.
pub fn resolved<'py>(value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let lazy = crate::ffi::types::lazy_import_type();
    if lazy.is_null() || unsafe { pyo3::ffi::Py_TYPE(value.as_ptr()) } != lazy {
        return Ok(value);
    }
    value.call_method0(crate::pyalloc::name!(value.py(), "resolve")?)
}
