//! C-API entry points pyo3-ffi does not expose (or exposes only for some
//! versions). This is the one file allowed to depend on `Py_3_x` cfgs.

use pyo3::ffi::{PyObject, PyTypeObject, Py_hash_t, Py_ssize_t};
use std::os::raw::{c_int, c_uchar};

unsafe extern "C" {
    pub fn _PyBytes_Resize(bytes: *mut *mut PyObject, newsize: Py_ssize_t) -> c_int;
    pub fn _PyLong_NumBits(v: *mut PyObject) -> usize;
    pub fn _PyLong_Sign(v: *mut PyObject) -> c_int;
    pub fn _PySet_NextEntry(
        set: *mut PyObject,
        pos: *mut Py_ssize_t,
        key: *mut *mut PyObject,
        hash: *mut Py_hash_t,
    ) -> c_int;
    /// Borrowed; no exception set when missing.
    pub fn _PyType_Lookup(tp: *mut PyTypeObject, name: *mut PyObject) -> *mut PyObject;
    pub static mut PyPickleBuffer_Type: PyTypeObject;
    pub static mut PyMethod_Type: PyTypeObject;
    // Only needed where `persistent_id` is an attribute (up to 3.12).
    #[cfg_attr(Py_3_13, allow(dead_code))]
    pub fn PyMethod_New(func: *mut PyObject, self_: *mut PyObject) -> *mut PyObject;
    #[link_name = "_PyLong_AsByteArray"]
    fn long_as_byte_array_raw(
        v: *mut PyObject,
        bytes: *mut c_uchar,
        n: usize,
        little_endian: c_int,
        is_signed: c_int,
        #[cfg(Py_3_13)] with_exceptions: c_int,
    ) -> c_int;
}

/// Little-endian two's complement bytes of an int (`_PyLong_AsByteArray`).
pub unsafe fn long_as_le_bytes(v: *mut PyObject, out: &mut [u8]) -> c_int {
    long_as_byte_array_raw(
        v,
        out.as_mut_ptr(),
        out.len(),
        1,
        1,
        #[cfg(Py_3_13)]
        1,
    )
}

/// The type's version tag while it is valid. `PyType_Modified` (any change
/// to the type or a base) clears `Py_TPFLAGS_VALID_VERSION_TAG` up to 3.12
/// and zeroes the tag from 3.12 on; 3.13 no longer sets the flag.
#[inline(always)]
pub unsafe fn valid_version_tag(tp: *mut PyTypeObject) -> Option<u32> {
    let tag = (*tp).tp_version_tag;
    #[cfg(not(Py_3_13))]
    let valid = (*tp).tp_flags & pyo3::ffi::Py_TPFLAGS_VALID_VERSION_TAG != 0;
    #[cfg(Py_3_13)]
    let valid = true;
    (valid && tag != 0).then_some(tag)
}

#[cfg(not(Py_3_13))]
unsafe extern "C" {
    fn _PyObject_LookupAttr(obj: *mut PyObject, name: *mut PyObject, result: *mut *mut PyObject) -> c_int;
}

/// `getattr(obj, name, <missing>)` without creating and clearing an
/// AttributeError when the attribute is missing (what `_pickle.c` does with
/// `_PyObject_LookupAttr`; public as `PyObject_GetOptionalAttr` from 3.13).
/// 1 found, 0 missing, -1 error.
#[inline(always)]
pub unsafe fn lookup_optional_attr(obj: *mut PyObject, name: *mut PyObject, result: *mut *mut PyObject) -> c_int {
    #[cfg(not(Py_3_13))]
    {
        _PyObject_LookupAttr(obj, name, result)
    }
    #[cfg(Py_3_13)]
    {
        pyo3::ffi::PyObject_GetOptionalAttr(obj, name, result)
    }
}
