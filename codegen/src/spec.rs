//! Serde structs mirroring `spec/*.toml` field for field (see
//! `spec/README.md` for the legend), and the loader that reads them.
//!
//! Every value is `Spanned` so `lower` can point at `file:line`. Each
//! entry is deserialized on its own, so one bad entry does not hide the
//! errors in the others.

use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::error::{Errors, SpecError};
use crate::source::SourceFile;

/// `[[type]]` in `dispatch.toml`: one exact-type fast path of `save()`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchEntry {
    pub python: Spanned<String>,
    #[serde(rename = "match")]
    pub match_: Spanned<DispatchMatch>,
    pub accessors: Spanned<Vec<Spanned<String>>>,
    pub saver: Spanned<String>,
    #[serde(default)]
    pub extra_args: Vec<Spanned<String>>,
    pub stage: Spanned<Stage>,
    pub memoize: Spanned<bool>,
    pub since: Option<Spanned<String>>,
    pub until: Option<Spanned<String>>,
    pub doc: Spanned<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispatchMatch {
    /// `obj` is one of the singletons the accessors return.
    Identity,
    /// `Py_TYPE(obj)` is exactly the type the accessor returns.
    ExactType,
}

/// Where in `save()` an entry's check sits; declared in `save()` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Atom,
    Leaf,
    Container,
    Global,
}

/// `[[rule]]` in `overrides.toml`: anethum's own reducer_override rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideRule {
    pub name: Spanned<String>,
    #[serde(rename = "match")]
    pub match_: Spanned<RuleMatch>,
    #[serde(rename = "type")]
    pub type_: Option<Spanned<String>>,
    pub predicate: Option<Spanned<String>>,
    /// `module:expression`: how a type that the C API doesn't export is
    /// found at import; `type` then names the accessor generated for it.
    pub find: Option<Spanned<String>>,
    pub saver: Spanned<String>,
    /// Load-time helpers of `anethum.loaders` the saver names: declared once
    /// as `name(params) -> returns` (the stub's signature), elsewhere by name.
    #[serde(default)]
    pub helpers: Vec<Spanned<String>>,
    pub since: Option<Spanned<String>>,
    pub until: Option<Spanned<String>>,
    pub doc: Spanned<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleMatch {
    ExactType,
    Subtype,
    Predicate,
}

/// `[[behaviour]]` in `behaviour.toml`: one value of a constant that
/// differs between CPython versions. Every name has exactly one entry in
/// each supported version.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub type_: Spanned<BehaviourType>,
    /// Any TOML value here; `lower` checks it against `type_`, which gives
    /// a better message than serde could.
    pub value: Spanned<toml::Value>,
    pub since: Option<Spanned<String>>,
    pub until: Option<Spanned<String>>,
    pub doc: Spanned<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BehaviourType {
    Bool,
    Str,
}

/// The spec files, by the one top-level key each may hold.
pub const FILES: [(&str, &str); 3] = [
    ("dispatch.toml", "type"),
    ("overrides.toml", "rule"),
    ("behaviour.toml", "behaviour"),
];

/// The raw spec, as read; nothing checked beyond the TOML's shape.
#[derive(Debug)]
pub struct Spec {
    pub dispatch_src: SourceFile,
    pub overrides_src: SourceFile,
    pub behaviour_src: SourceFile,
    pub dispatch: Vec<Spanned<DispatchEntry>>,
    pub overrides: Vec<Spanned<OverrideRule>>,
    pub behaviour: Vec<Spanned<Behaviour>>,
}

impl Spec {
    /// Reads `dir/*.toml`; `label` is how errors name `dir` (e.g. `spec`).
    pub fn read_dir(dir: &Path, label: &str) -> Result<Vec<SourceFile>, Vec<SpecError>> {
        let mut errors = Errors::default();
        let mut files = Vec::new();
        for (name, _) in FILES {
            let shown = format!("{label}/{name}");
            match SourceFile::read(&dir.join(name), &shown) {
                Ok(f) => files.push(f),
                Err(e) => errors.push(SpecError::in_file(&shown, format!("cannot read: {e}"))),
            }
        }
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name.ends_with(".toml") && !FILES.iter().any(|(f, _)| *f == name) {
                        let known = FILES.map(|(f, _)| f).join(", ");
                        errors.push(SpecError::in_file(
                            &format!("{label}/{name}"),
                            format!("unknown spec file; the spec is {known}"),
                        ));
                    }
                }
            }
            Err(e) => errors.push(SpecError::in_file(label, format!("cannot list: {e}"))),
        }
        errors.finish(files)
    }

    /// Parses the files `read_dir` returned (or test fixtures), in `FILES`
    /// order. Entries that parse are kept even when others do not, so that
    /// `lower` can check them too and one run shows every error.
    pub fn parse(files: Vec<SourceFile>) -> (Spec, Vec<SpecError>) {
        let mut errors = Errors::default();
        let [dispatch_src, overrides_src, behaviour_src]: [SourceFile; 3] =
            files.try_into().expect("one source per spec file");
        let dispatch = parse_entries(&dispatch_src, FILES[0].1, &mut errors);
        let overrides = parse_entries(&overrides_src, FILES[1].1, &mut errors);
        let behaviour = parse_entries(&behaviour_src, FILES[2].1, &mut errors);
        let spec = Spec {
            dispatch_src,
            overrides_src,
            behaviour_src,
            dispatch,
            overrides,
            behaviour,
        };
        (spec, errors.into_vec())
    }
}

/// Every entry of the array `key` that deserializes; an absent key is an
/// empty list, so a file can hold only comments.
fn parse_entries<T: DeserializeOwned>(
    src: &SourceFile,
    key: &str,
    errors: &mut Errors,
) -> Vec<Spanned<T>> {
    let (root, syntax_errors) = DeTable::parse_recoverable(&src.text);
    errors.extend(syntax_errors.iter().map(|e| SpecError::from_toml(src, e)));
    // An entry cut short by a syntax error would only add "missing field" noise.
    let broken_lines: Vec<usize> = syntax_errors
        .iter()
        .filter_map(|e| e.span())
        .map(|s| src.line_col(s.start).0)
        .collect();
    let mut out = Vec::new();
    for (k, v) in root.get_ref() {
        if k.get_ref() != key {
            let msg = format!(
                "unknown top-level key `{}`; this file holds `[[{key}]]` entries",
                k.get_ref()
            );
            errors.push(SpecError::at(src, k.span(), msg));
            continue;
        }
        let DeValue::Array(items) = v.get_ref() else {
            errors.push(SpecError::at(
                src,
                v.span(),
                format!("`{key}` must be an array of tables"),
            ));
            continue;
        };
        for item in items.iter() {
            if broken_lines.contains(&src.line_col(item.span().start).0) {
                continue;
            }
            match Spanned::<T>::deserialize(ValueDeserializer::from(item.clone())) {
                Ok(entry) => out.push(entry),
                Err(e) => {
                    // Some errors (e.g. a missing field) carry no span; the
                    // entry's own position is then the best place to point.
                    let span = e.span().unwrap_or_else(|| item.span());
                    errors.push(SpecError::at(src, span, e.message().trim_end()));
                }
            }
        }
    }
    out
}
