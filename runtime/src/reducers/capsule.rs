//! PyCapsules by name: a capsule holds a C pointer that means nothing in
//! another process, so only one its name leads back to (as
//! `datetime.datetime_CAPI` does) is pickled, as that name.

use super::pickling_error;
use crate::by_value::misc::{reduce, save_with};
use crate::by_value::refs::refs;
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::pyalloc::{string, tuple};
use pyo3::prelude::*;

/// `capsule_by_name(name)`, after checking that the name finds this very
/// capsule here.
pub unsafe fn save_capsule(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |capsule| {
        let py = capsule.py();
        let raw = unsafe { pyo3::ffi::PyCapsule_GetName(capsule.as_ptr()) };
        if raw.is_null() {
            if let Some(err) = PyErr::take(py) {
                return Err(err);
            }
            return Err(pickling_error(py, "cannot pickle a PyCapsule without a name".into()));
        }
        let capsule_name = unsafe { std::ffi::CStr::from_ptr(raw) }.to_string_lossy().into_owned();
        let helper = refs(py)?.capsule_by_name.bind(py).clone();
        let args = tuple(py, [string(py, &capsule_name)?.into_any()])?;
        match helper.call1(&args) {
            Ok(found) if found.is(capsule) => reduce(helper, args),
            _ => Err(pickling_error(
                py,
                format!("cannot pickle PyCapsule {capsule_name:?}: its name does not lead back to it, and its pointer means nothing in another process"),
            )),
        }
    })
}
