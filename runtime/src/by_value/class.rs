//! Classes by value: a skeleton class (or enum) made at load time, then
//! `class_setstate` fills its dict. A tracker id makes the same class load
//! as the same object, however many times it arrives.

use super::class_attr::{class_attr, class_attr_opt};
use super::function::fresh_str;
use super::reference::forced_by_value;
use super::refs::refs;
use super::transient::{save_at, save_dict_of, write_call, write_setstate};
use super::{raised, save_reduced};
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::opcodes::TUPLE2;
use crate::path::Step;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};

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
    let mut decisions = TYPES_MODULE_DECISIONS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&decision) = decisions.get(&(cls as usize)) {
        return Ok(decision);
    }
    let class = Bound::from_borrowed_ptr(py, cls);
    let qualname = class.getattr(pyo3::intern!(py, "__qualname__"))?;
    let decision = super::reference::importable_module(&class, &qualname)?.is_none();
    decisions.insert(cls as usize, decision);
    Ok(decision)
}

static TYPES_MODULE_DECISIONS: std::sync::Mutex<std::collections::BTreeMap<usize, bool>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

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
    let reduce = raised(py, class_reduce(&cls))?;
    if p.proto < 2 {
        return save_reduced(p, obj, Ok(reduce));
    }
    // Written directly: the argument tuple and the state are not memoized.
    let parts = raised(py, ClassReduce::unpack(&reduce))?;
    let args: Vec<*mut PyObject> = parts.args.iter().map(|arg| arg.as_ptr()).collect();
    if !write_call(p, obj, parts.constructor.as_ptr(), &args)? {
        return Ok(());
    }
    let Some((setter, clsdict, slots)) = parts.state else { return Ok(()) };
    write_setstate(p, obj, setter.as_ptr(), |p| {
        let items: Vec<_> = clsdict.iter().collect();
        save_dict_of(p, items.iter().map(|(k, v)| (k.as_ptr(), v.as_ptr())))
            .map_err(|_| p.error_path.record(Step::Index(0)))?;
        save_at(p, slots.as_ptr(), || Step::Index(1))?;
        p.out.write_byte(TUPLE2)
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

unsafe fn has_table_reducer(p: &Core, metaclass: *mut pyo3::ffi::PyTypeObject) -> Res<bool> {
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

fn class_reduce<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = cls.py();
    let r = refs(py)?;
    // Classes of the `types` module that have no importable name.
    if let Some(name) = r.builtin_type_names.bind(py).get_item(cls.as_ptr() as usize)? {
        return Ok(PyTuple::new(py, [r.builtin_type.bind(py).clone(), PyTuple::new(py, [name])?.into_any()])?.into_any());
    }
    let cls_type = cls.cast::<PyType>()?;
    let tracker_id = tracker_id(cls)?;
    let none = py.None().into_bound(py);
    let (constructor, newargs, state) = if cls_type.is_subclass(r.enum_type.bind(py))? {
        let members = enum_members(cls)?;
        let newargs = PyTuple::new(
            py,
            [
                class_attr(cls, pyo3::intern!(cls.py(), "__bases__"))?,
                class_attr(cls, pyo3::intern!(cls.py(), "__name__"))?,
                class_attr(cls, pyo3::intern!(cls.py(), "__qualname__"))?,
                members.clone().into_any(),
                class_attr(cls, pyo3::intern!(cls.py(), "__module__"))?,
                tracker_id,
                none.clone(),
            ],
        )?;
        let clsdict = class_dict(cls)?;
        for internal in [
            pyo3::intern!(py, "_generate_next_value_"),
            pyo3::intern!(py, "_member_names_"),
            pyo3::intern!(py, "_member_map_"),
            pyo3::intern!(py, "_member_type_"),
            pyo3::intern!(py, "_value2member_map_"),
        ] {
            discard(&clsdict, internal)?;
        }
        for name in members.keys() {
            discard(&clsdict, name)?;
        }
        (r.make_skeleton_enum.bind(py).clone(), newargs, clsdict)
    } else {
        let newargs = PyTuple::new(
            py,
            [
                cls.get_type().into_any(),
                class_attr(cls, pyo3::intern!(cls.py(), "__name__"))?,
                bases(cls)?,
                type_kwargs(cls)?.into_any(),
                tracker_id,
                none.clone(),
            ],
        )?;
        (r.make_skeleton_class.bind(py).clone(), newargs, class_dict(cls)?)
    };
    let state = PyTuple::new(py, [state.into_any(), PyDict::new(py).into_any()])?;
    Ok(PyTuple::new(
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

/// `anethum.loaders.get_or_create_tracker_id(cls)`, remembered here too so
/// a class pickled again costs no Python call. A weak reference guards
/// against a recycled address.
pub fn tracker_id<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if let Some(id) = TRACKER_IDS.get(cls) {
        return Ok(id);
    }
    let py = cls.py();
    let id = refs(py)?.get_or_create_tracker_id.bind(py).call1((cls,))?;
    TRACKER_IDS.insert(cls, &id);
    Ok(id)
}

static TRACKER_IDS: super::weak_cache::WeakCache = super::weak_cache::WeakCache::new();

/// `{name: member's value}` for every member name in definition order,
/// aliases included (`b = 1` after `a = 1`, a Flag's named `RW = 6`): the
/// skeleton enum recreates them as aliases, so they keep their identity.
/// Read from `_member_map_` without running `EnumType.__iter__` (which
/// would also skip the aliases); by iterating if it isn't there.
fn enum_members<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = cls.py();
    let members = PyDict::new(py);
    if let Some(map) = class_attr_opt(cls, pyo3::intern!(py, "_member_map_"))? {
        if let Ok(map) = map.cast_into::<PyDict>() {
            for (name, member) in map.iter() {
                members.set_item(name, member.getattr(pyo3::intern!(py, "_value_"))?)?;
            }
            return Ok(members);
        }
    }
    for member in cls.try_iter()? {
        let member = member?;
        members.set_item(member.getattr("name")?, member.getattr("value")?)?;
    }
    Ok(members)
}

/// `__orig_bases__` for generic classes (PEP 560), else `__bases__`.
fn bases<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let own = own_dict(cls)?;
    if own.contains("__orig_bases__")? {
        class_attr(cls, pyo3::intern!(cls.py(), "__orig_bases__"))
    } else {
        class_attr(cls, pyo3::intern!(cls.py(), "__bases__"))
    }
}

fn type_kwargs<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = cls.py();
    let own = own_dict(cls)?;
    let kwargs = PyDict::new(py);
    if own.contains("__module__")? {
        kwargs.set_item("__module__", class_attr(cls, pyo3::intern!(cls.py(), "__module__"))?)?;
    }
    if let Some(dict_attr) = own.get_item("__dict__")? {
        if dict_attr.is_instance(refs(py)?.property_type.bind(py))? {
            kwargs.set_item("__dict__", dict_attr)?;
        }
    }
    // Slots are made when the class is: `__slots__` set afterwards (by
    // class_setstate) makes no member descriptors, and instances loaded in
    // another process would get a `__dict__` instead. Not for a
    // typing.NamedTuple class (`_fields` and `__orig_bases__`): its
    // metaclass refuses `__slots__` in the namespace and sets it itself.
    let named_tuple = own.contains("_fields")? && own.contains("__orig_bases__")?;
    if let Some(slots) = own.get_item("__slots__")?.filter(|_| !named_tuple) {
        kwargs.set_item("__slots__", slots)?;
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
    if is_static {
        if let Some(copy) = STATIC_TYPE_DICTS.lock().unwrap_or_else(|e| e.into_inner()).get(&(tp as usize)) {
            return Ok(copy.bind(py).clone());
        }
    }
    let copy = PyDict::new(py);
    copy.update(&class_attr(cls, pyo3::intern!(cls.py(), "__dict__"))?.cast_into::<pyo3::types::PyMapping>()?)?;
    if is_static {
        STATIC_TYPE_DICTS.lock().unwrap_or_else(|e| e.into_inner()).insert(tp as usize, copy.clone().unbind());
    }
    Ok(copy)
}

static STATIC_TYPE_DICTS: std::sync::Mutex<std::collections::BTreeMap<usize, Py<PyDict>>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn class_dict<'py>(cls: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = cls.py();
    let own = own_dict(cls)?;
    let keys: Vec<Bound<'py, PyAny>> = own.keys().iter().collect();
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
    let base_list = class_attr(cls, pyo3::intern!(cls.py(), "__bases__"))?.cast_into::<PyTuple>()?;
    // One base: look keys up in its own dict. Several: merge them, the
    // first base winning, as cloudpickle does.
    let inherited = if base_list.len() == 1 {
        own_dict(&base_list.get_item(0)?)?
    } else {
        let merged = PyDict::new(py);
        for base in base_list.iter().rev() {
            merged.update(own_dict(&base)?.as_mapping())?;
        }
        merged
    };
    let clsdict = PyDict::new(py);
    for (_, _, key) in keys {
        let Some(value) = own.get_item(key)? else { continue };
        if inherited.get_item(key)?.is_some_and(|base_value| base_value.is(&value)) {
            continue;
        }
        clsdict.set_item(fresh_str(key)?, value)?;
    }
    discard(&clsdict, pyo3::intern!(py, "__weakref__"))?;
    if cls.get_type().is_subclass(refs(py)?.abcmeta.bind(py))? {
        for cache in ["_abc_cache", "_abc_negative_cache", "_abc_negative_cache_version", "_abc_impl"] {
            discard(&clsdict, cache)?;
        }
        let dump = refs(py)?.abc_get_dump.bind(py).call1((cls,))?;
        let registry = PyList::empty(py);
        for weak in dump.get_item(0)?.try_iter()? {
            registry.append(weak?.call0()?)?;
        }
        clsdict.set_item("_abc_impl", registry)?;
    }
    if clsdict.contains(pyo3::intern!(py, "__slots__"))? {
        let slots = class_attr(cls, pyo3::intern!(cls.py(), "__slots__"))?;
        if slots.is_instance_of::<PyString>() {
            discard(&clsdict, &slots)?;
        } else {
            for slot in slots.try_iter()? {
                discard(&clsdict, slot?)?;
            }
        }
    }
    discard(&clsdict, pyo3::intern!(py, "__dict__"))?;
    Ok(clsdict)
}
