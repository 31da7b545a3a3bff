//! Writing the containers of a by-value reduction straight to the output:
//! its argument tuple and state dicts exist only in the pickle (built at
//! load, referenced by nothing else), so they are neither built as Python
//! objects nor memoized. Errors record the same path steps as if the
//! containers had been saved. `write_call` works at every protocol;
//! `write_setstate` writes TUPLE2, so its callers need protocol 2.

use crate::core::Core;
use crate::error::{Failed, Res};
use crate::ffi::{self, PyObject};
use crate::generated::dispatch::save;
use crate::opcodes::{EMPTY_DICT, EMPTY_TUPLE, MARK, POP, REDUCE, SETITEMS, TUPLE, TUPLE1, TUPLE2, TUPLE3};
use crate::owned::Owned;
use crate::path::Step;
use crate::save::memoize_built;

/// `save(obj)`, recording `step` if it fails.
#[inline]
pub unsafe fn save_at(p: &mut Core, obj: *mut PyObject, step: impl FnOnce() -> Step) -> Res {
    save(p, obj, false).map_err(|_| p.error_path.record_by_value(step()))
}

/// One key and its value of a transient dict.
pub unsafe fn save_entry(p: &mut Core, key: *mut PyObject, value: *mut PyObject) -> Res {
    save_at(p, key, || Step::Key(Owned::borrowed(key)))?;
    save_at(p, value, || Step::Value(Owned::borrowed(key)))
}

/// A transient dict from `(key, value)` pairs, in order.
pub unsafe fn save_dict_of(p: &mut Core, pairs: impl ExactSizeIterator<Item = (*mut PyObject, *mut PyObject)>) -> Res {
    p.opcode_boundary()?;
    if pairs.len() == 0 {
        return p.out.write_byte(EMPTY_DICT);
    }
    p.out.write(&[EMPTY_DICT, MARK])?;
    for (key, value) in pairs {
        save_entry(p, key, value)?;
    }
    p.out.write_byte(SETITEMS)
}

/// A transient tuple: its items, then the tuple opcode, no memo entry.
pub unsafe fn save_tuple_of(p: &mut Core, tuple: *mut PyObject) -> Res {
    let len = ffi::PyTuple_GET_SIZE(tuple);
    p.opcode_boundary()?;
    if len == 0 {
        return if p.proto != 0 { p.out.write_byte(EMPTY_TUPLE) } else { p.out.write(&[MARK, TUPLE]) };
    }
    let short = len <= 3 && p.proto >= 2;
    if !short {
        p.out.write_byte(MARK)?;
    }
    for i in 0..len {
        save_at(p, ffi::PyTuple_GET_ITEM(tuple, i), || Step::Index(i))?;
    }
    p.out.write_byte(if short { [EMPTY_TUPLE, TUPLE1, TUPLE2, TUPLE3][len as usize] } else { TUPLE })
}

/// Opens a transient dict whose entries the caller saves one by one.
pub unsafe fn begin_dict(p: &mut Core) -> Res {
    p.opcode_boundary()?;
    p.out.write(&[EMPTY_DICT, MARK])
}

pub unsafe fn end_dict(p: &mut Core) -> Res {
    p.out.write_byte(SETITEMS)
}

/// `callable(*args)` memoized as `obj`: what `save_reduce` writes for a
/// reduction whose callable is not `__newobj__`, without the argument
/// tuple as an object. `Ok(false)` when saving the arguments already
/// memoized `obj` (it reached itself): then it is fetched from the memo
/// and its state must not be written again.
pub unsafe fn write_call(p: &mut Core, obj: *mut PyObject, callable: *mut PyObject, args: &[*mut PyObject]) -> Res<bool> {
    write_call_with(p, obj, callable, args, 0)
}

/// `write_call`, where each argument whose bit is set in `transient` is a
/// tuple made for this reduction alone (nothing else can hold it): written
/// without memoizing it.
pub unsafe fn write_call_with(
    p: &mut Core,
    obj: *mut PyObject,
    callable: *mut PyObject,
    args: &[*mut PyObject],
    transient: u64,
) -> Res<bool> {
    save_at(p, callable, || Step::Reduce(0))?;
    p.opcode_boundary()?;
    p.out.write_byte(MARK)?;
    for (i, &arg) in args.iter().enumerate() {
        let result = if transient >> i & 1 == 1 && ffi::PyTuple_CheckExact(arg) != 0 {
            save_tuple_of(p, arg)
        } else {
            save(p, arg, false)
        };
        result.map_err(|_| record(p, [Step::Index(i as isize), Step::Reduce(1)]))?;
    }
    p.out.write(&[TUPLE, REDUCE])?;
    memoize_built(p, obj)
}

/// `setter(obj, state)` then POP, as `save_reduce` writes a state setter;
/// `write_state` leaves the state on the stack. Its errors are recorded
/// under the reduce value's state item.
pub unsafe fn write_setstate(
    p: &mut Core,
    obj: *mut PyObject,
    setter: *mut PyObject,
    write_state: impl FnOnce(&mut Core) -> Res,
) -> Res {
    save_at(p, setter, || Step::Reduce(5))?;
    save(p, obj, false)?;
    write_state(p).map_err(|_| p.error_path.record_by_value(Step::Reduce(2)))?;
    p.out.write(&[TUPLE2, REDUCE, POP])
}

/// Records the steps of an error, innermost first.
pub fn record<const N: usize>(p: &mut Core, steps: [Step; N]) -> Failed {
    for step in steps {
        p.error_path.record_by_value(step);
    }
    Failed
}
