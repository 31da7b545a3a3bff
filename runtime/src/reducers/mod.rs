//! Savers for the types dill covers beyond cloudpickle: weak references,
//! locks, memoryviews, super objects, capsules, lru_cache wrappers. Each is
//! one rule of `spec/overrides.toml` (the type, its `find`, the helper it
//! names); the glob re-exports make a new saver visible to the generated
//! `save()` without a hand edit.

mod capsule;
mod descriptors;
mod files;
mod locks;
mod lru_cache;
mod views;
mod weak;

pub use capsule::*;
pub use descriptors::*;
pub use files::*;
pub use locks::*;
pub use lru_cache::*;
pub use views::*;
pub use weak::*;

use pyo3::prelude::*;

/// A `pickle.PicklingError(message)` to return from a reducer.
pub(crate) fn pickling_error(py: Python<'_>, message: String) -> PyErr {
    let error = crate::pyalloc::string(py, &message)
        .and_then(|message| unsafe { Bound::from_borrowed_ptr(py, crate::state::state().pickling_error.as_ptr()) }.call1((message,)));
    match error {
        Ok(error) => PyErr::from_value(error),
        Err(err) => err,
    }
}
