//! The reduce protocol: finding a reduction (`reducer_override`, the
//! dispatch tables, `__reduce_ex__`, `__reduce__`) and `save_reduce`.

use super::global::{lookup_attr, save_global};
use super::mappings::batch_dict;
use super::plain_instance::{self, save_plain_instance};
use super::memo_ops::memoize_built;
use super::sequences::batch_list;
use crate::core::Core;
use crate::error::{Failed, Res, check, exception_matches, pickling_error, repr, type_name};
use crate::ffi::{self, PyObject, PyTypeObject};
use crate::generated::dispatch::save;
use crate::opcodes::{BUILD, NEWOBJ, NEWOBJ_EX, POP, REDUCE, TUPLE2};
use crate::owned::Owned;
use crate::generated::facts::behaviour::PICKLING_ERRORS_NAME_TYPES as NAME_TYPES;
use crate::path::{Note, Step, note, qualified_type_name as type_t};
use crate::state::state;

pub enum Reduction {
    /// The object was saved along the way (a class saved by reference).
    Saved,
    /// A `__reduce__`-style value still to be saved.
    Value(Owned),
}

/// The user's `reducer_override`: `None` when absent or it declined.
#[inline]
pub unsafe fn call_reducer_override(p: &mut Core, obj: *mut PyObject) -> Res<Option<Owned>> {
    let Some(reducer) = p.reducer_override.as_ref() else { return Ok(None) };
    let value = Owned::new(check(ffi::PyObject_CallOneArg(reducer.as_ptr(), obj))?);
    if value.as_ptr() == ffi::Py_NotImplemented() { Ok(None) } else { Ok(Some(value)) }
}

/// A reduction from the Pickler's `dispatch_table` (or copyreg's), else
/// `__reduce_ex__(proto)`, else `__reduce__()`.
pub unsafe fn reduce_via_tables(p: &mut Core, obj: *mut PyObject, tp: *mut PyTypeObject) -> Res<Reduction> {
    let st = state();
    let reduce_func = match p.dispatch_table.as_ref() {
        None => {
            let mut found = std::ptr::null_mut();
            if p.by_value && ffi::PyDict_Size(st.class_dispatch.as_ptr()) > 0 {
                found = ffi::PyDict_GetItemWithError(st.class_dispatch.as_ptr(), tp.cast());
                if found.is_null() && !ffi::PyErr_Occurred().is_null() {
                    return Err(Failed);
                }
            }
            if found.is_null() {
                found = ffi::PyDict_GetItemWithError(st.dispatch_table.as_ptr(), tp.cast());
            }
            if found.is_null() && !ffi::PyErr_Occurred().is_null() {
                return Err(Failed);
            }
            Owned::from_nullable(found).map(|f| Owned::borrowed(f.into_ptr()))
        }
        Some(table) => match Owned::from_nullable(ffi::PyObject_GetItem(table.as_ptr(), tp.cast())) {
            Some(found) => Some(found),
            None if exception_matches(ffi::PyExc_KeyError) => {
                ffi::PyErr_Clear();
                None
            }
            None => return Err(Failed),
        },
    };
    if let Some(reduce_func) = reduce_func {
        return Ok(Reduction::Value(Owned::new(check(ffi::PyObject_CallOneArg(reduce_func.as_ptr(), obj))?)));
    }
    if ffi::PyType_IsSubtype(tp, std::ptr::addr_of_mut!(ffi::PyType_Type)) != 0 {
        save_global(p, obj, None)?;
        return Ok(Reduction::Saved);
    }
    // `persistent_id` would also see the `()` a plain instance's reduction
    // holds, so with one every instance takes the long way.
    let plain = if p.proto >= 2 && !p.has_persistent_id() { p.types.plain(tp) } else { Some(false) };
    if plain == Some(true) && save_plain_instance(p, obj, tp)? {
        return Ok(Reduction::Saved);
    }
    if let Some(reduce_ex) = lookup_attr(obj, st.str_reduce_ex.as_ptr())? {
        let proto = Owned::new(check(ffi::PyLong_FromLong(p.proto as _))?);
        let value = Owned::new(check(ffi::PyObject_CallOneArg(reduce_ex.as_ptr(), proto.as_ptr()))?);
        if plain.is_none() {
            plain_instance::learn(p, obj, tp, value.as_ptr());
        }
        crate::by_value::note_reduce_ex(p, tp);
        return Ok(Reduction::Value(value));
    }
    if let Some(reduce) = lookup_attr(obj, st.str_reduce.as_ptr())? {
        return Ok(Reduction::Value(Owned::new(check(ffi::PyObject_CallNoArgs(reduce.as_ptr()))?)));
    }
    let message = if NAME_TYPES {
        format!("Can't pickle {} object", type_t(obj))
    } else {
        format!("can't pickle '{}' object: {}", type_name(obj), repr(obj))
    };
    Err(pickling_error(&message))
}

