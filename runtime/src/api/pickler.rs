//! `anethum.Pickler`: the same surface as `_pickle.Pickler`, subclassable,
//! with `persistent_id`, `reducer_override` and `dispatch_table` hooks.

use super::fetch;
use super::functions::{file_write, truth};
use super::memo_proxy::{PicklerMemoProxy, memo_from_object};
use crate::core::Core;
use crate::generated::facts::behaviour;
use crate::state::state;
use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};

/// Pickler(file, protocol=None, fix_imports=True, buffer_callback=None)
///
/// Writes pickles to `file` (anything with a `write(bytes)` method), byte
/// for byte as `pickle.Pickler` does. Subclasses may define
/// `persistent_id(obj)`, `reducer_override(obj)` and `dispatch_table`.
#[pyclass(subclass, module = "anethum", name = "Pickler")]
pub struct Pickler {
    pub core: Core,
}

// The core's raw pointers are only touched while holding the GIL, and
// free-threaded builds are refused at build time.
unsafe impl Send for Pickler {}
unsafe impl Sync for Pickler {}

fn map<T>(py: Python<'_>, r: Result<T, crate::error::Failed>) -> PyResult<T> {
    r.map_err(|e| fetch(py, e))
}

#[pymethods]
impl Pickler {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(py: Python<'_>, _args: &Bound<'_, PyAny>, _kwargs: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(Pickler { core: map(py, unsafe { Core::new() })? })
    }

    #[pyo3(signature = (file, protocol=None, fix_imports=None, buffer_callback=None))]
    fn __init__(
        slf: &Bound<'_, Self>,
        file: &Bound<'_, PyAny>,
        protocol: Option<&Bound<'_, PyAny>>,
        fix_imports: Option<&Bound<'_, PyAny>>,
        buffer_callback: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let fix_imports = truth(fix_imports)?;
        {
            let mut this = slf.borrow_mut();
            if this.core.out.file_write.is_some() {
                let fresh = map(py, unsafe { Core::new() })?;
                this.core = fresh;
            }
            let core = &mut this.core;
            map(py, unsafe { core.set_protocol(protocol.map_or(std::ptr::null_mut(), |p| p.as_ptr()), fix_imports) })?;
            core.out.file_write = Some(file_write(file)?);
            map(py, unsafe { core.set_buffer_callback(buffer_callback) })?;
            core.fast = 0;
            core.fast_nesting = 0;
            core.fast_memo = None;
        }
        let st = state();
        if !behaviour::PERSISTENT_ID_IS_METHOD {
            capture_persistent_id(slf)?;
        }
        if slf.borrow().core.dispatch_table.is_some() {
            return Ok(());
        }
        let dispatch_table = lookup(slf, st.str_dispatch_table.as_ptr())?;
        slf.borrow_mut().core.dispatch_table = dispatch_table.map(Bound::unbind);
        Ok(())
    }

