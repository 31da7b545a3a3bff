//! `anethum.dumps` and `anethum.dump`, as in `_pickle`.

use super::fetch;
use crate::core::Core;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Return the pickled representation of `obj` as a bytes object.
///
/// Byte-for-byte the same as `pickle.dumps(obj, protocol)` for everything
/// the standard pickler can pickle by reference outside `__main__`. What it
/// can't (lambdas, closures, classes made at run time, `__main__` code,
/// modules registered with `register_pickle_by_value`) goes by value,
/// unless `by_value=False`.
#[pyfunction]
#[pyo3(signature = (obj, protocol=None, *, fix_imports=None, buffer_callback=None, by_value=true))]
pub fn dumps<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    protocol: Option<&Bound<'py, PyAny>>,
    fix_imports: Option<&Bound<'py, PyAny>>,
    buffer_callback: Option<Py<PyAny>>,
    by_value: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    unsafe {
        let mut core = new_core(py, protocol, fix_imports, by_value)?;
        core.set_buffer_callback(buffer_callback).map_err(|e| fetch(py, e))?;
        core.dump(obj.as_ptr()).map_err(|e| fetch(py, e))?;
        let bytes = core.out.take_bytes().map_err(|e| fetch(py, e))?;
        Ok(Bound::from_owned_ptr(py, bytes.into_ptr()).cast_into_unchecked())
    }
}

/// `anethum.dill.dumps` without a Python Pickler object: what an
/// `anethum.dill.Pickler` writes when its `dispatch` holds nothing for
/// Python to run (files as dill's handles, with `fmode`).
#[pyfunction]
#[pyo3(signature = (obj, protocol, fmode, byref, recurse, *, fix_imports=None, buffer_callback=None))]
pub fn _dill_dumps<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    protocol: Option<&Bound<'py, PyAny>>,
    fmode: i64,
    byref: bool,
    recurse: bool,
    fix_imports: Option<&Bound<'py, PyAny>>,
    buffer_callback: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    unsafe {
        let mut core = new_core(py, protocol, fix_imports, true)?;
        core.set_buffer_callback(buffer_callback).map_err(|e| fetch(py, e))?;
        core.python = Some(Box::new(crate::python_hooks::PythonHooks { fmode: Some(fmode), byref, recurse: Some(recurse), ..Default::default() }));
        core.dump(obj.as_ptr()).map_err(|e| fetch(py, e))?;
        let bytes = core.out.take_bytes().map_err(|e| fetch(py, e))?;
        Ok(Bound::from_owned_ptr(py, bytes.into_ptr()).cast_into_unchecked())
    }
}

/// Write the pickled representation of `obj` to the open binary `file`.
///
/// Frames are handed to `file.write` as they fill, so memory stays near
/// one frame plus the memo however large the pickle.
#[pyfunction]
#[pyo3(signature = (obj, file, protocol=None, *, fix_imports=None, buffer_callback=None, by_value=true))]
pub fn dump<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    file: &Bound<'py, PyAny>,
    protocol: Option<&Bound<'py, PyAny>>,
    fix_imports: Option<&Bound<'py, PyAny>>,
    buffer_callback: Option<Py<PyAny>>,
    by_value: bool,
) -> PyResult<()> {
    unsafe {
        let mut core = new_core(py, protocol, fix_imports, by_value)?;
        core.out.file_write = Some(file_write(file)?);
        core.set_buffer_callback(buffer_callback).map_err(|e| fetch(py, e))?;
        core.dump(obj.as_ptr()).map_err(|e| fetch(py, e))?;
        core.out.flush_to_file().map_err(|e| fetch(py, e))
    }
}

/// For tests: turn off (or on) the reuse of side pickles' bytes for class
/// states, whose output must be the same either way. Returns the old value.
#[pyfunction]
pub fn _set_side_pickle_reuse(enabled: bool) -> bool {
    crate::process::PROCESS.reuse_side_pickles.swap(enabled, std::sync::atomic::Ordering::Relaxed)
}

/// For tests: panics in Rust, which must reach Python as pyo3's
/// `PanicException` (the release profile unwinds), never abort.
#[pyfunction]
pub fn _panic_for_tests(message: &str) {
    panic!("{message}");
}

/// A core for one `dumps`/`dump` call, with the protocol set as
/// `_pickle`'s module functions set it.
unsafe fn new_core(
    py: Python<'_>,
    protocol: Option<&Bound<'_, PyAny>>,
    fix_imports: Option<&Bound<'_, PyAny>>,
    by_value: bool,
) -> PyResult<Core> {
    let fix_imports = truth(fix_imports)?;
    let mut core = Core::new().map_err(|e| fetch(py, e))?;
    core.by_value = by_value;
    core.set_protocol(protocol.map_or(std::ptr::null_mut(), |p| p.as_ptr()), fix_imports).map_err(|e| fetch(py, e))?;
    Ok(core)
}

/// `fix_imports` is true unless given and false, like the C `bool` converter.
pub fn truth(value: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
    value.map_or(Ok(true), |v| v.is_truthy())
}

/// `_Pickler_SetOutputStream`: the file's `write`, or a TypeError.
pub fn file_write(file: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    match file.getattr_opt(crate::pyalloc::name!(file.py(), "write")?)? {
        Some(write) => Ok(write.unbind()),
        None => Err(crate::pyalloc::error::<pyo3::exceptions::PyTypeError>("file must have a 'write' attribute")),
    }
}
