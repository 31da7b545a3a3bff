//! The methods `pickle._Pickler` has and `_pickle.Pickler` keeps private
//! (`save`, `save_reduce`, `save_global`, `memoize`, `write`, `get`...), for
//! dill-style save functions and subclasses that override them. They write
//! into the dump in progress, so they work only while this Pickler's
//! `dump()` runs, from the thread running it (a save function, an
//! override, a `__reduce__` it reaches).

use super::fetch;
use super::pickler::Pickler;
use crate::core::Core;
use crate::error::Res;
use crate::opcodes::*;
use crate::python_hooks::PythonHooks;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::Relaxed};

/// The core of the dump in progress, shared with the methods below.
#[derive(Default)]
pub struct Running {
    core: AtomicPtr<Core>,
    thread: AtomicUsize,
}

thread_local! {
    static THREAD_TOKEN: u8 = const { 0 };
}

fn this_thread() -> usize {
    THREAD_TOKEN.with(|token| token as *const u8 as usize)
}

/// Publishes `core` as the running dump's until dropped.
pub struct RunningGuard<'a>(&'a Running);

impl Running {
    pub fn publish(&self, core: *mut Core) -> RunningGuard<'_> {
        self.thread.store(this_thread(), Relaxed);
        self.core.store(core, Relaxed);
        RunningGuard(self)
    }

    /// The running core, if this thread's dump() is under way.
    pub fn get(&self) -> Option<*mut Core> {
        let core = self.core.load(Relaxed);
        (!core.is_null() && self.thread.load(Relaxed) == this_thread()).then_some(core)
    }
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.0.core.store(std::ptr::null_mut(), Relaxed);
    }
}

/// Runs `f` on the dump in progress, or raises RuntimeError naming `method`.
pub fn with_running<R>(slf: &Bound<'_, Pickler>, method: &str, f: impl FnOnce(&mut Core) -> Res<R>) -> PyResult<R> {
    let py = slf.py();
    let Some(core) = slf.get().running.get() else {
        let message = format!("Pickler.{method}() writes into a dump in progress: call it from a save function or override during dump()");
        return Err(crate::pyalloc::error::<PyRuntimeError>(&message));
    };
    // The dump's own frame is suspended in the Python call that led here,
    // and touches the core again only after it returns.
    f(unsafe { &mut *core }).map_err(|e| fetch(py, e))
}

/// The hooks a Python subclass brings to a dump, or None for
/// `anethum.Pickler` itself and subclasses that override none of them.
pub fn python_hooks(slf: &Bound<'_, Pickler>) -> PyResult<Option<Box<PythonHooks>>> {
    let py = slf.py();
    let tp = slf.get_type();
    let base = py.get_type::<Pickler>();
    if tp.is(&base) {
        return Ok(None);
    }
    let overridden = |name: &str| -> PyResult<Option<Py<PyAny>>> {
        let name = crate::pyalloc::string(py, name)?;
        let found = tp.getattr(&name)?;
        Ok((!found.is(&base.getattr(&name)?)).then(|| found.unbind()))
    };
    let mut hooks = PythonHooks {
        pickler: slf.as_ptr() as usize,
        save: overridden("save")?,
        memoize: overridden("memoize")?,
        batch_setitems: overridden("_batch_setitems")?,
        ..Default::default()
    };
    let wants_dispatch = tp.getattr_opt(crate::pyalloc::string(py, "_anethum_dill_dispatch")?)?;
    if let Some(flag) = wants_dispatch
        && flag.is_truthy()?
    {
        hooks.dispatch = python_dispatch(slf)?;
        let fmode = slf.as_any().getattr_opt(crate::pyalloc::string(py, "_fmode")?)?;
        hooks.fmode = Some(match fmode {
            Some(fmode) if !fmode.is_none() => fmode.extract()?,
            _ => 0,
        });
        let byref = slf.as_any().getattr_opt(crate::pyalloc::string(py, "_byref")?)?;
        hooks.byref = match byref {
            Some(byref) => byref.is_truthy()?,
            None => false,
        };
        let recurse = slf.as_any().getattr_opt(crate::pyalloc::string(py, "_recurse")?)?;
        hooks.recurse = Some(match recurse {
            Some(recurse) => recurse.is_truthy()?,
            None => false,
        });
    }
    Ok((!hooks.is_empty()).then(|| Box::new(hooks)))
}

