//! Checks the spec and resolves it for one version into a `Model`.
//!
//! Every entry is checked whatever its `since`/`until`, so an error does
//! not hide until someone generates for the one version it affects. All
//! errors are collected; none stops the others from being found.

mod behaviour;
mod facts;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::ops::Range;

use toml::Spanned;

use crate::error::{Errors, SpecError};
use crate::facts::FactsFile;
use crate::model::{self, DispatchArm, Model, OverrideArm, TypeTest};
use crate::source::SourceFile;
use crate::spec::{DispatchMatch, RuleMatch, Spec, Stage};
use crate::version::PyVersion;

pub fn lower(spec: &Spec, facts: &FactsFile, version: PyVersion) -> Result<Model, Vec<SpecError>> {
    let mut errors = Errors::default();
    let dispatch = lower_dispatch(spec, version, &mut errors);
    let (overrides, other_versions_overrides) = lower_overrides(spec, version, &mut errors);
    let (found_types, helpers) = lower_rule_tables(spec, &mut errors);
    let behaviour = behaviour::lower_behaviour(spec, version, &mut errors);
    let facts = facts::lower_facts(facts, version, &mut errors);
    errors.finish(Model {
        version,
        dispatch,
        overrides,
        other_versions_overrides,
        found_types,
        helpers,
        behaviour,
        facts,
    })
}

/// One file's error sink, so checks need not repeat which file they are in.
struct Ctx<'a> {
    src: &'a SourceFile,
    errors: &'a mut Errors,
}

impl Ctx<'_> {
    fn err(&mut self, span: Range<usize>, msg: impl Into<String>) {
        self.errors.push(SpecError::at(self.src, span, msg));
    }

    fn ident(&mut self, s: &Spanned<String>, what: &str) {
        if syn::parse_str::<syn::Ident>(s.get_ref()).is_err() {
            self.err(
                s.span(),
                format!("{what} `{}` is not a Rust identifier", s.get_ref()),
            );
        }
    }

    fn doc(&mut self, s: &Spanned<String>) {
        if s.get_ref().trim().is_empty() || s.get_ref().contains('\n') {
            self.err(s.span(), "`doc` must be one non-empty line");
        }
    }

    /// Parses `since`/`until` and reports whether the entry is in `version`.
    fn active(
        &mut self,
        since: &Option<Spanned<String>>,
        until: &Option<Spanned<String>>,
        version: PyVersion,
    ) -> bool {
        let since_v = since.as_ref().and_then(|s| self.version(s));
        let until_v = until.as_ref().and_then(|s| self.version(s));
        if let (Some(s), Some(u)) = (since_v, until_v)
            && s >= u
        {
            let span = until.as_ref().unwrap().span();
            self.err(
                span,
                format!("`until` ({u}) must be later than `since` ({s}); until is exclusive"),
            );
        }
        version.within(since_v, until_v)
    }

    fn version(&mut self, s: &Spanned<String>) -> Option<PyVersion> {
        match s.get_ref().parse::<PyVersion>() {
            Ok(v) => Some(v),
            Err(msg) => {
                self.err(s.span(), msg);
                None
            }
        }
    }

    /// Reports the second and later uses of the same key.
    fn unique(&mut self, seen: &mut HashMap<String, usize>, key: &Spanned<String>, what: &str) {
        let line = self.src.line_col(key.span().start).0;
        match seen.entry(key.get_ref().clone()) {
            Entry::Occupied(first) => {
                let msg = format!(
                    "duplicate {what} `{}` (first at line {})",
                    key.get_ref(),
                    first.get()
                );
                self.err(key.span(), msg);
            }
            Entry::Vacant(slot) => {
                slot.insert(line);
            }
        }
    }
}

