//! Picks the generated pickler for the interpreter pyo3 builds against,
//! and refuses interpreters anethum has no generated code for.

use std::{env, fs, path::PathBuf};

const SUPPORTED_MINORS: std::ops::RangeInclusive<u8> = 9..=15;

fn main() {
    pyo3_build_config::use_pyo3_cfgs();
    pyo3_build_config::add_libpython_rpath_link_args();

    let config = pyo3_build_config::get();
    let version = config.version();
    println!("cargo:rustc-check-cfg=cfg(anethum_py, values(\"39\",\"310\",\"311\",\"312\",\"313\",\"314\",\"315\"))");
    if config.is_free_threaded() {
        println!("cargo::error=anethum: free-threaded CPython builds are not supported yet");
        return;
    }
    if version.major != 3 || !SUPPORTED_MINORS.contains(&version.minor) {
        println!(
            "cargo::error=anethum: CPython {}.{} is not supported; anethum builds for CPython 3.9 to 3.15",
            version.major, version.minor
        );
        return;
    }

    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let dir = manifest.join(format!("../generated/py{}{}", version.major, version.minor));
    let mod_rs = dir.join("mod.rs");
    println!("cargo:rerun-if-changed={}", dir.display());
    if !mod_rs.is_file() {
        println!(
            "cargo::error=anethum: no generated pickler for CPython {}.{} at {}; run `cargo xtask gen --py {}.{}`",
            version.major,
            version.minor,
            mod_rs.display(),
            version.major,
            version.minor
        );
        return;
    }
    let mod_rs = mod_rs.canonicalize().unwrap();
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("generated_select.rs");
    fs::write(&out, format!("#[path = {:?}]\npub mod generated;\n", mod_rs)).unwrap();
    println!("cargo:rustc-cfg=anethum_py=\"{}{}\"", version.major, version.minor);
}
