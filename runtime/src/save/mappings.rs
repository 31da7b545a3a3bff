//! dict, set and frozenset, and the SETITEMS batching shared with `save_reduce`.

use super::memo_ops::{fast_save_enter, fast_save_leave, memo_get, memo_put};
use super::reduce::save_reduce;
use crate::core::{Core, enter_recursive_call, leave_recursive_call};
use crate::error::{Failed, Res, check, raise};
use crate::ffi::{self, PyObject, compat};
use crate::generated::dispatch::save;
use crate::opcodes::{ADDITEMS, BATCHSIZE, DICT, EMPTY_DICT, EMPTY_SET, FROZENSET, MARK, POP_MARK, SETITEM, SETITEMS};
use crate::owned::{Owned, tuple_of};
use crate::generated::facts::behaviour;
use crate::path::{Note, Step, note};
use crate::state::state;
use std::ptr::addr_of_mut;

pub unsafe fn save_dict(p: &mut Core, obj: *mut PyObject) -> Res {
    if p.fast != 0 {
        fast_save_enter(p, obj)?;
    }
    let mut status = save_dict_body(p, obj);
    if p.fast != 0 && fast_save_leave(p, obj).is_err() {
        status = Err(Failed);
    }
    status
}

unsafe fn save_dict_body(p: &mut Core, obj: *mut PyObject) -> Res {
    if p.bin != 0 {
        p.out.write_byte(EMPTY_DICT)?;
    } else {
        p.out.write(&[MARK, DICT])?;
    }
    memo_put(p, obj)?;
    // A Python subclass's own `_batch_setitems` (runtime/src/python_hooks.rs).
    if p.python.is_some() && crate::python_hooks::batch_setitems(p, obj)? {
        return Ok(());
    }
    if ffi::PyDict_Size(obj) == 0 {
        return Ok(());
    }
    if p.proto > 0 {
        enter_recursive_call()?;
        let status = batch_dict_exact(p, obj);
        leave_recursive_call();
        return status;
    }
    let items = Owned::new(check(ffi::PyObject_CallMethodNoArgs(obj, state().str_items.as_ptr()))?);
    let iter = Owned::new(check(ffi::PyObject_GetIter(items.as_ptr()))?);
    drop(items);
    enter_recursive_call()?;
    let status = batch_dict(p, iter.as_ptr(), obj);
    leave_recursive_call();
    status
}

/// A key and its value; `origobj` is what the error notes name (a
/// failing key gets none, as in `_pickle.c`).
unsafe fn save_pair(p: &mut Core, key: *mut PyObject, value: *mut PyObject, origobj: *mut PyObject) -> Res {
    let key = Owned::borrowed(key);
    let value = Owned::borrowed(value);
    save(p, key.as_ptr(), false).map_err(|_| p.error_path.record(Step::Key(key.clone())))?;
    save(p, value.as_ptr(), false).map_err(|_| {
        note(Note::Value(origobj, key.as_ptr()));
        p.error_path.record(Step::Value(key))
    })
}

/// `batch_dict_exact`: items straight from the dict, failing like dict
/// iteration does if a `__reduce__` resizes it meanwhile.
unsafe fn batch_dict_exact(p: &mut Core, dict: *mut PyObject) -> Res {
    let size = ffi::PyDict_Size(dict);
    let mut pos: ffi::Py_ssize_t = 0;
    let mut key = std::ptr::null_mut();
    let mut value = std::ptr::null_mut();
    let mut done = 0;
    loop {
        // Before 3.15 only a dict of one item gets SETITEM; from 3.15 a
        // last batch of one does too, and no batch is ever empty.
        let single = if behaviour::BATCHES_NEVER_EMPTY_OR_SINGLE { size - done == 1 } else { size == 1 };
        if single {
            if ffi::PyDict_Next(dict, &mut pos, &mut key, &mut value) == 0 {
                return Ok(());
            }
            save_pair(p, key, value, dict)?;
            return p.out.write_byte(SETITEM);
        }
        let mut i = 0;
        p.out.write_byte(MARK)?;
        while ffi::PyDict_Next(dict, &mut pos, &mut key, &mut value) != 0 {
            save_pair(p, key, value, dict)?;
            i += 1;
            if i == BATCHSIZE {
                break;
            }
        }
        p.out.write_byte(SETITEMS)?;
        if ffi::PyDict_Size(dict) != size {
            return Err(raise(ffi::PyExc_RuntimeError, "dictionary changed size during iteration"));
        }
        done += i as isize;
        if i != BATCHSIZE || (behaviour::BATCHES_NEVER_EMPTY_OR_SINGLE && done >= size) {
            return Ok(());
        }
    }
}

#[inline]
unsafe fn next_pair(iter: *mut PyObject) -> Res<Option<Owned>> {
    let Some(item) = Owned::from_nullable(ffi::PyIter_Next(iter)) else {
        return if ffi::PyErr_Occurred().is_null() { Ok(None) } else { Err(Failed) };
    };
    if ffi::PyTuple_Check(item.as_ptr()) == 0 || ffi::PyTuple_Size(item.as_ptr()) != 2 {
        return Err(raise(ffi::PyExc_TypeError, "dict items iterator must return 2-tuples"));
    }
    Ok(Some(item))
}

