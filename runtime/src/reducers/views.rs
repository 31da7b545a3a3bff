//! Objects that `pickle` reduces to another type: a memoryview (to bytes)
//! and, before 3.14, super objects (to a RuntimeError). Each is rebuilt
//! as itself or refused; never replaced by something else.

use super::pickling_error;
use crate::by_value::misc::{reduce, save_with};
use crate::by_value::refs::refs;
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::pyalloc::{getattr, import, name, tuple};
use pyo3::prelude::*;
use pyo3::types::PyBool;

/// `make_memoryview(data, format, shape, readonly)`: the bytes it shows in
/// C order, cast back to its format and shape. A format `memoryview.cast`
/// can't restore is refused at dump time rather than loaded as bytes.
pub unsafe fn save_memoryview(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |view| {
        let py = view.py();
        let data = view.call_method0(name!(py, "tobytes")?)?;
        let format = getattr(view, "format")?;
        let shape = getattr(view, "shape")?;
        let readonly = PyBool::new(py, getattr(view, "readonly")?.is_truthy()?).to_owned().into_any();
        let args = tuple(py, [data, format.clone(), shape, readonly])?;
        let helper = refs(py)?.make_memoryview.bind(py).clone();
        if let Err(err) = helper.call1(&args) {
            let message = format!("cannot pickle memoryview of format {}: {}", format.repr()?, err.value(py));
            return Err(pickling_error(py, message));
        }
        reduce(helper, args)
    })
}

/// `super(thisclass, self)`, or `super(thisclass)` when unbound. From 3.14
/// `pickle` does the same (gh-125767), and the rule stops.
pub unsafe fn save_super(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |sup| {
        let py = sup.py();
        let thisclass = getattr(sup, "__thisclass__")?;
        let bound_to = getattr(sup, "__self__")?;
        let super_type = getattr(&import(py, "builtins")?, "super")?;
        let args = if bound_to.is_none() { tuple(py, [thisclass])? } else { tuple(py, [thisclass, bound_to])? };
        reduce(super_type, args)
    })
}

/// `struct.Struct(format)`.
pub unsafe fn save_struct(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |compiled| {
        let py = compiled.py();
        reduce(compiled.get_type().into_any(), tuple(py, [getattr(compiled, "format")?])?)
    })
}