fn lower_dispatch(spec: &Spec, version: PyVersion, errors: &mut Errors) -> Vec<DispatchArm> {
    let mut cx = Ctx {
        src: &spec.dispatch_src,
        errors,
    };
    let mut arms = Vec::new();
    let mut last_stage: Option<(Stage, usize)> = None;
    let mut names = HashMap::new();
    let mut tests = HashMap::new();
    for entry in &spec.dispatch {
        let e = entry.get_ref();
        let stage = *e.stage.get_ref();
        if let Some((prev, line)) = last_stage
            && stage < prev
        {
            let msg = format!(
                "stage `{}` comes after `{}` (line {line}); list entries in save() order: atom, leaf, container, global",
                stage_name(stage),
                stage_name(prev)
            );
            cx.err(e.stage.span(), msg);
        }
        last_stage = Some((stage, cx.src.line_col(e.stage.span().start).0));

        let memoize = *e.memoize.get_ref();
        if stage == Stage::Atom && memoize {
            cx.err(
                e.memoize.span(),
                "atoms come before the memo lookup, so they cannot be memoized",
            );
        }
        if stage != Stage::Atom && !memoize {
            cx.err(
                e.memoize.span(),
                "only atoms are never memoized; every later stage runs after the memo lookup",
            );
        }

        for a in e.accessors.get_ref() {
            cx.ident(a, "accessor");
        }
        let accessors: Vec<String> = e
            .accessors
            .get_ref()
            .iter()
            .map(|a| a.get_ref().clone())
            .collect();
        let test = match e.match_.get_ref() {
            DispatchMatch::Identity if accessors.is_empty() => {
                cx.err(
                    e.accessors.span(),
                    "`identity` needs at least one singleton accessor",
                );
                None
            }
            DispatchMatch::Identity => Some(TypeTest::Identity(accessors)),
            DispatchMatch::ExactType if accessors.len() != 1 => {
                cx.err(
                    e.accessors.span(),
                    "`exact_type` needs exactly one type accessor",
                );
                None
            }
            DispatchMatch::ExactType => Some(TypeTest::ExactType(accessors[0].clone())),
        };
        cx.ident(&e.saver, "saver");
        for arg in &e.extra_args {
            if syn::parse_str::<syn::Expr>(arg.get_ref()).is_err() {
                cx.err(
                    arg.span(),
                    format!(
                        "extra argument `{}` is not a Rust expression",
                        arg.get_ref()
                    ),
                );
            }
        }
        cx.doc(&e.doc);
        if e.python.get_ref().trim().is_empty() {
            cx.err(e.python.span(), "`python` must name the Python type");
        }

        if !cx.active(&e.since, &e.until, version) {
            continue;
        }
        cx.unique(&mut names, &e.python, "Python type");
        for a in e.accessors.get_ref() {
            cx.unique(&mut tests, a, "accessor");
        }
        if let Some(test) = test {
            arms.push(DispatchArm {
                python: e.python.get_ref().clone(),
                test,
                saver: e.saver.get_ref().clone(),
                extra_args: e.extra_args.iter().map(|a| a.get_ref().clone()).collect(),
                stage,
                doc: e.doc.get_ref().clone(),
            });
        }
    }
    arms
}

fn stage_name(s: Stage) -> &'static str {
    match s {
        Stage::Atom => "atom",
        Stage::Leaf => "leaf",
        Stage::Container => "container",
        Stage::Global => "global",
    }
}

fn lower_overrides(
    spec: &Spec,
    version: PyVersion,
    errors: &mut Errors,
) -> (Vec<OverrideArm>, Vec<OverrideArm>) {
    let mut cx = Ctx {
        src: &spec.overrides_src,
        errors,
    };
    let mut arms = Vec::new();
    let mut others = Vec::new();
    let mut names = HashMap::new();
    for rule in &spec.overrides {
        let r = rule.get_ref();
        cx.ident(&r.name, "rule name");
        cx.ident(&r.saver, "saver");
        cx.doc(&r.doc);
        if let Some(t) = &r.type_ {
            cx.ident(t, "type accessor");
        }
        if let Some(p) = &r.predicate {
            cx.ident(p, "predicate");
        }
        let type_name = r.type_.as_ref().map(|t| t.get_ref().clone());
        let test = match (r.match_.get_ref(), type_name) {
            (RuleMatch::ExactType, Some(t)) => Some(TypeTest::ExactType(t)),
            (RuleMatch::Subtype, Some(t)) => Some(TypeTest::Subtype(t)),
            (RuleMatch::ExactType | RuleMatch::Subtype, None) => {
                cx.err(
                    r.match_.span(),
                    "`exact_type` and `subtype` rules need `type`",
                );
                None
            }
            (RuleMatch::Predicate, t) => {
                if t.is_some() {
                    cx.err(r.match_.span(), "a `predicate` rule has no `type`; use `exact_type` or `subtype` with `predicate` as a guard");
                }
                if r.predicate.is_none() {
                    cx.err(r.match_.span(), "a `predicate` rule needs `predicate`");
                }
                None
            }
        };
        let arm = OverrideArm {
            name: r.name.get_ref().clone(),
            test,
            predicate: r.predicate.as_ref().map(|p| p.get_ref().clone()),
            saver: r.saver.get_ref().clone(),
            doc: r.doc.get_ref().clone(),
        };
        if !cx.active(&r.since, &r.until, version) {
            others.push(arm);
            continue;
        }
        cx.unique(&mut names, &r.name, "rule");
        arms.push(arm);
    }
    (arms, others)
}

