//! The smaller reducers for types `pickle` refuses: cells, modules,
//! class/static methods, properties, mappingproxy, memoryview, dict views,
//! TypeVar/ParamSpec, file handles and dataclass field sentinels.

use super::reference::{importable_module, is_registered_by_value, sys_modules};
use super::refs::refs;
use super::transient::write_call;
use super::{raised, save_reduced};
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::pyalloc::{getattr, import, name, string, tuple};
use pyo3::prelude::*;
use pyo3::types::{PyModule, PyTuple};

/// `(callable, args)` as a reduce tuple.
pub(crate) fn reduce<'py>(callable: Bound<'py, PyAny>, args: Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
    Ok(tuple(callable.py(), [callable, args.into_any()])?.into_any())
}

/// Runs a pyo3 reducer on a borrowed object and saves its result.
pub(crate) unsafe fn save_with<F>(p: &mut Core, obj: *mut PyObject, reducer: F) -> Res
where
    F: for<'py> FnOnce(&Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>>,
{
    let py = Python::assume_attached();
    let object = Bound::from_borrowed_ptr(py, obj);
    let reduced = reducer(&object);
    save_reduced(p, obj, reduced)
}

/// `make_cell(contents)`, or `make_empty_cell()` for an empty cell, or
/// `make_class_dict_cell(cls)` for a cell holding the dict of a class this
/// dump pickles by value.
pub unsafe fn save_cell(p: &mut Core, obj: *mut PyObject) -> Res {
    let py = Python::assume_attached();
    let r = raised(py, refs(py))?;
    let contents = crate::owned::Owned::from_nullable(pyo3::ffi::PyCell_Get(obj));
    // Written directly, no argument tuple; the cell is memoized as usual.
    match &contents {
        Some(value) => match class_of_namespace(p, value.as_ptr())? {
            Some(cls) => write_call(p, obj, r.make_class_dict_cell.as_ptr(), &[cls]),
            None => write_call(p, obj, r.make_cell.as_ptr(), &[value.as_ptr()]),
        },
        None => write_call(p, obj, r.make_empty_cell.as_ptr(), &[]),
    }
    .map(|_| ())
}

/// The class whose own dict `value` is, among the classes this dump
/// pickles by value (those with a tracker id, or one under way). Such a
/// dict is what the `__classdict__` cell of an annotation scope in a class
/// body holds (PEP 649, 695): pickled as a plain dict, it would load as a
/// copy that the class never sees again, with the class's `__dict__` and
/// `__weakref__` getsets in it.
unsafe fn class_of_namespace(p: &Core, value: *mut PyObject) -> Res<Option<*mut PyObject>> {
    // Every class's dict has `__module__` (type.__new__ sees to it); few
    // other dicts do, and those skip the search.
    if pyo3::ffi::PyDict_CheckExact(value) == 0 || p.tracker_ids.is_empty() && p.digest_stack.is_empty() {
        return Ok(None);
    }
    match pyo3::ffi::PyDict_Contains(value, crate::state::state().str_module.as_ptr()) {
        0 => return Ok(None),
        1 => {}
        _ => return Err(crate::error::Failed),
    }
    let owns = |key: usize| {
        let candidate = key as *mut PyObject;
        pyo3::ffi::PyType_Check(candidate) != 0 && (*candidate.cast::<pyo3::ffi::PyTypeObject>()).tp_dict == value
    };
    Ok(p.digest_stack.iter().copied().chain(p.tracker_ids.keys().copied()).find(|&key| owns(key)).map(|key| key as *mut PyObject))
}

/// Importable modules by name; dynamic or registered ones with their dict.
pub unsafe fn save_module(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |module| {
        let py = module.py();
        let r = refs(py)?;
        let name = module.getattr(name!(py, "__name__")?)?;
        let module = module.cast::<PyModule>()?;
        let in_sys_modules = sys_modules(py)?.contains(&name)?;
        if in_sys_modules && !is_registered_by_value(module)? {
            return reduce(r.subimport.bind(py).clone(), tuple(py, [name])?);
        }
        let state = module.dict().copy()?;
        let mut imports = Vec::new();
        for (key, value) in state.iter() {
            let resolved = super::lazy_import::resolved(value.clone())?;
            if !resolved.is(&value) {
                imports.push((key, resolved));
            }
        }
        for (key, resolved) in imports {
            state.set_item(key, resolved)?;
        }
        let builtins = name!(py, "__builtins__")?;
        if state.contains(builtins)? {
            state.del_item(builtins)?;
        }
        reduce(r.dynamic_subimport.bind(py).clone(), tuple(py, [name, state.into_any()])?)
    })
}

