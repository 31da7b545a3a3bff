//! `Pickler.memo`: a proxy over the Rust memo, as `_pickle` exposes its
//! `PyMemoTable` through `PicklerMemoProxy`.

use super::pickler::Pickler;
use crate::memo::Memo;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// A view of a Pickler's memo: `clear()`, `copy()`; assignable back to `Pickler.memo`.
#[pyclass(module = "anethum", name = "PicklerMemoProxy")]
pub struct PicklerMemoProxy {
    pub pickler: Py<Pickler>,
}

#[pymethods]
impl PicklerMemoProxy {
    /// Remove all items from memo.
    fn clear(&self) -> PyResult<()> {
        unsafe { self.pickler.get().core()?.memo.clear() };
        Ok(())
    }

    /// Copy the memo to a new dict: `{id(obj): (memo_id, obj)}`.
    fn copy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let core = self.pickler.get().core()?;
        let out = crate::pyalloc::dict(py)?;
        for (key, id) in core.memo.entries() {
            let obj = unsafe { Bound::from_borrowed_ptr(py, key) };
            let entry = crate::pyalloc::tuple(py, [crate::pyalloc::int(py, id)?, obj])?;
            out.set_item(crate::pyalloc::int(py, key as usize)?, entry)?;
        }
        Ok(out)
    }

    /// `len(memo)`; like the lookups below, it reads the memo of a dump in
    /// progress too (dill-style save functions check `id(x) in memo`).
    fn __len__(&self) -> PyResult<usize> {
        self.with_memo(|memo| memo.len())
    }

    fn __contains__(&self, key: usize) -> PyResult<bool> {
        self.with_memo(|memo| memo.get(key as *mut pyo3::ffi::PyObject).is_some())
    }

    /// `memo[id(obj)]`: `(memo_id, obj)`.
    fn __getitem__<'py>(&self, py: Python<'py>, key: usize) -> PyResult<Bound<'py, PyTuple>> {
        match self.entry(py, key)? {
            Some(entry) => Ok(entry),
            None => Err(pyo3::exceptions::PyKeyError::new_err(key)),
        }
    }

    #[pyo3(signature = (key, default=None))]
    fn get<'py>(&self, py: Python<'py>, key: usize, default: Option<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        match self.entry(py, key)? {
            Some(entry) => Ok(entry.into_any()),
            None => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let contents = self.copy(py)?;
        let args = crate::pyalloc::tuple(py, [contents.into_any()])?;
        crate::pyalloc::tuple(py, [py.get_type::<PyDict>().into_any(), args.into_any()])
    }
}

impl PicklerMemoProxy {
    fn with_memo<R>(&self, f: impl FnOnce(&Memo) -> R) -> PyResult<R> {
        let pickler = self.pickler.get();
        match pickler.running.get() {
            // The dump in progress is suspended in the Python call that got here.
            Some(core) => Ok(f(unsafe { &(*core).memo })),
            None => Ok(f(&pickler.core()?.memo)),
        }
    }

    fn entry<'py>(&self, py: Python<'py>, key: usize) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let key_ptr = key as *mut pyo3::ffi::PyObject;
        let Some(id) = self.with_memo(|memo| memo.get(key_ptr))? else { return Ok(None) };
        // The memo holds a reference to each of its keys.
        let obj = unsafe { Bound::from_borrowed_ptr(py, key_ptr) };
        Ok(Some(crate::pyalloc::tuple(py, [crate::pyalloc::int(py, id)?, obj])?))
    }
}

/// A new memo from a `PicklerMemoProxy` or a `{key: (memo_id, obj)}` dict.
pub fn memo_from_object(value: &Bound<'_, PyAny>) -> PyResult<Memo> {
    let py = value.py();
    let mut memo = Memo::default();
    if let Ok(proxy) = value.cast::<PicklerMemoProxy>() {
        let source = proxy.borrow().pickler.clone_ref(py);
        let core = source.get().core()?;
        for (key, id) in core.memo.entries() {
            unsafe { memo.set(key, id) };
        }
        return Ok(memo);
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        for (_, entry) in dict.iter() {
            let entry = entry
                .cast::<PyTuple>()
                .ok()
                .filter(|t| t.len() == 2)
                .ok_or_else(|| crate::pyalloc::error::<PyTypeError>("'memo' values must be 2-item tuples"))?;
            let id: isize = entry.get_item(0)?.extract()?;
            let obj = entry.get_item(1)?;
            unsafe { memo.set(obj.as_ptr(), id as usize) };
        }
        return Ok(memo);
    }
    Err(crate::pyalloc::error::<PyTypeError>(&format!(
        "'memo' attribute must be a PicklerMemoProxy object or dict, not {}",
        value.get_type().name()?
    )))
}
