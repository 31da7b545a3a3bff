//! Classes by value: a skeleton class (or enum) made at load time, then
//! `class_setstate` fills its dict. A tracker id makes the same class load
//! as the same object, however many times it arrives.

use super::class_attr::{class_attr, class_attr_opt};
use super::function::fresh_str;
use super::reference::forced_by_value;
use super::refs::refs;
use super::tracker_id::{Tracked, tracker_id};
use super::transient::{save_at, save_dict_of, write_call, write_setstate};
use super::{raised, save_reduced};
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::opcodes::TUPLE2;
use crate::path::Step;
use crate::pyalloc::{name, string};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

/// Rule predicate: a class made in Python that must go by value although
/// `pickle` may find it (`__main__`, registered modules), unless its
/// metaclass has a reducer in the dispatch tables (an explicit registration
/// wins, as in `pickle`). The rest go through `save_global`, which falls
/// back to by value when the lookup fails.
pub unsafe fn class_needs_by_value(p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    let py = Python::assume_attached();
    for singleton in [pyo3::ffi::Py_None(), pyo3::ffi::Py_Ellipsis(), pyo3::ffi::Py_NotImplemented()] {
        if obj == pyo3::ffi::Py_TYPE(singleton).cast() {
            return Ok(false);
        }
    }
    let metaclass = pyo3::ffi::Py_TYPE(obj);
    if metaclass != crate::ffi::types::type_type() && has_table_reducer(p, metaclass)? {
        return Ok(false);
    }
    if !made_by_class_statement(py, obj) {
        return raised(py, types_module_class_by_value(py, obj));
    }
    // dill's byref: what pickle's lookup finds goes by reference (and what
    // it doesn't still goes by value, from save_global).
    if p.python.as_deref().is_some_and(|hooks| hooks.byref) {
        return Ok(false);
    }
    let cls = Bound::from_borrowed_ptr(py, obj);
    raised(py, forced_by_value(&cls))
}

/// Whether `cls` is one of the `types` module's classes with no importable
/// name (`types.CodeType` is `builtins.code`, which doesn't exist). They
/// are static, so each is looked up once per process; this spares the
/// failing `save_global` lookup (and its formatted exception) per pickle.
unsafe fn types_module_class_by_value(py: Python<'_>, cls: *mut PyObject) -> PyResult<bool> {
    if !refs(py)?.builtin_type_ids.contains(&(cls as usize)) {
        return Ok(false);
    }
    let decisions = &crate::process::PROCESS.types_module_decisions;
    if let Some(decision) = decisions.get_with(cls as usize, |&decision| decision) {
        return Ok(decision);
    }
    // Not under the lock: the lookup runs Python code (module
    // `__getattr__`), which may switch threads or pickle again.
    let class = Bound::from_borrowed_ptr(py, cls);
    let qualname = class.getattr(name!(py, "__qualname__")?)?;
    let decision = super::reference::importable_module(&class, &qualname)?.is_none();
    decisions.insert(cls as usize, decision);
    Ok(decision)
}

/// Whether `cls` was made by `type.__new__` (a class statement, `type()`,
/// a metaclass): such classes share `type`'s instance deallocator.
pub(crate) unsafe fn made_by_class_statement(py: Python<'_>, cls: *mut PyObject) -> bool {
    let tp: *mut pyo3::ffi::PyTypeObject = cls.cast();
    match refs(py) {
        Ok(r) => (*tp).tp_dealloc.map(|f| f as usize) == Some(r.python_class_dealloc as usize),
        Err(_) => false,
    }
}

