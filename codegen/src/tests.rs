//! Tests of the whole library: spec in, files or errors out.

use crate::facts::tests::sample;
use crate::{FactsFile, GeneratedFile, PyVersion, SourceFile, SpecError, generate_from};

fn facts(minor: u8) -> FactsFile {
    let text = sample(u32::from(minor)).to_toml("test");
    FactsFile::parse(SourceFile::new(format!("facts/py3{minor}.toml"), text)).unwrap()
}

fn real_spec() -> Vec<SourceFile> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    crate::Spec::read_dir(&dir, "spec").unwrap()
}

/// The real spec with text appended to each file.
fn spec_plus(dispatch: &str, overrides: &str) -> Vec<SourceFile> {
    let mut files = real_spec();
    for (f, extra) in files.iter_mut().zip([dispatch, overrides]) {
        f.text.push_str(extra);
    }
    files
}

fn spec_of(dispatch: &str, overrides: &str) -> Vec<SourceFile> {
    vec![
        SourceFile::new("spec/dispatch.toml", dispatch),
        SourceFile::new("spec/overrides.toml", overrides),
        SourceFile::new("spec/behaviour.toml", ""),
    ]
}

/// The real spec with `spec/behaviour.toml` replaced by `text`.
fn spec_with_behaviour(text: &str) -> Vec<SourceFile> {
    let mut files = real_spec();
    let b = files
        .iter_mut()
        .find(|f| f.name == "spec/behaviour.toml")
        .unwrap();
    b.text = text.to_owned();
    files
}

fn file<'a>(files: &'a [GeneratedFile], name: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path.ends_with(name))
        .unwrap()
        .contents
}

fn gen_ok(spec: Vec<SourceFile>, minor: u8) -> Vec<GeneratedFile> {
    generate_from(spec, &facts(minor), PyVersion::new(minor)).unwrap_or_else(|errs| {
        panic!(
            "{}",
            errs.iter().map(|e| format!("{e}\n")).collect::<String>()
        )
    })
}

fn gen_err(spec: Vec<SourceFile>) -> Vec<String> {
    let errs: Vec<SpecError> = generate_from(spec, &facts(11), PyVersion::new(11)).unwrap_err();
    errs.iter().map(ToString::to_string).collect()
}

const LEGACY: &str = r#"
[[type]]
python = "legacy"
match = "exact_type"
accessors = ["legacy_type"]
saver = "save_legacy"
stage = "global"
memoize = true
until = "3.10"
doc = "exists only before 3.10"
"#;

const RULE: &str = r#"
[[rule]]
name = "fixture_rule"
match = "exact_type"
type = "function_type"
predicate = "not_importable"
saver = "save_fixture_rule"
since = "3.12"
doc = "functions that cannot be imported by name"
"#;

/// A reducer as the spec README's worked example adds one: a type found
/// by an importable path, a saver, a helper declared with its signature.
const FOUND_RULE: &str = r#"
[[rule]]
name = "fixture_lock"
match = "exact_type"
type = "fixture_lock_type"
find = "_thread:LockType"
saver = "save_fixture_lock"
helpers = ["make_fixture_lock(locked: bool) -> Any"]
since = "3.11"
doc = "a lock, as a new one"
"#;

#[test]
fn since_and_until_select_versions() {
    let spec = || spec_plus(LEGACY, &format!("{RULE}{FOUND_RULE}"));
    let present = |minor: u8, file_name: &str, needle: &str| {
        file(&gen_ok(spec(), minor), file_name).contains(needle)
    };

    assert!(present(9, "dispatch.rs", "return save_legacy(p, obj);"));
    assert!(!present(10, "dispatch.rs", "save_legacy"));
    assert!(!present(13, "dispatch.rs", "save_legacy"));

    assert!(!present(11, "dispatch.rs", "return save_fixture_rule"));
    let rule = "if tp == types::function_type() && not_importable(p, obj)? {\n                    return save_fixture_rule(p, obj);";
    assert!(present(12, "dispatch.rs", rule));
    assert!(present(13, "dispatch.rs", rule));

    // The rule is tried only from 3.11, but its slot and helper exist on
    // every version, so the hand-written saver compiles everywhere.
    assert!(!present(10, "dispatch.rs", "return save_fixture_lock"));
    assert!(present(
        11,
        "dispatch.rs",
        "if tp == types::fixture_lock_type() {"
    ));
    for minor in [9, 11] {
        assert!(present(
            minor,
            "found_types.rs",
            "(&self.fixture_lock_type, c\"_thread\", c\"LockType\")"
        ));
        assert!(present(
            minor,
            "found_types.rs",
            "pub fn fixture_lock_type() -> *mut PyTypeObject"
        ));
        assert!(present(
            minor,
            "helpers.rs",
            "pub make_fixture_lock: Py<PyAny>,"
        ));
        assert!(present(
            minor,
            "helpers.rs",
            "getattr(loaders, \"make_fixture_lock\")"
        ));
        assert!(present(
            minor,
            "loaders.pyi",
            "def make_fixture_lock(locked: bool) -> Any: ..."
        ));
    }
    // The stub is the same file whichever version generates it.
    assert_eq!(
        file(&gen_ok(spec(), 9), "loaders.pyi"),
        file(&gen_ok(spec(), 13), "loaders.pyi")
    );
}

