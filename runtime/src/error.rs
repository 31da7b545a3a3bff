//! Errors the C way: a failing call leaves a Python exception set and
//! returns `Err(Failed)`; the API layer turns it into a `PyErr`.

use crate::ffi::{self, PyObject};
use crate::state::state;
use std::ffi::CString;
use std::os::raw::c_int;

/// A Python exception is set.
#[derive(Debug)]
pub struct Failed;

pub type Res<T = ()> = Result<T, Failed>;

#[inline(always)]
pub fn check(ptr: *mut PyObject) -> Res<*mut PyObject> {
    if ptr.is_null() { Err(Failed) } else { Ok(ptr) }
}

#[inline(always)]
pub fn check_int(status: c_int) -> Res<c_int> {
    if status < 0 { Err(Failed) } else { Ok(status) }
}

pub unsafe fn raise(exc_type: *mut PyObject, message: &str) -> Failed {
    let message = CString::new(message.replace('\0', "\\0")).unwrap();
    ffi::PyErr_SetString(exc_type, message.as_ptr());
    Failed
}

pub unsafe fn pickling_error(message: &str) -> Failed {
    raise(state().pickling_error.as_ptr(), message)
}

/// `repr(obj)` for messages; never fails (a failing repr becomes a placeholder).
pub unsafe fn repr(obj: *mut PyObject) -> String {
    set_aside(|| text_of(ffi::PyObject_Repr(obj), obj))
}

/// `str(obj)` for messages, like `%S`.
pub unsafe fn str_of(obj: *mut PyObject) -> String {
    set_aside(|| text_of(ffi::PyObject_Str(obj), obj))
}

/// Runs `f` (which runs Python code) with the exception being raised, if
/// any, set aside, and sets it again after: Python code must not run with
/// an exception set (a GC callback would fail with SystemError), and a
/// message is often formatted for the error that is being raised.
unsafe fn set_aside<T>(f: impl FnOnce() -> T) -> T {
    let pending = take_raised();
    let out = f();
    restore_raised(pending);
    out
}

unsafe fn text_of(text: *mut PyObject, obj: *mut PyObject) -> String {
    if text.is_null() {
        ffi::PyErr_Clear();
        return format!("<{} object>", type_name(obj));
    }
    let mut size = 0;
    let data = ffi::PyUnicode_AsUTF8AndSize(text, &mut size);
    let out = if data.is_null() {
        ffi::PyErr_Clear();
        String::from("<unprintable>")
    } else {
        String::from_utf8_lossy(std::slice::from_raw_parts(data as *const u8, size as usize)).into_owned()
    };
    ffi::Py_DECREF(text);
    out
}

pub unsafe fn type_name(obj: *mut PyObject) -> String {
    let name = (*ffi::Py_TYPE(obj)).tp_name;
    std::ffi::CStr::from_ptr(name).to_string_lossy().into_owned()
}

#[inline(always)]
pub unsafe fn exception_matches(exc: *mut PyObject) -> bool {
    ffi::PyErr_ExceptionMatches(exc) != 0
}

/// Replaces the exception that is set with `exc_type(message)`, the old
/// one as its `__context__` (`_PyErr_ChainExceptions1` in `_pickle.c`).
pub unsafe fn raise_from_current(exc_type: *mut PyObject, message: &str) -> Failed {
    let context = take_raised();
    raise(exc_type, message);
    if !context.is_null() {
        let new = take_raised();
        if new.is_null() {
            ffi::Py_DECREF(context);
        } else {
            ffi::PyException_SetContext(new, context);
            restore_raised(new);
        }
    }
    Failed
}

/// The exception that is set, normalized and taken out of the thread
/// state (a new reference, or null).
#[cfg(Py_3_12)]
pub unsafe fn take_raised() -> *mut PyObject {
    ffi::PyErr_GetRaisedException()
}

/// Sets `value` (an exception instance, stolen) as the current exception.
#[cfg(Py_3_12)]
pub unsafe fn restore_raised(value: *mut PyObject) {
    if !value.is_null() {
        ffi::PyErr_SetRaisedException(value);
    }
}

#[cfg(not(Py_3_12))]
#[allow(deprecated)]
pub unsafe fn take_raised() -> *mut PyObject {
    let (mut kind, mut value, mut traceback) = (std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut());
    ffi::PyErr_Fetch(&mut kind, &mut value, &mut traceback);
    ffi::PyErr_NormalizeException(&mut kind, &mut value, &mut traceback);
    if !value.is_null() && !traceback.is_null() {
        ffi::PyException_SetTraceback(value, traceback);
    }
    ffi::Py_XDECREF(kind);
    ffi::Py_XDECREF(traceback);
    value
}

#[cfg(not(Py_3_12))]
#[allow(deprecated)]
pub unsafe fn restore_raised(value: *mut PyObject) {
    if !value.is_null() {
        let kind = ffi::Py_TYPE(value).cast::<PyObject>();
        ffi::Py_INCREF(kind);
        ffi::PyErr_Restore(kind, value, ffi::PyException_GetTraceback(value));
    }
}
