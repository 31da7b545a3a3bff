//! `cargo xtask gen`: regenerate `generated/py3XX/` from `spec/` and
//! `facts/`, or check that the committed files are up to date.
//!
//! ```text
//! cargo xtask gen (--py 3.N | --all) [--check] [--refresh-facts] [--python PATH]
//! ```

mod facts;
mod generate;

use std::path::PathBuf;
use std::process::ExitCode;

use anethum_codegen::{PyVersion, SUPPORTED};

const USAGE: &str = "\
usage: cargo xtask gen (--py 3.N | --all) [--check] [--refresh-facts] [--python PATH]

  --py 3.N          one CPython minor version (3.9 to 3.15)
  --all             every supported version
  --check           write nothing; fail if any file is stale, missing or edited by hand
  --refresh-facts   re-read facts/py3N.toml from the interpreter before generating
  --python PATH     the interpreter to read facts from (with --py only); default
                    /root/.pyenv/versions/3.N.*/bin/python, then python3.N on PATH,
                    then (3.14, 3.15) Debian sid's from scripts/python.sh";

pub struct Options {
    pub versions: Vec<PyVersion>,
    pub check: bool,
    pub refresh_facts: bool,
    pub python: Option<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let [cmd, rest @ ..] = args else {
        return Err("missing command".into());
    };
    if cmd != "gen" {
        return Err(format!("unknown command `{cmd}`"));
    }
    let mut opts = Options {
        versions: Vec::new(),
        check: false,
        refresh_facts: false,
        python: None,
    };
    let mut all = false;
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--all" => all = true,
            "--check" => opts.check = true,
            "--refresh-facts" => opts.refresh_facts = true,
            "--py" => {
                let v = it.next().ok_or("--py needs a version, e.g. --py 3.11")?;
                let v: PyVersion = v.parse()?;
                if !v.is_supported() {
                    return Err(format!("CPython {v} is not supported (3.9 to 3.15)"));
                }
                opts.versions.push(v);
            }
            "--python" => opts.python = Some(it.next().ok_or("--python needs a path")?.into()),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    match (all, opts.versions.len()) {
        (true, 0) => opts.versions = SUPPORTED.to_vec(),
        (false, 0) => return Err("pass --py 3.N or --all".into()),
        (true, _) => return Err("--py and --all exclude each other".into()),
        _ => {}
    }
    if opts.python.is_some() && opts.versions.len() != 1 {
        return Err("--python needs exactly one --py".into());
    }
    opts.versions.sort();
    opts.versions.dedup();
    Ok(opts)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_args(&args) {
        Ok(o) => o,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match generate::run(&generate::repo_root(), &opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}
