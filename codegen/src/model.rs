//! The spec resolved for one CPython version: only entries that exist in
//! that version, every name checked. Fragments and templates read this.

use crate::version::PyVersion;

pub use crate::spec::Stage;

#[derive(Debug)]
pub struct Model {
    pub version: PyVersion,
    /// In `save()` order: grouped by stage, file order within a stage.
    pub dispatch: Vec<DispatchArm>,
    /// In the order they are tried.
    pub overrides: Vec<OverrideArm>,
    /// Rules other versions try: their savers and predicates are named in
    /// the generated code all the same, so each version compiles them all.
    pub other_versions_overrides: Vec<OverrideArm>,
    /// Types found at import (`find` of a rule), from every rule whatever its
    /// `since`/`until`, so hand-written code compiles on every version.
    pub found_types: Vec<FoundType>,
    /// Load-time helpers, likewise from every rule: `anethum.loaders`
    /// defines them all on every version.
    pub helpers: Vec<Helper>,
    /// One constant per name of `spec/behaviour.toml`, in the order the
    /// names first appear there.
    pub behaviour: Vec<BehaviourConst>,
    pub facts: FactsModel,
}

#[derive(Debug)]
pub struct DispatchArm {
    pub python: String,
    pub test: TypeTest,
    pub saver: String,
    /// Rust expressions passed after `(p, obj`.
    pub extra_args: Vec<String>,
    pub stage: Stage,
    pub doc: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeTest {
    /// `obj == types::a() || obj == types::b()`.
    Identity(Vec<String>),
    /// `tp == types::t()`.
    ExactType(String),
    /// `PyType_IsSubtype(tp, types::t())`.
    Subtype(String),
}

#[derive(Debug)]
pub struct OverrideArm {
    pub name: String,
    /// `None` when the rule is a bare predicate.
    pub test: Option<TypeTest>,
    /// `unsafe fn(&mut Core, *mut PyObject) -> Result<bool, _>`.
    pub predicate: Option<String>,
    pub saver: String,
    pub doc: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundType {
    /// The accessor, `types::<accessor>()`.
    pub accessor: String,
    pub module: String,
    /// Evaluated in the module's namespace; anything but a type leaves the
    /// slot null, which no object's type is.
    pub expression: String,
    pub rule: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Helper {
    /// The attribute of `anethum.loaders`, and the field of `Helpers`.
    pub name: String,
    /// `(params)` as written in the spec, for the stub.
    pub params: String,
    pub returns: String,
    /// The rule that declares it, and that rule's doc.
    pub rule: String,
    pub doc: String,
}

#[derive(Debug)]
pub struct BehaviourConst {
    /// The Rust constant, SCREAMING_SNAKE_CASE.
    pub name: String,
    pub value: BehaviourValue,
    pub doc: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BehaviourValue {
    Bool(bool),
    Str(String),
}

#[derive(Debug)]
pub struct FactsModel {
    pub python_version: [u32; 3],
    pub highest_protocol: u32,
    pub default_protocol: u32,
    /// Sorted by code byte.
    pub pickle_opcodes: Vec<PickleOpcode>,
    /// Real opcodes (< 256), sorted by value.
    pub opcodes: Vec<(String, u8)>,
    /// Compiler-only pseudo-instructions (>= 256), sorted by value.
    pub pseudo_opcodes: Vec<(String, u16)>,
    pub have_argument: u8,
    /// Real opcodes that take an argument, sorted by value.
    pub hasarg: Vec<String>,
    /// Non-zero inline cache counts, sorted by opcode; `None` before 3.11.
    pub inline_cache_entries: Option<Vec<(String, u8, u8)>>,
    pub code_constructor_fields: Vec<String>,
    pub code_constructor_required: usize,
    pub code_attributes: Vec<String>,
}

#[derive(Debug)]
pub struct PickleOpcode {
    pub name: String,
    pub code: u8,
    pub proto: u32,
}
