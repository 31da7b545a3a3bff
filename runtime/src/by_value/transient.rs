//! Writing the containers of a by-value reduction straight to the output:
//! its argument tuple and state dicts exist only in the pickle (built at
//! load, referenced by nothing else), so they are neither built as Python
//! objects nor memoized. Protocol 2 and up (TUPLE2); errors record the same
//! path steps as if the containers had been saved.

use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::generated::dispatch::save;
use crate::opcodes::{EMPTY_DICT, MARK, SETITEMS};
use crate::owned::Owned;
use crate::path::Step;

/// `save(obj)`, recording `step` if it fails.
#[inline]
pub unsafe fn save_at(p: &mut Core, obj: *mut PyObject, step: impl FnOnce() -> Step) -> Res {
    save(p, obj, false).map_err(|_| p.error_path.record(step()))
}

/// One key and its value of a transient dict.
pub unsafe fn save_entry(p: &mut Core, key: *mut PyObject, value: *mut PyObject) -> Res {
    save_at(p, key, || Step::Key(Owned::borrowed(key)))?;
    save_at(p, value, || Step::Value(Owned::borrowed(key)))
}

/// A transient dict from `(key, value)` pairs, in order.
pub unsafe fn save_dict_of<'a>(p: &mut Core, pairs: impl ExactSizeIterator<Item = (*mut PyObject, *mut PyObject)>) -> Res {
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

/// Opens a transient dict whose entries the caller saves one by one.
pub unsafe fn begin_dict(p: &mut Core) -> Res {
    p.opcode_boundary()?;
    p.out.write(&[EMPTY_DICT, MARK])
}

pub unsafe fn end_dict(p: &mut Core) -> Res {
    p.out.write_byte(SETITEMS)
}
