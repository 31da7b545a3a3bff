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

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let contents = self.copy(py)?;
        let args = crate::pyalloc::tuple(py, [contents.into_any()])?;
        crate::pyalloc::tuple(py, [py.get_type::<PyDict>().into_any(), args.into_any()])
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
