//! Facts read from CPython 3.11 by `cargo xtask gen`.

pub const PY_MINOR: u32 = 11;
pub const HIGHEST_PROTOCOL: i32 = 5;
pub const DEFAULT_PROTOCOL: i32 = 4;
