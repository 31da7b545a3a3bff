//! A per-process cache keyed by object, that never keeps the object alive:
//! entries hold a weak reference, checked on every hit so a recycled
//! address is never mistaken for the old object, and dead entries are
//! dropped when the cache grows.

use pyo3::prelude::*;
use std::collections::HashMap;
use std::sync::Mutex;

pub struct WeakCache {
    entries: Mutex<Option<HashMap<usize, (Py<PyAny>, Py<PyAny>)>>>,
}

const PURGE_AT: usize = 4096;

impl WeakCache {
    pub const fn new() -> WeakCache {
        WeakCache { entries: Mutex::new(None) }
    }

    pub fn get<'py>(&self, key: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
        let py = key.py();
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (weak, value) = entries.as_ref()?.get(&(key.as_ptr() as usize))?;
        let alive = weak.bind(py).call0().ok()?;
        alive.is(key).then(|| value.bind(py).clone())
    }

    /// Remembers `value` for `key`; objects without weak references are
    /// simply not cached.
    pub fn insert(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) {
        let py = key.py();
        // No memory for the weak reference: then it is simply not cached.
        let weak = crate::pyalloc::name!(py, "weakref")
            .and_then(|name| py.import(name))
            .and_then(|m| m.getattr(crate::pyalloc::name!(py, "ref")?)?.call1((key,)));
        let Ok(weak) = weak else { return };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let map = entries.get_or_insert_with(HashMap::new);
        if map.len() >= PURGE_AT {
            map.retain(|_, (weak, _)| weak.bind(py).call0().is_ok_and(|alive| !alive.is_none()));
        }
        map.insert(key.as_ptr() as usize, (weak.unbind(), value.clone().unbind()));
    }
}
