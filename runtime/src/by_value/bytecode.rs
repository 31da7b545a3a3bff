//! The global names a code object reads or writes (LOAD_GLOBAL,
//! STORE_GLOBAL, DELETE_GLOBAL), nested code objects included, read from
//! the bytecode with this version's opcode facts. Cached per code object,
//! without keeping code objects alive.

use crate::generated::facts::{behaviour, bytecode as op};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use std::collections::HashMap;
use std::sync::Mutex;

struct Cached {
    code: Py<PyAny>,
    names: Py<PyTuple>,
}

/// Keyed by code object address; the entry holds a weak reference so a
/// recycled address is never mistaken for the old code object.
static CACHE: Mutex<Option<HashMap<usize, Cached>>> = Mutex::new(None);
const PURGE_AT: usize = 4096;

/// The global names used by `code`, first use first, without repeats.
pub fn code_globals<'py>(code: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    let py = code.py();
    let key = code.as_ptr() as usize;
    if let Some(names) = cached(py, key, code) {
        return Ok(names);
    }
    let mut names: Vec<Bound<'py, PyAny>> = Vec::new();
    collect(code, &mut names)?;
    let names = PyTuple::new(py, names)?;
    let weak = py.import("weakref")?.getattr("ref")?.call1((code,))?;
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let map = cache.get_or_insert_with(HashMap::new);
    if map.len() >= PURGE_AT {
        map.retain(|_, entry| entry.code.bind(py).call0().is_ok_and(|c| !c.is_none()));
    }
    map.insert(key, Cached { code: weak.unbind(), names: names.clone().unbind() });
    Ok(names)
}

fn cached<'py>(py: Python<'py>, key: usize, code: &Bound<'py, PyAny>) -> Option<Bound<'py, PyTuple>> {
    let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let entry = cache.as_ref()?.get(&key)?;
    let alive = entry.code.bind(py).call0().ok()?;
    alive.is(code).then(|| entry.names.bind(py).clone())
}

fn collect<'py>(code: &Bound<'py, PyAny>, names: &mut Vec<Bound<'py, PyAny>>) -> PyResult<()> {
    let py = code.py();
    let co_names = code.getattr(pyo3::intern!(py, "co_names"))?.cast_into::<PyTuple>()?;
    let co_code = code.getattr(pyo3::intern!(py, "co_code"))?.cast_into::<PyBytes>()?;
    for index in global_name_indices(co_code.as_bytes()) {
        if let Ok(name) = co_names.get_item(index) {
            if !names.iter().any(|n| n.eq(&name).unwrap_or(false)) {
                names.push(name);
            }
        }
    }
    let code_type = super::refs::refs(py)?.code_type.bind(py);
    let consts = code.getattr(pyo3::intern!(py, "co_consts"))?.cast_into::<PyTuple>()?;
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
