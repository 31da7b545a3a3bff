//! Generated pickler core for CPython 3.11.

pub mod dispatch;
pub mod facts;
