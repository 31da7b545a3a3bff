//! Hand-written savers, one area per file. The generated `save()` in
//! `generated/py3XX/dispatch.rs` decides which one runs; these never
//! decide dispatch order themselves.

mod atoms;
mod global;
pub mod known_globals;
mod mappings;
mod memo_ops;
mod persistent;
mod plain_instance;
mod reduce;
mod sequences;
mod text;
mod whichmodule_314;


pub use mappings::batch_dict;
pub use memo_ops::{memo_put, memoize_built};
pub use reduce::save_reduce;
pub use sequences::batch_list;

/// Everything the generated dispatch code refers to.
pub mod prelude {
    pub use crate::by_value::*;
    pub use crate::reducers::*;
    pub use super::atoms::{save_bool, save_float, save_long, save_none};
    pub use super::global::{save_global, save_type};
    pub use super::mappings::{save_dict, save_frozenset, save_set};
    pub use super::memo_ops::memo_get;
    pub use super::persistent::save_pers;
    pub use super::reduce::{Reduction, call_reducer_override, reduce_via_tables, save_reduce_value};
    pub use super::sequences::{save_list, save_tuple};
    pub use super::text::{save_bytearray, save_bytes, save_picklebuffer, save_unicode};
    pub use crate::core::{Core, enter_recursive_call, leave_recursive_call};
    pub use crate::error::Res;
    pub use crate::ffi::types;
    pub use crate::ffi::{Py_TYPE, PyObject, PyTypeObject};
    // For the generated helper registry and type slots.
    pub use pyo3::{Bound, Py, PyAny, PyResult};
}