/// Every rule's `find` and `helpers`, whatever its `since`/`until`: the
/// slots and helper fields are the same on every version, so the
/// hand-written savers and predicates that name them compile everywhere.
fn lower_rule_tables(
    spec: &Spec,
    errors: &mut Errors,
) -> (Vec<model::FoundType>, Vec<model::Helper>) {
    let mut cx = Ctx {
        src: &spec.overrides_src,
        errors,
    };
    let mut found: Vec<model::FoundType> = Vec::new();
    let mut found_at: HashMap<String, (String, usize)> = HashMap::new();
    let mut helpers: Vec<model::Helper> = Vec::new();
    let mut declared = HashMap::new();
    let mut referenced: Vec<&Spanned<String>> = Vec::new();
    for rule in &spec.overrides {
        let r = rule.get_ref();
        if let Some(find) = &r.find {
            'find: {
                let Some(t) = &r.type_ else {
                    cx.err(
                        find.span(),
                        "`find` names how the rule's `type` is found; give the rule a `type`",
                    );
                    break 'find;
                };
                let Some((module, expression)) = split_find(find.get_ref()) else {
                    cx.err(
                        find.span(),
                        format!("find `{}` is not `module:expression`", find.get_ref()),
                    );
                    break 'find;
                };
                let line = cx.src.line_col(find.span().start).0;
                match found_at.entry(t.get_ref().clone()) {
                    Entry::Occupied(first) if first.get().0 != find.get_ref().as_str() => {
                        let msg = format!(
                            "type `{}` is found as `{}` at line {}; one accessor, one `find`",
                            t.get_ref(),
                            first.get().0,
                            first.get().1
                        );
                        cx.err(find.span(), msg);
                    }
                    Entry::Occupied(_) => {}
                    Entry::Vacant(slot) => {
                        slot.insert((find.get_ref().clone(), line));
                        found.push(model::FoundType {
                            accessor: t.get_ref().clone(),
                            module,
                            expression,
                            rule: r.name.get_ref().clone(),
                        });
                    }
                }
            }
        }
        for h in &r.helpers {
            match parse_helper(h.get_ref()) {
                HelperSpec::Reference => referenced.push(h),
                HelperSpec::Declaration {
                    name,
                    params,
                    returns,
                } => {
                    let key = Spanned::new(h.span(), name.clone());
                    let before = cx.errors.len();
                    cx.unique(&mut declared, &key, "helper declaration");
                    if cx.errors.len() == before {
                        helpers.push(model::Helper {
                            name,
                            params,
                            returns,
                            rule: r.name.get_ref().clone(),
                            doc: r.doc.get_ref().clone(),
                        });
                    }
                }
                HelperSpec::Invalid => cx.err(
                    h.span(),
                    format!(
                        "helper `{}` is neither a name nor `name(params) -> returns`",
                        h.get_ref()
                    ),
                ),
            }
        }
    }
    for h in referenced {
        if !declared.contains_key(h.get_ref()) {
            cx.err(
                h.span(),
                format!(
                    "helper `{}` is not declared; write `{}(params) -> returns` in one rule",
                    h.get_ref(),
                    h.get_ref()
                ),
            );
        }
    }
    (found, helpers)
}

enum HelperSpec {
    Reference,
    Declaration {
        name: String,
        params: String,
        returns: String,
    },
    Invalid,
}

/// `name` or `name(params) -> returns`; params and returns are the stub's
/// text, checked only for balance (they are Python, not Rust).
fn parse_helper(s: &str) -> HelperSpec {
    let s = s.trim();
    if is_python_ident(s) {
        return HelperSpec::Reference;
    }
    let Some(open) = s.find('(') else {
        return HelperSpec::Invalid;
    };
    let name = s[..open].trim();
    let Some((params, returns)) = s[open..].rsplit_once("->") else {
        return HelperSpec::Invalid;
    };
    let (params, returns) = (params.trim(), returns.trim());
    let balanced = params.starts_with('(')
        && params.ends_with(')')
        && params.matches('(').count() == params.matches(')').count()
        && params.matches('[').count() == params.matches(']').count();
    if !is_python_ident(name) || !balanced || returns.is_empty() {
        return HelperSpec::Invalid;
    }
    HelperSpec::Declaration {
        name: name.to_owned(),
        params: params.to_owned(),
        returns: returns.to_owned(),
    }
}

fn split_find(s: &str) -> Option<(String, String)> {
    let (module, expression) = s.split_once(':')?;
    let expression = expression.trim();
    (module.split('.').all(is_python_ident) && !expression.is_empty())
        .then(|| (module.to_owned(), expression.to_owned()))
}

fn is_python_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}
