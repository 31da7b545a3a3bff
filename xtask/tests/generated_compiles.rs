//! The generated modules must compile against the interface the runtime's
//! `save::prelude` provides. Building the pyo3 runtime needs a matching
//! interpreter per version, so this compiles each `generated/py3XX/` with
//! plain `rustc` against a stub of that interface instead.

use std::path::Path;
use std::process::Command;

const STUB: &str = include_str!("fixtures/stub_prelude.rs");

#[test]
fn every_version_compiles_against_the_prelude_interface() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tmp = std::env::temp_dir().join(format!("anethum-compile-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let mut failures = Vec::new();
    let named = spec_functions(root);
    for minor in 9..=15 {
        let mod_rs = root.join(format!("generated/py3{minor}/mod.rs"));
        let lib = tmp.join(format!("py3{minor}.rs"));
        std::fs::write(
            &lib,
            format!("{STUB}\n{named}\n#[path = {:?}]\npub mod generated;\n", mod_rs),
        )
        .unwrap();
        let out = Command::new(&rustc)
            // The workspace allows unsafe_op_in_unsafe_fn; everything else must be clean.
            .args([
                "--edition",
                "2024",
                "--crate-type",
                "lib",
                "--emit",
                "metadata",
            ])
            .args([
                "-D",
                "warnings",
                "-A",
                "unsafe_op_in_unsafe_fn",
                "--out-dir",
            ])
            .arg(&tmp)
            .arg(&lib)
            .output()
            .expect("run rustc");
        if !out.status.success() {
            failures.push(format!(
                "py3{minor}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Stubs of every saver and predicate the spec names, in the stub's
/// `save::prelude`, so adding a reducer needs no edit here.
fn spec_functions(root: &Path) -> String {
    let mut savers = std::collections::BTreeSet::new();
    let mut predicates = std::collections::BTreeSet::new();
    for file in ["dispatch.toml", "overrides.toml"] {
        let text = std::fs::read_to_string(root.join("spec").join(file)).unwrap();
        for line in text.lines() {
            let value = |key: &str| {
                line.strip_prefix(key)
                    .and_then(|rest| rest.trim().strip_prefix('"'))
                    .and_then(|rest| rest.strip_suffix('"'))
                    .map(str::to_owned)
            };
            if let Some(name) = value("saver =") {
                savers.insert(name);
            }
            if let Some(name) = value("predicate =") {
                predicates.insert(name);
            }
        }
    }
    let mut out = String::from("pub mod spec_functions {\n    use crate::save::prelude::*;\n");
    for name in &savers {
        out += &format!("    pub unsafe fn {name}(p: &mut Core, obj: *mut PyObject) -> Res {{ Ok(()) }}\n");
    }
    for name in &predicates {
        out += &format!("    pub unsafe fn {name}(p: &mut Core, obj: *mut PyObject) -> Res<bool> {{ Ok(false) }}\n");
    }
    out + "}\n"
}