#[test]
fn override_rules_sit_between_reducer_override_and_globals() {
    let files = gen_ok(spec_plus("", RULE), 12);
    let d = file(&files, "dispatch.rs");
    let at = |s: &str| d.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("call_reducer_override") < at("save_fixture_rule"));
    assert!(at("save_fixture_rule") < at("save_type(p, obj)"));
    assert!(at("return save_picklebuffer") < at("call_reducer_override"));
}

#[test]
fn real_spec_orders_save_like_pickle_c() {
    let files = gen_ok(real_spec(), 11);
    let d = file(&files, "dispatch.rs");
    let order = [
        "save_pers",
        "save_none",
        "save_bool",
        "save_long",
        "save_float",
        "p.memo.get",
        "save_bytes",
        "save_unicode",
        "enter_recursive_call",
        "save_dict",
        "save_set",
        "save_frozenset",
        "save_list",
        "save_tuple",
        "save_bytearray",
        "save_picklebuffer",
        "call_reducer_override",
        "save_type",
        "save_global(p, obj, None)",
        "reduce_via_tables",
    ];
    let pos: Vec<usize> = order
        .iter()
        .map(|s| d.find(s).unwrap_or_else(|| panic!("{s} missing")))
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{d}");
    assert!(d.starts_with(
        "// @generated by `cargo xtask gen --py 3.11`; do not edit by hand.\n// spec="
    ));
    assert_eq!(files.len(), 6);
}

const ENTRY: &str = r#"
[[type]]
python = "NoneType"
match = "identity"
accessors = ["none"]
saver = "save_none"
stage = "atom"
memoize = false
doc = "ok"
"#;

#[test]
fn every_error_is_reported_with_file_and_line() {
    let dispatch = format!(
        "{ENTRY}{}{}{}",
        // line 11..: a field that does not exist
        "\n[[type]]\npython = \"int\"\nmatch = \"exact_type\"\naccessors = [\"long_type\"]\nsaver = \"save_long\"\nstage = \"atom\"\nmemoize = false\ndoc = \"x\"\ncolour = \"red\"\n",
        // line 21..: a memoized atom
        "\n[[type]]\npython = \"float\"\nmatch = \"exact_type\"\naccessors = [\"float_type\"]\nsaver = \"save_float\"\nstage = \"atom\"\nmemoize = true\ndoc = \"x\"\n",
        // line 31..: two accessors for exact_type, and a stage out of order
        "\n[[type]]\npython = \"bytes\"\nmatch = \"exact_type\"\naccessors = [\"a\", \"b\"]\nsaver = \"save_bytes\"\nstage = \"leaf\"\nmemoize = true\ndoc = \"x\"\n\
         \n[[type]]\npython = \"list\"\nmatch = \"exact_type\"\naccessors = [\"list_type\"]\nsaver = \"save_list\"\nstage = \"atom\"\nmemoize = false\ndoc = \"x\"\n",
    );
    let overrides = "[[rule]]\nname = \"r\"\nmatch = \"subtype\"\nsaver = \"s\"\nsince = \"3.x\"\ndoc = \"d\"\n";
    let overrides = format!(
        "{overrides}{}",
        // line 7..: a find that is no path, a helper that is no signature, a
        // reference to a helper nobody declares, then a broken table
        "\n[[rule]]\nname = \"f\"\nmatch = \"exact_type\"\ntype = \"t\"\nfind = \"no colon\"\nsaver = \"s\"\nhelpers = [\"make(x\", \"undeclared\"]\ndoc = \"d\"\n\n[[rule]\n"
    );
    let errs = gen_err(spec_of(&dispatch, &overrides));
    let has = |prefix: &str, text: &str| {
        assert!(
            errs.iter()
                .any(|e| e.starts_with(prefix) && e.contains(text)),
            "no `{prefix}…{text}` in\n{}",
            errs.join("\n")
        );
    };
    has("spec/dispatch.toml:19:", "colour");
    has("spec/dispatch.toml:27:", "cannot be memoized");
    has("spec/dispatch.toml:33:", "exactly one type accessor");
    has("spec/dispatch.toml:44:", "list entries in save() order");
    has("spec/overrides.toml:3:", "need `type`");
    has("spec/overrides.toml:5:", "expected a version like");
    has("spec/overrides.toml:12:", "is not `module:expression`");
    has(
        "spec/overrides.toml:14:",
        "neither a name nor `name(params) -> returns`",
    );
    has(
        "spec/overrides.toml:14:",
        "helper `undeclared` is not declared",
    );
    has("spec/overrides.toml:17:", "unclosed array table");
    assert_eq!(errs.len(), 10, "{}", errs.join("\n"));
}

