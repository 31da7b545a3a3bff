//! The pickler memo: `PyMemoTable` from `Modules/_pickle.c`, an
//! open-addressing table keyed by object address. It holds a strong
//! reference to every key, so an id is never reused while it is memoized.

use pyo3::ffi::{self, PyObject};

const MIN_SIZE: usize = 8;
const SIDE_SIZE: usize = 256;
const PERTURB_SHIFT: u32 = 5;

#[derive(Clone, Copy)]
struct Entry {
    key: *mut PyObject,
    value: usize,
}

const EMPTY: Entry = Entry { key: std::ptr::null_mut(), value: 0 };

pub struct Memo {
    table: Vec<Entry>,
    used: usize,
}

impl Memo {
    /// A memo for a side pickle (no size hint): room for a class's state
    /// without regrowing.
    pub fn small() -> Memo {
        Memo { table: vec![EMPTY; SIDE_SIZE], used: 0 }
    }
}

impl Default for Memo {
    /// Sized for as many entries as the last dump made, so that a dump of
    /// the same kind never resizes (see `size_hints`).
    fn default() -> Self {
        let wanted = crate::size_hints::memo() * 3 / 2 + 1;
        let mut size = MIN_SIZE;
        while size < wanted {
            size <<= 1;
        }
        Memo { table: vec![EMPTY; size], used: 0 }
    }
}

impl Memo {
    #[inline]
    pub fn len(&self) -> usize {
        self.used
    }

    #[inline]
    fn slot(&self, key: *mut PyObject) -> usize {
        let mask = self.table.len() - 1;
        let hash = (key as usize) >> 3;
        let mut i = hash & mask;
        let entry = self.table[i];
        if entry.key.is_null() || entry.key == key {
            return i;
        }
        let mut perturb = hash;
        loop {
            i = (i << 2).wrapping_add(i).wrapping_add(perturb).wrapping_add(1);
            let entry = self.table[i & mask];
            if entry.key.is_null() || entry.key == key {
                return i & mask;
            }
            perturb >>= PERTURB_SHIFT;
        }
    }

    #[inline]
    pub fn get(&self, key: *mut PyObject) -> Option<usize> {
        let entry = self.table[self.slot(key)];
        if entry.key.is_null() { None } else { Some(entry.value) }
    }

    /// Maps `key` to `value`, taking a new reference to `key` if it is new.
    pub unsafe fn set(&mut self, key: *mut PyObject, value: usize) {
        let i = self.slot(key);
        if !self.table[i].key.is_null() {
            self.table[i].value = value;
            return;
        }
        ffi::Py_INCREF(key);
        self.table[i] = Entry { key, value };
        self.used += 1;
        if self.used * 3 >= self.table.len() * 2 {
            let factor = if self.used > 50_000 { 2 } else { 4 };
            self.resize(factor * self.used);
        }
    }

    fn resize(&mut self, min_size: usize) {
        let mut size = MIN_SIZE;
        while size < min_size {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.table, vec![EMPTY; size]);
        for entry in old.into_iter().filter(|e| !e.key.is_null()) {
            let i = self.slot(entry.key);
            self.table[i] = entry;
        }
    }

    /// Drops every reference; the table keeps its size, as in `_pickle.c`.
    pub unsafe fn clear(&mut self) {
        for entry in self.table.iter_mut() {
            if !entry.key.is_null() {
                let key = std::mem::replace(&mut entry.key, std::ptr::null_mut());
                ffi::Py_DECREF(key);
            }
        }
        self.used = 0;
    }

    /// `(key, id)` pairs, for the `memo` proxy.
    pub fn entries(&self) -> impl Iterator<Item = (*mut PyObject, usize)> + '_ {
        self.table.iter().filter(|e| !e.key.is_null()).map(|e| (e.key, e.value))
    }

    pub fn allocated(&self) -> usize {
        self.table.len()
    }
}

impl Drop for Memo {
    fn drop(&mut self) {
        if self.used > 0 {
            unsafe { self.clear() }
        }
    }
}
