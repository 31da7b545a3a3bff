//! `anethum.Pickler`: the same surface as `_pickle.Pickler`, subclassable,
//! with `persistent_id`, `reducer_override` and `dispatch_table` hooks.
//!
//! The class is frozen: its state sits behind locks that are only ever
//! tried, never waited on (the GIL already serialises callers). `dump()`
//! holds the core for its whole run, so a hook that calls back into this
//! Pickler meanwhile gets a clear RuntimeError instead of corrupting it;
//! the plain attributes (`fast`, `bin`, `dispatch_table`,
//! `persistent_id`) stay readable and writable at any time, as in C.

use super::fetch;
use super::functions::{file_write, truth};
use super::memo_proxy::{PicklerMemoProxy, memo_from_object};
use crate::core::Core;
use crate::generated::facts::behaviour;
use crate::state::state;
use pyo3::exceptions::{PyAttributeError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};
use std::sync::atomic::{AtomicI32, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// Pickler(file, protocol=None, fix_imports=True, buffer_callback=None, *, by_value=True)
///
/// Writes pickles to `file` (anything with a `write(bytes)` method), byte
/// for byte as `pickle.Pickler` does. Subclasses may define
/// `persistent_id(obj)`, `reducer_override(obj)` and `dispatch_table`.
// From 3.14 a Pickler has an instance dict, so `persistent_id` and the
// other hooks can be set per instance (gh-125631).
#[cfg_attr(Py_3_14, pyclass(subclass, frozen, dict, module = "anethum", name = "Pickler"))]
#[cfg_attr(not(Py_3_14), pyclass(subclass, frozen, module = "anethum", name = "Pickler"))]
pub struct Pickler {
    core: Mutex<Core>,
    /// The core while `dump()` runs, for the `save_methods`.
    pub running: super::save_methods::Running,
    hooks: Mutex<Hooks>,
    bin: AtomicI32,
    fast: AtomicI32,
}

#[derive(Default)]
struct Hooks {
    dispatch_table: Option<Py<PyAny>>,
    /// `persistent_id`, unbound if it was a method of this Pickler.
    persistent_id: Option<Py<PyAny>>,
    persistent_id_is_method: bool,
}

fn map<T>(py: Python<'_>, r: Result<T, crate::error::Failed>) -> PyResult<T> {
    r.map_err(|e| fetch(py, e))
}

fn try_lock<T>(mutex: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match mutex.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

impl Pickler {
    /// The core, or a RuntimeError while a `dump()` of this Pickler runs.
    pub fn core(&self) -> PyResult<MutexGuard<'_, Core>> {
        try_lock(&self.core)
            .ok_or_else(|| crate::pyalloc::error::<PyRuntimeError>("this Pickler is in the middle of dump(); it can't be used meanwhile"))
    }

    /// The hooks. No Python code runs while they are held (old values are
    /// always dropped after the guard), so this can't fail in practice; if
    /// it ever did, it is a RuntimeError, not a panic.
    fn hooks(&self) -> PyResult<MutexGuard<'_, Hooks>> {
        try_lock(&self.hooks).ok_or_else(|| crate::pyalloc::error::<PyRuntimeError>("this Pickler's hooks are in use"))
    }

    /// Replaces one hook, dropping the old value (which may run `__del__`)
    /// only once the lock is released.
    fn replace_dispatch_table(&self, table: Option<Py<PyAny>>) -> PyResult<()> {
        let old = std::mem::replace(&mut self.hooks()?.dispatch_table, table);
        drop(old);
        Ok(())
    }
}

#[pymethods]
impl Pickler {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(py: Python<'_>, _args: &Bound<'_, PyAny>, _kwargs: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(Pickler {
            core: Mutex::new(map(py, unsafe { Core::new() })?),
            running: Default::default(),
            hooks: Mutex::new(Hooks::default()),
            bin: AtomicI32::new(0),
            fast: AtomicI32::new(0),
        })
    }

