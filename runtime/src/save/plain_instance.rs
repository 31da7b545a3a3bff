//! A shortcut for the commonest object of all: an instance of a plain
//! Python class. For one of those `object.__reduce_ex__(proto >= 2)`
//! returns `(copyreg.__newobj__, (cls,), obj.__dict__ or None, None, None)`
//! (with slots, the state is `(obj.__dict__ or None, {slot: value})`)
//! and `save_reduce` writes `cls () NEWOBJ`, memoizes, then `state BUILD`.
//! Building that tuple in Python costs more than writing it, so once a dump
//! has seen a type reduced exactly that way (its first instance still goes
//! through `__reduce_ex__`), and nothing in the type can change the result,
//! its later instances are written directly: the same bytes, no call.

use super::memo_ops::memoize_built;
use crate::core::Core;
use crate::error::{Failed, Res, check};
use crate::ffi::{self, PyObject, PyTypeObject};
use crate::generated::dispatch::save;
use crate::opcodes::{BUILD, EMPTY_TUPLE, NEWOBJ};
use crate::owned::Owned;
use crate::path::Step;
use crate::state::state;

/// Judged once per type and dump, after `__reduce_ex__` reduced its first
/// instance: `value` is that reduction.
pub unsafe fn learn(p: &mut Core, obj: *mut PyObject, tp: *mut PyTypeObject, value: *mut PyObject) {
    let plain = is_plain_type(tp) && reduced_plainly(value, obj, tp);
    p.types.set_plain(tp, plain);
}

/// Writes `obj` as `save_reduce` writes its plain reduction; `Ok(false)`
/// (nothing written) when this instance's own `__dict__` overrides
/// `__reduce_ex__` or `__getstate__`.
pub unsafe fn save_plain_instance(
    p: &mut Core,
    obj: *mut PyObject,
    tp: *mut PyTypeObject,
) -> Res<bool> {
    let st = state();
    let dict = match (*tp).tp_dictoffset {
        0 => None,
        _ => Some(Owned::new(check(ffi::PyObject_GenericGetDict(
            obj,
            std::ptr::null_mut(),
        ))?)),
    };
    // An empty or missing `__dict__` reduces to state None on every version.
    let dict_state = match dict.as_ref() {
        Some(dict) if ffi::PyDict_Size(dict.as_ptr()) > 0 => {
            for name in [st.str_reduce_ex.as_ptr(), st.str_getstate.as_ptr()] {
                match ffi::PyDict_Contains(dict.as_ptr(), name) {
                    0 => {}
                    1 => return Ok(false),
                    _ => return Err(Failed),
                }
            }
            Some(dict.as_ptr())
        }
        _ => None,
    };
    // Read before anything is written, as `__reduce_ex__` would be.
    let Some(slots) = slot_state(obj, tp)? else { return Ok(false) };
    let state = match slots {
        Some(slots) => {
            let dict_part = dict_state.unwrap_or(ffi::Py_None());
            Some(crate::owned::tuple_of(&[dict_part, slots.as_ptr()])?)
        }
        None => dict_state.map(|dict| Owned::borrowed(dict)),
    };
    save(p, tp.cast(), false).map_err(|_| p.error_path.record(Step::Reduce(1)))?;
    // `save()` of the empty argument tuple starts at an opcode boundary.
    p.opcode_boundary()?;
    p.out.write(&[EMPTY_TUPLE, NEWOBJ])?;
    if !memoize_built(p, obj)? {
        return Ok(true);
    }
    if let Some(state) = state {
        save(p, state.as_ptr(), false).map_err(|_| p.error_path.record(Step::Reduce(2)))?;
        p.out.write_byte(BUILD)?;
    }
    Ok(true)
}

/// The slots part of `object.__getstate__`'s answer: `{name: value}` for
/// each name in the class's `__slotnames__` the instance has a value for,
/// `None` when there is none. `Ok(None)` (outer): `__slotnames__` is no
/// longer a list of str, so the shortcut doesn't apply.
unsafe fn slot_state(obj: *mut PyObject, tp: *mut PyTypeObject) -> Res<Option<Option<Owned>>> {
    let names = ffi::PyDict_GetItemWithError((*tp).tp_dict, state().str_slotnames.as_ptr());
    if names.is_null() {
        return if ffi::PyErr_Occurred().is_null() { Ok(None) } else { Err(Failed) };
    }
    if names == ffi::Py_None() {
        return Ok(Some(None));
    }
    if ffi::PyList_CheckExact(names) == 0 {
        return Ok(None);
    }
    let names = Owned::borrowed(names);
    let size = ffi::PyList_GET_SIZE(names.as_ptr());
    if size == 0 {
        return Ok(Some(None));
    }
    let slots = Owned::new(check(ffi::PyDict_New())?);
    for i in 0..size {
        let name = Owned::borrowed(ffi::PyList_GET_ITEM(names.as_ptr(), i));
        let mut value = std::ptr::null_mut();
        if ffi::compat::lookup_optional_attr(obj, name.as_ptr(), &mut value) < 0 {
            return Err(Failed);
        }
        if let Some(value) = Owned::from_nullable(value) {
            if ffi::PyDict_SetItem(slots.as_ptr(), name.as_ptr(), value.as_ptr()) < 0 {
                return Err(Failed);
            }
        }
        // The list lives on the class: a property may have changed it.
        if ffi::PyList_GET_SIZE(names.as_ptr()) != size {
            return Ok(None);
        }
    }
    Ok(Some((ffi::PyDict_Size(slots.as_ptr()) > 0).then_some(slots)))
}

