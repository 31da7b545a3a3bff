//! C-API entry points pyo3-ffi does not expose (or exposes only for some
//! versions). This is the one file allowed to depend on `Py_3_x` cfgs.

use pyo3::ffi::{PyObject, PyTypeObject, Py_buffer, Py_hash_t, Py_ssize_t};
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
    pub fn PyPickleBuffer_GetBuffer(obj: *mut PyObject) -> *const Py_buffer;
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