pub unsafe fn save_class_by_value(p: &mut Core, obj: *mut PyObject) -> Res {
    let py = Python::assume_attached();
    let cls = Bound::from_borrowed_ptr(py, obj);
    if let Some(reduce) = raised(py, builtin_type_reduce(&cls))? {
        return save_reduced(p, obj, Ok(reduce));
    }
    let none = py.None().into_bound(py);
    let anonymous = raised(py, class_reduce(&cls, &none))?;
    let parts = raised(py, ClassReduce::unpack(&anonymous))?;
    let Some((setter, clsdict, slots)) = &parts.state else { return save_reduced(p, obj, Ok(anonymous)) };
    let items: Vec<_> = clsdict.iter().collect();
    let write_state = |p: &mut Core| -> Res {
        save_dict_of(p, items.iter().map(|(k, v)| (k.as_ptr(), v.as_ptr())))
            .map_err(|_| p.error_path.record_by_value(Step::Index(0)))?;
        save_at(p, slots.as_ptr(), || Step::Index(1))?;
        p.out.write_byte(TUPLE2)
    };
    let write_prefix = |side: &mut Core| {
        save_at(side, parts.constructor.as_ptr(), || Step::Reduce(0))?;
        save_at(side, parts.args.as_ptr(), || Step::Reduce(1))
    };
    let (id, side) = match tracker_id(p, &cls, write_prefix, Some(&write_state))? {
        Tracked::Whole(id, side) => (id, side),
        Tracked::Written => return Ok(()),
    };
    if p.proto < 2 {
        return save_reduced(p, obj, with_tracker_id(&anonymous, &id));
    }
    // Written directly: the argument tuple and the state are not memoized;
    // the anonymous reduction's arguments serve, with the id in its place.
    let mut args: Vec<*mut PyObject> = parts.args.iter().map(|arg| arg.as_ptr()).collect();
    args[raised(py, tracker_id_arg(py, &parts.constructor))?] = id.as_ptr();
    if !write_call(p, obj, parts.constructor.as_ptr(), &args)? {
        return Ok(());
    }
    write_setstate(p, obj, setter.as_ptr(), |p| {
        if let Some(side) = side {
            if side.splice_into(p)? {
                return Ok(());
            }
        }
        write_state(p)
    })
}

/// `class_reduce()`'s tuple taken apart: `(constructor, args)` for the
/// classes of the `types` module, else with `((clsdict, slots), None,
/// None, class_setstate)` after it.
struct ClassReduce<'py> {
    constructor: Bound<'py, PyAny>,
    args: Bound<'py, PyTuple>,
    state: Option<(Bound<'py, PyAny>, Bound<'py, PyDict>, Bound<'py, PyAny>)>,
}

impl<'py> ClassReduce<'py> {
    fn unpack(reduce: &Bound<'py, PyAny>) -> PyResult<Self> {
        let reduce = reduce.cast::<PyTuple>()?;
        let constructor = reduce.get_item(0)?;
        let args = reduce.get_item(1)?.cast_into::<PyTuple>()?;
        let state = if reduce.len() == 6 {
            let state = reduce.get_item(2)?;
            let clsdict = state.get_item(0)?.cast_into::<PyDict>()?;
            Some((reduce.get_item(5)?, clsdict, state.get_item(1)?))
        } else {
            None
        };
        Ok(ClassReduce { constructor, args, state })
    }
}

pub(super) unsafe fn has_table_reducer(p: &Core, metaclass: *mut pyo3::ffi::PyTypeObject) -> Res<bool> {
    let py = Python::assume_attached();
    let key = Bound::from_borrowed_ptr(py, metaclass.cast());
    let table = match p.dispatch_table.as_ref() {
        Some(table) => table.bind(py).clone(),
        None => Bound::from_borrowed_ptr(py, crate::state::state().dispatch_table.as_ptr()),
    };
    if let Ok(dict) = table.cast_exact::<PyDict>() {
        // No KeyError to raise and swallow for the common miss.
        return raised(py, dict.contains(&key));
    }
    match table.get_item(&key) {
        Ok(_) => Ok(true),
        Err(err) if err.is_instance_of::<pyo3::exceptions::PyKeyError>(py) => Ok(false),
        Err(err) => raised(py, Err(err)),
    }
}

/// `builtin_type(name)` for the classes of the `types` module that have no
/// importable name; None for any other class.
fn builtin_type_reduce<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = cls.py();
    let r = refs(py)?;
    let Some(name) = r.builtin_type_names.bind(py).get_item(crate::pyalloc::int(py, cls.as_ptr() as usize)?)? else { return Ok(None) };
    Ok(Some(crate::pyalloc::tuple(py, [r.builtin_type.bind(py).clone(), crate::pyalloc::tuple(py, [name])?.into_any()])?.into_any()))
}

/// `class_reduce()`'s tuple with `id` in the place of its tracker id.
fn with_tracker_id<'py>(reduce: &Bound<'py, PyAny>, id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = reduce.py();
    let reduce = reduce.cast::<PyTuple>()?;
    let at = tracker_id_arg(py, &reduce.get_item(0)?)?;
    let mut args: Vec<Bound<'py, PyAny>> = reduce.get_item(1)?.cast_into::<PyTuple>()?.iter().collect();
    args[at] = id.clone();
    let mut parts: Vec<Bound<'py, PyAny>> = reduce.iter().collect();
    parts[1] = crate::pyalloc::tuple(py, args)?.into_any();
    Ok(crate::pyalloc::tuple(py, parts)?.into_any())
}

