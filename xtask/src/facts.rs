//! Reads facts from a CPython interpreter by running `read_facts.py` in it.
//! Only `--refresh-facts` (or a missing facts file) gets here.

use std::path::{Path, PathBuf};
use std::process::Command;

use anethum_codegen::{Facts, PyVersion};

const SCRIPT: &str = include_str!("read_facts.py");

/// `/root/.pyenv/versions/3.N.*/bin/python` (newest patch), else `python3.N`.
pub fn find_python(version: PyVersion) -> Result<PathBuf, String> {
    let prefix = format!("{version}.");
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/root/.pyenv/versions")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let patch = name.strip_prefix(&prefix)?.parse().ok()?;
            let python = e.path().join("bin/python");
            python.is_file().then_some((patch, python))
        })
        .collect();
    found.sort();
    if let Some((_, python)) = found.pop() {
        return Ok(python);
    }
    let on_path = format!("python{version}");
    if let Ok(s) = Command::new(&on_path).arg("-c").arg("pass").status() {
        if s.success() {
            return Ok(on_path.into());
        }
    }
    // 3.14 and 3.15: Debian sid's, unpacked into a cache by scripts/python.sh.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/python.sh");
    if let Ok(out) = Command::new("bash").arg(&script).arg("--from-sid").arg(version.to_string()).output() {
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() && !path.is_empty() {
            return Ok(path.into());
        }
    }
    Err(format!(
        "no CPython {version} found in /root/.pyenv/versions, as `{on_path}` on PATH or from scripts/python.sh; pass --python PATH"
    ))
}

/// Runs the interpreter and checks it is the version asked for.
pub fn read(python: &Path, version: PyVersion) -> Result<Facts, String> {
    let out = Command::new(python)
        .args(["-I", "-c", SCRIPT])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed reading facts:\n{}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let facts: Facts = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "facts from {} do not match codegen::Facts: {e}",
            python.display()
        )
    })?;
    let [major, minor, _] = facts.python.version;
    if (major, minor) != (3, u32::from(version.minor)) {
        return Err(format!(
            "{} is CPython {major}.{minor}, not {version}",
            python.display()
        ));
    }
    Ok(facts)
}
