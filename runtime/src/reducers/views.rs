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

/// `type(dialect)(SimpleNamespace(delimiter=..., quotechar=..., ...))`:
/// `_csv.Dialect` copies its settings from any object that has them.
pub unsafe fn save_csv_dialect(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |dialect| {
        let py = dialect.py();
        let settings = crate::pyalloc::dict(py)?;
        for name in
            ["delimiter", "doublequote", "escapechar", "lineterminator", "quotechar", "quoting", "skipinitialspace", "strict"]
        {
            if let Some(value) = dialect.getattr_opt(crate::pyalloc::string(py, name)?)? {
                settings.set_item(crate::pyalloc::string(py, name)?, value)?;
            }
        }
        let namespace = getattr(&import(py, "types")?, "SimpleNamespace")?.call((), Some(&settings))?;
        reduce(dialect.get_type().into_any(), tuple(py, [namespace])?)
    })
}

/// `make_match(pattern, string, pos, endpos, regs)`: the same match found
/// again at load time (or an UnpicklingError, never another match).
pub unsafe fn save_match(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |found| {
        let py = found.py();
        let args = tuple(
            py,
            [getattr(found, "re")?, getattr(found, "string")?, getattr(found, "pos")?, getattr(found, "endpos")?, getattr(found, "regs")?],
        )?;
        reduce(refs(py)?.make_match.bind(py).clone(), args)
    })
}

/// `functools.cmp_to_key(cmp)`, or `cmp_to_key(cmp)(obj)` for a key made
/// from an object. Neither is an attribute, but the wrapper's traversal
/// reports both (after its type, from 3.12).
pub unsafe fn save_cmp_key(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |key| {
        let py = key.py();
        let referents = getattr(&import(py, "gc")?, "get_referents")?.call1((key,))?;
        let mut parts = Vec::new();
        for item in referents.try_iter()? {
            let item = item?;
            if !item.is(&key.get_type()) {
                parts.push(item);
            }
        }
        let cmp_to_key = getattr(&import(py, "functools")?, "cmp_to_key")?;
        match parts.as_slice() {
            [cmp] => reduce(cmp_to_key, tuple(py, [cmp.clone()])?),
            [cmp, wrapped] => reduce(cmp_to_key.call1((cmp,))?, tuple(py, [wrapped.clone()])?),
            _ => Err(super::pickling_error(py, "cannot pickle this functools.KeyWrapper: its comparison function is out of reach".into())),
        }
    })
}
