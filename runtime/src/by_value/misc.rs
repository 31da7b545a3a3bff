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
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyModule, PyTuple};

/// `(callable, args)` as a reduce tuple.
fn reduce<'py>(callable: Bound<'py, PyAny>, args: Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyTuple::new(callable.py(), [callable, args.into_any()])?.into_any())
}

/// Runs a pyo3 reducer on a borrowed object and saves its result.
unsafe fn save_with<F>(p: &mut Core, obj: *mut PyObject, reducer: F) -> Res
where
    F: for<'py> FnOnce(&Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>>,
{
    let py = Python::assume_attached();
    let object = Bound::from_borrowed_ptr(py, obj);
    let reduced = reducer(&object);
    save_reduced(p, obj, reduced)
}

/// `make_cell(contents)`, or `make_empty_cell()` for an empty cell.
pub unsafe fn save_cell(p: &mut Core, obj: *mut PyObject) -> Res {
    let py = Python::assume_attached();
    let r = raised(py, refs(py))?;
    let contents = crate::owned::Owned::from_nullable(pyo3::ffi::PyCell_Get(obj));
    // Written directly, no argument tuple; the cell is memoized as usual.
    match &contents {
        Some(value) => write_call(p, obj, r.make_cell.as_ptr(), &[value.as_ptr()]),
        None => write_call(p, obj, r.make_empty_cell.as_ptr(), &[]),
    }
    .map(|_| ())
}

/// Importable modules by name; dynamic or registered ones with their dict.
pub unsafe fn save_module(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |module| {
        let py = module.py();
        let r = refs(py)?;
        let name = module.getattr("__name__")?;
        let module = module.cast::<PyModule>()?;
        let in_sys_modules = sys_modules(py)?.contains(&name)?;
        if in_sys_modules && !is_registered_by_value(module)? {
            return reduce(r.subimport.bind(py).clone(), PyTuple::new(py, [name])?);
        }
        let state = module.dict().copy()?;
        if state.contains("__builtins__")? {
            state.del_item("__builtins__")?;
        }
        reduce(r.dynamic_subimport.bind(py).clone(), PyTuple::new(py, [name, state.into_any()])?)
    })
}

/// classmethod, staticmethod and their abc variants: `type(obj)(obj.__func__)`.
pub unsafe fn save_classmethod(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |method| {
        reduce(method.get_type().into_any(), PyTuple::new(method.py(), [method.getattr("__func__")?])?)
    })
}

pub unsafe fn save_property(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |prop| {
        let args = [prop.getattr("fget")?, prop.getattr("fset")?, prop.getattr("fdel")?, prop.getattr("__doc__")?];
        reduce(prop.get_type().into_any(), PyTuple::new(prop.py(), args)?)
    })
}

pub unsafe fn save_mappingproxy(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |proxy| {
        let py = proxy.py();
        let copy = PyDict::new(py);
        copy.update(proxy.cast::<pyo3::types::PyMapping>()?)?;
        reduce(refs(py)?.mappingproxy_type.bind(py).clone(), PyTuple::new(py, [copy])?)
    })
}

pub unsafe fn save_memoryview(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |view| {
        let py = view.py();
        reduce(py.get_type::<pyo3::types::PyBytes>().into_any(), PyTuple::new(py, [view.call_method0("tobytes")?])?)
    })
}

