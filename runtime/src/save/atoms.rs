//! None, bool, int and float: never memoized.

use crate::core::Core;
use crate::error::{Failed, Res, check, raise};
use crate::ffi::{self, PyObject, compat};
use crate::opcodes::{BINFLOAT, BININT, BININT1, BININT2, FLOAT, LONG, LONG1, LONG4, NEWFALSE, NEWTRUE, NONE};
use crate::owned::Owned;
use std::os::raw::c_int;

pub unsafe fn save_none(p: &mut Core, _obj: *mut PyObject) -> Res {
    p.out.write_byte(NONE)
}

pub unsafe fn save_bool(p: &mut Core, obj: *mut PyObject) -> Res {
    let is_true = obj == ffi::Py_True();
    if p.proto >= 2 {
        p.out.write_byte(if is_true { NEWTRUE } else { NEWFALSE })
    } else {
        // Before protocol 2 bools are ints an old unpickler can read.
        p.out.write(if is_true { b"I01\n" } else { b"I00\n" })
    }
}

pub unsafe fn save_long(p: &mut Core, obj: *mut PyObject) -> Res {
    let mut overflow: c_int = 0;
    let value = ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow);
    if overflow == 0 && value == -1 && !ffi::PyErr_Occurred().is_null() {
        return Err(Failed);
    }
    if overflow == 0 && i32::try_from(value).is_ok() {
        return save_small_int(p, value as i32);
    }
    if p.proto < 2 {
        return save_long_text(p, obj);
    }
    if overflow == 0 {
        return save_long_binary_i64(p, value);
    }
    save_long_binary_big(p, obj)
}

unsafe fn save_small_int(p: &mut Core, value: i32) -> Res {
    if p.bin == 0 {
        return p.out.write(format!("I{value}\n").as_bytes());
    }
    let b = value.to_le_bytes();
    if b[3] != 0 || b[2] != 0 {
        p.out.write(&[BININT, b[0], b[1], b[2], b[3]])
    } else if b[1] != 0 {
        p.out.write(&[BININT2, b[0], b[1]])
    } else {
        p.out.write(&[BININT1, b[0]])
    }
}

/// Protocol 0 and 1: the repr with a trailing `L`, as Python 2 wrote longs.
unsafe fn save_long_text(p: &mut Core, obj: *mut PyObject) -> Res {
    let repr = Owned::new(check(ffi::PyObject_Repr(obj))?);
    let mut size = 0;
    let data = ffi::PyUnicode_AsUTF8AndSize(repr.as_ptr(), &mut size);
    if data.is_null() {
        return Err(Failed);
    }
    p.out.write_byte(LONG)?;
    p.out.write(std::slice::from_raw_parts(data as *const u8, size as usize))?;
    p.out.write(b"L\n")
}

/// LONG1 for an int that fits 64 bits, computed without a temporary object.
unsafe fn save_long_binary_i64(p: &mut Core, value: i64) -> Res {
    let nbits = 64 - value.unsigned_abs().leading_zeros() as usize;
    let mut nbytes = (nbits >> 3) + 1;
    let bytes = (value as i128).to_le_bytes();
    if value < 0 && nbytes > 1 && bytes[nbytes - 1] == 0xff && bytes[nbytes - 2] & 0x80 != 0 {
        nbytes -= 1;
    }
    let mut out = [0u8; 11];
    out[0] = LONG1;
    out[1] = nbytes as u8;
    out[2..2 + nbytes].copy_from_slice(&bytes[..nbytes]);
    p.out.write(&out[..2 + nbytes])
}

unsafe fn save_long_binary_big(p: &mut Core, obj: *mut PyObject) -> Res {
    let sign = compat::_PyLong_Sign(obj);
    let nbits = compat::_PyLong_NumBits(obj);
    if nbits == usize::MAX && !ffi::PyErr_Occurred().is_null() {
        return Err(Failed);
    }
    let mut nbytes = (nbits >> 3) + 1;
    if nbytes > 0x7fff_ffff {
        return Err(raise(ffi::PyExc_OverflowError, "int too large to pickle"));
    }
    let mut bytes = vec![0u8; nbytes];
    if compat::long_as_le_bytes(obj, &mut bytes) < 0 {
        return Err(Failed);
    }
    // A negative int may need one byte less: the top byte is pure sign.
    if sign < 0 && nbytes > 1 && bytes[nbytes - 1] == 0xff && bytes[nbytes - 2] & 0x80 != 0 {
        nbytes -= 1;
    }
    if nbytes < 256 {
        p.out.write(&[LONG1, nbytes as u8])?;
    } else {
        let n = (nbytes as u32).to_le_bytes();
        p.out.write(&[LONG4, n[0], n[1], n[2], n[3]])?;
    }
    p.out.write(&bytes[..nbytes])
}

pub unsafe fn save_float(p: &mut Core, obj: *mut PyObject) -> Res {
    let x = ffi::PyFloat_AS_DOUBLE(obj);
    if p.bin != 0 {
        let b = x.to_be_bytes();
        return p.out.write(&[BINFLOAT, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    }
    let text = ffi::PyOS_double_to_string(x, b'r' as _, 0, ffi::Py_DTSF_ADD_DOT_0, std::ptr::null_mut());
    if text.is_null() {
        ffi::PyErr_NoMemory();
        return Err(Failed);
    }
    let bytes = std::ffi::CStr::from_ptr(text).to_bytes();
    let result = p.out.write_byte(FLOAT).and_then(|_| p.out.write(bytes)).and_then(|_| p.out.write_byte(b'\n'));
    ffi::PyMem_Free(text.cast());
    result
}
