//! str, bytes, bytearray and PickleBuffer.

use super::memo_ops::memo_put;
use super::reduce::save_reduce;
use crate::core::Core;
use crate::error::{Failed, Res, check, pickling_error, raise};
use crate::ffi::{self, PyObject};
use crate::opcodes::{
    BINBYTES, BINBYTES8, BINUNICODE, BINUNICODE8, BYTEARRAY8, NEXT_BUFFER, READONLY_BUFFER, SHORT_BINBYTES,
    SHORT_BINUNICODE, UNICODE,
};
use crate::owned::{Owned, tuple_of};
use crate::state::state;
use std::ptr::addr_of_mut;

unsafe fn as_slice<'a>(data: *const std::os::raw::c_char, len: isize) -> &'a [u8] {
    if len == 0 { &[] } else { std::slice::from_raw_parts(data as *const u8, len as usize) }
}

/// `(callable, args)` reduced through `save_reduce`, which memoizes `obj`.
unsafe fn save_as_reduce(p: &mut Core, obj: *mut PyObject, callable: *mut PyObject, args: &[*mut PyObject]) -> Res {
    let args = tuple_of(args)?;
    let reduce_value = tuple_of(&[callable, args.as_ptr()])?;
    save_reduce(p, reduce_value.as_ptr(), obj)
}

pub unsafe fn save_bytes(p: &mut Core, obj: *mut PyObject) -> Res {
    let size = ffi::Py_SIZE(obj);
    if p.proto >= 3 {
        return save_bytes_data(p, obj, as_slice(ffi::PyBytes_AS_STRING(obj), size));
    }
    // No bytes opcode before protocol 3: `codecs.encode(latin1 text)` loads
    // as str on Python 2 and as bytes on Python 3.
    if size == 0 {
        return save_as_reduce(p, obj, addr_of_mut!(ffi::PyBytes_Type).cast(), &[]);
    }
    let text = Owned::new(check(ffi::PyUnicode_DecodeLatin1(ffi::PyBytes_AS_STRING(obj), size, c"strict".as_ptr()))?);
    let st = state();
    save_as_reduce(p, obj, st.codecs_encode.as_ptr(), &[text.as_ptr(), st.str_latin1.as_ptr()])
}

/// `_save_bytes_data`: the opcode and payload for protocol >= 3, then memoize.
pub unsafe fn save_bytes_data(p: &mut Core, obj: *mut PyObject, data: &[u8]) -> Res {
    let size = data.len();
    let mut header = [0u8; 9];
    let header_len = if size <= 0xff {
        header[0] = SHORT_BINBYTES;
        header[1] = size as u8;
        2
    } else if size <= 0xffff_ffff {
        header[0] = BINBYTES;
        header[1..5].copy_from_slice(&(size as u32).to_le_bytes());
        5
    } else if p.proto >= 4 {
        header[0] = BINBYTES8;
        header[1..9].copy_from_slice(&(size as u64).to_le_bytes());
        9
    } else {
        return Err(raise(
            ffi::PyExc_OverflowError,
            "serializing a bytes object larger than 4 GiB requires pickle protocol 4 or higher",
        ));
    };
    p.out.write_large(&header[..header_len], data, obj)?;
    memo_put(p, obj)
}

pub unsafe fn save_bytearray(p: &mut Core, obj: *mut PyObject) -> Res {
    let size = ffi::PyByteArray_GET_SIZE(obj);
    if p.proto >= 5 {
        return save_bytearray_data(p, obj, as_slice(ffi::PyByteArray_AS_STRING(obj), size));
    }
    crate::by_value::note_protocol_dependent(p);
    let bytearray_type: *mut PyObject = addr_of_mut!(ffi::PyByteArray_Type).cast();
    if size == 0 {
        return save_as_reduce(p, obj, bytearray_type, &[]);
    }
    let bytes = Owned::new(check(ffi::PyBytes_FromObject(obj))?);
    save_as_reduce(p, obj, bytearray_type, &[bytes.as_ptr()])
}

pub unsafe fn save_bytearray_data(p: &mut Core, obj: *mut PyObject, data: &[u8]) -> Res {
    let mut header = [0u8; 9];
    header[0] = BYTEARRAY8;
    header[1..9].copy_from_slice(&(data.len() as u64).to_le_bytes());
    p.out.write_large(&header, data, obj)?;
    memo_put(p, obj)
}

