//! Checks the facts file and turns it into the tables `facts.rs` shows.
//! Facts are machine-written, so errors here are rare; they point at the
//! offending key's first occurrence in the file.

use std::collections::BTreeMap;

use crate::error::{Errors, SpecError};
use crate::facts::FactsFile;
use crate::model::{self, FactsModel};
use crate::version::PyVersion;

pub(super) fn lower_facts(file: &FactsFile, version: PyVersion, errors: &mut Errors) -> FactsModel {
    let f = &file.facts;
    let src = &file.src;
    let mut err = |needle: &str, msg: String| {
        let at = src.text.find(needle).unwrap_or(0);
        errors.push(SpecError::at(src, at..at, msg));
    };
    if file.version() != version || f.python.version[0] != 3 {
        let [a, b, c] = f.python.version;
        err(
            "version",
            format!(
                "facts are for CPython {a}.{b}.{c}, not {version}; refresh them with `cargo xtask gen --py {version} --refresh-facts`"
            ),
        );
    }
    let mut check_const = |name: &str| {
        let upper = name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !upper || syn::parse_str::<syn::Ident>(name).is_err() {
            err(name, format!("`{name}` cannot be a Rust constant name"));
        }
    };
    for name in f.pickle.opcodes.keys().chain(f.bytecode.opmap.keys()) {
        check_const(name);
    }
    let mut opcodes = Vec::new();
    let mut pseudo_opcodes = Vec::new();
    for (name, &op) in &f.bytecode.opmap {
        match u8::try_from(op) {
            Ok(b) => opcodes.push((name.clone(), b)),
            Err(_) => match u16::try_from(op) {
                Ok(w) => pseudo_opcodes.push((name.clone(), w)),
                Err(_) => err(name, format!("opcode `{name}` = {op} does not fit in u16")),
            },
        }
    }
    opcodes.sort_by_key(|(n, b)| (*b, n.clone()));
    pseudo_opcodes.sort_by_key(|(n, w)| (*w, n.clone()));
    let real: BTreeMap<&str, u8> = opcodes.iter().map(|(n, b)| (n.as_str(), *b)).collect();

    let mut hasarg = Vec::new();
    for name in &f.bytecode.hasarg {
        match real.get(name.as_str()) {
            Some(&b) => hasarg.push((b, name.clone())),
            // dis.hasarg also lists pseudo-instructions; they never reach bytecode.
            None if f.bytecode.opmap.contains_key(name) => {}
            None => err(
                name,
                format!("hasarg names `{name}`, which is not in opmap"),
            ),
        }
    }
    hasarg.sort();

    let inline_cache_entries = f.bytecode.inline_cache_entries.as_ref().map(|caches| {
        let mut out = Vec::new();
        for (name, &n) in caches {
            match (real.get(name.as_str()), u8::try_from(n)) {
                (Some(&b), Ok(n)) => out.push((name.clone(), b, n)),
                _ => err(
                    name,
                    format!(
                        "inline cache entry `{name}` = {n} is not a real opcode with a u8 count"
                    ),
                ),
            }
        }
        out.sort_by_key(|(n, b, _)| (*b, n.clone()));
        out
    });

    let have_argument = u8::try_from(f.bytecode.have_argument).unwrap_or_else(|_| {
        err("have_argument", "have_argument does not fit in u8".into());
        0
    });
    let required = f.code.constructor_required as usize;
    if required > f.code.constructor_fields.len() {
        err(
            "constructor_required",
            "constructor_required exceeds the number of fields".into(),
        );
    }
    let mut pickle_opcodes: Vec<_> = f
        .pickle
        .opcodes
        .iter()
        .map(|(name, op)| model::PickleOpcode {
            name: name.clone(),
            code: op.code,
            proto: op.proto,
        })
        .collect();
    pickle_opcodes.sort_by_key(|o| (o.code, o.name.clone()));

    FactsModel {
        python_version: f.python.version,
        highest_protocol: f.pickle.highest_protocol,
        default_protocol: f.pickle.default_protocol,
        pickle_opcodes,
        opcodes,
        pseudo_opcodes,
        have_argument,
        hasarg: hasarg.into_iter().map(|(_, n)| n).collect(),
        inline_cache_entries,
        code_constructor_fields: f.code.constructor_fields.clone(),
        code_constructor_required: required,
        code_attributes: f.code.attributes.clone(),
    }
}
