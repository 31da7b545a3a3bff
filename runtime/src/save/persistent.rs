//! `save_pers`: the `persistent_id` hook.

use crate::core::Core;
use crate::error::{Res, check, pickling_error};
use crate::ffi::{self, PyObject};
use crate::generated::dispatch::save;
use crate::opcodes::{BINPERSID, PERSID};
use crate::owned::Owned;

/// Returns `true` when a persistent id was written in place of `obj`.
pub unsafe fn save_pers(p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    let func = p.pers_func.as_ref().expect("checked by the caller").as_ptr();
    let pid = if p.pers_func_self.is_null() {
        ffi::PyObject_CallOneArg(func, obj)
    } else {
        let args = [p.pers_func_self, obj];
        ffi::PyObject_Vectorcall(func, args.as_ptr(), 2, std::ptr::null_mut())
    };
    let pid = Owned::new(check(pid)?);
    if pid.as_ptr() == ffi::Py_None() {
        return Ok(false);
    }
    if p.bin != 0 {
        save(p, pid.as_ptr(), true)?;
        p.out.write_byte(BINPERSID)?;
    } else {
        let text = Owned::new(check(ffi::PyObject_Str(pid.as_ptr()))?);
        let mut size = 0;
        let data = ffi::PyUnicode_AsUTF8AndSize(text.as_ptr(), &mut size);
        if data.is_null() {
            ffi::PyErr_Clear();
        }
        let bytes = if data.is_null() { &[0xff][..] } else { std::slice::from_raw_parts(data as *const u8, size as usize) };
        if !bytes.is_ascii() {
            return Err(pickling_error("persistent IDs in protocol 0 must be ASCII strings"));
        }
        p.out.write_byte(PERSID)?;
        p.out.write(bytes)?;
        p.out.write_byte(b'\n')?;
    }
    Ok(true)
}