/// classmethod, staticmethod and their abc variants: `type(obj)(obj.__func__)`.
pub unsafe fn save_classmethod(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |method| {
        let func = method.getattr(name!(method.py(), "__func__")?)?;
        reduce(method.get_type().into_any(), tuple(method.py(), [func])?)
    })
}

pub unsafe fn save_property(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |prop| {
        let py = prop.py();
        let args = [
            prop.getattr(name!(py, "fget")?)?,
            prop.getattr(name!(py, "fset")?)?,
            prop.getattr(name!(py, "fdel")?)?,
            prop.getattr(name!(py, "__doc__")?)?,
        ];
        reduce(prop.get_type().into_any(), tuple(prop.py(), args)?)
    })
}

pub unsafe fn save_mappingproxy(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |proxy| {
        let py = proxy.py();
        let copy = crate::pyalloc::dict(py)?;
        // Any mapping does for `PyDict_Update`: no `PyMapping` cast (an
        // isinstance check that can fail for want of memory).
        copy.update(unsafe { proxy.cast_unchecked::<pyo3::types::PyMapping>() })?;
        reduce(refs(py)?.mappingproxy_type.bind(py).clone(), tuple(py, [copy.into_any()])?)
    })
}

/// Dict views carry only what they show, never the rest of the dict.
unsafe fn save_dict_view(p: &mut Core, obj: *mut PyObject, kind: ViewKind) -> Res {
    save_with(p, obj, |view| {
        let py = view.py();
        let r = refs(py)?;
        let ordered = view.get_type().name()?.to_str()?.starts_with("odict");
        let items = || -> PyResult<Bound<'_, PyAny>> {
            Ok(crate::pyalloc::list(py, view.try_iter()?.collect::<PyResult<Vec<_>>>()?)?.into_any())
        };
        let (maker, content) = match kind {
            ViewKind::Keys => (&r.make_dict_keys, items()?),
            ViewKind::Values => (&r.make_dict_values, items()?),
            ViewKind::Items => {
                let dict = crate::pyalloc::dict(py)?;
                for item in view.try_iter()? {
                    let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
                    dict.set_item(key, value)?;
                }
                (&r.make_dict_items, dict.into_any())
            }
        };
        let args = if ordered {
            tuple(py, [content, pyo3::types::PyBool::new(py, true).to_owned().into_any()])?
        } else {
            tuple(py, [content])?
        };
        reduce(maker.bind(py).clone(), args)
    })
}

enum ViewKind {
    Keys,
    Values,
    Items,
}

pub unsafe fn save_dict_keys(p: &mut Core, obj: *mut PyObject) -> Res {
    save_dict_view(p, obj, ViewKind::Keys)
}
pub unsafe fn save_dict_values(p: &mut Core, obj: *mut PyObject) -> Res {
    save_dict_view(p, obj, ViewKind::Values)
}
pub unsafe fn save_dict_items(p: &mut Core, obj: *mut PyObject) -> Res {
    save_dict_view(p, obj, ViewKind::Items)
}

/// Rule predicate: a TypeVar or ParamSpec not importable by its name.
pub unsafe fn typevar_needs_by_value(_p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    let py = Python::assume_attached();
    let var = Bound::from_borrowed_ptr(py, obj);
    let importable = (|| -> PyResult<bool> {
        let name = var.getattr(name!(py, "__name__")?)?;
        Ok(importable_module(&var, &name)?.is_some())
    })();
    raised(py, importable.map(|i| !i))
}

pub unsafe fn save_typevar(p: &mut Core, obj: *mut PyObject) -> Res {
    let py = Python::assume_attached();
    let var = Bound::from_borrowed_ptr(py, obj);
    let none = py.None().into_bound(py);
    let anonymous = raised(py, typevar_reduce(&var, &none))?;
    let write = |side: &mut Core| crate::generated::dispatch::save(side, anonymous.as_ptr(), false);
    let id = match super::tracker_id::tracker_id(p, &var, write, None)? {
        super::tracker_id::Tracked::Whole(id, _) => id,
        super::tracker_id::Tracked::Written => return Ok(()),
    };
    save_reduced(p, obj, typevar_reduce(&var, &id))
}

