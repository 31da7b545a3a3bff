//! Classes, functions and other globals saved by reference (`save_global`,
//! `save_type`, `whichmodule`, `fix_imports` of `_pickle.c`).

use super::memo_ops::memo_put;
use super::reduce::save_reduce;
use crate::core::Core;
use crate::error::{Failed, Res, check, exception_matches, pickling_error, raise, repr, str_of};
use crate::ffi::{self, PyObject};
use crate::generated::dispatch::save;
use crate::generated::facts::behaviour;
use crate::opcodes::{EXT1, EXT2, EXT4, GLOBAL, MARK, REDUCE, STACK_GLOBAL, TUPLE, TUPLE2};
use crate::owned::{Owned, tuple_of};
use crate::state::state;

/// `getattr(obj, name)`, with a missing attribute as `None` instead of an error.
pub unsafe fn lookup_attr(obj: *mut PyObject, name: *mut PyObject) -> Res<Option<Owned>> {
    let mut result = std::ptr::null_mut();
    if crate::ffi::compat::lookup_optional_attr(obj, name, &mut result) < 0 {
        return Err(Failed);
    }
    Ok(Owned::from_nullable(result))
}

/// `get_dotted_path`: split a qualified name, refusing `<locals>` parts.
unsafe fn dotted_path(obj: *mut PyObject, name: *mut PyObject) -> Res<Owned> {
    let parts = Owned::new(check(ffi::PyUnicode_Split(name, state().str_dot.as_ptr(), -1))?);
    let n = ffi::PyList_GET_SIZE(parts.as_ptr());
    for i in 0..n {
        let part = ffi::PyList_GET_ITEM(parts.as_ptr(), i);
        if ffi::PyUnicode_CompareWithASCIIString(part, c"<locals>".as_ptr()) == 0 {
            let message = if obj.is_null() {
                format!("{} {}", behaviour::LOCAL_OBJECT_ERROR, repr(name))
            } else {
                format!("{} {} on {}", behaviour::LOCAL_ATTRIBUTE_ERROR, repr(name), repr(obj))
            };
            return Err(raise(ffi::PyExc_AttributeError, &message));
        }
    }
    Ok(parts)
}

/// `get_deep_attribute`: follow `names` from `obj`; `None` when an attribute
/// is missing. Also returns the parent of the last attribute.
unsafe fn deep_attribute(obj: *mut PyObject, names: *mut PyObject) -> Res<Option<(Owned, Owned)>> {
    let mut current = Owned::borrowed(obj);
    let mut parent = Owned::borrowed(obj);
    for i in 0..ffi::PyList_GET_SIZE(names) {
        let name = ffi::PyList_GET_ITEM(names, i);
        let Some(next) = lookup_attr(current.as_ptr(), name)? else { return Ok(None) };
        parent = std::mem::replace(&mut current, next);
    }
    Ok(Some((current, parent)))
}

/// Like `get_deep_attribute` used for a yes/no check: errors count as
/// "no", but for MemoryError (a global short of memory is not in `__main__`).
unsafe fn deep_attribute_is(module: *mut PyObject, names: *mut PyObject, global: *mut PyObject) -> Res<bool> {
    match deep_attribute(module, names) {
        Ok(Some((found, _))) => Ok(found.as_ptr() == global),
        Ok(None) => Ok(false),
        Err(Failed) if exception_matches(ffi::PyExc_MemoryError) => Err(Failed),
        Err(Failed) => {
            ffi::PyErr_Clear();
            Ok(false)
        }
    }
}

