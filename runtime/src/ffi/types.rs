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
    code_type => ffi::PyCode_Type;
    cell_type => ffi::PyCell_Type;
    module_type => ffi::PyModule_Type;
    classmethod_type => ffi::PyClassMethod_Type;
    staticmethod_type => ffi::PyStaticMethod_Type;
    property_type => ffi::PyProperty_Type;
    mappingproxy_type => ffi::PyDictProxy_Type;
    memoryview_type => ffi::PyMemoryView_Type;
    dict_keys_type => ffi::PyDictKeys_Type;
    dict_values_type => ffi::PyDictValues_Type;
    dict_items_type => ffi::PyDictItems_Type;
    getset_descriptor_type => ffi::PyGetSetDescr_Type;
    method_type => crate::ffi::compat::PyMethod_Type;
}

/// `PyType_IsSubtype`, with a flag test for the common `type` case.
#[inline(always)]
pub fn is_subtype(tp: *mut PyTypeObject, base: *mut PyTypeObject) -> bool {
    unsafe {
        if base == type_type() {
            return ffi::PyType_HasFeature(tp, ffi::Py_TPFLAGS_TYPE_SUBCLASS) != 0;
        }
        ffi::PyType_IsSubtype(tp, base) != 0
    }
}

macro_rules! python_level_types {
    ($($name:ident;)*) => {
        /// Slots for the types below (`PROCESS.types`), filled once by
        /// `state::init`; a plain load on the hot path (they are compared
        /// for most objects).
        pub struct TypeSlots {
            $(pub $name: std::sync::atomic::AtomicPtr<pyo3::ffi::PyTypeObject>,)*
        }
        impl TypeSlots {
            pub const fn new() -> TypeSlots {
                TypeSlots { $($name: std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),)* }
            }
        }
        $(
            #[inline(always)]
            pub fn $name() -> *mut PyTypeObject {
                crate::process::PROCESS.types.$name.load(std::sync::atomic::Ordering::Relaxed)
            }
        )*
    };
}

// Types defined in Python or not exported by the C API that no rule of
// spec/overrides.toml finds (the rules' own types are generated).
python_level_types! {
    lazy_import_type;
}

pub use crate::generated::found_types::*;
