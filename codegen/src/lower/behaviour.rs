//! `spec/behaviour.toml`: constants whose value depends on the version.
//! Unlike the other spec files, a name here must exist in *every*
//! supported version, exactly once, since the runtime reads it
//! unconditionally. Coverage is checked over all of `SUPPORTED` whatever
//! version is being generated, so a gap in 3.9 shows up when generating
//! for 3.13 too.

use crate::error::Errors;
use crate::model::{BehaviourConst, BehaviourValue};
use crate::spec::{BehaviourType, Spec};
use crate::version::{PyVersion, SUPPORTED};

use super::Ctx;

/// One entry, as far as the name-wide checks need it.
struct Item<'a> {
    line: usize,
    name_span: std::ops::Range<usize>,
    type_: BehaviourType,
    type_span: std::ops::Range<usize>,
    /// `None` when `since`/`until` did not parse or are out of order
    /// (already reported); such an entry takes no part in coverage.
    bounds: Option<(Option<PyVersion>, Option<PyVersion>)>,
    active: bool,
    value: Option<BehaviourValue>,
    doc: &'a str,
}

pub(super) fn lower_behaviour(
    spec: &Spec,
    version: PyVersion,
    errors: &mut Errors,
) -> Vec<BehaviourConst> {
    let mut cx = Ctx {
        src: &spec.behaviour_src,
        errors,
    };
    // By name, in the order names first appear.
    let mut groups: Vec<(&str, Vec<Item>)> = Vec::new();
    for entry in &spec.behaviour {
        let b = entry.get_ref();
        let name = b.name.get_ref();
        let upper = !name.is_empty()
            && name
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
        if !upper || syn::parse_str::<syn::Ident>(name).is_err() {
            cx.err(
                b.name.span(),
                format!("behaviour name `{name}` is not a SCREAMING_SNAKE_CASE Rust constant"),
            );
        }
        cx.doc(&b.doc);
        let type_ = *b.type_.get_ref();
        let value = match (type_, b.value.get_ref()) {
            (BehaviourType::Bool, toml::Value::Boolean(v)) => Some(BehaviourValue::Bool(*v)),
            (BehaviourType::Str, toml::Value::String(s)) => Some(BehaviourValue::Str(s.clone())),
            (t, v) => {
                let want = match t {
                    BehaviourType::Bool => "a boolean (type = \"bool\")",
                    BehaviourType::Str => "a string (type = \"str\")",
                };
                cx.err(
                    b.value.span(),
                    format!("`value` must be {want}, found {}", v.type_str()),
                );
                None
            }
        };
        let active = cx.active(&b.since, &b.until, version);
        let parse = |s: &Option<toml::Spanned<String>>| match s {
            None => Some(None),
            Some(s) => s.get_ref().parse::<PyVersion>().ok().map(Some),
        };
        let bounds = match (parse(&b.since), parse(&b.until)) {
            (Some(Some(s)), Some(Some(u))) if s >= u => None,
            (Some(s), Some(u)) => Some((s, u)),
            _ => None,
        };
        let item = Item {
            line: cx.src.line_col(b.name.span().start).0,
            name_span: b.name.span(),
            type_,
            type_span: b.type_.span(),
            bounds,
            active,
            value,
            doc: b.doc.get_ref(),
        };
        match groups.iter_mut().find(|(n, _)| *n == name.as_str()) {
            Some((_, items)) => items.push(item),
            None => groups.push((name, vec![item])),
        }
    }

    let mut out = Vec::new();
    for (name, items) in &groups {
        let first = &items[0];
        for it in &items[1..] {
            if it.type_ != first.type_ {
                cx.err(
                    it.type_span.clone(),
                    format!(
                        "behaviour `{name}` is `{}` here but `{}` at line {}; all entries of a name share one type",
                        type_name(it.type_),
                        type_name(first.type_),
                        first.line
                    ),
                );
            }
        }

        let mut gaps = Vec::new();
        // (earlier entry, later entry) -> versions both claim.
        let mut overlaps: Vec<((usize, usize), Vec<PyVersion>)> = Vec::new();
        for v in SUPPORTED {
            let covering: Vec<usize> = (0..items.len())
                .filter(|&i| items[i].bounds.is_some_and(|(s, u)| v.within(s, u)))
                .collect();
            if covering.is_empty() {
                gaps.push(v);
            }
            for (k, &i) in covering.iter().enumerate() {
                for &j in &covering[k + 1..] {
                    match overlaps.iter_mut().find(|(pair, _)| *pair == (i, j)) {
                        Some((_, vs)) => vs.push(v),
                        None => overlaps.push(((i, j), vec![v])),
                    }
                }
            }
        }
        // An entry with unreadable bounds may be meant to fill the gap;
        // its own error is enough.
        if !gaps.is_empty() && items.iter().all(|it| it.bounds.is_some()) {
            cx.err(
                first.name_span.clone(),
                format!(
                    "behaviour `{name}` has no entry for {}; every supported version needs exactly one",
                    list(&gaps)
                ),
            );
        }
        for ((i, j), vs) in overlaps {
            cx.err(
                items[j].name_span.clone(),
                format!(
                    "behaviour `{name}` has two entries for {} (the other at line {}); their since/until ranges overlap",
                    list(&vs),
                    items[i].line
                ),
            );
        }

        let mut active = items.iter().filter(|it| it.active);
        if let (Some(it), None) = (active.next(), active.next())
            && let Some(value) = &it.value
        {
            out.push(BehaviourConst {
                name: (*name).to_owned(),
                value: value.clone(),
                doc: it.doc.to_owned(),
            });
        }
    }
    out
}

fn type_name(t: BehaviourType) -> &'static str {
    match t {
        BehaviourType::Bool => "bool",
        BehaviourType::Str => "str",
    }
}

fn list(vs: &[PyVersion]) -> String {
    vs.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
