//! A strong reference held as a raw pointer, released on drop. The core
//! works on raw pointers like `_pickle.c`; this keeps the refcounting honest.

use pyo3::ffi::{self, PyObject};
use std::ptr::NonNull;

pub struct Owned(NonNull<PyObject>);

impl Owned {
    /// Takes over a new reference; `ptr` must not be null.
    #[inline(always)]
    pub unsafe fn new(ptr: *mut PyObject) -> Owned {
        Owned(NonNull::new_unchecked(ptr))
    }

    /// Takes a new reference to a borrowed object.
    #[inline(always)]
    pub unsafe fn borrowed(ptr: *mut PyObject) -> Owned {
        ffi::Py_INCREF(ptr);
        Owned(NonNull::new_unchecked(ptr))
    }

    #[inline(always)]
    pub unsafe fn from_nullable(ptr: *mut PyObject) -> Option<Owned> {
        NonNull::new(ptr).map(Owned)
    }

    #[inline(always)]
    pub fn as_ptr(&self) -> *mut PyObject {
        self.0.as_ptr()
    }

    pub fn into_ptr(self) -> *mut PyObject {
        let ptr = self.0.as_ptr();
        std::mem::forget(self);
        ptr
    }
}

impl Clone for Owned {
    fn clone(&self) -> Owned {
        unsafe { Owned::borrowed(self.as_ptr()) }
    }
}

impl Drop for Owned {
    #[inline(always)]
    fn drop(&mut self) {
        unsafe { ffi::Py_DECREF(self.0.as_ptr()) }
    }
}

/// A new tuple holding new references to `items`.
pub unsafe fn tuple_of(items: &[*mut PyObject]) -> Result<Owned, crate::error::Failed> {
    let tuple = Owned::new(crate::error::check(ffi::PyTuple_New(items.len() as ffi::Py_ssize_t))?);
    for (i, &item) in items.iter().enumerate() {
        ffi::Py_INCREF(item);
        ffi::PyTuple_SET_ITEM(tuple.as_ptr(), i as ffi::Py_ssize_t, item);
    }
    Ok(tuple)
}