/// `self.dispatch` without the entries anethum saves natively (marked
/// `_anethum_native`); None if nothing is left.
fn python_dispatch(slf: &Bound<'_, Pickler>) -> PyResult<Option<Py<PyAny>>> {
    let py = slf.py();
    let table = slf.as_any().getattr(crate::pyalloc::string(py, "dispatch")?)?;
    let Ok(table) = table.cast::<PyDict>() else { return Ok(None) };
    let native = crate::pyalloc::string(py, "_anethum_native")?;
    let own = crate::pyalloc::dict(py)?;
    for (key, func) in table.iter() {
        let is_native = match func.getattr_opt(&native)? {
            Some(flag) => flag.is_truthy()?,
            None => false,
        };
        if !is_native && !func.is_none() {
            own.set_item(key, func)?;
        }
    }
    Ok((!own.is_empty()).then(|| own.into_any().unbind()))
}

fn opt_ptr(obj: Option<&Bound<'_, PyAny>>) -> *mut pyo3::ffi::PyObject {
    obj.map_or(std::ptr::null_mut(), |o| o.as_ptr())
}

pub fn save(slf: &Bound<'_, Pickler>, obj: &Bound<'_, PyAny>, save_persistent_id: bool) -> PyResult<()> {
    with_running(slf, "save", |p| unsafe {
        if let Some(hooks) = p.python.as_deref_mut() {
            hooks.skip_save = true;
        }
        let result = crate::generated::dispatch::save(p, obj.as_ptr(), !save_persistent_id);
        if let Some(hooks) = p.python.as_deref_mut() {
            hooks.skip_save = false;
        }
        result
    })
}

/// `save(obj)` as anethum saves it by itself: no dispatch entry or `save`
/// override for `obj` (its contents get them again).
pub fn save_native(slf: &Bound<'_, Pickler>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    with_running(slf, "_save_native", |p| unsafe {
        if let Some(hooks) = p.python.as_deref_mut() {
            hooks.skip_save = true;
            hooks.skip_dispatch = true;
        }
        let result = crate::generated::dispatch::save(p, obj.as_ptr(), false);
        if let Some(hooks) = p.python.as_deref_mut() {
            hooks.skip_save = false;
            hooks.skip_dispatch = false;
        }
        result
    })
}

#[allow(clippy::too_many_arguments)]
pub fn save_reduce<'py>(
    slf: &Bound<'py, Pickler>,
    func: &Bound<'py, PyAny>,
    args: &Bound<'py, PyAny>,
    state: Option<&Bound<'py, PyAny>>,
    listitems: Option<&Bound<'py, PyAny>>,
    dictitems: Option<&Bound<'py, PyAny>>,
    state_setter: Option<&Bound<'py, PyAny>>,
    obj: Option<&Bound<'py, PyAny>>,
) -> PyResult<()> {
    let py = slf.py();
    let none = py.None().into_bound(py);
    let or_none = |x: Option<&Bound<'py, PyAny>>| x.cloned().unwrap_or_else(|| none.clone());
    let reduction = crate::pyalloc::tuple(
        py,
        [func.clone(), args.clone(), or_none(state), or_none(listitems), or_none(dictitems), or_none(state_setter)],
    )?;
    let obj = obj.filter(|o| !o.is_none());
    with_running(slf, "save_reduce", |p| unsafe { crate::save::save_reduce(p, reduction.as_ptr(), opt_ptr(obj)) })
}

pub fn save_global(slf: &Bound<'_, Pickler>, obj: &Bound<'_, PyAny>, name: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let name = name.filter(|n| !n.is_none()).map(|n| n.as_ptr());
    with_running(slf, "save_global", |p| unsafe { crate::save::prelude::save_global(p, obj.as_ptr(), name) })
}