/// `whichmodule`: `__module__`, or else the first module in `sys.modules`
/// that holds `global` under its qualified name, or else `__main__`.
unsafe fn whichmodule(global: *mut PyObject, dotted: *mut PyObject) -> Res<Owned> {
    let st = state();
    if let Some(name) = lookup_attr(global, st.str_module.as_ptr())? {
        if name.as_ptr() != ffi::Py_None() {
            return Ok(name);
        }
    }
    let modules = ffi::PySys_GetObject(c"modules".as_ptr());
    if modules.is_null() {
        return Err(raise(ffi::PyExc_RuntimeError, "unable to get sys.modules"));
    }
    let modules = Owned::borrowed(modules);
    // Iterate over a snapshot: importing during the walk may change sys.modules.
    let items = Owned::new(check(ffi::PyMapping_Items(modules.as_ptr()))?);
    for i in 0..ffi::PyList_GET_SIZE(items.as_ptr()) {
        let pair = ffi::PyList_GET_ITEM(items.as_ptr(), i);
        let (name, module) = (ffi::PyTuple_GET_ITEM(pair, 0), ffi::PyTuple_GET_ITEM(pair, 1));
        if module == ffi::Py_None() {
            continue;
        }
        if ffi::PyUnicode_Check(name) != 0 && ffi::PyUnicode_CompareWithASCIIString(name, c"__main__".as_ptr()) == 0 {
            continue;
        }
        if deep_attribute_is(module, dotted, global)? {
            return Ok(Owned::borrowed(name));
        }
    }
    Ok(st.str_main.clone())
}

/// `fix_imports`: map a Python 3 name to its Python 2 spelling.
unsafe fn fix_imports(module_name: &mut Owned, global_name: &mut Owned) -> Res {
    let st = state();
    let key = tuple_of(&[module_name.as_ptr(), global_name.as_ptr()])?;
    let item = ffi::PyDict_GetItemWithError(st.name_mapping_3to2.as_ptr(), key.as_ptr());
    if !item.is_null() {
        if ffi::PyTuple_Check(item) == 0 || ffi::PyTuple_GET_SIZE(item) != 2 {
            let message = format!(
                "_compat_pickle.REVERSE_NAME_MAPPING values should be 2-tuples, not {}",
                crate::error::type_name(item)
            );
            return Err(raise(ffi::PyExc_RuntimeError, &message));
        }
        let (module, name) = (ffi::PyTuple_GET_ITEM(item, 0), ffi::PyTuple_GET_ITEM(item, 1));
        if ffi::PyUnicode_Check(module) == 0 || ffi::PyUnicode_Check(name) == 0 {
            let message = format!(
                "_compat_pickle.REVERSE_NAME_MAPPING values should be pairs of str, not ({}, {})",
                crate::error::type_name(module),
                crate::error::type_name(name)
            );
            return Err(raise(ffi::PyExc_RuntimeError, &message));
        }
        *module_name = Owned::borrowed(module);
        *global_name = Owned::borrowed(name);
        return Ok(());
    }
    if !ffi::PyErr_Occurred().is_null() {
        return Err(Failed);
    }
    let item = ffi::PyDict_GetItemWithError(st.import_mapping_3to2.as_ptr(), module_name.as_ptr());
    if !item.is_null() {
        if ffi::PyUnicode_Check(item) == 0 {
            let message = format!(
                "_compat_pickle.REVERSE_IMPORT_MAPPING values should be strings, not {}",
                crate::error::type_name(item)
            );
            return Err(raise(ffi::PyExc_RuntimeError, &message));
        }
        *module_name = Owned::borrowed(item);
    } else if !ffi::PyErr_Occurred().is_null() {
        return Err(Failed);
    }
    Ok(())
}

/// `save_type`: the classes of the singletons None, Ellipsis and
/// NotImplemented are not importable, so they go as `type(singleton)`.
pub unsafe fn save_type(p: &mut Core, obj: *mut PyObject) -> Res {
    for singleton in [ffi::Py_None(), ffi::Py_Ellipsis(), ffi::Py_NotImplemented()] {
        if obj == ffi::Py_TYPE(singleton).cast() {
            let args = tuple_of(&[singleton])?;
            let type_type: *mut PyObject = std::ptr::addr_of_mut!(ffi::PyType_Type).cast();
            let reduce_value = tuple_of(&[type_type, args.as_ptr()])?;
            return save_reduce(p, reduce_value.as_ptr(), obj);
        }
    }
    save_global(p, obj, None)
}

