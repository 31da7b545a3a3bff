//! The `save()` skeleton for one CPython version: the order in which
//! `Modules/_pickle.c` tries each kind of object, with the type checks
//! taken from `spec/dispatch.toml`. The savers themselves are hand-written
//! in `runtime/src/save/`.

use crate::save::prelude::*;

/// Pickle `obj`, mirroring `save()` in `Modules/_pickle.c`.
pub(crate) unsafe fn save(p: &mut Core, obj: *mut PyObject, pers_save: bool) -> Res {
    p.opcode_boundary()?;
    if !pers_save && p.has_persistent_id() && save_pers(p, obj)? {
        return Ok(());
    }
    let tp = Py_TYPE(obj);

    // Atoms: never memoized, so they come before the memo lookup.
    if obj == types::none() {
        return save_none(p, obj);
    }
    if obj == types::true_() || obj == types::false_() {
        return save_bool(p, obj);
    }
    if tp == types::long_type() {
        return save_long(p, obj);
    }
    if tp == types::float_type() {
        return save_float(p, obj);
    }

    if let Some(id) = p.memo.get(obj) {
        return memo_get(p, id);
    }

    // Leaves that are memoized but cannot recurse.
    if tp == types::bytes_type() {
        return save_bytes(p, obj);
    }
    if tp == types::unicode_type() {
        return save_unicode(p, obj);
    }

    enter_recursive_call()?;
    let status = save_nested(p, obj, tp);
    leave_recursive_call();
    status
}

/// The part of `save()` that runs inside the recursion guard.
unsafe fn save_nested(p: &mut Core, obj: *mut PyObject, tp: *mut PyTypeObject) -> Res {
    // Exact built-in containers: `reducer_override` never sees these.
    if tp == types::dict_type() {
        return save_dict(p, obj);
    }
    if tp == types::set_type() {
        return save_set(p, obj);
    }
    if tp == types::frozenset_type() {
        return save_frozenset(p, obj);
    }
    if tp == types::list_type() {
        return save_list(p, obj);
    }
    if tp == types::tuple_type() {
        return save_tuple(p, obj);
    }
    if tp == types::bytearray_type() {
        return save_bytearray(p, obj);
    }
    if tp == types::picklebuffer_type() {
        return save_picklebuffer(p, obj);
    }

    let reduce_value = match call_reducer_override(p, obj)? {
        Some(value) => value,
        None => {
            // Globals saved by reference, after reducer_override had its say.
            if tp == types::type_type() {
                return save_type(p, obj);
            }
            if tp == types::function_type() {
                return save_global(p, obj, None);
            }
            match reduce_via_tables(p, obj, tp)? {
                Reduction::Saved => return Ok(()),
                Reduction::Value(value) => value,
            }
        }
    };
    save_reduce_value(p, obj, reduce_value)
}