/// Where the tracker id sits among the arguments of `constructor`.
fn tracker_id_arg(py: Python<'_>, constructor: &Bound<'_, PyAny>) -> PyResult<usize> {
    let r = refs(py)?;
    Ok(if constructor.is(r.make_skeleton_enum.bind(py)) { ENUM_TRACKER_ID_ARG } else { CLASS_TRACKER_ID_ARG })
}

/// Where the tracker id sits in the arguments of `make_skeleton_enum` and
/// `make_skeleton_class`.
const ENUM_TRACKER_ID_ARG: usize = 5;
const CLASS_TRACKER_ID_ARG: usize = 4;

/// The reduction of a class made in Python, with `tracker_id` in it.
fn class_reduce<'py>(cls: &Bound<'py, PyAny>, tracker_id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    let r = refs(py)?;
    let cls_type = cls.cast::<PyType>()?;
    let tracker_id = tracker_id.clone();
    let none = py.None().into_bound(py);
    let (constructor, newargs, state) = if cls_type.is_subclass(r.enum_type.bind(py))? {
        let members = enum_members(cls)?;
        let newargs = crate::pyalloc::tuple(
            py,
            [
                class_attr(cls, name!(cls.py(), "__bases__")?)?,
                class_attr(cls, name!(cls.py(), "__name__")?)?,
                class_attr(cls, name!(cls.py(), "__qualname__")?)?,
                members.clone().into_any(),
                class_attr(cls, name!(cls.py(), "__module__")?)?,
                tracker_id,
                none.clone(),
            ],
        )?;
        let clsdict = class_dict(cls)?;
        for internal in [
            name!(py, "_generate_next_value_")?,
            name!(py, "_member_names_")?,
            name!(py, "_member_map_")?,
            name!(py, "_member_type_")?,
            name!(py, "_value2member_map_")?,
        ] {
            discard(&clsdict, internal)?;
        }
        for name in crate::pyalloc::keys(&members)? {
            discard(&clsdict, name)?;
        }
        (r.make_skeleton_enum.bind(py).clone(), newargs, clsdict)
    } else {
        let newargs = crate::pyalloc::tuple(
            py,
            [
                cls.get_type().into_any(),
                class_attr(cls, name!(cls.py(), "__name__")?)?,
                bases(cls)?,
                type_kwargs(cls)?.into_any(),
                tracker_id,
                none.clone(),
            ],
        )?;
        (r.make_skeleton_class.bind(py).clone(), newargs, class_dict(cls)?)
    };
    let state = crate::pyalloc::tuple(py, [state.into_any(), crate::pyalloc::dict(py)?.into_any()])?;
    Ok(crate::pyalloc::tuple(
        py,
        [constructor, newargs.into_any(), state.into_any(), none.clone(), none, r.class_setstate.bind(py).clone()],
    )?
    .into_any())
}

/// A str's UTF-8 as CPython caches it (no copy); None for anything else.
fn utf8<'a>(key: &'a Bound<'_, PyAny>) -> Option<&'a [u8]> {
    unsafe {
        if pyo3::ffi::PyUnicode_Check(key.as_ptr()) == 0 {
            return None;
        }
        let mut size: pyo3::ffi::Py_ssize_t = 0;
        let data = pyo3::ffi::PyUnicode_AsUTF8AndSize(key.as_ptr(), &mut size);
        if data.is_null() {
            pyo3::ffi::PyErr_Clear();
            return None;
        }
        Some(std::slice::from_raw_parts(data.cast::<u8>(), size as usize))
    }
}

/// Removes `key` if present, without raising and clearing a KeyError.
fn discard<'py, K: IntoPyObject<'py>>(dict: &Bound<'py, PyDict>, key: K) -> PyResult<()> {
    use pyo3::BoundObject;
    let key: Bound<'py, PyAny> = key.into_pyobject(dict.py()).map_err(Into::into)?.into_bound().into_any();
    if dict.contains(&key)? {
        dict.del_item(&key)?;
    }
    Ok(())
}

/// `{name: member's value}` for every member name in definition order,
/// aliases included (`b = 1` after `a = 1`, a Flag's named `RW = 6`): the
/// skeleton enum recreates them as aliases, so they keep their identity.
/// Read from `_member_map_` without running `EnumType.__iter__` (which
/// would also skip the aliases); by iterating if it isn't there.
fn enum_members<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = cls.py();
    let members = crate::pyalloc::dict(py)?;
    if let Some(map) = class_attr_opt(cls, name!(py, "_member_map_")?)? {
        if let Ok(map) = map.cast_into::<PyDict>() {
            for (name, member) in map.iter() {
                members.set_item(name, member.getattr(name!(py, "_value_")?)?)?;
            }
            return Ok(members);
        }
    }
    for member in cls.try_iter()? {
        let member = member?;
        members.set_item(member.getattr(name!(py, "name")?)?, member.getattr(name!(py, "value")?)?)?;
    }
    Ok(members)
}

