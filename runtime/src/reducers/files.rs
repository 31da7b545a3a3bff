//! Open files as dill saves them, for `anethum.dill` picklers (their
//! `fmode`): the handle reopened by name at load time, with its mode and
//! position, and with FILE_FMODE its contents too. anethum's own default
//! stays cloudpickle's (a readable text file as a StringIO of its contents).

use crate::by_value::misc::{reduce, save_with};
use crate::by_value::refs::refs;
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::pyalloc::{getattr, int, string, tuple};
use pyo3::prelude::*;
use pyo3::types::PyBool;

/// dill's `FILE_FMODE`: the pickle carries the file's contents.
const FILE_FMODE: i64 = 2;

/// The `fmode` of an `anethum.dill` pickler, None for any other.
pub fn dill_fmode(p: &Core) -> Option<i64> {
    p.python.as_deref().and_then(|hooks| hooks.fmode)
}

pub unsafe fn file_handle_wanted(p: &mut Core, _obj: *mut PyObject) -> Res<bool> {
    Ok(dill_fmode(p).is_some())
}

/// `make_file_handle(name, mode, position, closed, fmode, contents, raw)`.
pub unsafe fn save_file_handle(p: &mut Core, obj: *mut PyObject) -> Res {
    let fmode = dill_fmode(p).unwrap_or(0);
    save_with(p, obj, |file| {
        let py = file.py();
        let closed = getattr(file, "closed")?.is_truthy()?;
        let name = getattr(file, "name")?;
        let mode = getattr(file, "mode")?;
        let position = if closed {
            int(py, 0usize)?.into_any()
        } else {
            file.call_method0(string(py, "flush")?).or_else(|err| if err.is_instance_of::<pyo3::exceptions::PyOSError>(py) || err.is_instance_of::<pyo3::exceptions::PyValueError>(py) { Ok(py.None().into_bound(py)) } else { Err(err) })?;
            // A stream that can't tell (a terminal, a pipe) has no position.
            match file.call_method0(string(py, "tell")?) {
                Ok(position) => position,
                Err(err) if err.is_instance_of::<pyo3::exceptions::PyOSError>(py) => py.None().into_bound(py),
                Err(err) => return Err(err),
            }
        };
        let contents = if fmode == FILE_FMODE && !closed {
            let reader = getattr(&crate::pyalloc::import(py, "builtins")?, "open")?;
            let binary = mode.extract::<String>()?.contains('b');
            let opened = reader.call1((name.clone(), string(py, if binary { "rb" } else { "r" })?))?;
            let data = opened.call_method0(string(py, "read")?);
            opened.call_method0(string(py, "close")?)?;
            data?
        } else {
            py.None().into_bound(py)
        };
        let raw = unsafe { pyo3::ffi::Py_TYPE(file.as_ptr()) } == crate::ffi::types::raw_file_type();
        let flag = |value: bool| PyBool::new(py, value).to_owned().into_any();
        let args = tuple(py, [name, mode, position, flag(closed), int(py, fmode as usize)?.into_any(), contents, flag(raw)])?;
        reduce(refs(py)?.make_file_handle.bind(py).clone(), args)
    })
}