/// The name `save_global` looks the object up by: the one given (a
/// `__reduce__` string), else `__qualname__`, else `__name__`.
pub(super) unsafe fn global_name(obj: *mut PyObject, name: Option<*mut PyObject>) -> Res<Owned> {
    let st = state();
    Ok(match name {
        Some(name) => Owned::borrowed(name),
        None => match lookup_attr(obj, st.str_qualname.as_ptr())? {
            Some(qualname) => qualname,
            None => Owned::new(check(ffi::PyObject_GetAttr(obj, st.str_name.as_ptr()))?),
        },
    })
}

/// The lookups of `save_global`: every way it can fail, before anything
/// is written.
unsafe fn locate(obj: *mut PyObject, name: Option<*mut PyObject>) -> Res<Located> {
    if behaviour::PICKLING_ERRORS_NAME_TYPES {
        return super::whichmodule_314::locate(obj, name);
    }
    let global_name = global_name(obj, name)?;
    let dotted = dotted_path(std::ptr::null_mut(), global_name.as_ptr())?;
    let module_name = whichmodule(obj, dotted.as_ptr())?;

    let Some(module) = import_module(module_name.as_ptr())? else {
        // Short of memory is not "can't be imported" (which sends
        // functions and classes by value instead).
        if exception_matches(ffi::PyExc_MemoryError) {
            return Err(Failed);
        }
        let message = format!("Can't pickle {}: import of module {} failed", repr(obj), repr(module_name.as_ptr()));
        return Err(pickling_error(&message));
    };
    let n = ffi::PyList_GET_SIZE(dotted.as_ptr());
    let lastname = Owned::borrowed(ffi::PyList_GET_ITEM(dotted.as_ptr(), n - 1));
    let found = match deep_attribute(module.as_ptr(), dotted.as_ptr()) {
        Ok(found) => found,
        Err(Failed) => {
            if !exception_matches(ffi::PyExc_Exception) || exception_matches(ffi::PyExc_MemoryError) {
                return Err(Failed);
            }
            ffi::PyErr_Clear();
            None
        }
    };
    let Some((cls, parent)) = found else {
        let message = format!(
            "Can't pickle {}: attribute lookup {} on {} failed",
            repr(obj),
            str_of(global_name.as_ptr()),
            str_of(module_name.as_ptr())
        );
        return Err(pickling_error(&message));
    };
    if cls.as_ptr() != obj {
        let message = format!(
            "Can't pickle {}: it's not the same object as {}.{}",
            repr(obj),
            str_of(module_name.as_ptr()),
            str_of(global_name.as_ptr())
        );
        return Err(pickling_error(&message));
    }
    drop(cls);
    Ok(Located { global_name, module_name, module, parent, lastname, dotted })
}

/// `PyImport_Import`, which `_pickle.c` calls, returns `sys.modules[name]`
/// for a module already imported and initialised, after a call to
/// `builtins.__import__` (~6k instructions). That case is answered here
/// from `sys.modules` directly; anything else (not imported yet, still
/// initialising, a non-str name) takes `PyImport_Import`. `None`: failed.
pub(super) unsafe fn import_module(name: *mut PyObject) -> Res<Option<Owned>> {
    let modules = ffi::PyImport_GetModuleDict();
    if ffi::PyUnicode_CheckExact(name) != 0 && ffi::PyDict_CheckExact(modules) != 0 {
        let module = ffi::PyDict_GetItemWithError(modules, name);
        if !module.is_null() && ffi::PyModule_CheckExact(module) != 0 && !initialising(module) {
            return Ok(Some(Owned::borrowed(module)));
        }
        if module.is_null() && !ffi::PyErr_Occurred().is_null() {
            ffi::PyErr_Clear();
        }
    }
    Ok(Owned::from_nullable(ffi::PyImport_Import(name)))
}

/// `module.__spec__._initializing`, as the import system checks it; any
/// doubt counts as initialising.
unsafe fn initialising(module: *mut PyObject) -> bool {
    let dict = ffi::PyModule_GetDict(module);
    let spec = if dict.is_null() { std::ptr::null_mut() } else { ffi::PyDict_GetItemWithError(dict, state().str_spec.as_ptr()) };
    if spec.is_null() {
        ffi::PyErr_Clear();
        return true;
    }
    if spec == ffi::Py_None() {
        return false;
    }
    match lookup_attr(spec, state().str_initializing.as_ptr()) {
        Ok(None) => false,
        Ok(Some(flag)) => match ffi::PyObject_IsTrue(flag.as_ptr()) {
            0 => false,
            1 => true,
            _ => {
                ffi::PyErr_Clear();
                true
            }
        },
        Err(_) => {
            ffi::PyErr_Clear();
            true
        }
    }
}

