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
    for minor in 9..=13 {
        let mod_rs = root.join(format!("generated/py3{minor}/mod.rs"));
        let lib = tmp.join(format!("py3{minor}.rs"));
        std::fs::write(
            &lib,
            format!("{STUB}\n#[path = {:?}]\npub mod generated;\n", mod_rs),
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
