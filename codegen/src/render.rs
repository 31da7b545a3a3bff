//! Tera setup. Templates are compiled in with `include_str!`, so the
//! generator's output depends only on its inputs, not on the working
//! directory. Templates only loop over contexts built here.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;
use tera::{Context, Tera, Value};

use crate::emit::{self, Inputs};
use crate::fragments;
use crate::model::{Model, Stage};
use crate::source::short_hash;
use crate::version::PyVersion;

/// Every template, by name. Their contents make up the `templates=` hash.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "header.rs.tera",
        include_str!("../../templates/header.rs.tera"),
    ),
    ("mod.rs.tera", include_str!("../../templates/mod.rs.tera")),
    (
        "dispatch.rs.tera",
        include_str!("../../templates/dispatch.rs.tera"),
    ),
    (
        "facts.rs.tera",
        include_str!("../../templates/facts.rs.tera"),
    ),
    (
        "found_types.rs.tera",
        include_str!("../../templates/found_types.rs.tera"),
    ),
    (
        "helpers.rs.tera",
        include_str!("../../templates/helpers.rs.tera"),
    ),
    (
        "header.py.tera",
        include_str!("../../templates/header.py.tera"),
    ),
    (
        "loaders.pyi.tera",
        include_str!("../../templates/loaders.pyi.tera"),
    ),
];

pub fn templates_hash() -> String {
    let parts: Vec<&str> = TEMPLATES.iter().flat_map(|(n, t)| [*n, *t]).collect();
    short_hash(&parts)
}

fn tera() -> &'static Tera {
    static TERA: OnceLock<Tera> = OnceLock::new();
    TERA.get_or_init(|| {
        let mut t = Tera::default();
        t.autoescape_on(vec![]);
        t.add_raw_templates(TEMPLATES.iter().copied())
            .expect("templates/*.tera parse");
        t.register_filter("indent", indent);
        t
    })
}

/// `{{ code | indent(n=4) }}`: indents every non-empty line by `n` spaces
/// and drops the final newline, so the template controls line breaks.
fn indent(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = value.as_str().ok_or("indent: expected a string")?;
    let n = args
        .get("n")
        .and_then(Value::as_u64)
        .ok_or("indent: expected n=<spaces>")? as usize;
    let pad = " ".repeat(n);
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect();
    Ok(Value::String(lines.join("\n")))
}

fn render(name: &str, ctx: &Context) -> Result<String, String> {
    tera().render(name, ctx).map_err(|e| {
        // Tera hides the useful part of the message in the source chain.
        let mut msg = e.to_string();
        let mut cur = std::error::Error::source(&e);
        while let Some(s) = cur {
            msg.push_str(&format!(": {s}"));
            cur = s.source();
        }
        format!("templates/{name}: {msg}")
    })
}

pub fn header(version: PyVersion, inputs: &Inputs, output: &str) -> Result<String, String> {
    let mut ctx = Context::new();
    ctx.insert("version", &version.to_string());
    ctx.insert("spec", &inputs.spec);
    ctx.insert("templates", &inputs.templates);
    ctx.insert("facts", &inputs.facts);
    ctx.insert("output", output);
    render("header.rs.tera", &ctx)
}

#[derive(Serialize)]
struct Arm {
    python: String,
    doc: String,
    code: String,
}

#[derive(Serialize)]
struct Rule {
    name: String,
    doc: String,
    code: String,
}

#[derive(Serialize)]
struct Module {
    name: &'static str,
    doc: String,
}

/// The modules `mod.rs` declares: every other file this crate renders.
pub const MODULES: &[(&str, &str)] = &[
    (
        "dispatch",
        "`save()`: the order of type checks, from `spec/dispatch.toml`.",
    ),
    (
        "facts",
        "Constants read from the interpreter, from `facts/py3XX.toml`, and `behaviour` from `spec/behaviour.toml`.",
    ),
    (
        "found_types",
        "Types found at import, from the `find` of `spec/overrides.toml`'s rules.",
    ),
    (
        "helpers",
        "Load-time helpers, from the `helpers` of `spec/overrides.toml`'s rules.",
    ),
];