#[test]
fn duplicates_and_unknown_keys_are_errors() {
    let dispatch = format!(
        "{ENTRY}{}\n[[typ]]\n",
        ENTRY.replace("\"none\"", "\"none2\"")
    );
    let errs = gen_err(spec_of(&dispatch, ""));
    assert!(
        errs.iter().any(|e| e.starts_with("spec/dispatch.toml:12:")
            && e.contains("duplicate Python type `NoneType` (first at line 3)")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.starts_with("spec/dispatch.toml:20:")
            && e.contains("unknown top-level key `typ`")),
        "{errs:?}"
    );
}

#[test]
fn facts_for_the_wrong_version_are_rejected() {
    let errs = generate_from(real_spec(), &facts(12), PyVersion::new(11)).unwrap_err();
    assert!(
        errs[0]
            .to_string()
            .contains("facts are for CPython 3.12.0, not 3.11"),
        "{errs:?}"
    );
}

/// `[[behaviour]]` entry text; `bounds` is extra `since`/`until` lines.
fn behaviour(name: &str, ty: &str, value: &str, bounds: &str) -> String {
    format!(
        "\n[[behaviour]]\nname = \"{name}\"\ntype = \"{ty}\"\nvalue = {value}\n{bounds}doc = \"d\"\n"
    )
}