unsafe fn save_item_pair(p: &mut Core, pair: &Owned, origobj: *mut PyObject) -> Res {
    save_pair(p, ffi::PyTuple_GET_ITEM(pair.as_ptr(), 0), ffi::PyTuple_GET_ITEM(pair.as_ptr(), 1), origobj)
}

/// `batch_dict`: MARK key value ... SETITEMS in batches, from an iterator
/// of pairs; `origobj` is what the error notes name.
pub unsafe fn batch_dict(p: &mut Core, iter: *mut PyObject, origobj: *mut PyObject) -> Res {
    if p.proto == 0 {
        while let Some(pair) = next_pair(iter)? {
            save_item_pair(p, &pair, origobj)?;
            p.out.write_byte(SETITEM)?;
        }
        return Ok(());
    }
    loop {
        let Some(first) = next_pair(iter)? else { return Ok(()) };
        let Some(mut pair) = next_pair(iter)? else {
            save_item_pair(p, &first, origobj)?;
            return p.out.write_byte(SETITEM);
        };
        p.out.write_byte(MARK)?;
        save_item_pair(p, &first, origobj)?;
        drop(first);
        let mut n = 1;
        loop {
            save_item_pair(p, &pair, origobj)?;
            n += 1;
            if n == BATCHSIZE {
                break;
            }
            match next_pair(iter)? {
                Some(next) => pair = next,
                None => break,
            }
        }
        p.out.write_byte(SETITEMS)?;
        if n != BATCHSIZE {
            return Ok(());
        }
    }
}

/// Before protocol 4 sets go as `set(list)` / `frozenset(list)`.
unsafe fn save_set_as_reduce(p: &mut Core, obj: *mut PyObject, set_type: *mut ffi::PyTypeObject) -> Res {
    let items = Owned::new(check(ffi::PySequence_List(obj))?);
    let args = tuple_of(&[items.as_ptr()])?;
    let reduce_value = tuple_of(&[set_type.cast(), args.as_ptr()])?;
    save_reduce(p, reduce_value.as_ptr(), obj)
}

pub unsafe fn save_set(p: &mut Core, obj: *mut PyObject) -> Res {
    if p.proto < 4 {
        return save_set_as_reduce(p, obj, addr_of_mut!(ffi::PySet_Type));
    }
    p.out.write_byte(EMPTY_SET)?;
    memo_put(p, obj)?;
    let size = ffi::PySet_Size(obj);
    if size == 0 {
        return Ok(());
    }
    let mut pos: ffi::Py_ssize_t = 0;
    let mut item = std::ptr::null_mut();
    let mut hash: ffi::Py_hash_t = 0;
    let mut done = 0;
    loop {
        let mut i = 0;
        p.out.write_byte(MARK)?;
        while compat::_PySet_NextEntry(obj, &mut pos, &mut item, &mut hash) != 0 {
            let held = Owned::borrowed(item);
            save(p, held.as_ptr(), false).map_err(|_| {
                note(Note::Element(obj));
                p.error_path.record(Step::Member)
            })?;
            i += 1;
            if i == BATCHSIZE {
                break;
            }
        }
        p.out.write_byte(ADDITEMS)?;
        if ffi::PySet_Size(obj) != size {
            return Err(raise(ffi::PyExc_RuntimeError, "set changed size during iteration"));
        }
        done += i as isize;
        if i != BATCHSIZE || (behaviour::BATCHES_NEVER_EMPTY_OR_SINGLE && done >= size) {
            return Ok(());
        }
    }
}

pub unsafe fn save_frozenset(p: &mut Core, obj: *mut PyObject) -> Res {
    // Before 3.14 frozenset enters fast mode's nesting but never leaves it
    // (gh-146059).
    if p.fast != 0 {
        fast_save_enter(p, obj)?;
    }
    let mut status = save_frozenset_body(p, obj);
    if behaviour::FROZENSET_LEAVES_FAST_MODE && p.fast != 0 && fast_save_leave(p, obj).is_err() {
        status = Err(Failed);
    }
    status
}

unsafe fn save_frozenset_body(p: &mut Core, obj: *mut PyObject) -> Res {
    if p.proto < 4 {
        return save_set_as_reduce(p, obj, addr_of_mut!(ffi::PyFrozenSet_Type));
    }
    p.out.write_byte(MARK)?;
    let iter = Owned::new(check(ffi::PyObject_GetIter(obj))?);
    loop {
        match Owned::from_nullable(ffi::PyIter_Next(iter.as_ptr())) {
            Some(item) => save(p, item.as_ptr(), false).map_err(|_| {
                note(Note::Element(obj));
                p.error_path.record(Step::Member)
            })?,
            None if ffi::PyErr_Occurred().is_null() => break,
            None => return Err(Failed),
        }
    }
    drop(iter);
    if let Some(id) = p.memo.get(obj) {
        p.out.write_byte(POP_MARK)?;
        return memo_get(p, id);
    }
    p.out.write_byte(FROZENSET)?;
    memo_put(p, obj)
}
