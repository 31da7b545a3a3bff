//! anethum's code generator: `spec/*.toml` plus one interpreter's facts in,
//! the Rust sources of `generated/py3XX/` out. A library with no file
//! writes; `cargo xtask gen` decides what reaches the disk.
//!
//! Pipeline: [`spec`] parses → [`lower`] checks and resolves one version
//! into a [`model`] → [`render`] fills `templates/*.tera` with
//! [`fragments`] → [`emit`] parse-gates and adds the header.

pub mod emit;
pub mod error;
pub mod facts;
pub mod fragments;
pub mod lower;
pub mod model;
pub mod render;
pub mod source;
pub mod spec;
pub mod version;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use error::SpecError;
pub use facts::{Facts, FactsFile};
pub use source::SourceFile;
pub use spec::Spec;
pub use version::{PyVersion, SUPPORTED};

/// The one generated file outside `generated/py3XX/`, the same for every version.
pub const LOADERS_STUB: &str = "python/anethum/loaders.pyi";

/// One output file, relative to the repository root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// With `/` separators, e.g. `generated/py311/dispatch.rs`.
    pub path: String,
    pub contents: String,
}

/// Reads `spec_dir` and generates every file of `generated/py3XX/`.
pub fn generate(
    spec_dir: &Path,
    facts: &FactsFile,
    version: PyVersion,
) -> Result<Vec<GeneratedFile>, Vec<SpecError>> {
    let sources = Spec::read_dir(spec_dir, "spec")?;
    generate_from(sources, facts, version)
}

/// `generate` on spec sources already in memory (tests use fixtures).
pub fn generate_from(
    sources: Vec<SourceFile>,
    facts: &FactsFile,
    version: PyVersion,
) -> Result<Vec<GeneratedFile>, Vec<SpecError>> {
    if !version.is_supported() {
        return Err(vec![SpecError::in_file(
            "spec",
            format!("CPython {version} is not supported"),
        )]);
    }
    let spec_hash = spec_hash(&sources);
    let (spec, mut errors) = Spec::parse(sources);
    let model = match lower::lower(&spec, facts, version) {
        Ok(model) if errors.is_empty() => model,
        Ok(_) => return Err(error::sorted(errors)),
        Err(more) => {
            errors.extend(more);
            return Err(error::sorted(errors));
        }
    };
    let inputs = emit::Inputs {
        spec: spec_hash,
        templates: render::templates_hash(),
        facts: facts.hash(),
    };
    let dir = format!("generated/{}", version.dir_name());
    let rendered = [
        ("mod.rs", render::mod_rs(&model)),
        ("dispatch.rs", render::dispatch_rs(&model)),
        ("facts.rs", render::facts_rs(&model)),
        ("found_types.rs", render::found_types_rs(&model)),
        ("helpers.rs", render::helpers_rs(&model)),
    ];
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for (name, body) in rendered {
        let path = format!("{dir}/{name}");
        // A failure here is a generator or template bug, not a spec error;
        // it is still reported against the file it would have produced.
        match body.and_then(|b| emit::finish(&path, version, &inputs, &b)) {
            Ok(contents) => files.push(GeneratedFile { path, contents }),
            Err(e) => errors.push(SpecError::in_file(&path, e)),
        }
    }
    // The same for every version: the stubs of the load-time helpers.
    let path = LOADERS_STUB.to_owned();
    match render::loaders_pyi(&model).and_then(|b| emit::finish_shared_py(&inputs, &b)) {
        Ok(contents) => files.push(GeneratedFile { path, contents }),
        Err(e) => errors.push(SpecError::in_file(&path, e)),
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

fn spec_hash(sources: &[SourceFile]) -> String {
    let parts: Vec<&str> = sources
        .iter()
        .flat_map(|s| [s.name.as_str(), s.text.as_str()])
        .collect();
    source::short_hash(&parts)
}
