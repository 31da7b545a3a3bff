//! `cargo xtask gen`: turn facts and spec into files, then either write the ones that
//! changed (atomically) or, with `--check`, only report them.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anethum_codegen::emit::{HeaderCheck, check_header};
use anethum_codegen::{FactsFile, GeneratedFile, PyVersion, SourceFile};

use crate::{Options, facts};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repo root")
        .to_owned()
}

/// A file `--check` found out of date, and the command that fixes it.
struct Problem {
    path: String,
    what: &'static str,
    fix: String,
}

pub fn run(root: &Path, opts: &Options) -> Result<(), String> {
    let mut problems = Vec::new();
    // The same spec error shows up for every version; report it once.
    let mut errors = BTreeSet::new();
    for &version in &opts.versions {
        let Some(facts) = load_facts(root, version, opts, &mut problems)? else {
            continue;
        };
        match anethum_codegen::generate(&root.join("spec"), &facts, version) {
            Ok(files) => {
                let fix = format!("cargo xtask gen --py {version}");
                for file in &files {
                    ensure_file(
                        root,
                        &file.path,
                        &file.contents,
                        opts.check,
                        &fix,
                        &mut problems,
                    )?;
                }
                remove_extra(root, version, &files, opts.check, &mut problems)?;
            }
            Err(errs) => errors.extend(errs.iter().map(ToString::to_string)),
        }
    }
    let mut msg = String::new();
    for e in &errors {
        let _ = writeln!(msg, "error: {e}");
    }
    if !errors.is_empty() {
        let _ = writeln!(
            msg,
            "{} spec error(s); nothing for the affected versions was written",
            errors.len()
        );
    }
    for p in &problems {
        let _ = writeln!(msg, "{}: {}; run `{}`", p.path, p.what, p.fix);
    }
    if msg.is_empty() {
        Ok(())
    } else {
        Err(msg.trim_end().to_owned())
    }
}

/// The committed facts, or fresh ones from the interpreter when asked for
/// (or when there are none yet and we may write them).
fn load_facts(
    root: &Path,
    version: PyVersion,
    opts: &Options,
    problems: &mut Vec<Problem>,
) -> Result<Option<FactsFile>, String> {
    let rel = format!("facts/{}.toml", version.dir_name());
    let path = root.join(&rel);
    let refresh = format!("cargo xtask gen --py {version} --refresh-facts");
    let text = if opts.refresh_facts || (!path.exists() && !opts.check) {
        let python = match &opts.python {
            Some(p) => p.clone(),
            None => facts::find_python(version)?,
        };
        let text = facts::read(&python, version)?.to_toml(&refresh);
        ensure_file(root, &rel, &text, opts.check, &refresh, problems)?;
        text
    } else {
        match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(_) if !path.exists() => {
                problems.push(Problem {
                    path: rel,
                    what: "missing",
                    fix: refresh,
                });
                return Ok(None);
            }
            Err(e) => return Err(format!("{rel}: {e}")),
        }
    };
    FactsFile::parse(SourceFile::new(&rel, text))
        .map(Some)
        .map_err(|errs| {
            errs.iter()
                .map(|e| format!("error: {e}\n"))
                .collect::<String>()
                + &format!("fix: {refresh}")
        })
}

/// rust-analyzer's `ensure_file_contents`: write only on change, or with
/// `check` record why the file on disk is not what would be written.
fn ensure_file(
    root: &Path,
    rel: &str,
    contents: &str,
    check: bool,
    fix: &str,
    problems: &mut Vec<Problem>,
) -> Result<(), String> {
    let path = root.join(rel);
    let old = fs::read_to_string(&path)
        .ok()
        .map(|s| s.replace("\r\n", "\n"));
    if old.as_deref() == Some(contents) {
        return Ok(());
    }
    if check {
        let what = match &old {
            None => "missing",
            Some(text) if (rel.ends_with(".rs") || rel.ends_with(".pyi")) && check_header(text) != HeaderCheck::Intact => {
                "edited by hand"
            }
            Some(_) => "stale",
        };
        problems.push(Problem {
            path: rel.to_owned(),
            what,
            fix: fix.to_owned(),
        });
        return Ok(());
    }
    write_atomic(&path, contents).map_err(|e| format!("{rel}: {e}"))?;
    eprintln!("updated {rel}");
    Ok(())
}

