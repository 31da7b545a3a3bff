//! Fallible versions of the pyo3 constructors anethum uses. pyo3's own
//! `PyTuple::new`, `PyDict::new`, `PyList::empty`, `PyString::new`,
//! `PyString::intern`, `intern!`, `PyDict::keys`, the conversions of `&str`
//! and integers (as `getattr("name")` or `get_item(n)` make them) all panic
//! when the C call they wrap returns NULL, which is what an allocation
//! failure gives; these return the MemoryError instead.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

/// A new tuple of `items` (at most as many as the iterator announces).
pub fn tuple<'py, I>(py: Python<'py>, items: I) -> PyResult<Bound<'py, PyTuple>>
where
    I: IntoIterator<Item = Bound<'py, PyAny>>,
    I::IntoIter: ExactSizeIterator,
{
    let items = items.into_iter();
    let len = items.len();
    unsafe {
        let tuple = Bound::from_owned_ptr_or_err(py, ffi::PyTuple_New(len as ffi::Py_ssize_t))?;
        for (i, item) in items.take(len).enumerate() {
            ffi::PyTuple_SET_ITEM(tuple.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr());
        }
        Ok(tuple.cast_into_unchecked())
    }
}

pub fn dict(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    unsafe { Ok(Bound::from_owned_ptr_or_err(py, ffi::PyDict_New())?.cast_into_unchecked()) }
}

/// A new list of `items`.
pub fn list<'py>(py: Python<'py>, items: impl IntoIterator<Item = Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyList>> {
    let list: Bound<'py, PyList> = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyList_New(0))?.cast_into_unchecked() };
    for item in items {
        list.append(item)?;
    }
    Ok(list)
}

/// `list(dict)`, the keys in order.
pub fn keys<'py>(dict: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyList>> {
    unsafe { Ok(Bound::from_owned_ptr_or_err(dict.py(), ffi::PyDict_Keys(dict.as_ptr()))?.cast_into_unchecked()) }
}

pub fn string<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyString>> {
    unsafe {
        let ptr = ffi::PyUnicode_FromStringAndSize(text.as_ptr().cast(), text.len() as ffi::Py_ssize_t);
        Ok(Bound::from_owned_ptr_or_err(py, ptr)?.cast_into_unchecked())
    }
}

pub fn int(py: Python<'_>, value: usize) -> PyResult<Bound<'_, PyAny>> {
    unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyLong_FromSize_t(value)) }
}

/// `bytes(data)`, a MemoryError (not a panic) when memory runs out.
pub fn bytes<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    unsafe {
        let ptr = ffi::PyBytes_FromStringAndSize(data.as_ptr().cast(), data.len() as ffi::Py_ssize_t);
        Ok(Bound::from_owned_ptr_or_err(py, ptr)?.cast_into_unchecked())
    }
}

/// `getattr(obj, name)` for a name spelt at the call (cold paths; hot ones use `name!`).
pub fn getattr<'py, T>(obj: &Bound<'py, T>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    obj.as_any().getattr(string(obj.py(), name)?)
}

pub fn import<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyModule>> {
    py.import(string(py, name)?)
}

/// An interned str made once per process, like pyo3's `intern!` but
/// failing with MemoryError (and trying again next time) instead of panicking.
pub struct Name(&'static str, PyOnceLock<Py<PyString>>);

impl Name {
    pub const fn new(text: &'static str) -> Name {
        Name(text, PyOnceLock::new())
    }

    pub fn get<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyString>> {
        let name = self.1.get_or_try_init(py, || intern(py, self.0).map(Bound::unbind))?;
        Ok(name.bind(py))
    }
}

/// A new interned str; MemoryError when it can't be made or interned (an
/// interned name that isn't would change which strings the memo shares).
pub fn intern<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyString>> {
    unsafe {
        let mut ptr = string(py, text)?.into_ptr();
        ffi::PyUnicode_InternInPlace(&mut ptr);
        let interned = Bound::from_owned_ptr(py, ptr);
        if interned_state(ptr) == 0 {
            ffi::PyErr_NoMemory();
            return Err(PyErr::fetch(py));
        }
        Ok(interned.cast_into_unchecked())
    }
}

/// `PyUnicode_CHECK_INTERNED(op)` (a C inline function, not in the ABI).
unsafe fn interned_state(op: *mut ffi::PyObject) -> u32 {
    unsafe {
        #[cfg(not(Py_3_14))]
        {
            (*op.cast::<ffi::PyASCIIObject>()).interned()
        }
        // pyo3-ffi 0.30 has no bitfield accessors from 3.14 on. With the
        // GIL, `state` still starts with `unsigned int interned:2`, which
        // GCC and Clang put in the lowest bits (the highest on big-endian).
        #[cfg(all(Py_3_14, target_endian = "little"))]
        {
            (*op.cast::<ffi::PyASCIIObject>()).state & 0b11
        }
        #[cfg(all(Py_3_14, target_endian = "big"))]
        {
            (*op.cast::<ffi::PyASCIIObject>()).state >> 30
        }
    }
}

/// `name!(py, "text")`: the interned str as `PyResult<&Bound<PyString>>`.
macro_rules! name {
    ($py:expr, $text:expr) => {{
        static NAME: $crate::pyalloc::Name = $crate::pyalloc::Name::new($text);
        NAME.get($py)
    }};
}
pub(crate) use name;

/// An exception of type `T` raised through the C API, for errors that may
/// be raised short of memory: a pyo3 `new_err(message)` converts its
/// message only when raised, and that conversion panics when it can't
/// allocate; `PyErr_SetString` gives MemoryError instead.
pub fn error<T: pyo3::PyTypeInfo>(message: &str) -> PyErr {
    unsafe {
        let py = Python::assume_attached();
        crate::error::raise(T::type_object_raw(py).cast(), message);
        PyErr::fetch(py)
    }
}