/// A string names a global; a tuple goes to `save_reduce`.
pub unsafe fn save_reduce_value(p: &mut Core, obj: *mut PyObject, value: Owned) -> Res {
    if ffi::PyUnicode_Check(value.as_ptr()) != 0 {
        return save_global(p, obj, Some(value.as_ptr()));
    }
    if ffi::PyTuple_Check(value.as_ptr()) == 0 {
        if NAME_TYPES {
            pickling_error(&format!("__reduce__ must return a string or tuple, not {}", type_t(value.as_ptr())));
            return Err(note(Note::Part(obj, "object")));
        }
        return Err(pickling_error("__reduce__ must return a string or tuple"));
    }
    save_reduce(p, value.as_ptr(), obj).map_err(|_| note(Note::Part(obj, "object")))
}

struct ReduceParts {
    callable: *mut PyObject,
    argtup: *mut PyObject,
    state: Option<*mut PyObject>,
    listitems: Option<*mut PyObject>,
    dictitems: Option<*mut PyObject>,
    state_setter: Option<*mut PyObject>,
}

unsafe fn not_none(obj: *mut PyObject) -> Option<*mut PyObject> {
    if obj.is_null() || obj == ffi::Py_None() { None } else { Some(obj) }
}

/// Unpacks and checks a 2- to 6-tuple; the items stay borrowed from `args`.
unsafe fn unpack(args: *mut PyObject) -> Res<ReduceParts> {
    let size = ffi::PyTuple_GET_SIZE(args);
    if !(2..=6).contains(&size) {
        return Err(pickling_error("tuple returned by __reduce__ must contain 2 through 6 elements"));
    }
    let item = |i: isize| if i < size { ffi::PyTuple_GET_ITEM(args, i) } else { std::ptr::null_mut() };
    let parts = ReduceParts {
        callable: item(0),
        argtup: item(1),
        state: not_none(item(2)),
        listitems: not_none(item(3)),
        dictitems: not_none(item(4)),
        state_setter: not_none(item(5)),
    };
    // From 3.14 each message names the offending value's type (`%T`).
    let not_t = |value: *mut PyObject| if NAME_TYPES { format!(", not {}", type_t(value)) } else { String::new() };
    if ffi::PyCallable_Check(parts.callable) == 0 {
        let message =
            format!("first item of the tuple returned by __reduce__ must be callable{}", not_t(parts.callable));
        return Err(pickling_error(&message));
    }
    if ffi::PyTuple_Check(parts.argtup) == 0 {
        let message = format!("second item of the tuple returned by __reduce__ must be a tuple{}", not_t(parts.argtup));
        return Err(pickling_error(&message));
    }
    let t = |value: *mut PyObject| if NAME_TYPES { type_t(value) } else { type_name(value) };
    if let Some(listitems) = parts.listitems {
        if ffi::PyIter_Check(listitems) == 0 {
            let message = format!(
                "fourth {} of the tuple returned by __reduce__ must be an iterator, not {}",
                if NAME_TYPES { "item" } else { "element" },
                t(listitems)
            );
            return Err(pickling_error(&message));
        }
    }
    if let Some(dictitems) = parts.dictitems {
        if ffi::PyIter_Check(dictitems) == 0 {
            let message = format!(
                "fifth {} of the tuple returned by __reduce__ must be an iterator, not {}",
                if NAME_TYPES { "item" } else { "element" },
                t(dictitems)
            );
            return Err(pickling_error(&message));
        }
    }
    if let Some(setter) = parts.state_setter {
        if ffi::PyCallable_Check(setter) == 0 {
            let message = if NAME_TYPES {
                format!("sixth item of the tuple returned by __reduce__ must be callable, not {}", t(setter))
            } else {
                format!("sixth element of the tuple returned by __reduce__ must be a function, not {}", type_name(setter))
            };
            return Err(pickling_error(&message));
        }
    }
    Ok(parts)
}

