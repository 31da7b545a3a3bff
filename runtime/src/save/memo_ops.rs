//! `memo_get` / `memo_put` and the `fast`-mode cycle guard.

use crate::core::Core;
use crate::error::{Failed, Res, check, pickling_error, raise};
use crate::ffi::{self, PyObject};
use crate::opcodes::{BINGET, BINPUT, FAST_NESTING_LIMIT, GET, LONG_BINGET, LONG_BINPUT, MEMOIZE, PUT, POP};
use crate::owned::Owned;

/// Writes a GET for a memo id.
pub unsafe fn memo_get(p: &mut Core, id: usize) -> Res {
    if p.bin == 0 {
        return p.out.write(format!("g{id}\n").as_bytes());
    }
    if id < 256 {
        p.out.write(&[BINGET, id as u8])
    } else if id <= 0xffff_ffff {
        let b = (id as u32).to_le_bytes();
        p.out.write(&[LONG_BINGET, b[0], b[1], b[2], b[3]])
    } else {
        Err(pickling_error("memo id too large for LONG_BINGET"))
    }
}

/// What `save_reduce` does once `obj` is built on the stack: memoize it,
/// unless building it (saving its arguments) memoized it already because it
/// reached itself; then the new copy is dropped and the memoized one
/// fetched. `Ok(false)` in that case: its state must not be written again.
#[inline]
pub unsafe fn memoize_built(p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    if let Some(id) = p.memo.get(obj) {
        p.out.write_byte(POP)?;
        memo_get(p, id)?;
        return Ok(false);
    }
    memo_put(p, obj)?;
    Ok(true)
}

/// Memoizes `obj` under the next id and writes the matching PUT.
pub unsafe fn memo_put(p: &mut Core, obj: *mut PyObject) -> Res {
    if p.fast != 0 {
        return Ok(());
    }
    // A Python subclass's own `memoize` (runtime/src/python_hooks.rs).
    if p.python.is_some() && crate::python_hooks::memoize(p, obj)? {
        return Ok(());
    }
    let id = p.memo.len();
    p.memo.set(obj, id);
    if p.proto >= 4 {
        return p.out.write_byte(MEMOIZE);
    }
    if p.bin == 0 {
        return p.out.write(format!("p{id}\n").as_bytes());
    }
    if id < 256 {
        p.out.write(&[BINPUT, id as u8])
    } else if id <= 0xffff_ffff {
        let b = (id as u32).to_le_bytes();
        p.out.write(&[LONG_BINPUT, b[0], b[1], b[2], b[3]])
    } else {
        Err(pickling_error("memo id too large for LONG_BINPUT"))
    }
}

const _: () = assert!(GET == b'g' && PUT == b'p');

/// `fast_save_enter`: past a nesting depth, remember containers by address
/// to turn a cycle into a clear error instead of endless recursion.
pub unsafe fn fast_save_enter(p: &mut Core, obj: *mut PyObject) -> Res {
    p.fast_nesting += 1;
    if p.fast_nesting < FAST_NESTING_LIMIT {
        return Ok(());
    }
    let result = fast_memo_insert(p, obj);
    if result.is_err() {
        p.fast_nesting = -1;
    }
    result
}

unsafe fn fast_memo_insert(p: &mut Core, obj: *mut PyObject) -> Res {
    if p.fast_memo.is_none() {
        p.fast_memo = Some(Owned::new(check(ffi::PyDict_New())?));
    }
    let memo = p.fast_memo.as_ref().unwrap().as_ptr();
    let key = Owned::new(check(ffi::PyLong_FromVoidPtr(obj.cast()))?);
    match ffi::PyDict_Contains(memo, key.as_ptr()) {
        1 => {
            let message = format!(
                "fast mode: can't pickle cyclic objects including object type {} at {:p}",
                crate::error::type_name(obj),
                obj
            );
            Err(raise(ffi::PyExc_ValueError, &message))
        }
        0 => {
            if ffi::PyDict_SetItem(memo, key.as_ptr(), ffi::Py_None()) < 0 { Err(Failed) } else { Ok(()) }
        }
        _ => Err(Failed),
    }
}

/// `fast_save_leave`.
pub unsafe fn fast_save_leave(p: &mut Core, obj: *mut PyObject) -> Res {
    let nesting = p.fast_nesting;
    p.fast_nesting -= 1;
    if nesting < FAST_NESTING_LIMIT {
        return Ok(());
    }
    let Some(memo) = p.fast_memo.as_ref() else { return Ok(()) };
    let key = Owned::new(check(ffi::PyLong_FromVoidPtr(obj.cast()))?);
    if ffi::PyDict_DelItem(memo.as_ptr(), key.as_ptr()) < 0 { Err(Failed) } else { Ok(()) }
}
