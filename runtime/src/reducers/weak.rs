//! Weak references as dill saves them: a `weakref.ref` or proxy to its
//! referent (pickled with it, so the two stay one object), a dead one as a
//! dead one; `WeakKeyDictionary`/`WeakValueDictionary` as their live items.

use crate::by_value::misc::{reduce, save_with};
use crate::by_value::refs::refs;
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::pyalloc::{dict, tuple};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyWeakrefMethods, PyWeakrefProxy, PyWeakrefReference};

/// `make_weakref(referent)`; `make_weakref(None)` for a dead reference.
pub unsafe fn save_weakref(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |weak| {
        let py = weak.py();
        let referent = weak.cast::<PyWeakrefReference>()?.upgrade().unwrap_or_else(|| py.None().into_bound(py));
        reduce(refs(py)?.make_weakref.bind(py).clone(), tuple(py, [referent])?)
    })
}

/// `make_weakproxy(referent, callable)`; a dead proxy with referent None.
pub unsafe fn save_weakproxy(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |proxy| {
        let py = proxy.py();
        let referent = proxy.cast::<PyWeakrefProxy>()?.upgrade().unwrap_or_else(|| py.None().into_bound(py));
        let callable = PyBool::new(py, proxy.is_callable()).to_owned().into_any();
        reduce(refs(py)?.make_weakproxy.bind(py).clone(), tuple(py, [referent, callable])?)
    })
}

/// `type(d)({key: value, ...})` over the pairs alive now. An entry whose
/// key (or value) nothing else in the pickle holds dies again on load, as
/// it would with dill.
pub unsafe fn save_weak_dictionary(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |mapping| {
        let py = mapping.py();
        let items = dict(py)?;
        let pairs = mapping.call_method0(crate::pyalloc::name!(py, "items")?)?;
        for pair in pairs.try_iter()? {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair?.extract()?;
            items.set_item(key, value)?;
        }
        reduce(mapping.get_type().into_any(), tuple(py, [items.into_any()])?)
    })
}