/// What `save_global` found: the names to write and where they lead.
pub(super) struct Located {
    pub global_name: Owned,
    pub module_name: Owned,
    pub module: Owned,
    pub parent: Owned,
    pub lastname: Owned,
    pub dotted: Owned,
}

pub unsafe fn save_global(p: &mut Core, obj: *mut PyObject, name: Option<*mut PyObject>) -> Res {
    if name.is_none() {
        if let Some(known) = super::known_globals::lookup(obj) {
            return save_known_global(p, obj, known);
        }
    }
    let located = match locate(obj, name) {
        Ok(located) => located,
        // What pickle can't find by name, anethum pickles by value.
        Err(Failed) if name.is_none() && p.by_value && crate::by_value::lookup_failure_goes_by_value(obj) => {
            ffi::PyErr_Clear();
            return crate::by_value::save_by_value_instead(p, obj);
        }
        Err(Failed) => return Err(Failed),
    };
    let Located { mut global_name, module_name, module, parent, lastname, dotted } = located;
    let st = state();
    if p.proto >= 2 && save_extension_code(p, obj, &module_name, &global_name)? {
        return Ok(());
    }
    if parent.as_ptr() == module.as_ptr() {
        global_name = lastname.clone();
    }
    if p.proto >= 4 {
        save(p, module_name.as_ptr(), false)?;
        save(p, global_name.as_ptr(), false)?;
        p.out.write_byte(STACK_GLOBAL)?;
    } else if parent.as_ptr() != module.as_ptr() {
        if behaviour::NESTED_NAMES_AS_GETATTR_CHAIN {
            save_nested_as_getattr_chain(p, module_name, dotted.as_ptr())?;
        } else {
            // Before protocol 4 a nested name loads as getattr(parent, last).
            let args = tuple_of(&[parent.as_ptr(), lastname.as_ptr()])?;
            let reduce_value = tuple_of(&[st.getattr.as_ptr(), args.as_ptr()])?;
            save_reduce(p, reduce_value.as_ptr(), std::ptr::null_mut())?;
        }
    } else {
        save_toplevel_by_name(p, module_name, global_name)?;
    }
    memo_put(p, obj)
}

/// `save_global` for a global registered in `known_globals`: the same
/// opcodes, without importing and walking the module again.
unsafe fn save_known_global(p: &mut Core, obj: *mut PyObject, known: &super::known_globals::KnownGlobal) -> Res {
    if p.proto >= 2 && save_extension_code(p, obj, &known.module_name, &known.qualname)? {
        return Ok(());
    }
    if p.proto >= 4 {
        save(p, known.module_name.as_ptr(), false)?;
        save(p, known.qualname.as_ptr(), false)?;
        p.out.write_byte(STACK_GLOBAL)?;
    } else {
        save_toplevel_by_name(p, known.module_name.clone(), known.qualname.clone())?;
    }
    memo_put(p, obj)
}

/// GLOBAL for a top-level name, in Python 2 spelling when asked to.
unsafe fn save_toplevel_by_name(p: &mut Core, mut module_name: Owned, mut global_name: Owned) -> Res {
    p.out.write_byte(GLOBAL)?;
    if p.proto < 3 && p.fix_imports {
        fix_imports(&mut module_name, &mut global_name)?;
    }
    write_identifier(p, module_name.as_ptr(), "module")?;
    write_identifier(p, global_name.as_ptr(), "global")
}