/// Which constructor opcode the callable's `__name__` asks for.
unsafe fn constructor_kind(p: &Core, callable: *mut PyObject) -> Res<(bool, bool)> {
    if p.proto < 2 {
        return Ok((false, false));
    }
    let st = state();
    let Some(name) = lookup_attr(callable, st.str_name.as_ptr())? else { return Ok((false, false)) };
    if ffi::PyUnicode_Check(name.as_ptr()) == 0 {
        return Ok((false, false));
    }
    let newobj_ex = ffi::PyUnicode_Compare(name.as_ptr(), st.str_newobj_ex.as_ptr()) == 0;
    let newobj = !newobj_ex && ffi::PyUnicode_Compare(name.as_ptr(), st.str_newobj.as_ptr()) == 0;
    if !ffi::PyErr_Occurred().is_null() {
        ffi::PyErr_Clear();
    }
    Ok((newobj, newobj_ex))
}

/// `save_reduce`: a reduce tuple for `obj` (null `obj`: don't memoize).
pub unsafe fn save_reduce(p: &mut Core, args: *mut PyObject, obj: *mut PyObject) -> Res {
    let args = Owned::borrowed(args);
    let parts = unpack(args.as_ptr())?;
    let (use_newobj, use_newobj_ex) = constructor_kind(p, parts.callable)?;
    if use_newobj_ex {
        save_newobj_ex(p, parts.argtup, obj)?;
    } else if use_newobj {
        save_newobj(p, parts.argtup, obj)?;
    } else {
        save(p, parts.callable, false).map_err(|_| part_failed(p, obj, 0, "reconstructor"))?;
        save(p, parts.argtup, false).map_err(|_| part_failed(p, obj, 1, "reconstructor arguments"))?;
        p.out.write_byte(REDUCE)?;
    }

    if !obj.is_null() {
        if !memoize_built(p, obj)? {
            return Ok(());
        }
    }
    if let Some(listitems) = parts.listitems {
        batch_list(p, listitems, obj).map_err(|_| p.error_path.record(Step::Reduce(3)))?;
    }
    if let Some(dictitems) = parts.dictitems {
        batch_dict(p, dictitems, obj).map_err(|_| p.error_path.record(Step::Reduce(4)))?;
    }
    if let Some(state) = parts.state {
        match parts.state_setter {
            None => {
                save(p, state, false).map_err(|_| part_failed(p, obj, 2, "state"))?;
                p.out.write_byte(BUILD)?;
            }
            Some(setter) => {
                // setter(obj, state) through REDUCE, then POP: the call only
                // updates obj in place and must leave the stack as it was.
                save(p, setter, false).map_err(|_| part_failed(p, obj, 5, "state setter"))?;
                save(p, obj, false)?;
                save(p, state, false).map_err(|_| part_failed(p, obj, 2, "state"))?;
                p.out.write(&[TUPLE2, REDUCE, POP])?;
            }
        }
    }
    Ok(())
}

/// A failed part of a reduction: CPython's note (3.14+) and anethum's step.
#[cold]
unsafe fn part_failed(p: &mut Core, obj: *mut PyObject, index: usize, part: &'static str) -> Failed {
    note(Note::Part(obj, part));
    p.error_path.record(Step::Reduce(index))
}

