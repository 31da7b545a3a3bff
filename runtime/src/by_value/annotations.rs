//! Annotations of functions and classes pickled by value, from 3.14
//! (PEP 649/749): an `__annotate__` function computes them on first
//! access, and the result is cached (`__annotations_cache__` in a class's
//! dict). The pickle carries the annotate function, which loads with the
//! globals it reads and the loaded class's own namespace
//! (`misc::save_cell`), so annotations that name what is defined later
//! work after loading as they did before. A cache is carried only where it
//! isn't what the annotate function gives (mutated in place, or set):
//! that way a class pickles alike before and after its annotations were
//! first read, and keeps its tracker id.

use crate::generated::facts::behaviour::LAZY_ANNOTATIONS;
use crate::pyalloc::name;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

/// `annotationlib.Format.VALUE`, what `__annotations__` asks for.
const VALUE: i32 = 1;

/// The annotation attribute a function pickled by value sets at load:
/// `__annotate__` where it gives back what `__annotations__` holds, or
/// where `__annotations__` can't be computed now (a name not defined
/// yet); else `__annotations__`, unless it is empty.
pub fn function_annotations<'py>(func: &Bound<'py, PyAny>) -> PyResult<Option<(Bound<'py, PyString>, Bound<'py, PyAny>)>> {
    let py = func.py();
    let annotations_key = name!(py, "__annotations__")?.clone();
    if LAZY_ANNOTATIONS {
        let annotate_key = name!(py, "__annotate__")?;
        let annotate = func.getattr(annotate_key)?;
        if annotate.is_callable() {
            let annotate_slot = Some((annotate_key.clone(), annotate.clone()));
            return match func.getattr(&annotations_key) {
                Ok(current) if !gives(&annotate, &current)? => Ok(Some((annotations_key, current))),
                Ok(_) => Ok(annotate_slot),
                Err(err) if ordinary(py, &err) => Ok(annotate_slot),
                Err(err) => Err(err),
            };
        }
    }
    let annotations = func.getattr(&annotations_key)?;
    if annotations.cast::<PyDict>().is_ok_and(|a| a.is_empty()) {
        return Ok(None);
    }
    Ok(Some((annotations_key, annotations)))
}

/// Removes from a class's pickled dict what type's getters put there on
/// first access and would put there again: `__annotate_func__` = None,
/// and an `__annotations_cache__` that the annotate function (or, with
/// none, an empty dict) gives.
pub fn drop_derived_class_annotations(clsdict: &Bound<'_, PyDict>) -> PyResult<()> {
    if !LAZY_ANNOTATIONS {
        return Ok(());
    }
    let py = clsdict.py();
    let annotate_func = name!(py, "__annotate_func__")?;
    if clsdict.get_item(annotate_func)?.is_some_and(|f| f.is_none()) {
        clsdict.del_item(annotate_func)?;
    }
    let cache_key = name!(py, "__annotations_cache__")?;
    let Some(cache) = clsdict.get_item(cache_key)? else { return Ok(()) };
    let annotate = match clsdict.get_item(name!(py, "__annotate__")?)? {
        Some(annotate) => Some(annotate),
        None => clsdict.get_item(annotate_func)?,
    };
    let derived = match annotate {
        Some(annotate) => annotate.is_callable() && gives(&annotate, &cache)?,
        None => {
            !clsdict.contains(name!(py, "__annotations__")?)?
                && cache.cast_exact::<PyDict>().is_ok_and(|cache| cache.is_empty())
        }
    };
    if derived {
        clsdict.del_item(cache_key)?;
    }
    Ok(())
}

/// Whether `annotate(VALUE)` equals `annotations`; an ordinary exception
/// on the way (a name not defined yet) says no.
fn gives(annotate: &Bound<'_, PyAny>, annotations: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = annotate.py();
    match annotate.call1((VALUE,)).and_then(|fresh| fresh.eq(annotations)) {
        Ok(equal) => Ok(equal),
        Err(err) if ordinary(py, &err) => Ok(false),
        Err(err) => Err(err),
    }
}

/// An Exception but not a MemoryError: evaluating annotations raised it,
/// and only changes what is pickled; the rest (KeyboardInterrupt,
/// SystemExit, out of memory) stops the pickling.
fn ordinary(py: Python<'_>, err: &PyErr) -> bool {
    err.is_instance_of::<pyo3::exceptions::PyException>(py) && !err.is_instance_of::<pyo3::exceptions::PyMemoryError>(py)
}