/// `save_pers(pid)`: the persistent id and BINPERSID (PERSID before
/// protocol 1), as `pickle._Pickler.save_pers` writes them.
pub fn save_pers(slf: &Bound<'_, Pickler>, pid: &Bound<'_, PyAny>) -> PyResult<()> {
    let text = pid.str()?.to_string();
    with_running(slf, "save_pers", |p| unsafe {
        if p.bin != 0 {
            crate::generated::dispatch::save(p, pid.as_ptr(), true)?;
            return p.out.write_byte(BINPERSID);
        }
        if !text.is_ascii() {
            return Err(crate::error::pickling_error("persistent IDs in protocol 0 must be ASCII strings"));
        }
        p.out.write_byte(PERSID)?;
        p.out.write(text.as_bytes())?;
        p.out.write_byte(b'\n')
    })
}

pub fn memoize(slf: &Bound<'_, Pickler>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    with_running(slf, "memoize", |p| unsafe {
        if let Some(hooks) = p.python.as_deref_mut() {
            hooks.skip_memoize = true;
        }
        let result = crate::save::memo_put(p, obj.as_ptr());
        if let Some(hooks) = p.python.as_deref_mut() {
            hooks.skip_memoize = false;
        }
        result
    })
}

pub fn write(slf: &Bound<'_, Pickler>, data: &[u8]) -> PyResult<()> {
    with_running(slf, "write", |p| unsafe { p.out.write(data) })
}

/// The opcode that fetches memo entry `i` (`pickle._Pickler.get`).
pub fn get<'py>(slf: &Bound<'py, Pickler>, i: usize) -> PyResult<Bound<'py, PyBytes>> {
    let bin = with_running(slf, "get", |p| Ok(p.bin != 0))?;
    let bytes = if !bin {
        format!("g{i}\n").into_bytes()
    } else if i < 256 {
        vec![BINGET, i as u8]
    } else {
        let mut b = vec![LONG_BINGET];
        b.extend_from_slice(&(i as u32).to_le_bytes());
        b
    };
    crate::pyalloc::bytes(slf.py(), &bytes)
}

/// The opcode that stores memo entry `i` (`pickle._Pickler.put`).
pub fn put<'py>(slf: &Bound<'py, Pickler>, i: usize) -> PyResult<Bound<'py, PyBytes>> {
    let (proto, bin) = with_running(slf, "put", |p| Ok((p.proto, p.bin != 0)))?;
    let bytes = if proto >= 4 {
        vec![MEMOIZE]
    } else if !bin {
        format!("p{i}\n").into_bytes()
    } else if i < 256 {
        vec![BINPUT, i as u8]
    } else {
        let mut b = vec![LONG_BINPUT];
        b.extend_from_slice(&(i as u32).to_le_bytes());
        b
    };
    crate::pyalloc::bytes(slf.py(), &bytes)
}

/// One of the port's savers, on an object of its type.
pub fn save_with(
    slf: &Bound<'_, Pickler>,
    method: &str,
    obj: &Bound<'_, PyAny>,
    saver: unsafe fn(&mut Core, *mut pyo3::ffi::PyObject) -> Res,
) -> PyResult<()> {
    with_running(slf, method, |p| unsafe { saver(p, obj.as_ptr()) })
}

/// `_batch_setitems(items[, obj])` and `_batch_appends(items[, obj])`.
pub fn batch(
    slf: &Bound<'_, Pickler>,
    method: &str,
    items: &Bound<'_, PyAny>,
    obj: Option<&Bound<'_, PyAny>>,
    batcher: unsafe fn(&mut Core, *mut pyo3::ffi::PyObject, *mut pyo3::ffi::PyObject) -> Res,
) -> PyResult<()> {
    let iter = items.try_iter()?;
    let origobj = opt_ptr(obj.filter(|o| !o.is_none()));
    with_running(slf, method, |p| unsafe {
        crate::core::enter_recursive_call()?;
        let result = batcher(p, iter.as_ptr(), if origobj.is_null() { iter.as_ptr() } else { origobj });
        crate::core::leave_recursive_call();
        result
    })
}

/// The running dump's protocol, else the one set in `__init__`.
pub fn proto(slf: &Bound<'_, Pickler>) -> PyResult<i32> {
    match slf.get().running.get() {
        Some(core) => Ok(unsafe { (*core).proto }),
        None => Ok(slf.get().core()?.proto),
    }
}