pub unsafe fn save_picklebuffer(p: &mut Core, obj: *mut PyObject) -> Res {
    if p.proto < 5 {
        return Err(pickling_error(crate::generated::facts::behaviour::PICKLEBUFFER_PROTOCOL_ERROR));
    }
    // A view of our own on what the PickleBuffer wraps: `buffer_callback`
    // may release the PickleBuffer, and the data must outlive that
    // (gh-143308).
    let view = OwnedView::of(obj)?;
    let view: &ffi::Py_buffer = &view.0;
    if !view.suboffsets.is_null() || ffi::PyBuffer_IsContiguous(view, b'A' as _) == 0 {
        return Err(pickling_error("PickleBuffer can not be pickled when pointing to a non-contiguous buffer"));
    }
    let mut in_band = true;
    if let Some(callback) = p.buffer_callback.as_ref() {
        let ret = Owned::new(check(ffi::PyObject_CallOneArg(callback.as_ptr(), obj))?);
        match ffi::PyObject_IsTrue(ret.as_ptr()) {
            -1 => return Err(Failed),
            truth => in_band = truth != 0,
        }
    }
    if in_band {
        let data = as_slice(view.buf as *const _, view.len);
        if view.readonly != 0 { save_bytes_data(p, obj, data) } else { save_bytearray_data(p, obj, data) }
    } else {
        p.out.write_byte(NEXT_BUFFER)?;
        if view.readonly != 0 { p.out.write_byte(READONLY_BUFFER) } else { Ok(()) }
    }
}

/// A `Py_buffer` filled by `PyObject_GetBuffer`, released on drop.
struct OwnedView(Box<ffi::Py_buffer>);

impl OwnedView {
    /// Strides and suboffsets (for the contiguity check), without a
    /// format string, which exporters such as numpy build on request.
    unsafe fn of(obj: *mut PyObject) -> Res<OwnedView> {
        let mut view = Box::new(std::mem::zeroed::<ffi::Py_buffer>());
        if ffi::PyObject_GetBuffer(obj, &mut *view, ffi::PyBUF_INDIRECT) < 0 {
            return Err(Failed);
        }
        Ok(OwnedView(view))
    }
}

impl Drop for OwnedView {
    fn drop(&mut self) {
        unsafe { ffi::PyBuffer_Release(&mut *self.0) }
    }
}

pub unsafe fn save_unicode(p: &mut Core, obj: *mut PyObject) -> Res {
    if p.bin != 0 {
        write_unicode_binary(p, obj)?;
    } else {
        let escaped = raw_unicode_escape(obj)?;
        p.out.write_byte(UNICODE)?;
        p.out.write(&escaped)?;
        p.out.write_byte(b'\n')?;
    }
    memo_put(p, obj)
}

unsafe fn write_unicode_binary(p: &mut Core, obj: *mut PyObject) -> Res {
    let mut size = 0;
    let mut data = ffi::PyUnicode_AsUTF8AndSize(obj, &mut size);
    let mut encoded = None;
    if data.is_null() {
        // Lone surrogates have no UTF-8 form; pickle writes them as-is.
        ffi::PyErr_Clear();
        let bytes = Owned::new(check(ffi::PyUnicode_AsEncodedString(obj, c"utf-8".as_ptr(), c"surrogatepass".as_ptr()))?);
        data = ffi::PyBytes_AS_STRING(bytes.as_ptr());
        size = ffi::Py_SIZE(bytes.as_ptr());
        encoded = Some(bytes);
    }
    let size = size as usize;
    let mut header = [0u8; 9];
    let header_len = if size <= 0xff && p.proto >= 4 {
        header[0] = SHORT_BINUNICODE;
        header[1] = size as u8;
        2
    } else if size <= 0xffff_ffff {
        header[0] = BINUNICODE;
        header[1..5].copy_from_slice(&(size as u32).to_le_bytes());
        5
    } else if p.proto >= 4 {
        header[0] = BINUNICODE8;
        header[1..9].copy_from_slice(&(size as u64).to_le_bytes());
        9
    } else {
        return Err(raise(
            ffi::PyExc_OverflowError,
            "serializing a string larger than 4 GiB requires pickle protocol 4 or higher",
        ));
    };
    let payload = encoded.as_ref().map_or(std::ptr::null_mut(), |e| e.as_ptr());
    p.out.write_large(&header[..header_len], as_slice(data, size as isize), payload)
}

/// `raw_unicode_escape` of `_pickle.c`: raw-unicode-escape that also
/// escapes backslash, NUL, CR, LF and ^Z so the text stays on one line.
unsafe fn raw_unicode_escape(obj: *mut PyObject) -> Res<Vec<u8>> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let length = ffi::PyUnicode_GetLength(obj);
    if length < 0 {
        return Err(Failed);
    }
    let chars = ffi::PyUnicode_AsUCS4Copy(obj);
    if chars.is_null() {
        return Err(Failed);
    }
    let mut out = Vec::with_capacity(length as usize);
    for &ch in std::slice::from_raw_parts(chars, length as usize) {
        if ch >= 0x10000 {
            out.extend_from_slice(b"\\U");
            out.extend((0..8).rev().map(|i| HEX[((ch >> (4 * i)) & 0xf) as usize]));
        } else if ch >= 256 || matches!(ch, 0x5c | 0 | 0x0a | 0x0d | 0x1a) {
            out.extend_from_slice(b"\\u");
            out.extend((0..4).rev().map(|i| HEX[((ch >> (4 * i)) & 0xf) as usize]));
        } else {
            out.push(ch as u8);
        }
    }
    ffi::PyMem_Free(chars.cast());
    Ok(out)
}
