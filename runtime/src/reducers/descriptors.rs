//! Descriptors of built-in classes that `pickle` reduces to what getattr
//! makes of them: `dict.__dict__['fromkeys']` would load as a bound method.

use crate::by_value::misc::{reduce, save_with};
use crate::by_value::refs::refs;
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::pyalloc::{getattr, tuple};

/// `getset_descriptor(owner, name)`: the entry of the owner's own dict.
pub unsafe fn save_classmethod_descriptor(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |descriptor| {
        let py = descriptor.py();
        let owner = getattr(descriptor, "__objclass__")?;
        let name = getattr(descriptor, "__name__")?;
        reduce(refs(py)?.getset_descriptor.bind(py).clone(), tuple(py, [owner, name])?)
    })
}