#[test]
fn behaviour_resolves_per_version() {
    let text = [
        behaviour("FLAG", "bool", "false", "until = \"3.11\"\n"),
        behaviour("FLAG", "bool", "true", "since = \"3.11\"\n"),
        behaviour("MSG", "str", "\"old \\\"quoted\\\"\"", "until = \"3.13\"\n"),
        behaviour("MSG", "str", "\"new\"", "since = \"3.13\"\n"),
        behaviour("ALWAYS", "str", "\"same\"", ""),
    ]
    .concat();
    let facts_of = |minor| file(&gen_ok(spec_with_behaviour(&text), minor), "facts.rs").to_owned();
    let f10 = facts_of(10);
    assert!(f10.contains("pub mod behaviour {"), "{f10}");
    assert!(
        f10.contains("    /// d\n    pub const FLAG: bool = false;\n"),
        "{f10}"
    );
    assert!(
        f10.contains(r#"pub const MSG: &str = "old \"quoted\"";"#),
        "{f10}"
    );
    assert!(f10.contains(r#"pub const ALWAYS: &str = "same";"#), "{f10}");
    let f11 = facts_of(11);
    assert!(f11.contains("pub const FLAG: bool = true;"), "{f11}");
    assert!(
        f11.contains(r#"pub const MSG: &str = "old \"quoted\"";"#),
        "{f11}"
    );
    let f13 = facts_of(13);
    assert!(f13.contains(r#"pub const MSG: &str = "new";"#), "{f13}");
    // Names keep the order they first appear in.
    assert!(f13.find("FLAG").unwrap() < f13.find("MSG").unwrap());
    assert!(f13.find("MSG").unwrap() < f13.find("ALWAYS").unwrap());
}

#[test]
fn real_behaviour_spec_differs_at_3_13() {
    let f12 = file(&gen_ok(real_spec(), 12), "facts.rs").to_owned();
    let f13 = file(&gen_ok(real_spec(), 13), "facts.rs").to_owned();
    assert!(f12.contains("pub const NESTED_NAMES_AS_GETATTR_CHAIN: bool = false;"));
    assert!(f13.contains("pub const NESTED_NAMES_AS_GETATTR_CHAIN: bool = true;"));
    assert!(f12.contains(r#"pub const LOCAL_OBJECT_ERROR: &str = "Can't pickle local object";"#));
    assert!(f13.contains(r#"pub const LOCAL_OBJECT_ERROR: &str = "Can't get local object";"#));
    assert!(f12.contains("PickleBuffer can only pickled with protocol >= 5"));
}

fn behaviour_errs(text: &str) -> Vec<String> {
    gen_err(spec_with_behaviour(text))
}

#[test]
fn behaviour_gap_is_an_error() {
    // 3.10 and 3.11 have no entry; reported even though we generate 3.11
    // only, and once, at the name's first entry (line 3).
    let text = [
        behaviour("FLAG", "bool", "false", "until = \"3.10\"\n"),
        behaviour("FLAG", "bool", "true", "since = \"3.12\"\n"),
    ]
    .concat();
    let errs = behaviour_errs(&text);
    assert_eq!(
        errs,
        [
            "spec/behaviour.toml:3:8: behaviour `FLAG` has no entry for 3.10, 3.11; every supported version needs exactly one"
        ],
    );
    // A version outside the one being generated is still checked.
    let text = behaviour("FLAG", "bool", "false", "since = \"3.10\"\n");
    let errs = behaviour_errs(&text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("no entry for 3.9;"), "{errs:?}");
}

#[test]
fn behaviour_overlap_is_an_error() {
    let text = [
        behaviour("FLAG", "bool", "false", "until = \"3.12\"\n"),
        behaviour("FLAG", "bool", "true", "since = \"3.10\"\n"),
    ]
    .concat();
    let errs = behaviour_errs(&text);
    assert_eq!(
        errs,
        [
            "spec/behaviour.toml:10:8: behaviour `FLAG` has two entries for 3.10, 3.11 (the other at line 3); their since/until ranges overlap"
        ],
    );
    // Two unbounded entries overlap everywhere.
    let text = [
        behaviour("FLAG", "bool", "false", ""),
        behaviour("FLAG", "bool", "false", ""),
    ]
    .concat();
    let errs = behaviour_errs(&text);
    assert!(
        errs.len() == 1 && errs[0].contains("two entries for 3.9, 3.10, 3.11, 3.12, 3.13"),
        "{errs:?}"
    );
}

#[test]
fn behaviour_type_mismatch_is_an_error() {
    let text = [
        behaviour("FLAG", "bool", "false", "until = \"3.12\"\n"),
        // line 8..: another type for the same name
        behaviour("FLAG", "str", "\"yes\"", "since = \"3.12\"\n"),
        // line 15..: a value that is not the declared type, a bad name
        behaviour("msg", "str", "1", ""),
        // line 21..: an unknown type
        behaviour("OTHER", "int", "1", ""),
    ]
    .concat();
    let errs = behaviour_errs(&text);
    let has = |prefix: &str, text: &str| {
        assert!(
            errs.iter()
                .any(|e| e.starts_with(prefix) && e.contains(text)),
            "no `{prefix}…{text}` in\n{}",
            errs.join("\n")
        );
    };
    has(
        "spec/behaviour.toml:11:",
        "behaviour `FLAG` is `str` here but `bool` at line 3; all entries of a name share one type",
    );
    has("spec/behaviour.toml:17:", "not a SCREAMING_SNAKE_CASE");
    has(
        "spec/behaviour.toml:19:",
        "`value` must be a string (type = \"str\"), found integer",
    );
    has("spec/behaviour.toml:24:", "unknown variant `int`");
    assert_eq!(errs.len(), 4, "{}", errs.join("\n"));
}

#[test]
fn rule_misses_are_remembered_only_for_types_no_predicate_rule_tests() {
    let files = gen_ok(spec_plus("", RULE), 12);
    let d = file(&files, "dispatch.rs");
    let at = |s: &str| d.find(s).unwrap_or_else(|| panic!("{s} missing"));
    // Rules with a predicate match or not depending on the object, so
    // their types are excluded; rules on the type alone are not listed.
    let note = at("p.note_rules_missed(tp)");
    let condition = &d[d[..note].rfind("if !(").expect("a guard")..note];
    assert!(condition.contains("tp == types::function_type()"));
    assert!(condition.contains("types::is_subtype(tp, types::type_type())"));
    assert!(!condition.contains("code_type"));
    assert!(at("p.by_value && !p.rules_known_to_miss(tp)") < at("save_fixture_rule"));
    assert!(at("save_fixture_rule") < at("p.note_rules_missed(tp)"));
    assert!(at("p.note_rules_missed(tp)") < at("save_type(p, obj)"));
}