    #[pyo3(signature = (file, protocol=None, fix_imports=None, buffer_callback=None, *, by_value=true))]
    fn __init__(
        slf: &Bound<'_, Self>,
        file: &Bound<'_, PyAny>,
        protocol: Option<&Bound<'_, PyAny>>,
        fix_imports: Option<&Bound<'_, PyAny>>,
        buffer_callback: Option<Py<PyAny>>,
        by_value: bool,
    ) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        let fix_imports = truth(fix_imports)?;
        {
            let mut core = this.core()?;
            if core.out.file_write.is_some() {
                // Called again: start over, as _pickle's Pickler_clear does.
                *core = map(py, unsafe { Core::new() })?;
                let old = std::mem::take(&mut *this.hooks()?);
                drop(old);
            }
            map(py, unsafe { core.set_protocol(protocol.map_or(std::ptr::null_mut(), |p| p.as_ptr()), fix_imports) })?;
            core.out.file_write = Some(file_write(file)?);
            map(py, unsafe { core.set_buffer_callback(buffer_callback) })?;
            core.by_value = by_value;
            core.fast_nesting = 0;
            core.fast_memo = None;
            this.bin.store(core.bin, Relaxed);
            this.fast.store(0, Relaxed);
        }
        if !behaviour::PERSISTENT_ID_IS_METHOD {
            capture_persistent_id(slf)?;
        }
        if this.hooks()?.dispatch_table.is_some() {
            return Ok(());
        }
        let dispatch_table = lookup(slf, state().str_dispatch_table.as_ptr())?;
        this.replace_dispatch_table(dispatch_table.map(Bound::unbind))
    }

    /// Reducers by type, consulted before `copyreg.dispatch_table` by every
    /// anethum pickler without its own `dispatch_table` (like
    /// `cloudpickle.Pickler.dispatch`).
    #[classattr]
    fn dispatch(py: Python<'_>) -> Py<PyAny> {
        unsafe { Bound::from_borrowed_ptr(py, state().class_dispatch.as_ptr()).unbind() }
    }

    /// Write a pickled representation of the given object to the open file.
    fn dump(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        if this.core()?.out.file_write.is_none() {
            let name = slf.get_type().name()?;
            let message = format!("Pickler.__init__() was not called by {name}.__init__()");
            return Err(fetch(py, unsafe { crate::error::pickling_error(&message) }));
        }
        if behaviour::PERSISTENT_ID_IS_METHOD {
            capture_persistent_id(slf)?;
        }
        let reducer_override = lookup(slf, state().str_reducer_override.as_ptr())?;
        let mut core = this.core()?;
        {
            let hooks = this.hooks()?;
            core.dispatch_table = hooks.dispatch_table.as_ref().map(|t| t.clone_ref(py));
            core.pers_func = hooks.persistent_id.as_ref().map(|f| f.clone_ref(py));
            core.pers_func_self = if hooks.persistent_id_is_method { slf.as_ptr() } else { std::ptr::null_mut() };
        }
        core.bin = this.bin.load(Relaxed);
        core.fast = this.fast.load(Relaxed);
        core.reducer_override = reducer_override.map(Bound::unbind);
        core.python = super::save_methods::python_hooks(slf)?;
        let core = &mut *core;
        let result = {
            let _running = this.running.publish(core as *mut Core);
            unsafe { core.out.reset().and_then(|_| core.dump(obj.as_ptr())).and_then(|_| core.out.flush_to_file()) }
        };
        core.python = None;
        // The hooks are often bound methods of this Pickler: drop the
        // copies so no cycle keeps the Pickler (and its memo) alive.
        core.reducer_override = None;
        core.pers_func = None;
        core.pers_func_self = std::ptr::null_mut();
        core.dispatch_table = None;
        map(py, result)
    }

    /// Save `obj` into the dump in progress, as `pickle._Pickler.save`
    /// does (a subclass's override of `save` is called for what it meets).
    #[pyo3(signature = (obj, save_persistent_id=true))]
    fn save(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>, save_persistent_id: bool) -> PyResult<()> {
        super::save_methods::save(slf, obj, save_persistent_id)
    }

    /// Save `obj` as anethum does by itself, without the `dispatch` entry
    /// or `save` override that led here (its contents still get them).
    fn _save_native(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::save_native(slf, obj)
    }

    /// Write the reduction `func(*args)` with its optional parts, as
    /// `pickle._Pickler.save_reduce` does; `obj` is memoized.
    #[pyo3(signature = (func, args, state=None, listitems=None, dictitems=None, state_setter=None, *, obj=None))]
    #[allow(clippy::too_many_arguments)]
    fn save_reduce(
        slf: &Bound<'_, Self>,
        func: &Bound<'_, PyAny>,
        args: &Bound<'_, PyAny>,
        state: Option<&Bound<'_, PyAny>>,
        listitems: Option<&Bound<'_, PyAny>>,
        dictitems: Option<&Bound<'_, PyAny>>,
        state_setter: Option<&Bound<'_, PyAny>>,
        obj: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        super::save_methods::save_reduce(slf, func, args, state, listitems, dictitems, state_setter, obj)
    }

    /// Save `obj` by reference (module and qualified name, or `name`).
    #[pyo3(signature = (obj, name=None))]
    fn save_global(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>, name: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        super::save_methods::save_global(slf, obj, name)
    }

    /// Write the persistent id `pid` (what `persistent_id` returned).
    fn save_pers(slf: &Bound<'_, Self>, pid: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::save_pers(slf, pid)
    }

    /// Store `obj` in the memo and write the opcode that does so.
    fn memoize(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::memoize(slf, obj)
    }

    /// Write raw pickle bytes into the dump in progress.
    fn write(slf: &Bound<'_, Self>, data: &[u8]) -> PyResult<()> {
        super::save_methods::write(slf, data)
    }

    /// The opcode bytes that fetch memo entry `i`.
    fn get<'py>(slf: &Bound<'py, Self>, i: usize) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        super::save_methods::get(slf, i)
    }

    /// The opcode bytes that store memo entry `i`.
    fn put<'py>(slf: &Bound<'py, Self>, i: usize) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        super::save_methods::put(slf, i)
    }

    fn save_dict(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::save_with(slf, "save_dict", obj, crate::save::prelude::save_dict)
    }

    fn save_list(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::save_with(slf, "save_list", obj, crate::save::prelude::save_list)
    }

    fn save_tuple(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::save_with(slf, "save_tuple", obj, crate::save::prelude::save_tuple)
    }

    fn save_set(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::save_with(slf, "save_set", obj, crate::save::prelude::save_set)
    }

    fn save_frozenset(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::save_with(slf, "save_frozenset", obj, crate::save::prelude::save_frozenset)
    }

    fn save_bytes(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::save_with(slf, "save_bytes", obj, crate::save::prelude::save_bytes)
    }

    fn save_str(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::save_with(slf, "save_str", obj, crate::save::prelude::save_unicode)
    }

    fn save_type(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        super::save_methods::save_with(slf, "save_type", obj, crate::save::prelude::save_type)
    }

    /// MARK key value ... SETITEMS for an iterable of pairs.
    #[pyo3(signature = (items, obj=None))]
    fn _batch_setitems(slf: &Bound<'_, Self>, items: &Bound<'_, PyAny>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        super::save_methods::batch(slf, "_batch_setitems", items, obj, crate::save::batch_dict)
    }

    /// MARK item ... APPENDS for an iterable.
    #[pyo3(signature = (items, obj=None))]
    fn _batch_appends(slf: &Bound<'_, Self>, items: &Bound<'_, PyAny>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        super::save_methods::batch(slf, "_batch_appends", items, obj, crate::save::batch_list)
    }

    /// The protocol of the dump in progress (else the one given).
    #[getter]
    fn proto(slf: &Bound<'_, Self>) -> PyResult<i32> {
        super::save_methods::proto(slf)
    }

    /// Clears the pickler's "memo".
    fn clear_memo(&self) -> PyResult<()> {
        unsafe { self.core()?.memo.clear() };
        Ok(())
    }

    #[getter]
    fn memo(slf: &Bound<'_, Self>) -> PicklerMemoProxy {
        PicklerMemoProxy { pickler: slf.clone().unbind() }
    }

    #[setter]
    fn set_memo(&self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let value = value.ok_or_else(|| crate::pyalloc::error::<PyTypeError>("attribute deletion is not supported"))?;
        let memo = memo_from_object(value)?;
        self.core()?.memo = memo;
        Ok(())
    }

    /// The default `persistent_id` (3.13 and later): no persistent ids.
    #[cfg(Py_3_13)]
    #[pyo3(name = "persistent_id")]
    fn default_persistent_id(_slf: &Bound<'_, Self>, _obj: &Bound<'_, PyAny>) {}

    #[cfg(not(Py_3_13))]
    #[getter]
    fn persistent_id(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let hooks = slf.get().hooks()?;
        let Some(func) = hooks.persistent_id.as_ref() else {
            return Err(crate::pyalloc::error::<PyAttributeError>("persistent_id"));
        };
        if !hooks.persistent_id_is_method {
            return Ok(func.clone_ref(py));
        }
        unsafe {
            let method = crate::ffi::compat::PyMethod_New(func.as_ptr(), slf.as_ptr());
            Bound::from_owned_ptr_or_err(py, method).map(Bound::unbind)
        }
    }

    #[cfg(not(Py_3_13))]
    #[setter]
    fn set_persistent_id(&self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let value = value.ok_or_else(|| crate::pyalloc::error::<PyTypeError>("attribute deletion is not supported"))?;
        if !value.is_callable() {
            return Err(crate::pyalloc::error::<PyTypeError>("persistent_id must be a callable taking one argument"));
        }
        let old = {
            let mut hooks = self.hooks()?;
            hooks.persistent_id_is_method = false;
            std::mem::replace(&mut hooks.persistent_id, Some(value.clone().unbind()))
        };
        drop(old);
        Ok(())
    }

    #[getter]
    fn dispatch_table(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.hooks()?.dispatch_table.as_ref() {
            Some(table) => Ok(table.clone_ref(py)),
            None => Err(crate::pyalloc::error::<PyAttributeError>("dispatch_table")),
        }
    }

    #[setter]
    fn set_dispatch_table(&self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.replace_dispatch_table(value.map(|v| v.clone().unbind()))
    }

    #[getter]
    fn bin(&self) -> i32 {
        self.bin.load(Relaxed)
    }

    #[setter]
    fn set_bin(&self, value: Option<i32>) -> PyResult<()> {
        let value = value.ok_or_else(|| crate::pyalloc::error::<PyTypeError>("can't delete numeric/char attribute"))?;
        self.bin.store(value, Relaxed);
        Ok(())
    }

    #[getter]
    fn fast(&self) -> i32 {
        self.fast.load(Relaxed)
    }

    #[setter]
    fn set_fast(&self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let value = value.ok_or_else(|| crate::pyalloc::error::<PyTypeError>("can't delete numeric/char attribute"))?;
        self.fast.store(value.extract::<i32>()?, Relaxed);
        Ok(())
    }

    /// Returns size in memory, in bytes.
    fn __sizeof__(&self) -> usize {
        let base = std::mem::size_of::<Self>();
        match try_lock(&self.core) {
            Some(core) => {
                base + core.memo.allocated() * 2 * std::mem::size_of::<usize>() + core.out.buffer_size() as usize
            }
            None => base,
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // A running dump() holds the core; its references are then also
        // held by the running frames, so skipping them is safe.
        if let Some(core) = try_lock(&self.core) {
            for field in [&core.out.file_write, &core.buffer_callback, &core.reducer_override] {
                if let Some(obj) = field {
                    visit.call(obj)?;
                }
            }
            core.globals_ref.visit(&visit)?;
        }
        if let Some(hooks) = try_lock(&self.hooks) {
            for field in [&hooks.dispatch_table, &hooks.persistent_id] {
                if let Some(obj) = field {
                    visit.call(obj)?;
                }
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        let old_hooks = try_lock(&self.hooks).map(|mut hooks| std::mem::take(&mut *hooks));
        drop(old_hooks);
        if let Some(mut core) = try_lock(&self.core) {
            core.out.file_write = None;
            core.buffer_callback = None;
            core.reducer_override = None;
            core.fast_memo = None;
            core.globals_ref = Default::default();
            unsafe { core.memo.clear() }
        }
    }
}

/// `init_method_ref` for `persistent_id`: up to 3.12 read once in
/// `__init__`, from 3.13 at each `dump()` (then the base class's own
/// do-nothing method counts as absent, so it costs nothing per object).
fn capture_persistent_id(slf: &Bound<'_, Pickler>) -> PyResult<()> {
    let found = lookup(slf, state().str_persistent_id.as_ptr())?;
    let found = match found {
        Some(f) if behaviour::PERSISTENT_ID_IS_METHOD && is_default_method(&f, slf.as_any())? => None,
        found => found,
    };
    let (func, is_method) = match found {
        None => (None, false),
        // A method of this very Pickler is kept unbound, so the Pickler
        // does not keep itself alive through it.
        Some(func) => match bound_to(&func, slf.as_any())? {
            Some(unbound) => (Some(unbound), true),
            None => (Some(func.unbind()), false),
        },
    };
    let old = {
        let mut hooks = slf.get().hooks()?;
        hooks.persistent_id_is_method = is_method;
        std::mem::replace(&mut hooks.persistent_id, func)
    };
    drop(old);
    Ok(())
}

/// A builtin method bound to `target`: our own `persistent_id`.
#[cfg_attr(not(Py_3_13), allow(dead_code))]
fn is_default_method(found: &Bound<'_, PyAny>, target: &Bound<'_, PyAny>) -> PyResult<bool> {
    let is_builtin = unsafe { pyo3::ffi::PyCFunction_Check(found.as_ptr()) != 0 };
    let name = crate::pyalloc::name!(found.py(), "__self__")?;
    Ok(is_builtin && found.getattr(name).is_ok_and(|s| s.is(target)))
}

/// `getattr(obj, name)` with a missing attribute as `None`.
fn lookup<'py>(obj: &Bound<'py, Pickler>, name: *mut pyo3::ffi::PyObject) -> PyResult<Option<Bound<'py, PyAny>>> {
    let name = unsafe { Bound::from_borrowed_ptr(obj.py(), name).cast_into_unchecked::<pyo3::types::PyString>() };
    obj.as_any().getattr_opt(name)
}

/// The function behind `method` if it is a method bound to `target`.
fn bound_to(method: &Bound<'_, PyAny>, target: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
    let is_method =
        unsafe { pyo3::ffi::Py_TYPE(method.as_ptr()) == std::ptr::addr_of_mut!(crate::ffi::compat::PyMethod_Type) };
    if !is_method {
        return Ok(None);
    }
    let py = method.py();
    let bound_self = method.getattr(crate::pyalloc::name!(py, "__self__")?)?;
    if !bound_self.is(target) {
        return Ok(None);
    }
    Ok(Some(method.getattr(crate::pyalloc::name!(py, "__func__")?)?.unbind()))
}