/// `make_typevar(...)` or `make_paramspec(...)` with `tracker_id` last.
fn typevar_reduce<'py>(var: &Bound<'py, PyAny>, tracker_id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    {
        let py = var.py();
        let r = refs(py)?;
        let tracker_id = tracker_id.clone();
        let is_paramspec = match &r.paramspec_type {
            Some(paramspec) => var.is_instance(paramspec.bind(py))?,
            None => false,
        };
        let attr = |text: &str| getattr(var, text);
        if is_paramspec {
            let args = [attr("__name__")?, attr("__bound__")?, attr("__covariant__")?, attr("__contravariant__")?, tracker_id];
            return reduce(r.make_paramspec.bind(py).clone(), tuple(py, args)?);
        }
        let args = [
            attr("__name__")?,
            attr("__bound__")?,
            attr("__constraints__")?,
            attr("__covariant__")?,
            attr("__contravariant__")?,
            tracker_id,
        ];
        reduce(r.make_typevar.bind(py).clone(), tuple(py, args)?)
    }
}

/// A readable text file: its whole content in an `io.StringIO` at the same
/// position (what cloudpickle does); sys.stdout/stderr by reference.
pub unsafe fn save_file(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |file| {
        let py = file.py();
        let pickling_error = |message: String| crate::reducers::pickling_error(py, message);
        let has = |name: &str| -> PyResult<bool> { file.hasattr(string(py, name)?) };
        let call = |name: &str| -> PyResult<Bound<'_, PyAny>> { file.call_method0(string(py, name)?) };
        if !has("name")? || !has("mode")? {
            return Err(pickling_error("Cannot pickle files that do not map to an actual file".into()));
        }
        let sys = import(py, "sys")?;
        for stream in ["stdout", "stderr"] {
            if file.is(&getattr(&sys, stream)?) {
                let getattr_builtin = getattr(&import(py, "builtins")?, "getattr")?;
                return reduce(getattr_builtin, tuple(py, [sys.into_any(), string(py, stream)?.into_any()])?);
            }
        }
        if file.is(&getattr(&sys, "stdin")?) {
            return Err(pickling_error("Cannot pickle standard input".into()));
        }
        if getattr(file, "closed")?.is_truthy()? {
            return Err(pickling_error("Cannot pickle closed files".into()));
        }
        if has("isatty")? && call("isatty")?.is_truthy()? {
            return Err(pickling_error("Cannot pickle files that map to tty objects".into()));
        }
        let mode: String = getattr(file, "mode")?.extract()?;
        if !mode.contains('r') && !mode.contains('+') {
            return Err(pickling_error(format!("Cannot pickle files that are not opened for reading: {mode}")));
        }
        let name = getattr(file, "name")?;
        let position = call("tell")?;
        let seek = string(py, "seek")?;
        file.call_method1(&seek, (0,))?;
        let contents = call("read")?;
        file.call_method1(&seek, (&position,))?;
        let copy = getattr(&import(py, "io")?, "StringIO")?.call0()?;
        copy.call_method1(string(py, "write")?, (contents,))?;
        copy.call_method1(&seek, (position,))?;
        copy.setattr(string(py, "name")?, name)?;
        reduce(refs(py)?.file_reconstructor.bind(py).clone(), tuple(py, [copy])?)
    })
}

/// `WeakSet(list(obj))`: the live members, strongly held while pickling.
pub unsafe fn save_weakset(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |set| {
        let py = set.py();
        let members = crate::pyalloc::list(py, set.try_iter()?.collect::<PyResult<Vec<_>>>()?)?;
        reduce(set.get_type().into_any(), tuple(py, [members.into_any()])?)
    })
}

