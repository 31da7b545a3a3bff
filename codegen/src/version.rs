//! CPython minor versions, as the spec's `since`/`until` fields name them.

use std::fmt;
use std::str::FromStr;

/// A CPython 3.x minor version. Only the minor number varies: the spec
/// never needs patch releases, and major is always 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyVersion {
    pub minor: u8,
}

/// Every version anethum generates code for, oldest first.
pub const SUPPORTED: [PyVersion; 7] = [
    PyVersion::new(9),
    PyVersion::new(10),
    PyVersion::new(11),
    PyVersion::new(12),
    PyVersion::new(13),
    PyVersion::new(14),
    PyVersion::new(15),
];

impl PyVersion {
    pub const fn new(minor: u8) -> Self {
        PyVersion { minor }
    }

    pub fn is_supported(self) -> bool {
        SUPPORTED.contains(&self)
    }

    /// `py311`: the directory under `generated/` and the facts file stem.
    pub fn dir_name(self) -> String {
        format!("py3{}", self.minor)
    }

    /// Whether an entry with these bounds exists in this version.
    /// `since` is inclusive, `until` exclusive, as in `range(since, until)`.
    pub fn within(self, since: Option<PyVersion>, until: Option<PyVersion>) -> bool {
        since.is_none_or(|s| self >= s) && until.is_none_or(|u| self < u)
    }
}

impl fmt::Display for PyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "3.{}", self.minor)
    }
}

impl FromStr for PyVersion {
    type Err = String;

    /// Accepts exactly `3.N`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("expected a version like \"3.11\", found {s:?}");
        let minor = s.strip_prefix("3.").ok_or_else(bad)?;
        if minor.is_empty() || !minor.bytes().all(|b| b.is_ascii_digit()) || minor.len() > 2 {
            return Err(bad());
        }
        Ok(PyVersion::new(minor.parse().map_err(|_| bad())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_bounds() {
        let v: PyVersion = "3.10".parse().unwrap();
        assert_eq!(v, PyVersion::new(10));
        assert!("3.x".parse::<PyVersion>().is_err());
        assert!("2.7".parse::<PyVersion>().is_err());
        assert!("3.".parse::<PyVersion>().is_err());
        let (v9, v10) = (PyVersion::new(9), PyVersion::new(10));
        assert!(v9.within(None, Some(v10)));
        assert!(!v10.within(None, Some(v10)));
        assert!(v10.within(Some(v10), None));
        assert!(!v9.within(Some(v10), None));
    }
}
