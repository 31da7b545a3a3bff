//! The singletons and exact type objects that `save()` dispatches on.

use super::compat;
use pyo3::ffi::{self, PyObject, PyTypeObject};
use std::ptr::addr_of_mut;

#[inline(always)]
pub fn none() -> *mut PyObject {
    unsafe { ffi::Py_None() }
}
#[inline(always)]
pub fn true_() -> *mut PyObject {
    unsafe { ffi::Py_True() }
}
#[inline(always)]
pub fn false_() -> *mut PyObject {
    unsafe { ffi::Py_False() }
}

macro_rules! type_accessors {
    ($($name:ident => $path:path;)*) => {$(
        #[inline(always)]
        pub fn $name() -> *mut PyTypeObject {
            addr_of_mut!($path)
        }
    )*};
}

type_accessors! {
    long_type => ffi::PyLong_Type;
    float_type => ffi::PyFloat_Type;
    bytes_type => ffi::PyBytes_Type;
    unicode_type => ffi::PyUnicode_Type;
    dict_type => ffi::PyDict_Type;
    set_type => ffi::PySet_Type;
    frozenset_type => ffi::PyFrozenSet_Type;
    list_type => ffi::PyList_Type;
    tuple_type => ffi::PyTuple_Type;
    bytearray_type => ffi::PyByteArray_Type;
    picklebuffer_type => compat::PyPickleBuffer_Type;
    type_type => ffi::PyType_Type;
    function_type => ffi::PyFunction_Type;
}