/// `__orig_bases__` for generic classes (PEP 560), else `__bases__`.
fn bases<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let own = own_dict(cls)?;
    if own.contains(name!(cls.py(), "__orig_bases__")?)? {
        class_attr(cls, name!(cls.py(), "__orig_bases__")?)
    } else {
        class_attr(cls, name!(cls.py(), "__bases__")?)
    }
}

fn type_kwargs<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = cls.py();
    let own = own_dict(cls)?;
    let kwargs = crate::pyalloc::dict(py)?;
    // Fresh keys (not the interned names), as they always were written.
    if own.contains(name!(py, "__module__")?)? {
        kwargs.set_item(string(py, "__module__")?, class_attr(cls, name!(cls.py(), "__module__")?)?)?;
    }
    // The qualified name, where it says more than the name (a class made
    // anew at load time would lose it); a fresh string, as the keys are.
    let qualname: String = class_attr(cls, name!(py, "__qualname__")?)?.extract()?;
    let plain_name: String = class_attr(cls, name!(py, "__name__")?)?.extract()?;
    if qualname != plain_name {
        kwargs.set_item(string(py, "__qualname__")?, string(py, &qualname)?)?;
    }
    if let Some(dict_attr) = own.get_item(name!(py, "__dict__")?)? {
        if dict_attr.is_instance(refs(py)?.property_type.bind(py))? {
            kwargs.set_item(string(py, "__dict__")?, dict_attr)?;
        }
    }
    // Slots are made when the class is: `__slots__` set afterwards (by
    // class_setstate) makes no member descriptors, and instances loaded in
    // another process would get a `__dict__` instead. Not for a
    // typing.NamedTuple class (`_fields` and `__orig_bases__`): its
    // metaclass refuses `__slots__` in the namespace and sets it itself.
    let named_tuple = own.contains(name!(py, "_fields")?)? && own.contains(name!(py, "__orig_bases__")?)?;
    if let Some(slots) = own.get_item(name!(py, "__slots__")?)?.filter(|_| !named_tuple) {
        kwargs.set_item(string(py, "__slots__")?, slots)?;
    }
    Ok(kwargs)
}

/// The class's own dict, sorted, without what it inherits unchanged and
/// without what the skeleton recreates by itself.
/// A class's own namespace as a dict, for plain dict lookups: `tp_dict`
/// itself when the type has one (what `__dict__`'s mappingproxy wraps);
/// else (static builtin types from 3.12) a copy, made once per type since
/// those types never change or die.
fn own_dict<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = cls.py();
    let tp: *mut pyo3::ffi::PyTypeObject = cls.as_ptr().cast();
    let is_type = unsafe { pyo3::ffi::PyType_Check(cls.as_ptr()) } != 0;
    if is_type {
        let dict = unsafe { (*tp).tp_dict };
        if !dict.is_null() && unsafe { pyo3::ffi::PyDict_CheckExact(dict) } != 0 {
            return Ok(unsafe { Bound::from_borrowed_ptr(py, dict) }.cast_into::<PyDict>()?);
        }
    }
    let is_static = is_type && unsafe { pyo3::ffi::PyType_HasFeature(tp, pyo3::ffi::Py_TPFLAGS_HEAPTYPE) } == 0;
    let copies = &crate::process::PROCESS.static_type_dicts;
    if is_static {
        if let Some(copy) = copies.get_with(tp as usize, |copy| copy.clone_ref(py)) {
            return Ok(copy.into_bound(py));
        }
    }
    let copy = crate::pyalloc::dict(py)?;
    // `PyDict_Update` takes any mapping; no `PyMapping` cast, whose
    // isinstance check can fail for want of memory and then panics.
    let namespace = class_attr(cls, name!(cls.py(), "__dict__")?)?;
    copy.update(unsafe { namespace.cast_unchecked::<pyo3::types::PyMapping>() })?;
    if is_static {
        copies.insert(tp as usize, copy.clone().unbind());
    }
    Ok(copy)
}

