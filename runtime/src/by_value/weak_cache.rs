//! A per-process cache keyed by object, that never keeps the object alive:
//! entries hold a weak reference, checked on every hit so a recycled
//! address is never mistaken for the old object, and dead entries are
//! dropped when the cache grows. The lock is never held across a call into
//! Python, nor while a Python object is dropped.

use pyo3::prelude::*;
use std::collections::HashMap;
use std::sync::Mutex;

type Entries = HashMap<usize, (Py<PyAny>, Py<PyAny>)>;

pub struct WeakCache {
    entries: Mutex<Option<Entries>>,
}

const PURGE_AT: usize = 4096;

impl WeakCache {
    pub const fn new() -> WeakCache {
        WeakCache { entries: Mutex::new(None) }
    }

    pub fn get<'py>(&self, key: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
        let py = key.py();
        let (weak, value) = {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            let (weak, value) = entries.as_ref()?.get(&(key.as_ptr() as usize))?;
            (weak.clone_ref(py), value.clone_ref(py))
        };
        let alive = weak.bind(py).call0().ok()?;
        alive.is(key).then(|| value.into_bound(py))
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
        let full = {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.as_ref().is_some_and(|map| map.len() >= PURGE_AT)
        };
        let mut dead: Vec<(Py<PyAny>, Py<PyAny>)> = Vec::new();
        if full {
            let taken = self.entries.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default();
            let mut kept = Entries::with_capacity(taken.len());
            for (address, entry) in taken {
                if entry.0.bind(py).call0().is_ok_and(|alive| !alive.is_none()) {
                    kept.insert(address, entry);
                } else {
                    dead.push(entry);
                }
            }
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            let map = entries.get_or_insert_with(HashMap::new);
            for (address, entry) in kept {
                match map.entry(address) {
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(entry);
                    }
                    std::collections::hash_map::Entry::Occupied(_) => dead.push(entry),
                }
            }
        }
        let replaced = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.get_or_insert_with(HashMap::new).insert(key.as_ptr() as usize, (weak.unbind(), value.clone().unbind()))
        };
        drop(replaced);
        drop(dead);
    }
}