/// Write to a sibling temp file, then rename over the target, so a reader
/// (or an interrupted run) never sees half a file.
fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().expect("a file inside the repo");
    fs::create_dir_all(dir)?;
    let name = path.file_name().expect("a file name").to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    fs::write(&tmp, contents)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Files in `generated/py3XX/` that the generator no longer produces.
/// Generated ones are deleted; anything else is left for a person.
fn remove_extra(
    root: &Path,
    version: PyVersion,
    files: &[GeneratedFile],
    check: bool,
    problems: &mut Vec<Problem>,
) -> Result<(), String> {
    let rel_dir = format!("generated/{}", version.dir_name());
    let Ok(entries) = fs::read_dir(root.join(&rel_dir)) else {
        return Ok(());
    };
    let wanted: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut extra: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    extra.sort();
    for path in extra {
        let rel = format!("{rel_dir}/{}", path.file_name().unwrap().to_string_lossy());
        if wanted.contains(rel.as_str()) || path.is_dir() {
            continue;
        }
        let generated =
            fs::read_to_string(&path).is_ok_and(|t| check_header(&t) != HeaderCheck::NoHeader);
        if check || !generated {
            let what = if generated {
                "no longer generated"
            } else {
                "not generated; move it out of generated/"
            };
            problems.push(Problem {
                path: rel,
                what,
                fix: format!("cargo xtask gen --py {version}"),
            });
        } else {
            fs::remove_file(&path).map_err(|e| format!("{rel}: {e}"))?;
            eprintln!("removed {rel}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use anethum_codegen::SUPPORTED;

    /// Like rust-analyzer's `fn test() { generate(true) }`: the committed
    /// files must be exactly what the generator makes. Reads facts/ only.
    #[test]
    fn generated_files_are_fresh() {
        let opts = Options {
            versions: SUPPORTED.to_vec(),
            check: true,
            refresh_facts: false,
            python: None,
        };
        if let Err(msg) = run(&repo_root(), &opts) {
            panic!("generated files are out of date:\n{msg}");
        }
    }

    #[test]
    fn check_names_stale_missing_and_edited_files() {
        let tmp = std::env::temp_dir().join(format!("anethum-xtask-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        let version = PyVersion::new(11);
        let facts_rel = "facts/py311.toml";
        fs::create_dir_all(tmp.join("facts")).unwrap();
        fs::copy(repo_root().join(facts_rel), tmp.join(facts_rel)).unwrap();
        copy_dir(&repo_root().join("spec"), &tmp.join("spec"));

        let mut opts = Options {
            versions: vec![version],
            check: true,
            refresh_facts: false,
            python: None,
        };
        let err = run(&tmp, &opts).unwrap_err();
        assert!(
            err.contains("generated/py311/dispatch.rs: missing; run `cargo xtask gen --py 3.11`"),
            "{err}"
        );

        opts.check = false;
        run(&tmp, &opts).unwrap();
        opts.check = true;
        run(&tmp, &opts).unwrap();

        let dispatch = tmp.join("generated/py311/dispatch.rs");
        let text = fs::read_to_string(&dispatch).unwrap();
        fs::write(&dispatch, text.replace("save_none", "save_nothing")).unwrap();
        let spec = tmp.join("spec/dispatch.toml");
        let spec_text = fs::read_to_string(&spec).unwrap();
        fs::write(
            &spec,
            spec_text.replace("items in batches of 1000", "items in batches"),
        )
        .unwrap();
        fs::write(
            tmp.join("generated/py311/old.rs"),
            "// @generated by x\n// output=0\n",
        )
        .unwrap();
        let err = run(&tmp, &opts).unwrap_err();
        assert!(
            err.contains("generated/py311/dispatch.rs: edited by hand"),
            "{err}"
        );
        assert!(err.contains("generated/py311/facts.rs: stale"), "{err}");
        assert!(
            err.contains("generated/py311/old.rs: no longer generated"),
            "{err}"
        );
        fs::remove_dir_all(&tmp).unwrap();
    }

    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for e in fs::read_dir(from).unwrap().flatten() {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
