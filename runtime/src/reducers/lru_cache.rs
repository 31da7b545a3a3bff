//! `functools.lru_cache` wrappers of functions that go by value: the
//! wrapped function by value, wrapped again on load (the cache starts
//! empty, as with dill). Importable ones keep pickle's by-name reduction.

use crate::by_value::misc::{reduce, save_with};
use crate::by_value::raised;
use crate::by_value::reference::forced_by_value;
use crate::by_value::refs::refs;
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::pyalloc::{getattr, name, tuple};
use pyo3::prelude::*;

pub unsafe fn lru_cache_needs_by_value(_p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    let py = Python::assume_attached();
    raised(py, forced_by_value(&Bound::from_borrowed_ptr(py, obj)))
}

/// `make_lru_cache(func, maxsize, typed)`.
pub unsafe fn save_lru_cache(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |wrapper| {
        let py = wrapper.py();
        let parameters = wrapper.call_method0(name!(py, "cache_parameters")?)?;
        let maxsize = parameters.get_item(crate::pyalloc::string(py, "maxsize")?)?;
        let typed = parameters.get_item(crate::pyalloc::string(py, "typed")?)?;
        let wrapped = getattr(wrapper, "__wrapped__")?;
        reduce(refs(py)?.make_lru_cache.bind(py).clone(), tuple(py, [wrapped, maxsize, typed])?)
    })
}