pub fn mod_rs(model: &Model) -> Result<String, String> {
    let mut ctx = Context::new();
    ctx.insert("version", &model.version.to_string());
    let dir = model.version.dir_name();
    let modules: Vec<Module> = MODULES
        .iter()
        .map(|&(name, doc)| Module {
            name,
            doc: doc.replace("py3XX", &dir),
        })
        .collect();
    ctx.insert("modules", &modules);
    render("mod.rs.tera", &ctx)
}

pub fn dispatch_rs(model: &Model) -> Result<String, String> {
    let mut ctx = Context::new();
    ctx.insert("version", &model.version.to_string());
    for (stage, key) in [
        (Stage::Atom, "atom"),
        (Stage::Leaf, "leaf"),
        (Stage::Container, "container"),
        (Stage::Global, "global"),
    ] {
        let arms = model
            .dispatch
            .iter()
            .filter(|a| a.stage == stage)
            .map(|a| {
                let code = emit::format_stmts(fragments::dispatch_arm(a))?;
                Ok(Arm {
                    python: a.python.clone(),
                    doc: a.doc.clone(),
                    code,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        ctx.insert(key, &arms);
    }
    let rules = model
        .overrides
        .iter()
        .map(|r| {
            let code = emit::format_stmts(fragments::override_arm(r))?;
            Ok(Rule {
                name: r.name.clone(),
                doc: r.doc.clone(),
                code,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    ctx.insert("overrides", &rules);
    let note = emit::format_stmts(fragments::note_rule_misses(&model.overrides))?;
    ctx.insert("note_rule_misses", &note);
    let others = emit::format_items(fragments::other_versions_rules(
        &model.other_versions_overrides,
    ))?;
    ctx.insert("other_versions", &others);
    render("dispatch.rs.tera", &ctx)
}

pub fn facts_rs(model: &Model) -> Result<String, String> {
    let [a, b, c] = model.facts.python_version;
    let mut ctx = Context::new();
    ctx.insert("python_version", &format!("{a}.{b}.{c}"));
    ctx.insert("dir", &model.version.dir_name());
    let mut items = fragments::facts(&model.facts);
    items.extend(fragments::behaviour(&model.behaviour));
    ctx.insert("items", &emit::format_items(items)?);
    render("facts.rs.tera", &ctx)
}

pub fn found_types_rs(model: &Model) -> Result<String, String> {
    let mut ctx = Context::new();
    ctx.insert(
        "items",
        &emit::format_items(fragments::found_types(&model.found_types))?,
    );
    render("found_types.rs.tera", &ctx)
}

pub fn helpers_rs(model: &Model) -> Result<String, String> {
    let mut ctx = Context::new();
    ctx.insert(
        "items",
        &emit::format_items(fragments::helpers(&model.helpers))?,
    );
    render("helpers.rs.tera", &ctx)
}

/// Header of a file that is the same for every CPython (no version, no facts).
pub fn header_py(inputs: &Inputs, output: &str) -> Result<String, String> {
    let mut ctx = Context::new();
    ctx.insert("spec", &inputs.spec);
    ctx.insert("templates", &inputs.templates);
    ctx.insert("output", output);
    render("header.py.tera", &ctx)
}

#[derive(Serialize)]
struct StubHelper<'a> {
    name: &'a str,
    params: &'a str,
    returns: &'a str,
    rule: &'a str,
    doc: &'a str,
}

/// `python/anethum/loaders.pyi`. Every version's model holds every helper,
/// so each version renders the same file.
pub fn loaders_pyi(model: &Model) -> Result<String, String> {
    let helpers: Vec<StubHelper<'_>> = model
        .helpers
        .iter()
        .map(|h| StubHelper {
            name: &h.name,
            params: &h.params,
            returns: &h.returns,
            rule: &h.rule,
            doc: &h.doc,
        })
        .collect();
    let mut ctx = Context::new();
    ctx.insert("helpers", &helpers);
    render("loaders.pyi.tera", &ctx)
}
