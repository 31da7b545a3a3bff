//! list and tuple, and the APPENDS batching shared with `save_reduce`.

use super::memo_ops::{fast_save_enter, fast_save_leave, memo_get, memo_put};
use crate::core::{Core, enter_recursive_call, leave_recursive_call};
use crate::error::{Failed, Res, raise};
use crate::generated::facts::behaviour;
use crate::ffi::{self, PyObject};
use crate::generated::dispatch::save;
use crate::opcodes::{
    APPEND, APPENDS, BATCHSIZE, EMPTY_LIST, EMPTY_TUPLE, LIST, MARK, POP, POP_MARK, TUPLE, TUPLE1, TUPLE2, TUPLE3,
};
use crate::owned::Owned;
use crate::path::{Note, Step, note};

pub unsafe fn save_tuple(p: &mut Core, obj: *mut PyObject) -> Res {
    let len = ffi::PyTuple_GET_SIZE(obj);
    if len == 0 {
        return if p.proto != 0 { p.out.write_byte(EMPTY_TUPLE) } else { p.out.write(&[MARK, TUPLE]) };
    }
    // If the tuple is in the memo after its items are saved, it reached
    // itself through them: drop what was pushed and fetch it from the memo.
    if len <= 3 && p.proto >= 2 {
        save_tuple_items(p, obj, len)?;
        if let Some(id) = p.memo.get(obj) {
            for _ in 0..len {
                p.out.write_byte(POP)?;
            }
            return memo_get(p, id);
        }
        p.out.write_byte([EMPTY_TUPLE, TUPLE1, TUPLE2, TUPLE3][len as usize])?;
        return memo_put(p, obj);
    }
    p.out.write_byte(MARK)?;
    save_tuple_items(p, obj, len)?;
    if let Some(id) = p.memo.get(obj) {
        if p.bin != 0 {
            p.out.write_byte(POP_MARK)?;
        } else {
            for _ in 0..=len {
                p.out.write_byte(POP)?;
            }
        }
        return memo_get(p, id);
    }
    p.out.write_byte(TUPLE)?;
    memo_put(p, obj)
}

unsafe fn save_tuple_items(p: &mut Core, tuple: *mut PyObject, len: isize) -> Res {
    for i in 0..len {
        save(p, ffi::PyTuple_GET_ITEM(tuple, i), false).map_err(|_| {
            note(Note::Item(tuple, i));
            p.error_path.record(Step::Index(i))
        })?;
    }
    Ok(())
}

pub unsafe fn save_list(p: &mut Core, obj: *mut PyObject) -> Res {
    if p.fast != 0 {
        fast_save_enter(p, obj)?;
    }
    let mut status = save_list_body(p, obj);
    if p.fast != 0 && fast_save_leave(p, obj).is_err() {
        status = Err(Failed);
    }
    status
}

unsafe fn save_list_body(p: &mut Core, obj: *mut PyObject) -> Res {
    if p.bin != 0 {
        p.out.write_byte(EMPTY_LIST)?;
    } else {
        p.out.write(&[MARK, LIST])?;
    }
    let len = ffi::PyList_GET_SIZE(obj);
    memo_put(p, obj)?;
    if len == 0 {
        return Ok(());
    }
    enter_recursive_call()?;
    let status = if p.proto > 0 {
        batch_list_exact(p, obj)
    } else {
        match Owned::from_nullable(ffi::PyObject_GetIter(obj)) {
            Some(iter) => batch_list(p, iter.as_ptr(), obj),
            None => Err(Failed),
        }
    };
    leave_recursive_call();
    status
}

/// `batch_list_exact`: items straight from the list; the size is read
/// again each time because a `__reduce__` may change the list meanwhile.
unsafe fn batch_list_exact(p: &mut Core, list: *mut PyObject) -> Res {
    let size = ffi::PyList_GET_SIZE(list);
    if size == 1 && !behaviour::BATCHES_NEVER_EMPTY_OR_SINGLE {
        return save_list_item_appended(p, list, 0);
    }
    let mut total = 0;
    loop {
        // 3.15 writes a last batch of one item as a plain APPEND.
        if behaviour::BATCHES_NEVER_EMPTY_OR_SINGLE && ffi::PyList_GET_SIZE(list) - total == 1 {
            return save_list_item_appended(p, list, total);
        }
        let mut this_batch = 0;
        p.out.write_byte(MARK)?;
        while total < ffi::PyList_GET_SIZE(list) {
            let item = Owned::borrowed(ffi::PyList_GET_ITEM(list, total));
            save(p, item.as_ptr(), false).map_err(|_| list_item_failed(p, list, total))?;
            total += 1;
            this_batch += 1;
            if this_batch == BATCHSIZE {
                break;
            }
        }
        p.out.write_byte(APPENDS)?;
        if behaviour::LIST_SIZE_CHECKED && ffi::PyList_GET_SIZE(list) != size {
            return Err(raise(ffi::PyExc_RuntimeError, "list changed size during iteration"));
        }
        if total >= ffi::PyList_GET_SIZE(list) {
            return Ok(());
        }
    }
}

/// One list item and APPEND.
unsafe fn save_list_item_appended(p: &mut Core, list: *mut PyObject, index: isize) -> Res {
    let item = Owned::borrowed(ffi::PyList_GET_ITEM(list, index));
    save(p, item.as_ptr(), false).map_err(|_| list_item_failed(p, list, index))?;
    p.out.write_byte(APPEND)
}

#[cold]
unsafe fn list_item_failed(p: &mut Core, origobj: *mut PyObject, index: isize) -> Failed {
    note(Note::Item(origobj, index));
    p.error_path.record(Step::Index(index))
}

#[inline]
unsafe fn next_item(iter: *mut PyObject) -> Res<Option<Owned>> {
    match Owned::from_nullable(ffi::PyIter_Next(iter)) {
        Some(item) => Ok(Some(item)),
        None if ffi::PyErr_Occurred().is_null() => Ok(None),
        None => Err(Failed),
    }
}

/// `batch_list`: MARK item ... APPENDS in batches, from any iterator;
/// `origobj` (the list, or the object whose reduction gave the iterator)
/// is what the error notes name.
pub unsafe fn batch_list(p: &mut Core, iter: *mut PyObject, origobj: *mut PyObject) -> Res {
    let mut index: isize = 0;
    if p.proto == 0 {
        while let Some(item) = next_item(iter)? {
            save(p, item.as_ptr(), false).map_err(|_| list_item_failed(p, origobj, index))?;
            index += 1;
            p.out.write_byte(APPEND)?;
        }
        return Ok(());
    }
    loop {
        let Some(first) = next_item(iter)? else { return Ok(()) };
        let Some(mut item) = next_item(iter)? else {
            save(p, first.as_ptr(), false).map_err(|_| list_item_failed(p, origobj, index))?;
            return p.out.write_byte(APPEND);
        };
        p.out.write_byte(MARK)?;
        save(p, first.as_ptr(), false).map_err(|_| list_item_failed(p, origobj, index))?;
        index += 1;
        drop(first);
        let mut n = 1;
        loop {
            save(p, item.as_ptr(), false).map_err(|_| list_item_failed(p, origobj, index))?;
            index += 1;
            n += 1;
            if n == BATCHSIZE {
                break;
            }
            match next_item(iter)? {
                Some(next) => item = next,
                None => break,
            }
        }
        p.out.write_byte(APPENDS)?;
        if n != BATCHSIZE {
            return Ok(());
        }
    }
}
