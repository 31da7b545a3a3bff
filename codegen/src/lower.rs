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
use crate::spec::{self, DispatchMatch, RuleMatch, Spec, Stage};
use crate::version::PyVersion;

pub fn lower(spec: &Spec, facts: &FactsFile, version: PyVersion) -> Result<Model, Vec<SpecError>> {
    let mut errors = Errors::default();
    let dispatch = lower_dispatch(spec, version, &mut errors);
    let overrides = lower_overrides(spec, version, &mut errors);
    let state_setters = lower_state_setters(spec, version, &mut errors);
    let behaviour = behaviour::lower_behaviour(spec, version, &mut errors);
    let facts = facts::lower_facts(facts, version, &mut errors);
    errors.finish(Model {
        version,
        dispatch,
        overrides,
        state_setters,
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

fn lower_overrides(spec: &Spec, version: PyVersion, errors: &mut Errors) -> Vec<OverrideArm> {
    let mut cx = Ctx {
        src: &spec.overrides_src,
        errors,
    };
    let mut arms = Vec::new();
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
        if !cx.active(&r.since, &r.until, version) {
            continue;
        }
        cx.unique(&mut names, &r.name, "rule");
        arms.push(OverrideArm {
            name: r.name.get_ref().clone(),
            test,
            predicate: r.predicate.as_ref().map(|p| p.get_ref().clone()),
            saver: r.saver.get_ref().clone(),
            doc: r.doc.get_ref().clone(),
        });
    }
    arms
}

fn lower_state_setters(
    spec: &Spec,
    version: PyVersion,
    errors: &mut Errors,
) -> Vec<model::StateSetter> {
    let mut cx = Ctx {
        src: &spec.state_setters_src,
        errors,
    };
    let mut out = Vec::new();
    let mut names = HashMap::new();
    for setter in &spec.state_setters {
        let s: &spec::StateSetter = setter.get_ref();
        cx.ident(&s.name, "setter name");
        if s.name.get_ref().chars().any(|c| c.is_ascii_uppercase()) {
            cx.err(
                s.name.span(),
                "setter names are snake_case; the constant is upper-cased from it",
            );
        }
        cx.doc(&s.doc);
        let helper = split_helper(s.helper.get_ref());
        if helper.is_none() {
            cx.err(
                s.helper.span(),
                format!(
                    "helper `{}` is not `package.module:qualname`",
                    s.helper.get_ref()
                ),
            );
        }
        if !cx.active(&s.since, &s.until, version) {
            continue;
        }
        cx.unique(&mut names, &s.name, "setter");
        if let Some((module, qualname)) = helper {
            out.push(model::StateSetter {
                const_name: s.name.get_ref().to_ascii_uppercase(),
                module,
                qualname,
                doc: s.doc.get_ref().clone(),
            });
        }
    }
    out
}

fn split_helper(s: &str) -> Option<(String, String)> {
    let (module, qualname) = s.split_once(':')?;
    let dotted = |p: &str| p.split('.').all(is_python_ident);
    (dotted(module) && dotted(qualname)).then(|| (module.to_owned(), qualname.to_owned()))
}

fn is_python_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}