fn class_dict<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = cls.py();
    let own = own_dict(cls)?;
    let keys: Vec<Bound<'py, PyAny>> = crate::pyalloc::keys(&own)?.iter().collect();
    // Sorted like Python sorts str keys (code point order, which UTF-8
    // byte order preserves: compared as the UTF-8 CPython caches, no copy).
    // Any other key (or a str without UTF-8, a lone surrogate) follows, in
    // insertion order: the sort never calls back into Python, whose `<`
    // may raise or not be a total order.
    let mut keys: Vec<(Option<&[u8]>, usize, &Bound<'py, PyAny>)> =
        keys.iter().enumerate().map(|(i, k)| (utf8(k), i, k)).collect();
    keys.sort_by(|(ta, ia, _), (tb, ib, _)| match (ta, tb) {
        (Some(ta), Some(tb)) => ta.cmp(tb),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => ia.cmp(ib),
    });
    let base_list = class_attr(cls, name!(cls.py(), "__bases__")?)?.cast_into::<PyTuple>()?;
    // One base: look keys up in its own dict. Several: merge them, the
    // first base winning, as cloudpickle does.
    let inherited = if base_list.len() == 1 {
        own_dict(&base_list.get_item(0)?)?
    } else {
        let merged = crate::pyalloc::dict(py)?;
        for base in base_list.iter().rev() {
            merged.update(own_dict(&base)?.as_mapping())?;
        }
        merged
    };
    let clsdict = crate::pyalloc::dict(py)?;
    for (_, _, key) in keys {
        if !key.is_instance_of::<PyString>() {
            // `class_setstate` sets attributes by name: refuse it now
            // rather than write a pickle that can't load.
            let message = unsafe {
                format!("can't pickle {} by value: its __dict__ has a key that is not a str: {}",
                    crate::error::repr(cls.as_ptr()), crate::error::repr(key.as_ptr()))
            };
            unsafe { crate::error::pickling_error(&message) };
            return Err(PyErr::fetch(py));
        }
        let Some(value) = own.get_item(key)? else { continue };
        if inherited.get_item(key)?.is_some_and(|base_value| base_value.is(&value)) {
            continue;
        }
        clsdict.set_item(fresh_str(key)?, value)?;
    }
    discard(&clsdict, name!(py, "__weakref__")?)?;
    // copyreg's cache, set in the class by the first instance pickled: a
    // class must pickle alike before and after (its tracker id is a digest
    // of this state), and the loading side rebuilds it when needed.
    discard(&clsdict, name!(py, "__slotnames__")?)?;
    if cls.get_type().is_subclass(refs(py)?.abcmeta.bind(py))? {
        for cache in ["_abc_cache", "_abc_negative_cache", "_abc_negative_cache_version", "_abc_impl"] {
            discard(&clsdict, string(py, cache)?)?;
        }
        let dump = refs(py)?.abc_get_dump.bind(py).call1((cls,))?;
        let registry = crate::pyalloc::list(py, [])?;
        for weak in dump.get_item(0)?.try_iter()? {
            registry.append(weak?.call0()?)?;
        }
        clsdict.set_item(string(py, "_abc_impl")?, registry)?;
    }
    if clsdict.contains(name!(py, "__slots__")?)? {
        let slots = class_attr(cls, name!(cls.py(), "__slots__")?)?;
        if slots.is_instance_of::<PyString>() {
            discard(&clsdict, &slots)?;
        } else {
            for slot in slots.try_iter()? {
                discard(&clsdict, slot?)?;
            }
        }
    }
    discard(&clsdict, name!(py, "__dict__")?)?;
    super::annotations::drop_derived_class_annotations(&clsdict)?;
    fresh_names(&clsdict)?;
    Ok(clsdict)
}

/// Tuples of names made from the identifiers in the class's code (by the
/// compiler, 3.13+; by dataclasses and NamedTuple), with fresh copies of
/// the names: in the defining process they are the interned strings the
/// code objects hold too, which the memo shares; in a process that loaded
/// the class they are not, and its pickle, and so its tracker id, would
/// differ from the sender's.
fn fresh_names(clsdict: &Bound<'_, PyDict>) -> PyResult<()> {
    let py = clsdict.py();
    for key in [name!(py, "__static_attributes__")?, name!(py, "__match_args__")?] {
        let Some(names) = clsdict.get_item(key)? else { continue };
        let Ok(names) = names.cast_exact::<PyTuple>() else { continue };
        if !names.iter().all(|name| name.is_exact_instance_of::<PyString>()) {
            continue;
        }
        let copies = names.iter().map(|name| fresh_str(&name)).collect::<PyResult<Vec<_>>>()?;
        clsdict.set_item(key, crate::pyalloc::tuple(py, copies)?)?;
    }
    Ok(())
}