unsafe fn save_newobj_ex(p: &mut Core, argtup: *mut PyObject, obj: *mut PyObject) -> Res {
    let size = ffi::PyTuple_GET_SIZE(argtup);
    if size != 3 {
        return Err(pickling_error(&if NAME_TYPES {
            format!("__newobj_ex__ expected 3 arguments, got {size}")
        } else {
            format!("length of the NEWOBJ_EX argument tuple must be exactly 3, not {size}")
        }));
    }
    let (cls, args, kwargs) =
        (ffi::PyTuple_GET_ITEM(argtup, 0), ffi::PyTuple_GET_ITEM(argtup, 1), ffi::PyTuple_GET_ITEM(argtup, 2));
    let checks = [
        (ffi::PyType_Check(cls) != 0, cls, "first", "a class"),
        (ffi::PyTuple_Check(args) != 0, args, "second", "a tuple"),
        (ffi::PyDict_Check(kwargs) != 0, kwargs, "third", "a dict"),
    ];
    for (ok, value, which, what) in checks {
        if !ok {
            let message = if NAME_TYPES {
                format!("{which} argument to __newobj_ex__() must be {what}, not {}", type_t(value))
            } else {
                format!("{which} item from NEWOBJ_EX argument tuple must be {what}, not {}", type_name(value))
            };
            return Err(pickling_error(&message));
        }
    }
    if p.proto >= 4 {
        save(p, cls, false).map_err(|_| part_failed(p, obj, 1, "class"))?;
        save(p, args, false).map_err(|_| part_failed(p, obj, 1, "__new__ arguments"))?;
        save(p, kwargs, false).map_err(|_| part_failed(p, obj, 1, "__new__ arguments"))?;
        return p.out.write_byte(NEWOBJ_EX);
    }
    // Protocols 2 and 3: partial(cls.__new__, cls, *args, **kwargs)().
    let st = state();
    let n = ffi::PyTuple_GET_SIZE(args);
    let newargs = Owned::new(check(ffi::PyTuple_New(n + 2))?);
    let cls_new = check(ffi::PyObject_GetAttr(cls, st.str_new.as_ptr()))?;
    ffi::PyTuple_SET_ITEM(newargs.as_ptr(), 0, cls_new);
    ffi::Py_INCREF(cls);
    ffi::PyTuple_SET_ITEM(newargs.as_ptr(), 1, cls);
    for i in 0..n {
        let item = ffi::PyTuple_GET_ITEM(args, i);
        ffi::Py_INCREF(item);
        ffi::PyTuple_SET_ITEM(newargs.as_ptr(), i + 2, item);
    }
    let callable = Owned::new(check(ffi::PyObject_Call(st.partial.as_ptr(), newargs.as_ptr(), kwargs))?);
    drop(newargs);
    let empty = Owned::new(check(ffi::PyTuple_New(0))?);
    save(p, callable.as_ptr(), false).map_err(|_| part_failed(p, obj, 1, "reconstructor"))?;
    save(p, empty.as_ptr(), false).map_err(|_| part_failed(p, obj, 1, "reconstructor"))?;
    p.out.write_byte(REDUCE)
}

unsafe fn save_newobj(p: &mut Core, argtup: *mut PyObject, obj: *mut PyObject) -> Res {
    let size = ffi::PyTuple_GET_SIZE(argtup);
    if size < 1 {
        return Err(pickling_error(&if NAME_TYPES {
            format!("__newobj__ expected at least 1 argument, got {size}")
        } else {
            String::from("__newobj__ arglist is empty")
        }));
    }
    let cls = ffi::PyTuple_GET_ITEM(argtup, 0);
    if ffi::PyType_Check(cls) == 0 {
        return Err(pickling_error(&if NAME_TYPES {
            format!("first argument to __newobj__() must be a class, not {}", type_t(cls))
        } else {
            String::from("args[0] from __newobj__ args is not a type")
        }));
    }
    if !obj.is_null() {
        let obj_class = match lookup_attr(obj, state().str_class.as_ptr())? {
            Some(class) => class,
            None => Owned::borrowed(ffi::Py_TYPE(obj).cast()),
        };
        if obj_class.as_ptr() != cls {
            return Err(pickling_error(&if NAME_TYPES {
                format!("first argument to __newobj__() must be {}, not {}", repr(obj_class.as_ptr()), repr(cls))
            } else {
                String::from("args[0] from __newobj__ args has the wrong class")
            }));
        }
    }
    save(p, cls, false).map_err(|_| part_failed(p, obj, 1, "class"))?;
    let newargtup = Owned::new(check(ffi::PyTuple_GetSlice(argtup, 1, size))?);
    save(p, newargtup.as_ptr(), false).map_err(|_| part_failed(p, obj, 1, "__new__ arguments"))?;
    p.out.write_byte(NEWOBJ)
}
