//! Code objects: `types.CodeType(*args)` with this version's constructor
//! fields, from the facts (`CODE_CONSTRUCTOR_FIELDS`).

use super::function::fresh_str;
use super::refs::refs;
use super::transient::write_call_with;
use super::{raised, save_reduced};
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::generated::facts::CODE_CONSTRUCTOR_FIELDS;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

/// The attribute holding a constructor field.
fn attribute_of(field: &str) -> String {
    match field {
        "codestring" => "co_code".to_owned(),
        "constants" => "co_consts".to_owned(),
        other => format!("co_{other}"),
    }
}

/// The attribute names as interned strings, in constructor order.
fn attributes(py: Python<'_>) -> PyResult<&'static Vec<Py<PyString>>> {
    crate::process::PROCESS.code_attributes.get_or_try_init(py, || {
        CODE_CONSTRUCTOR_FIELDS.iter().map(|f| crate::pyalloc::intern(py, &attribute_of(f)).map(Bound::unbind)).collect()
    })
}

/// The reduce tuple per code object is cached (`PROCESS.code_reductions`):
/// code objects are immutable, and a function shipped again and again
/// needs its fields read only once.
pub unsafe fn save_code(p: &mut Core, obj: *mut PyObject) -> Res {
    let py = Python::assume_attached();
    let code = Bound::from_borrowed_ptr(py, obj);
    let reduce = match crate::process::PROCESS.code_reductions.get(&code) {
        Some(reduce) => Ok(reduce),
        None => code_reduce(&code).inspect(|reduce| crate::process::PROCESS.code_reductions.insert(&code, reduce)),
    };
    let reduce = raised(py, reduce)?;
    // `(CodeType, args)`: written directly, the tuples not memoized.
    let (code_type, args) = (reduce.get_item(0), reduce.get_item(1));
    let (Ok(code_type), Ok(args)) = (code_type, args) else { return save_reduced(p, obj, Ok(reduce)) };
    let Ok(args) = args.cast_into::<PyTuple>() else { return save_reduced(p, obj, Ok(reduce)) };
    let items: Vec<*mut PyObject> = args.iter().map(|item| item.as_ptr()).collect();
    write_call_with(p, obj, code_type.as_ptr(), &items, fresh_tuple_fields()).map(|_| ())
}

/// The fields `code_reduce` copies into tuples of its own (a bit each).
fn fresh_tuple_fields() -> u64 {
    CODE_CONSTRUCTOR_FIELDS
        .iter()
        .enumerate()
        .filter(|(_, field)| FRESH_TUPLES.contains(field))
        .fold(0, |mask, (i, _)| mask | 1 << i)
}

const FRESH_TUPLES: [&str; 4] = ["names", "varnames", "freevars", "cellvars"];

fn code_reduce<'py>(code: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = code.py();
    let mut args = Vec::with_capacity(CODE_CONSTRUCTOR_FIELDS.len());
    for (field, attribute) in CODE_CONSTRUCTOR_FIELDS.iter().zip(attributes(py)?) {
        let value = code.getattr(attribute.bind(py))?;
        // Copies, so the pickle doesn't depend on which tuples and names
        // happen to be shared or interned in this process.
        let value = match *field {
            field if FRESH_TUPLES.contains(&field) => {
                crate::pyalloc::tuple(py, value.cast::<PyTuple>()?.iter())?.into_any()
            }
            "name" => fresh_str(&value)?,
            _ => value,
        };
        args.push(value);
    }
    let code_type = refs(py)?.code_type.bind(py).clone();
    Ok(crate::pyalloc::tuple(py, [code_type, crate::pyalloc::tuple(py, args)?.into_any()])?.into_any())
}