/// The 3.13 form of a nested name before protocol 4:
/// `getattr(getattr(top, a), b)` with `top` written as a plain GLOBAL, so
/// the intermediate objects themselves are never pickled.
unsafe fn save_nested_as_getattr_chain(p: &mut Core, module_name: Owned, dotted: *mut PyObject) -> Res {
    let getattr = state().getattr.as_ptr();
    let n = ffi::PyList_GET_SIZE(dotted);
    for _ in 1..n {
        save(p, getattr, false)?;
        if p.proto < 2 {
            p.out.write_byte(MARK)?;
        }
    }
    let top = Owned::borrowed(ffi::PyList_GET_ITEM(dotted, 0));
    save_toplevel_by_name(p, module_name, top)?;
    for i in 1..n {
        save(p, ffi::PyList_GET_ITEM(dotted, i), false)?;
        p.out.write_byte(if p.proto < 2 { TUPLE } else { TUPLE2 })?;
        p.out.write_byte(REDUCE)?;
    }
    Ok(())
}

/// Protocol 3 writes UTF-8 names; older ones only ASCII, for Python 2.
unsafe fn write_identifier(p: &mut Core, name: *mut PyObject, what: &str) -> Res {
    let encoded = if p.proto == 3 { ffi::PyUnicode_AsUTF8String(name) } else { ffi::PyUnicode_AsASCIIString(name) };
    let Some(encoded) = Owned::from_nullable(encoded) else {
        if exception_matches(ffi::PyExc_UnicodeEncodeError) {
            if behaviour::PICKLING_ERRORS_NAME_TYPES {
                let message = format!("can't pickle {what} identifier {} using pickle protocol {}", repr(name), p.proto);
                return Err(crate::error::raise_from_current(state().pickling_error.as_ptr(), &message));
            }
            let message = format!("can't pickle {what} identifier '{}' using pickle protocol {}", str_of(name), p.proto);
            return Err(pickling_error(&message));
        }
        return Err(Failed);
    };
    let data = ffi::PyBytes_AS_STRING(encoded.as_ptr()) as *const u8;
    p.out.write(std::slice::from_raw_parts(data, ffi::Py_SIZE(encoded.as_ptr()) as usize))?;
    p.out.write_byte(b'\n')
}

/// EXT1/EXT2/EXT4 for globals in `copyreg`'s extension registry. Returns
/// `false` when the global is not registered.
unsafe fn save_extension_code(p: &mut Core, obj: *mut PyObject, module_name: &Owned, global_name: &Owned) -> Res<bool> {
    // Nearly always empty: skip building and hashing the key. Exact str
    // names hash without running user code, so nothing observable is lost.
    let registry = state().extension_registry.as_ptr();
    let plain_names =
        ffi::PyUnicode_CheckExact(module_name.as_ptr()) != 0 && ffi::PyUnicode_CheckExact(global_name.as_ptr()) != 0;
    if plain_names && ffi::PyDict_Size(registry) == 0 {
        return Ok(false);
    }
    let key = tuple_of(&[module_name.as_ptr(), global_name.as_ptr()])?;
    let code_obj = ffi::PyDict_GetItemWithError(state().extension_registry.as_ptr(), key.as_ptr());
    if code_obj.is_null() {
        return if ffi::PyErr_Occurred().is_null() { Ok(false) } else { Err(Failed) };
    }
    if !behaviour::EXTENSION_CODE_AS_INDEX && ffi::PyLong_Check(code_obj) == 0 {
        let message = format!("Can't pickle {}: extension code {} isn't an integer", repr(obj), repr(code_obj));
        return Err(pickling_error(&message));
    }
    let code = ffi::PyLong_AsLong(code_obj);
    if code == -1 && !ffi::PyErr_Occurred().is_null() {
        return Err(Failed);
    }
    if code <= 0 || code > 0x7fff_ffff {
        if behaviour::EXTENSION_CODE_AS_INDEX {
            return Err(raise(ffi::PyExc_RuntimeError, &format!("extension code {code} is out of range")));
        }
        let message = format!("Can't pickle {}: extension code {code} is out of range", repr(obj));
        return Err(pickling_error(&message));
    }
    let b = (code as u32).to_le_bytes();
    if code <= 0xff {
        p.out.write(&[EXT1, b[0]])?;
    } else if code <= 0xffff {
        p.out.write(&[EXT2, b[0], b[1]])?;
    } else {
        p.out.write(&[EXT4, b[0], b[1], b[2], b[3]])?;
    }
    Ok(true)
}
