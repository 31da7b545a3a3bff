//! Errors in the spec or facts, each pointing at `file:line:col`.

use std::fmt;
use std::ops::Range;

use crate::source::SourceFile;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// Path as the user would type it, e.g. `spec/dispatch.toml`.
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub col: usize,
    pub message: String,
}

impl SpecError {
    pub fn at(src: &SourceFile, span: Range<usize>, message: impl Into<String>) -> Self {
        let (line, col) = src.line_col(span.start);
        SpecError {
            file: src.name.clone(),
            line,
            col,
            message: message.into(),
        }
    }

    /// For problems that belong to a whole file rather than a place in it.
    pub fn in_file(file: &str, message: impl Into<String>) -> Self {
        SpecError {
            file: file.to_owned(),
            line: 1,
            col: 1,
            message: message.into(),
        }
    }

    /// Wraps a `toml` error, keeping its span but not its own rendering of
    /// the source, which would repeat the location.
    pub fn from_toml(src: &SourceFile, err: &toml::de::Error) -> Self {
        let span = err.span().unwrap_or(0..0);
        SpecError::at(src, span, err.message().trim_end())
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for SpecError {}

/// Collects errors so that one run reports all of them.
#[derive(Default)]
pub struct Errors(Vec<SpecError>);

impl Errors {
    pub fn push(&mut self, e: SpecError) {
        self.0.push(e);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn extend(&mut self, es: impl IntoIterator<Item = SpecError>) {
        self.0.extend(es);
    }

    pub fn into_vec(self) -> Vec<SpecError> {
        self.0
    }

    /// `Err` with everything collected so far, in file order, if anything was.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<SpecError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(sorted(self.0))
        }
    }
}

/// In file order, without repeats.
pub fn sorted(mut errors: Vec<SpecError>) -> Vec<SpecError> {
    errors.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
    errors.dedup();
    errors
}
