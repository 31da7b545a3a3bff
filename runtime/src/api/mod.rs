//! The Python-facing layer: `dumps`, `dump` and the `Pickler` class.

pub mod functions;
pub mod memo_proxy;
pub mod pickler;
pub mod save_methods;

use crate::error::Failed;
use pyo3::{PyErr, Python};

/// Turns the exception the core left set into a `PyErr`.
pub fn fetch(py: Python<'_>, _: Failed) -> PyErr {
    PyErr::fetch(py)
}
