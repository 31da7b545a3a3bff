//! What a Python subclass of `anethum.Pickler` plugs into the port: a
//! dill-style `dispatch` table (`f(pickler, obj)`, for classes that set
//! `_anethum_dill_dispatch`), and overrides of `save`, `memoize` and
//! `_batch_setitems` that `pickle._Pickler` would call for nested objects.
//! `_pickle.c` can do neither; the port calls in here at those three points
//! only when a dump has such hooks (`Core::python`), so nothing changes for
//! any other pickler.
//!
//! An override usually calls back into the Rust method (`super().save(obj)`);
//! the `skip_*` flags make that one call go straight to the port, while the
//! objects it meets on the way go through the override again.

use crate::core::Core;
use crate::error::{Failed, Res};
use crate::ffi::{PyObject, PyTypeObject};
use crate::owned::Owned;
use crate::save::prelude::memo_get;
use pyo3::ffi;
use pyo3::prelude::*;

#[derive(Default)]
pub struct PythonHooks {
    /// The Python Pickler of this dump (borrowed: it outlives the dump).
    pub pickler: usize,
    /// `{type: f(pickler, obj)}`, the entries anethum doesn't save natively.
    pub dispatch: Option<Py<PyAny>>,
    /// Overrides, as unbound functions of the subclass.
    pub save: Option<Py<PyAny>>,
    pub memoize: Option<Py<PyAny>>,
    pub batch_setitems: Option<Py<PyAny>>,
    /// dill's `fmode` of an `anethum.dill` pickler: files go as handles.
    pub fmode: Option<i64>,
    /// dill's `byref`: classes that can be found by name go by reference.
    pub byref: bool,
    /// dill's `recurse`; `Some(false)`: `__main__` functions keep the
    /// loading side's `__main__.__dict__` as their globals.
    pub recurse: Option<bool>,
    pub skip_save: bool,
    pub skip_dispatch: bool,
    pub skip_memoize: bool,
}

impl PythonHooks {
    pub fn is_empty(&self) -> bool {
        self.dispatch.is_none()
            && self.save.is_none()
            && self.memoize.is_none()
            && self.batch_setitems.is_none()
            && self.fmode.is_none()
    }

    fn pickler(&self) -> *mut PyObject {
        self.pickler as *mut PyObject
    }
}

unsafe fn call(func: *mut PyObject, args: &[*mut PyObject]) -> Res<Owned> {
    let result = ffi::PyObject_Vectorcall(func, args.as_ptr(), args.len(), std::ptr::null_mut());
    Owned::from_nullable(result).ok_or(Failed)
}

/// At the entry of `save()`, for dumps with hooks only: an overridden
/// `save`, then `persistent_id` (as `save()` would ask it), then a
/// dispatch entry. True when one of them saved `obj`.
#[cold]
#[inline(never)]
pub unsafe fn before_save(p: &mut Core, obj: *mut PyObject, pers_save: bool) -> Res<bool> {
    if save_override(p, obj, pers_save)? {
        return Ok(true);
    }
    p.opcode_boundary()?;
    if !pers_save && p.has_persistent_id() && crate::save::prelude::save_pers(p, obj)? {
        return Ok(true);
    }
    dispatch(p, obj, pyo3::ffi::Py_TYPE(obj))
}

/// An overridden `save(obj, save_persistent_id)` takes the object. True
/// when it did.
unsafe fn save_override(p: &mut Core, obj: *mut PyObject, pers_save: bool) -> Res<bool> {
    let Some(hooks) = p.python.as_deref_mut() else { return Ok(false) };
    if std::mem::take(&mut hooks.skip_save) {
        return Ok(false);
    }
    let Some(func) = hooks.save.as_ref().map(|f| Owned::borrowed(f.as_ptr())) else { return Ok(false) };
    let pickler = hooks.pickler();
    let flag = if pers_save { ffi::Py_False() } else { ffi::Py_True() };
    call(func.as_ptr(), &[pickler, obj, flag])?;
    Ok(true)
}

/// After `persistent_id`: a dispatch entry for the exact type of `obj`,
/// tried after the memo as `pickle._Pickler.save` does. True when it saved
/// `obj` (or found it in the memo).
unsafe fn dispatch(p: &mut Core, obj: *mut PyObject, tp: *mut PyTypeObject) -> Res<bool> {
    let Some(hooks) = p.python.as_deref_mut() else { return Ok(false) };
    if std::mem::take(&mut hooks.skip_dispatch) {
        return Ok(false);
    }
    let Some(table) = hooks.dispatch.as_ref() else { return Ok(false) };
    let mut found = std::ptr::null_mut();
    // A type hashes by identity, so the lookup can't run Python code.
    if ffi::compat::PyDict_GetItemRef(table.as_ptr(), tp.cast(), &mut found) < 0 {
        return Err(Failed);
    }
    let Some(func) = Owned::from_nullable(found) else { return Ok(false) };
    let pickler = hooks.pickler();
    if let Some(id) = p.memo.get(obj) {
        memo_get(p, id)?;
        return Ok(true);
    }
    crate::core::enter_recursive_call()?;
    let result = call(func.as_ptr(), &[pickler, obj]);
    crate::core::leave_recursive_call();
    result.map(|_| true)
}

/// In `memo_put`: an overridden `memoize(obj)`. True when it ran.
pub unsafe fn memoize(p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    let Some(hooks) = p.python.as_deref_mut() else { return Ok(false) };
    if std::mem::take(&mut hooks.skip_memoize) {
        return Ok(false);
    }
    let Some(func) = hooks.memoize.as_ref().map(|f| Owned::borrowed(f.as_ptr())) else { return Ok(false) };
    call(func.as_ptr(), &[hooks.pickler(), obj])?;
    Ok(true)
}

/// In `save_dict`: an overridden `_batch_setitems(obj.items()[, obj])`
/// (the second argument from 3.14, as `pickle._Pickler` passes it). True
/// when it ran.
pub unsafe fn batch_setitems(p: &mut Core, obj: *mut PyObject) -> Res<bool> {
    let Some(hooks) = p.python.as_deref_mut() else { return Ok(false) };
    let Some(func) = hooks.batch_setitems.as_ref().map(|f| Owned::borrowed(f.as_ptr())) else { return Ok(false) };
    let pickler = hooks.pickler();
    let items = Owned::new(crate::error::check(ffi::PyObject_CallMethodNoArgs(obj, crate::state::state().str_items.as_ptr()))?);
    if crate::generated::facts::behaviour::BATCH_TAKES_OBJ {
        call(func.as_ptr(), &[pickler, items.as_ptr(), obj])?;
    } else {
        call(func.as_ptr(), &[pickler, items.as_ptr()])?;
    }
    Ok(true)
}
