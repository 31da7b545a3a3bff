//! Facts read from one CPython interpreter (`facts/py3XX.toml`), and the
//! deterministic TOML writer `cargo xtask gen --refresh-facts` uses.
//!
//! Generation reads only these files, so output does not depend on which
//! patch release happens to be installed until someone refreshes them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::error::SpecError;
use crate::source::{SourceFile, short_hash};
use crate::version::PyVersion;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub python: PythonFacts,
    pub pickle: PickleFacts,
    pub bytecode: BytecodeFacts,
    pub code: CodeFacts,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonFacts {
    /// `sys.version_info[:3]`.
    pub version: [u32; 3],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickleFacts {
    pub highest_protocol: u32,
    pub default_protocol: u32,
    /// `pickletools.opcodes`, by name.
    pub opcodes: BTreeMap<String, PickleOpcode>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickleOpcode {
    pub code: u8,
    /// First protocol that has the opcode.
    pub proto: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BytecodeFacts {
    /// `dis.HAVE_ARGUMENT`.
    pub have_argument: u32,
    /// Names of opcodes that take an argument: `dis.hasarg` where it
    /// exists (3.12+), else every real opcode `>= HAVE_ARGUMENT`. Sorted.
    pub hasarg: Vec<String>,
    /// `dis.opmap`; 3.12+ include pseudo-instructions numbered from 256.
    pub opmap: BTreeMap<String, u32>,
    /// Non-zero `dis._inline_cache_entries`, by name; `None` before 3.11,
    /// where there are no inline caches.
    pub inline_cache_entries: Option<BTreeMap<String, u32>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeFacts {
    /// Parameter names of `types.CodeType(...)`, in order.
    pub constructor_fields: Vec<String>,
    /// How many leading parameters have no default.
    pub constructor_required: u32,
    /// Every `co_*` name on `types.CodeType`, sorted (methods included).
    pub attributes: Vec<String>,
}

/// A facts file together with its source, for errors and the header hash.
#[derive(Clone, Debug)]
pub struct FactsFile {
    pub src: SourceFile,
    pub facts: Facts,
}

impl FactsFile {
    pub fn parse(src: SourceFile) -> Result<FactsFile, Vec<SpecError>> {
        match toml::from_str::<Facts>(&src.text) {
            Ok(facts) => Ok(FactsFile { src, facts }),
            Err(e) => Err(vec![SpecError::from_toml(&src, &e)]),
        }
    }

    pub fn hash(&self) -> String {
        short_hash(&[&self.src.text])
    }

    pub fn version(&self) -> PyVersion {
        PyVersion::new(self.facts.python.version[1] as u8)
    }
}

impl Facts {
    /// The committed form: tables and keys sorted, one fact per line, so
    /// that a refresh diff shows exactly what the interpreter changed.
    pub fn to_toml(&self, command: &str) -> String {
        let mut s = String::new();
        let [major, minor, micro] = self.python.version;
        let _ = writeln!(
            s,
            "# Read from CPython {major}.{minor}.{micro} by `{command}`."
        );
        s.push_str(
            "# `cargo xtask gen` reads only this file; refresh it rather than editing it.\n",
        );
        s.push_str("\n[python]\n");
        let _ = writeln!(s, "version = [{major}, {minor}, {micro}]");

        s.push_str("\n[pickle]\n");
        let _ = writeln!(s, "highest_protocol = {}", self.pickle.highest_protocol);
        let _ = writeln!(s, "default_protocol = {}", self.pickle.default_protocol);
        s.push_str("\n# pickletools.opcodes: name = { code = <byte>, proto = <first protocol> }\n");
        s.push_str("[pickle.opcodes]\n");
        for (name, op) in &self.pickle.opcodes {
            let _ = writeln!(
                s,
                "{} = {{ code = {}, proto = {} }}",
                key(name),
                op.code,
                op.proto
            );
        }

        s.push_str("\n[bytecode]\n");
        let _ = writeln!(s, "have_argument = {}", self.bytecode.have_argument);
        s.push_str("hasarg = ");
        string_list(&mut s, &self.bytecode.hasarg);
        s.push_str("\n[bytecode.opmap]\n");
        for (name, op) in &self.bytecode.opmap {
            let _ = writeln!(s, "{} = {op}", key(name));
        }
        if let Some(caches) = &self.bytecode.inline_cache_entries {
            s.push_str("\n# dis._inline_cache_entries, non-zero counts only\n");
            s.push_str("[bytecode.inline_cache_entries]\n");
            for (name, n) in caches {
                let _ = writeln!(s, "{} = {n}", key(name));
            }
        }

        s.push_str("\n[code]\n");
        s.push_str("constructor_fields = ");
        string_list(&mut s, &self.code.constructor_fields);
        let _ = writeln!(
            s,
            "constructor_required = {}",
            self.code.constructor_required
        );
        s.push_str("attributes = ");
        string_list(&mut s, &self.code.attributes);
        s
    }
}

fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare { name.to_owned() } else { quoted(name) }
}

fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn string_list(s: &mut String, items: &[String]) {
    s.push_str("[\n");
    for item in items {
        let _ = writeln!(s, "    {},", quoted(item));
    }
    s.push_str("]\n");
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small but complete facts value for unit tests.
    pub(crate) fn sample(minor: u32) -> Facts {
        let opcodes = [("MARK", b'(', 0), ("STOP", b'.', 0), ("FRAME", 0x95, 4)]
            .into_iter()
            .map(|(n, code, proto)| (n.to_owned(), PickleOpcode { code, proto }))
            .collect();
        let opmap = [("NOP", 9), ("LOAD_CONST", 100), ("JUMP", 256)]
            .into_iter()
            .map(|(n, c)| (n.to_owned(), c))
            .collect();
        Facts {
            python: PythonFacts {
                version: [3, minor, 0],
            },
            pickle: PickleFacts {
                highest_protocol: 5,
                default_protocol: 4,
                opcodes,
            },
            bytecode: BytecodeFacts {
                have_argument: 90,
                hasarg: vec!["LOAD_CONST".into()],
                opmap,
                inline_cache_entries: (minor >= 11)
                    .then(|| [("LOAD_CONST".to_owned(), 1)].into_iter().collect()),
            },
            code: CodeFacts {
                constructor_fields: vec!["argcount".into(), "freevars".into()],
                constructor_required: 1,
                attributes: vec!["co_argcount".into()],
            },
        }
    }

    #[test]
    fn toml_round_trips() {
        for minor in [9, 11] {
            let facts = sample(minor);
            let text = facts.to_toml("test");
            let parsed = FactsFile::parse(SourceFile::new("f.toml", text)).unwrap();
            assert_eq!(parsed.facts, facts);
        }
    }
}