/// `getattr(owner, name)` for a getset descriptor such as `float.real`;
/// `getset_descriptor(owner, name)` for the `__dict__` and `__weakref__`
/// of a class, which getattr doesn't give back (type's own `__dict__`
/// answers, or, from 3.15, `object` doesn't hold the getsets all classes
/// share).
pub unsafe fn save_getset_descriptor(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |descriptor| {
        let py = descriptor.py();
        let owner = descriptor.getattr(name!(py, "__objclass__")?)?;
        let name = descriptor.getattr(name!(py, "__name__")?)?.cast_into::<pyo3::types::PyString>()?;
        let gives_back = |found: PyResult<Bound<'_, PyAny>>| match found {
            Ok(found) => Ok(found.is(descriptor)),
            Err(err) if err.is_instance_of::<pyo3::exceptions::PyAttributeError>(py)
                || err.is_instance_of::<pyo3::exceptions::PyKeyError>(py) => Ok(false),
            Err(err) => Err(err),
        };
        let args = tuple(py, [owner.clone(), name.clone().into_any()])?;
        if gives_back(owner.getattr(&name))? {
            return reduce(getattr(&import(py, "builtins")?, "getattr")?, args);
        }
        let helper = refs(py)?.getset_descriptor.bind(py);
        if gives_back(helper.call1(&args))? {
            return reduce(helper.clone(), args);
        }
        let message =
            format!("can't pickle {}: it is not found again from its class", unsafe { crate::error::repr(descriptor.as_ptr()) });
        unsafe { crate::error::pickling_error(&message) };
        Err(PyErr::fetch(py))
    })
}

/// Rule predicate: a bound method that `pickle`'s `getattr(self, name)`
/// would not give back (a function attached under another name, say).
pub unsafe fn method_needs_by_value(_p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    let py = Python::assume_attached();
    let method = Bound::from_borrowed_ptr(py, obj);
    let found_again = (|| -> PyResult<bool> {
        let (func_name, self_name) = (name!(py, "__func__")?, name!(py, "__self__")?);
        let func = method.getattr(func_name)?;
        let owner = method.getattr(self_name)?;
        let Some(name) = func.getattr_opt(name!(py, "__name__")?)? else { return Ok(false) };
        let Ok(name) = name.cast_into::<pyo3::types::PyString>() else { return Ok(false) };
        match owner.getattr_opt(name)? {
            Some(again) => Ok(again.getattr_opt(func_name)?.is_some_and(|f| f.is(&func))
                && again.getattr_opt(self_name)?.is_some_and(|s| s.is(&owner))),
            None => Ok(false),
        }
    })();
    raised(py, found_again.map(|again| !again))
}

/// `types.MethodType(func, self)`, the function going by value if need be.
pub unsafe fn save_method_by_value(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |method| {
        let py = method.py();
        let method_type = getattr(&import(py, "types")?, "MethodType")?;
        let args = [method.getattr(name!(py, "__func__")?)?, method.getattr(name!(py, "__self__")?)?];
        reduce(method_type, tuple(py, args)?)
    })
}

/// dataclasses' `_FIELD`, `_FIELD_CLASSVAR`, `_FIELD_INITVAR` keep their identity.
pub unsafe fn save_dataclass_field_sentinel(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |sentinel| {
        let py = sentinel.py();
        reduce(refs(py)?.dataclass_field_sentinel.bind(py).clone(), tuple(py, [sentinel.getattr(name!(py, "name")?)?])?)
    })
}

/// Rule predicate (3.14+): a partialmethod from protocol 2, unless a
/// dispatch table has a reducer for it. There `object.__reduce_ex__`
/// reduces it to `copyreg.__newobj__(partialmethod)` and its `__dict__`,
/// which `pickle` writes but no unpickler loads: `partialmethod.__new__`
/// takes `func`.
pub unsafe fn partialmethod_needs_func(p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    Ok(p.proto >= 2 && !super::class::has_table_reducer(p, pyo3::ffi::Py_TYPE(obj))?)
}

/// The reduction `pickle` writes, `func` added to the `__newobj__`
/// arguments; any other reduction (a partialmethod that learnt to reduce
/// itself) as it is.
pub unsafe fn save_partialmethod(p: &mut Core, obj: *mut PyObject) -> Res {
    let proto = p.proto;
    save_with(p, obj, |method| {
        let py = method.py();
        let reduced = method.call_method1(name!(py, "__reduce_ex__")?, (proto,))?;
        let Ok(parts) = reduced.cast::<PyTuple>() else { return Ok(reduced) };
        let newobj = crate::state::state().copyreg_newobj.as_ptr();
        let args = parts.get_item(1).ok().and_then(|args| args.cast_into::<PyTuple>().ok());
        match args {
            Some(args) if parts.len() >= 2 && parts.get_item(0)?.as_ptr() == newobj && args.len() == 1 => {
                let args = tuple(py, [args.get_item(0)?, method.getattr(name!(py, "func")?)?])?;
                let mut items: Vec<Bound<'_, PyAny>> = parts.iter().collect();
                items[1] = args.into_any();
                Ok(tuple(py, items)?.into_any())
            }
            _ => Ok(reduced),
        }
    })
}