/// Nothing in the class (or its metaclass) can make `object.__reduce_ex__`
/// take another path, and it is a plain Python class over `object`.
unsafe fn is_plain_type(tp: *mut PyTypeObject) -> bool {
    let st = state();
    // Slots inherited from `object` and `type` are copied pointers, so
    // comparing them as addresses is exact.
    let inherited = |slot: Option<ffi::getattrofunc>, from: Option<ffi::getattrofunc>| {
        slot.map(|f| f as usize) == from.map(|f| f as usize)
    };
    // Static types (`object` itself) have no `tp_dict` from 3.12 on.
    let heap = (*tp).tp_flags & ffi::Py_TPFLAGS_HEAPTYPE != 0 && !(*tp).tp_dict.is_null();
    if !heap
        || (*tp).tp_itemsize != 0
        || !inherited((*tp).tp_getattro, ffi::PyBaseObject_Type.tp_getattro)
    {
        return false;
    }
    if !mro_defines_none(tp, &st.reduce_hooks) {
        return false;
    }
    // `copyreg._slotnames` caches the slot names on the class itself.
    let slotnames = ffi::PyDict_GetItemWithError((*tp).tp_dict, st.str_slotnames.as_ptr());
    if slotnames.is_null() {
        ffi::PyErr_Clear();
        return false;
    }
    // Slot names: strs in a list (`copyreg._slotnames`), read again per instance.
    let slot_names_ok = slotnames == ffi::Py_None()
        || (ffi::PyList_CheckExact(slotnames) != 0
            && (0..ffi::PyList_GET_SIZE(slotnames))
                .all(|i| ffi::PyUnicode_CheckExact(ffi::PyList_GET_ITEM(slotnames, i)) != 0));
    // `object.__reduce_ex__` compares `type(obj).__reduce__` with object's.
    let meta = ffi::Py_TYPE(tp.cast());
    slot_names_ok
        && inherited((*meta).tp_getattro, ffi::PyType_Type.tp_getattro)
        && mro_defines_none(meta, std::slice::from_ref(&st.reduce_hooks[1]))
}

/// No class in `tp.__mro__` but `object` and `type` defines any of `names`,
/// and all of them are classes made in Python.
unsafe fn mro_defines_none(tp: *mut PyTypeObject, names: &[Owned]) -> bool {
    let mro = (*tp).tp_mro;
    if mro.is_null() || ffi::PyTuple_Check(mro) == 0 {
        return false;
    }
    for i in 0..ffi::PyTuple_GET_SIZE(mro) {
        let base = ffi::PyTuple_GET_ITEM(mro, i).cast::<PyTypeObject>();
        if base == std::ptr::addr_of_mut!(ffi::PyBaseObject_Type)
            || base == std::ptr::addr_of_mut!(ffi::PyType_Type)
        {
            continue;
        }
        let dict = (*base).tp_dict;
        if (*base).tp_flags & ffi::Py_TPFLAGS_HEAPTYPE == 0 || dict.is_null() {
            return false;
        }
        for name in names {
            if !ffi::PyDict_GetItemWithError(dict, name.as_ptr()).is_null() {
                return false;
            }
            if !ffi::PyErr_Occurred().is_null() {
                ffi::PyErr_Clear();
                return false;
            }
        }
    }
    true
}

/// `value` is `(copyreg.__newobj__, (tp,), obj.__dict__ or None, None, None)`.
unsafe fn reduced_plainly(value: *mut PyObject, obj: *mut PyObject, tp: *mut PyTypeObject) -> bool {
    if ffi::PyTuple_CheckExact(value) == 0 || ffi::PyTuple_GET_SIZE(value) != 5 {
        return false;
    }
    let item = |i| ffi::PyTuple_GET_ITEM(value, i);
    let args = item(1);
    let none = ffi::Py_None();
    if item(0) != state().copyreg_newobj.as_ptr()
        || ffi::PyTuple_CheckExact(args) == 0
        || ffi::PyTuple_GET_SIZE(args) != 1
        || ffi::PyTuple_GET_ITEM(args, 0) != tp.cast()
        || item(3) != none
        || item(4) != none
    {
        return false;
    }
    let reduced_state = item(2);
    if reduced_state == none {
        return true;
    }
    // With slots: `(obj.__dict__ or None, {slot: value})`.
    if ffi::PyTuple_CheckExact(reduced_state) != 0 && ffi::PyTuple_GET_SIZE(reduced_state) == 2 {
        let (dict_part, slots) = (ffi::PyTuple_GET_ITEM(reduced_state, 0), ffi::PyTuple_GET_ITEM(reduced_state, 1));
        return ffi::PyDict_CheckExact(slots) != 0 && (dict_part == none || is_instance_dict(obj, tp, dict_part));
    }
    is_instance_dict(obj, tp, reduced_state)
}

/// `candidate` is `obj.__dict__` itself.
unsafe fn is_instance_dict(obj: *mut PyObject, tp: *mut PyTypeObject, candidate: *mut PyObject) -> bool {
    if (*tp).tp_dictoffset == 0 || ffi::PyDict_CheckExact(candidate) == 0 {
        return false;
    }
    let dict = ffi::PyObject_GenericGetDict(obj, std::ptr::null_mut());
    if dict.is_null() {
        ffi::PyErr_Clear();
        return false;
    }
    let same = dict == candidate;
    ffi::Py_DECREF(dict);
    same
}
