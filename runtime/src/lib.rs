//! `anethum._anethum`: a pickler byte-identical to CPython's `_pickle`,
//! built against one interpreter with that version's generated core.

mod api;
mod by_value;
mod core;
mod error;
mod ffi;
mod memo;
mod opcodes;
mod owned;
mod path;
mod process;
mod pyalloc;
mod python_hooks;
mod reducers;
mod save;
mod size_hints;
mod stack;
mod state;
mod type_cache;
mod writer;

include!(concat!(env!("OUT_DIR"), "/generated_select.rs"));

use pyo3::prelude::*;

// gil_used: the caches in `state`, `by_value::refs` and the weak caches are
// process-wide and assume the GIL; free-threaded builds must re-enable it.
#[pymodule(gil_used = true)]
fn _anethum(m: &Bound<'_, PyModule>) -> PyResult<()> {
    refuse_subinterpreters()?;
    state::init(m.py())?;
    m.add("HIGHEST_PROTOCOL", generated::facts::HIGHEST_PROTOCOL)?;
    m.add("DEFAULT_PROTOCOL", generated::facts::DEFAULT_PROTOCOL)?;
    // The load-time helpers the spec declares, for the test that
    // anethum.loaders defines them all.
    m.add("_LOADER_HELPERS", pyo3::types::PyTuple::new(m.py(), generated::helpers::NAMES)?)?;
    m.add_function(wrap_pyfunction!(api::functions::dumps, m)?)?;
    m.add_function(wrap_pyfunction!(api::functions::dump, m)?)?;
    m.add_function(wrap_pyfunction!(api::functions::_dill_dumps, m)?)?;
    m.add_function(wrap_pyfunction!(api::functions::_set_side_pickle_reuse, m)?)?;
    m.add_function(wrap_pyfunction!(api::functions::_panic_for_tests, m)?)?;
    m.add_class::<api::pickler::Pickler>()?;
    m.add_class::<api::memo_proxy::PicklerMemoProxy>()?;
    Ok(())
}

#[cfg(test)]
mod tests;

/// The module's caches and type pointers are process-wide and hold objects
/// of the main interpreter, which another interpreter must never touch.
fn refuse_subinterpreters() -> PyResult<()> {
    let main = unsafe { pyo3::ffi::PyInterpreterState_Main() };
    if unsafe { pyo3::ffi::PyInterpreterState_Get() } == main {
        return Ok(());
    }
    Err(crate::pyalloc::error::<pyo3::exceptions::PyImportError>(
        "anethum._anethum cannot be imported in a sub-interpreter: its caches and type pointers are \
         process-wide and belong to the main interpreter; import and use anethum in the main \
         interpreter only",
    ))
}
