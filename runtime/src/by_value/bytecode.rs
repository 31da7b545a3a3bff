//! The global names a code object reads or writes (LOAD_GLOBAL,
//! STORE_GLOBAL, DELETE_GLOBAL), nested code objects included, read from
//! the bytecode with this version's opcode facts. Cached per code object,
//! without keeping code objects alive.

use crate::generated::facts::{behaviour, bytecode as op};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use crate::pyalloc::name;

/// The global names used by `code`, first use first, without repeats.
pub fn code_globals<'py>(code: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    if let Some(names) = crate::process::PROCESS.code_globals.get(code) {
        return Ok(names.cast_into::<PyTuple>()?);
    }
    let mut names: Vec<Bound<'py, PyAny>> = Vec::new();
    collect(code, &mut names)?;
    let names = crate::pyalloc::tuple(code.py(), names)?;
    crate::process::PROCESS.code_globals.insert(code, names.as_any());
    Ok(names)
}

fn collect<'py>(code: &Bound<'py, PyAny>, names: &mut Vec<Bound<'py, PyAny>>) -> PyResult<()> {
    let py = code.py();
    let co_names = code.getattr(name!(py, "co_names")?)?.cast_into::<PyTuple>()?;
    let co_code = code.getattr(name!(py, "co_code")?)?.cast_into::<PyBytes>()?;
    for index in global_name_indices(co_code.as_bytes()) {
        if let Ok(name) = co_names.get_item(index) {
            if !names.iter().any(|n| n.eq(&name).unwrap_or(false)) {
                names.push(name);
            }
        }
    }
    let code_type = super::refs::refs(py)?.code_type.bind(py);
    let consts = code.getattr(name!(py, "co_consts")?)?.cast_into::<PyTuple>()?;
    for constant in consts.iter() {
        if constant.is_instance(code_type)? {
            collect(&constant, names)?;
        }
    }
    Ok(())
}

/// `co_names` indices named by global-variable instructions, in order.
/// Inline caches (3.11+) read as zeroed CACHE entries and are skipped.
fn global_name_indices(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut extended: usize = 0;
    for unit in bytes.chunks_exact(2) {
        let (opcode, arg) = (unit[0], unit[1] as usize);
        if opcode == op::EXTENDED_ARG {
            extended = (extended | arg) << 8;
            continue;
        }
        let oparg = extended | arg;
        extended = 0;
        if opcode == op::LOAD_GLOBAL {
            out.push(if behaviour::LOAD_GLOBAL_ARG_HAS_NULL_BIT { oparg >> 1 } else { oparg });
        } else if opcode == op::STORE_GLOBAL || opcode == op::DELETE_GLOBAL {
            out.push(oparg);
        }
    }
    out
}
