//! Locks as new, unlocked locks, by reference to their constructors in
//! `_thread`: a held lock can't travel (its owner thread doesn't), and one
//! acquired at load time by whoever loads it would deadlock its users. What
//! holds locks (queues, conditions, logging handlers, cached_property on
//! 3.9–3.11) then pickles through the usual reductions.

use crate::by_value::misc::{reduce, save_with};
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::pyalloc::{getattr, import};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// `_thread.allocate_lock()` for a `_thread.lock`, `_thread.RLock()` for
/// an RLock.
pub unsafe fn save_lock(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |lock| {
        let py = lock.py();
        let thread = import(py, "_thread")?;
        let is_rlock = lock.get_type().is(&getattr(&thread, "RLock")?);
        let constructor = getattr(&thread, if is_rlock { "RLock" } else { "allocate_lock" })?;
        reduce(constructor, PyTuple::empty(py))
    })
}

/// `make_thread_handle(ident, done)`, as dill's `save_thread_handle`.
pub unsafe fn save_thread_handle(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |handle| {
        let py = handle.py();
        let ident = getattr(handle, "ident")?;
        let done = handle.call_method0(crate::pyalloc::string(py, "is_done")?)?;
        reduce(crate::by_value::refs::refs(py)?.make_thread_handle.bind(py).clone(), crate::pyalloc::tuple(py, [ident, done])?)
    })
}