    /// Write a pickled representation of the given object to the open file.
    fn dump(slf: &Bound<'_, Self>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        if slf.borrow().core.out.file_write.is_none() {
            let name = slf.get_type().name()?;
            let message = format!("Pickler.__init__() was not called by {name}.__init__()");
            return Err(fetch(py, unsafe { crate::error::pickling_error(&message) }));
        }
        if behaviour::PERSISTENT_ID_IS_METHOD {
            capture_persistent_id(slf)?;
        }
        let reducer_override = lookup(slf, state().str_reducer_override.as_ptr())?;
        let mut this = slf.borrow_mut();
        let core = &mut this.core;
        core.reducer_override = reducer_override.map(Bound::unbind);
        let result = unsafe {
            core.out.reset().and_then(|_| core.dump(obj.as_ptr())).and_then(|_| core.out.flush_to_file())
        };
        // The override is often a bound method of this Pickler: drop it so
        // the Pickler (and the memo's objects) are not kept alive by a cycle.
        core.reducer_override = None;
        if behaviour::PERSISTENT_ID_IS_METHOD {
            core.pers_func = None;
            core.pers_func_self = std::ptr::null_mut();
        }
        map(py, result)
    }

    /// Clears the pickler's "memo".
    fn clear_memo(&mut self) {
        unsafe { self.core.memo.clear() }
    }

    #[getter]
    fn memo(slf: &Bound<'_, Self>) -> PicklerMemoProxy {
        PicklerMemoProxy { pickler: slf.clone().unbind() }
    }

    #[setter]
    fn set_memo(&mut self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let value = value.ok_or_else(|| PyTypeError::new_err("attribute deletion is not supported"))?;
        self.core.memo = memo_from_object(value)?;
        Ok(())
    }

    /// The default `persistent_id` (3.13 and later): no persistent ids.
    #[cfg(Py_3_13)]
    #[pyo3(name = "persistent_id")]
    fn default_persistent_id(&self, _obj: &Bound<'_, PyAny>) {}

    #[cfg(not(Py_3_13))]
    #[getter]
    fn persistent_id(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let Some(func) = self.core.pers_func.as_ref() else {
            return Err(PyAttributeError::new_err("persistent_id"));
        };
        if self.core.pers_func_self.is_null() {
            return Ok(func.clone_ref(py));
        }
        unsafe {
            let method = crate::ffi::compat::PyMethod_New(func.as_ptr(), self.core.pers_func_self);
            Bound::from_owned_ptr_or_err(py, method).map(Bound::unbind)
        }
    }

    #[cfg(not(Py_3_13))]
    #[setter]
    fn set_persistent_id(&mut self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let value = value.ok_or_else(|| PyTypeError::new_err("attribute deletion is not supported"))?;
        if !value.is_callable() {
            return Err(PyTypeError::new_err("persistent_id must be a callable taking one argument"));
        }
        self.core.pers_func_self = std::ptr::null_mut();
        self.core.pers_func = Some(value.clone().unbind());
        Ok(())
    }

    #[getter]
    fn dispatch_table(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.core.dispatch_table.as_ref() {
            Some(table) => Ok(table.clone_ref(py)),
            None => Err(PyAttributeError::new_err("dispatch_table")),
        }
    }

    #[setter]
    fn set_dispatch_table(&mut self, value: Option<&Bound<'_, PyAny>>) {
        self.core.dispatch_table = value.map(|v| v.clone().unbind());
    }

    #[getter]
    fn bin(&self) -> i32 {
        self.core.bin
    }

    #[setter]
    fn set_bin(&mut self, value: Option<i32>) -> PyResult<()> {
        self.core.bin = value.ok_or_else(|| PyTypeError::new_err("can't delete numeric/char attribute"))?;
        Ok(())
    }

    #[getter]
    fn fast(&self) -> i32 {
        self.core.fast
    }

    #[setter]
    fn set_fast(&mut self, value: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let value = value.ok_or_else(|| PyTypeError::new_err("can't delete numeric/char attribute"))?;
        self.core.fast = value.extract::<i32>()?;
        Ok(())
    }

    /// Returns size in memory, in bytes.
    fn __sizeof__(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.core.memo.allocated() * 2 * std::mem::size_of::<usize>()
            + self.core.out.buffer_size() as usize
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        let core = &self.core;
        for field in [&core.out.file_write, &core.pers_func, &core.dispatch_table, &core.reducer_override, &core.buffer_callback]
        {
            if let Some(obj) = field {
                visit.call(obj)?;
            }
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        let core = &mut self.core;
        core.out.file_write = None;
        core.pers_func = None;
        core.pers_func_self = std::ptr::null_mut();
        core.dispatch_table = None;
        core.reducer_override = None;
        core.buffer_callback = None;
        core.fast_memo = None;
        unsafe { core.memo.clear() }
    }
}

/// `init_method_ref` for `persistent_id`: up to 3.12 read once in
/// `__init__`, from 3.13 at each `dump()` (then the base class's own
/// do-nothing method counts as absent, so it costs nothing per object).
fn capture_persistent_id(slf: &Bound<'_, Pickler>) -> PyResult<()> {
    let found = lookup(slf, state().str_persistent_id.as_ptr())?;
    let found = found.filter(|f| !(behaviour::PERSISTENT_ID_IS_METHOD && is_default_method(f, slf.as_any())));
    let mut this = slf.borrow_mut();
    this.core.pers_func = None;
    this.core.pers_func_self = std::ptr::null_mut();
    if let Some(func) = found {
        // A method of this very Pickler is kept unbound, so the Pickler
        // does not keep itself alive through it.
        match bound_to(&func, slf.as_any()) {
            Some(unbound) => {
                this.core.pers_func = Some(unbound);
                this.core.pers_func_self = slf.as_ptr();
            }
            None => this.core.pers_func = Some(func.unbind()),
        }
    }
    Ok(())
}

/// A builtin method bound to `target`: our own `persistent_id`.
fn is_default_method(found: &Bound<'_, PyAny>, target: &Bound<'_, PyAny>) -> bool {
    let is_builtin = unsafe { pyo3::ffi::PyCFunction_Check(found.as_ptr()) != 0 };
    is_builtin && found.getattr(pyo3::intern!(found.py(), "__self__")).is_ok_and(|s| s.is(target))
}

/// `getattr(obj, name)` with a missing attribute as `None`.
fn lookup<'py>(obj: &Bound<'py, Pickler>, name: *mut pyo3::ffi::PyObject) -> PyResult<Option<Bound<'py, PyAny>>> {
    let name = unsafe { Bound::from_borrowed_ptr(obj.py(), name).cast_into_unchecked::<pyo3::types::PyString>() };
    obj.as_any().getattr_opt(name)
}

/// The function behind `method` if it is a method bound to `target`.
fn bound_to(method: &Bound<'_, PyAny>, target: &Bound<'_, PyAny>) -> Option<Py<PyAny>> {
    let is_method = unsafe { pyo3::ffi::Py_TYPE(method.as_ptr()) == std::ptr::addr_of_mut!(crate::ffi::compat::PyMethod_Type) };
    if !is_method {
        return None;
    }
    let bound_self = method.getattr(pyo3::intern!(method.py(), "__self__")).ok()?;
    if !bound_self.is(target) {
        return None;
    }
    method.getattr(pyo3::intern!(method.py(), "__func__")).ok().map(Bound::unbind)
}
