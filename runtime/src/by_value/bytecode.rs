//! The global names a code object reads or writes, nested code objects
//! included, read from the bytecode with this version's opcode facts.
//! Cached per code object, without keeping code objects alive.

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

/// How an instruction names a global: its oparg is a `co_names` index,
/// shifted left by one for LOAD_GLOBAL from 3.11 (the low bit pushes NULL).
#[derive(Clone, Copy, PartialEq)]
enum Names {
    Not,
    Global,
    Index,
}

/// By opcode. Besides the `*_GLOBAL` instructions (what cloudpickle
/// looks for): LOAD_NAME, by which a class body nested in the function
/// reads globals, and LOAD_FROM_DICT_OR_GLOBALS (3.12+), by which
/// annotation and type-parameter scopes in a class body do (PEP 649/695);
/// a name those find in the class namespace instead is a module global
/// shipped for nothing, never one missing.
const NAMES: [Names; 256] = {
    let mut table = [Names::Not; 256];
    table[op::LOAD_GLOBAL as usize] = if behaviour::LOAD_GLOBAL_ARG_HAS_NULL_BIT { Names::Global } else { Names::Index };
    let indexed = ["STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_NAME", "LOAD_FROM_DICT_OR_GLOBALS"];
    let mut i = 0;
    while i < indexed.len() {
        if let Some(code) = opcode(indexed[i]) {
            table[code as usize] = Names::Index;
        }
        i += 1;
    }
    table
};

/// `dis.opmap[name]` of this version, if it has that opcode.
const fn opcode(name: &str) -> Option<u8> {
    let mut i = 0;
    while i < op::OPMAP.len() {
        let (candidate, code) = op::OPMAP[i];
        if same(candidate.as_bytes(), name.as_bytes()) {
            return Some(code);
        }
        i += 1;
    }
    None
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
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
        match NAMES[opcode as usize] {
            Names::Not => {}
            Names::Global => out.push(oparg >> 1),
            Names::Index => out.push(oparg),
        }
    }
    out
}
