//! Input files held in memory, so `lower` can turn byte spans into lines
//! and `emit` can hash exactly what was read.

use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Shown in errors, e.g. `spec/dispatch.toml`.
    pub name: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        // Hashes and spans must not depend on the checkout's line endings.
        let text = text.into().replace("\r\n", "\n");
        SourceFile {
            name: name.into(),
            text,
        }
    }

    pub fn read(path: &Path, name: impl Into<String>) -> io::Result<Self> {
        Ok(SourceFile::new(name, std::fs::read_to_string(path)?))
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

/// Short content hash used in generated headers: 16 hex digits of SHA-256,
/// like Argument Clinic's truncated checksums.
pub fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // Length prefix, so ["ab", "c"] and ["a", "bc"] differ.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let s = SourceFile::new("f", "ab\ncd\r\nef");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(4), (2, 2));
        assert_eq!(s.line_col(6), (3, 1));
    }
}
