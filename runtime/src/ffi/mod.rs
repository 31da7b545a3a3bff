//! Raw CPython access. `compat` holds the only version-dependent bits;
//! `types` names the type objects the generated dispatch compares with.

pub mod compat;
pub mod types;

pub use pyo3::ffi::*;