/// Dict views carry only what they show, never the rest of the dict.
unsafe fn save_dict_view(p: &mut Core, obj: *mut PyObject, kind: ViewKind) -> Res {
    save_with(p, obj, |view| {
        let py = view.py();
        let r = refs(py)?;
        let ordered = view.get_type().name()?.to_str()?.starts_with("odict");
        let (maker, content) = match kind {
            ViewKind::Keys => (&r.make_dict_keys, PyList::new(py, view.try_iter()?.collect::<PyResult<Vec<_>>>()?)?.into_any()),
            ViewKind::Values => (&r.make_dict_values, PyList::new(py, view.try_iter()?.collect::<PyResult<Vec<_>>>()?)?.into_any()),
            ViewKind::Items => {
                let dict = PyDict::new(py);
                for item in view.try_iter()? {
                    let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
                    dict.set_item(key, value)?;
                }
                (&r.make_dict_items, dict.into_any())
            }
        };
        let args = if ordered {
            PyTuple::new(py, [content, pyo3::types::PyBool::new(py, true).to_owned().into_any()])?
        } else {
            PyTuple::new(py, [content])?
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
        let name = var.getattr("__name__")?;
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
        if is_paramspec {
            let args = [var.getattr("__name__")?, var.getattr("__bound__")?, var.getattr("__covariant__")?, var.getattr("__contravariant__")?, tracker_id];
            return reduce(r.make_paramspec.bind(py).clone(), PyTuple::new(py, args)?);
        }
        let args = [
            var.getattr("__name__")?,
            var.getattr("__bound__")?,
            var.getattr("__constraints__")?,
            var.getattr("__covariant__")?,
            var.getattr("__contravariant__")?,
            tracker_id,
        ];
        reduce(r.make_typevar.bind(py).clone(), PyTuple::new(py, args)?)
    }
}

/// A readable text file: its whole content in an `io.StringIO` at the same
/// position (what cloudpickle does); sys.stdout/stderr by reference.
pub unsafe fn save_file(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |file| {
        let py = file.py();
        let pickling_error = |message: String| PyErr::from_value(py.import("pickle").and_then(|m| m.getattr("PicklingError")?.call1((message,))).unwrap_or_else(|e| e.into_value(py).into_bound(py).into_any()));
        if !file.hasattr("name")? || !file.hasattr("mode")? {
            return Err(pickling_error("Cannot pickle files that do not map to an actual file".into()));
        }
        let sys = py.import("sys")?;
        for stream in ["stdout", "stderr"] {
            if file.is(&sys.getattr(stream)?) {
                let getattr = py.import("builtins")?.getattr("getattr")?;
                return reduce(getattr, PyTuple::new(py, [sys.into_any(), pyo3::types::PyString::new(py, stream).into_any()])?);
            }
        }
        if file.is(&sys.getattr("stdin")?) {
            return Err(pickling_error("Cannot pickle standard input".into()));
        }
        if file.getattr("closed")?.is_truthy()? {
            return Err(pickling_error("Cannot pickle closed files".into()));
        }
        if file.hasattr("isatty")? && file.call_method0("isatty")?.is_truthy()? {
            return Err(pickling_error("Cannot pickle files that map to tty objects".into()));
        }
        let mode: String = file.getattr("mode")?.extract()?;
        if !mode.contains('r') && !mode.contains('+') {
            return Err(pickling_error(format!("Cannot pickle files that are not opened for reading: {mode}")));
        }
        let name = file.getattr("name")?;
        let position = file.call_method0("tell")?;
        file.call_method1("seek", (0,))?;
        let contents = file.call_method0("read")?;
        file.call_method1("seek", (&position,))?;
        let copy = py.import("io")?.getattr("StringIO")?.call0()?;
        copy.call_method1("write", (contents,))?;
        copy.call_method1("seek", (position,))?;
        copy.setattr("name", name)?;
        reduce(refs(py)?.file_reconstructor.bind(py).clone(), PyTuple::new(py, [copy])?)
    })
}

/// `WeakSet(list(obj))`: the live members, strongly held while pickling.
pub unsafe fn save_weakset(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |set| {
        let py = set.py();
        let members = PyList::new(py, set.try_iter()?.collect::<PyResult<Vec<_>>>()?)?;
        reduce(set.get_type().into_any(), PyTuple::new(py, [members])?)
    })
}

/// `getattr(owner, name)` for a getset descriptor such as `float.real`.
pub unsafe fn save_getset_descriptor(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |descriptor| {
        let py = descriptor.py();
        let getattr = py.import("builtins")?.getattr("getattr")?;
        reduce(getattr, PyTuple::new(py, [descriptor.getattr("__objclass__")?, descriptor.getattr("__name__")?])?)
    })
}

/// Rule predicate: a bound method that `pickle`'s `getattr(self, name)`
/// would not give back (a function attached under another name, say).
pub unsafe fn method_needs_by_value(_p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    let py = Python::assume_attached();
    let method = Bound::from_borrowed_ptr(py, obj);
    let found_again = (|| -> PyResult<bool> {
        let func = method.getattr("__func__")?;
        let owner = method.getattr("__self__")?;
        let Some(name) = func.getattr_opt("__name__")? else { return Ok(false) };
        let Ok(name) = name.cast_into::<pyo3::types::PyString>() else { return Ok(false) };
        match owner.getattr_opt(name)? {
            Some(again) => Ok(again.getattr_opt("__func__")?.is_some_and(|f| f.is(&func))
                && again.getattr_opt("__self__")?.is_some_and(|s| s.is(&owner))),
            None => Ok(false),
        }
    })();
    raised(py, found_again.map(|again| !again))
}

/// `types.MethodType(func, self)`, the function going by value if need be.
pub unsafe fn save_method_by_value(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |method| {
        let py = method.py();
        let method_type = py.import("types")?.getattr("MethodType")?;
        reduce(method_type, PyTuple::new(py, [method.getattr("__func__")?, method.getattr("__self__")?])?)
    })
}

/// dataclasses' `_FIELD`, `_FIELD_CLASSVAR`, `_FIELD_INITVAR` keep their identity.
pub unsafe fn save_dataclass_field_sentinel(p: &mut Core, obj: *mut PyObject) -> Res {
    save_with(p, obj, |sentinel| {
        let py = sentinel.py();
        reduce(refs(py)?.dataclass_field_sentinel.bind(py).clone(), PyTuple::new(py, [sentinel.getattr("name")?])?)
    })
}
