//! `save_global`'s lookups as `_pickle.c` does them from 3.14 (gh-122311):
//! `whichmodule` checks the name, imports the module and walks to the
//! object itself, and every failure is a PicklingError with the lookup
//! error as its `__context__`.

use super::global::{Located, lookup_attr};
use crate::error::{Failed, Res, check, exception_matches, pickling_error, raise_from_current, repr, str_of};
use crate::ffi::{self, PyObject};
use crate::generated::facts::behaviour;
use crate::owned::Owned;
use crate::state::state;

pub(super) unsafe fn locate(obj: *mut PyObject, name: Option<*mut PyObject>) -> Res<Located> {
    let st = state();
    let global_name = super::global::global_name(obj, name)?;
    let global_name = if behaviour::MANGLE_PRIVATE_NAMES { mangle_private_names(global_name)? } else { global_name };
    let dotted = Owned::new(check(ffi::PyUnicode_Split(global_name.as_ptr(), st.str_dot.as_ptr(), -1))?);
    let module_name = whichmodule(obj, global_name.as_ptr(), dotted.as_ptr())?;
    let n = ffi::PyList_GET_SIZE(dotted.as_ptr());
    let lastname = Owned::borrowed(ffi::PyList_GET_ITEM(dotted.as_ptr(), n - 1));
    // Only whether the object sits right in its module matters from here.
    let module = Owned::borrowed(ffi::Py_None());
    let parent = if n == 1 { module.clone() } else { Owned::borrowed(ffi::Py_Ellipsis()) };
    Ok(Located { global_name, module_name, module, parent, lastname, dotted })
}

unsafe fn check_dotted_path(obj: *mut PyObject, dotted: *mut PyObject) -> Res {
    for i in 0..ffi::PyList_GET_SIZE(dotted) {
        let part = ffi::PyList_GET_ITEM(dotted, i);
        if ffi::PyUnicode_CompareWithASCIIString(part, c"<locals>".as_ptr()) == 0 {
            return Err(pickling_error(&format!("Can't pickle local object {}", repr(obj))));
        }
    }
    Ok(())
}

/// `getattribute`: follows `names` from `obj`. With `raises` false a
/// missing attribute is `None`; any other error is an error either way.
unsafe fn getattribute(obj: *mut PyObject, names: *mut PyObject, raises: bool) -> Res<Option<Owned>> {
    let mut current = Owned::borrowed(obj);
    for i in 0..ffi::PyList_GET_SIZE(names) {
        let name = ffi::PyList_GET_ITEM(names, i);
        current = if raises {
            Owned::new(check(ffi::PyObject_GetAttr(current.as_ptr(), name))?)
        } else {
            match lookup_attr(current.as_ptr(), name)? {
                Some(next) => next,
                None => return Ok(None),
            }
        };
    }
    Ok(Some(current))
}

/// `_checkmodule`: does `module` hold `global` under `dotted`?
unsafe fn holds(module_name: *mut PyObject, module: *mut PyObject, global: *mut PyObject, dotted: *mut PyObject) -> Res<bool> {
    if module == ffi::Py_None() {
        return Ok(false);
    }
    if ffi::PyUnicode_Check(module_name) != 0 && ffi::PyUnicode_CompareWithASCIIString(module_name, c"__main__".as_ptr()) == 0 {
        return Ok(false);
    }
    Ok(getattribute(module, dotted, false)?.is_some_and(|found| found.as_ptr() == global))
}

unsafe fn whichmodule(global: *mut PyObject, global_name: *mut PyObject, dotted: *mut PyObject) -> Res<Owned> {
    let st = state();
    check_dotted_path(global, dotted)?;
    let module_name = match lookup_attr(global, st.str_module.as_ptr())? {
        Some(name) if name.as_ptr() != ffi::Py_None() => name,
        _ => search_sys_modules(global, dotted)?,
    };
    let Some(module) = super::global::import_module(module_name.as_ptr())? else {
        if exception_matches(ffi::PyExc_ImportError) || exception_matches(ffi::PyExc_ValueError) {
            let exc = crate::error::take_raised();
            let message = format!("Can't pickle {}: {}", repr(global), str_of(exc));
            crate::error::restore_raised(exc);
            return Err(raise_from_current(state().pickling_error.as_ptr(), &message));
        }
        return Err(Failed);
    };
    let actual = match getattribute(module.as_ptr(), dotted, true) {
        Ok(Some(actual)) => actual,
        Ok(None) => return Err(pickling_error(&format!("Can't pickle {}: lookup failed", repr(global)))),
        Err(Failed) if exception_matches(ffi::PyExc_AttributeError) => {
            let message = format!(
                "Can't pickle {}: it's not found as {}.{}",
                repr(global),
                str_of(module_name.as_ptr()),
                str_of(global_name)
            );
            return Err(raise_from_current(state().pickling_error.as_ptr(), &message));
        }
        Err(Failed) => return Err(Failed),
    };
    if actual.as_ptr() != global {
        let message = format!(
            "Can't pickle {}: it's not the same object as {}.{}",
            repr(global),
            str_of(module_name.as_ptr()),
            str_of(global_name)
        );
        return Err(pickling_error(&message));
    }
    Ok(module_name)
}

/// No `__module__`: the first module in `sys.modules` that holds the
/// global, else `__main__`.
unsafe fn search_sys_modules(global: *mut PyObject, dotted: *mut PyObject) -> Res<Owned> {
    let modules = ffi::PySys_GetObject(c"modules".as_ptr());
    if modules.is_null() {
        return Err(crate::error::raise(ffi::PyExc_RuntimeError, "lost sys.modules"));
    }
    let modules = Owned::borrowed(modules);
    // A snapshot: a lookup may import, and so change sys.modules.
    let items = Owned::new(check(ffi::PyMapping_Items(modules.as_ptr()))?);
    for i in 0..ffi::PyList_GET_SIZE(items.as_ptr()) {
        let pair = ffi::PyList_GET_ITEM(items.as_ptr(), i);
        let (name, module) = (ffi::PyTuple_GET_ITEM(pair, 0), ffi::PyTuple_GET_ITEM(pair, 1));
        if holds(name, module, global, dotted)? {
            return Ok(Owned::borrowed(name));
        }
    }
    Ok(state().str_main.clone())
}

/// 3.15: `A.__b` names the attribute `_A__b`, as the compiler stored it
/// (pickle.py's `save_global`): each `__private` part after the first takes
/// the part before it, stripped of underscores, as its prefix.
unsafe fn mangle_private_names(name: Owned) -> Res<Owned> {
    let mut size = 0;
    let data = ffi::PyUnicode_AsUTF8AndSize(name.as_ptr(), &mut size);
    if data.is_null() {
        // Not UTF-8 (lone surrogates): no source code could have made it.
        ffi::PyErr_Clear();
        return Ok(name);
    }
    let text = String::from_utf8_lossy(std::slice::from_raw_parts(data as *const u8, size as usize)).into_owned();
    if !text.contains(".__") {
        return Ok(name);
    }
    let parts: Vec<&str> = text.split('.').collect();
    let mut mangled: Vec<String> = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let prefix = if i > 0 { parts[i - 1].trim_start_matches('_') } else { "" };
        if i > 0 && part.starts_with("__") && !part.ends_with("__") && !prefix.is_empty() {
            mangled.push(format!("_{prefix}{part}"));
        } else {
            mangled.push((*part).to_string());
        }
    }
    let joined = mangled.join(".");
    Ok(Owned::new(check(ffi::PyUnicode_FromStringAndSize(joined.as_ptr().cast(), joined.len() as isize))?))
}
