//! `quote!` fragments whose shape depends on the spec: the `if` arms of
//! `save()` and the constant tables of `facts.rs`. Templates splice them in
//! after `emit::format_*` has pretty-printed them.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::model::{
    BehaviourConst, BehaviourValue, DispatchArm, FactsModel, FoundType, Helper, OverrideArm,
    TypeTest,
};

fn type_test(test: &TypeTest) -> TokenStream {
    match test {
        TypeTest::Identity(singletons) => {
            let checks = singletons.iter().map(|s| {
                let s = format_ident!("{s}");
                quote!(obj == types::#s())
            });
            quote!(#(#checks)||*)
        }
        TypeTest::ExactType(t) => {
            let t = format_ident!("{t}");
            quote!(tp == types::#t())
        }
        TypeTest::Subtype(t) => {
            let t = format_ident!("{t}");
            quote!(types::is_subtype(tp, types::#t()))
        }
    }
}

/// `if <test> { return saver(p, obj, extra...); }`
pub fn dispatch_arm(arm: &DispatchArm) -> TokenStream {
    let test = type_test(&arm.test);
    let saver = format_ident!("{}", arm.saver);
    let extra = arm
        .extra_args
        .iter()
        .map(|a| a.parse::<TokenStream>().expect("checked by lower"));
    quote! {
        if #test {
            return #saver(p, obj #(, #extra)*);
        }
    }
}

/// `if <no rule with a predicate could match tp> { p.note_rules_missed(tp); }`:
/// then a miss of every rule depends on the type alone.
pub fn note_rule_misses(rules: &[OverrideArm]) -> TokenStream {
    let cond = type_decides_misses(rules);
    quote! {
        if #cond {
            p.note_rules_missed(tp);
        }
    }
}

fn type_decides_misses(rules: &[OverrideArm]) -> TokenStream {
    let tests: Vec<TokenStream> = rules
        .iter()
        .filter(|r| r.predicate.is_some())
        .filter_map(|r| r.test.as_ref().map(type_test))
        .collect();
    let bare_predicate = rules
        .iter()
        .any(|r| r.predicate.is_some() && r.test.is_none());
    if bare_predicate {
        quote!(false)
    } else if tests.is_empty() {
        quote!(true)
    } else {
        quote!(!(#(#tests)||*))
    }
}

/// The savers and predicates of the rules other versions try, named in
/// two constants so that each version's build compiles and type-checks
/// every one of them, and none is dead code anywhere.
pub fn other_versions_rules(rules: &[OverrideArm]) -> TokenStream {
    let mut savers: Vec<String> = rules.iter().map(|r| r.saver.clone()).collect();
    let mut predicates: Vec<String> = rules.iter().filter_map(|r| r.predicate.clone()).collect();
    savers.sort();
    savers.dedup();
    predicates.sort();
    predicates.dedup();
    let savers = savers.iter().map(|s| format_ident!("{s}"));
    let predicates = predicates.iter().map(|s| format_ident!("{s}"));
    quote! {
        #[allow(dead_code)]
        const OTHER_VERSIONS_SAVERS: &[unsafe fn(&mut Core, *mut PyObject) -> Res] = &[#(#savers),*];
        #[allow(dead_code)]
        const OTHER_VERSIONS_PREDICATES: &[unsafe fn(&mut Core, *mut PyObject) -> Res<bool>] = &[#(#predicates),*];
    }
}

/// `if <type test> && predicate(p, obj)? { return saver(p, obj); }`
pub fn override_arm(arm: &OverrideArm) -> TokenStream {
    let mut conds = Vec::new();
    if let Some(test) = &arm.test {
        conds.push(type_test(test));
    }
    if let Some(pred) = &arm.predicate {
        let pred = format_ident!("{pred}");
        conds.push(quote!(#pred(p, obj)?));
    }
    let saver = format_ident!("{}", arm.saver);
    quote! {
        if #(#conds)&&* {
            return #saver(p, obj);
        }
    }
}

/// The slots of the types rules find at import, their accessors (named
/// like the C-API ones in `ffi::types`), and the table `state::init` fills
/// them from.
pub fn found_types(all: &[FoundType]) -> TokenStream {
    let names: Vec<_> = all
        .iter()
        .map(|t| format_ident!("{}", t.accessor))
        .collect();
    let docs = all.iter().map(|t| {
        format!(
            " `{}:{}`, for the rule `{}`.",
            t.module, t.expression, t.rule
        )
    });
    let modules = all.iter().map(|t| c_string(&t.module));
    let expressions = all.iter().map(|t| c_string(&t.expression));
    let count = all.len();
    quote! {
        /// One slot per found type, null until `state::init` (and for good
        /// where this Python has no such type).
        pub struct FoundTypes {
            #(pub #names: AtomicPtr<PyTypeObject>,)*
        }

        impl FoundTypes {
            pub const fn new() -> FoundTypes {
                FoundTypes { #(#names: AtomicPtr::new(std::ptr::null_mut()),)* }
            }

            /// `(slot, module, expression)`: the expression is evaluated in the
            /// module's namespace.
            pub fn table(&self) -> [(&AtomicPtr<PyTypeObject>, &'static CStr, &'static CStr); #count] {
                [#((&self.#names, #modules, #expressions),)*]
            }
        }

        #(
            #[doc = #docs]
            #[inline(always)]
            pub fn #names() -> *mut PyTypeObject {
                crate::process::PROCESS.found_types.#names.load(Relaxed)
            }
        )*
    }
}

fn c_string(s: &str) -> TokenStream {
    let lit = Literal::c_string(&std::ffi::CString::new(s).expect("no NUL in the spec"));
    quote!(#lit)
}

/// `Helpers`: the load-time helpers, fetched from `anethum.loaders` once.
pub fn helpers(all: &[Helper]) -> TokenStream {
    let names: Vec<_> = all.iter().map(|h| format_ident!("{}", h.name)).collect();
    let strings: Vec<_> = all.iter().map(|h| h.name.clone()).collect();
    let docs = all.iter().map(|h| {
        format!(
            " `anethum.loaders.{}{} -> {}`, for the rule `{}`.",
            h.name, h.params, h.returns, h.rule
        )
    });
    quote! {
        pub struct Helpers {
            #(
                #[doc = #docs]
                pub #names: Py<PyAny>,
            )*
        }

        /// Every helper's name, in spec order.
        pub const NAMES: &[&str] = &[#(#strings),*];

        pub fn load(loaders: &Bound<'_, PyAny>) -> PyResult<Helpers> {
            Ok(Helpers {
                #(#names: crate::pyalloc::getattr(loaders, #strings)?.unbind(),)*
            })
        }
    }
}

/// `pub mod behaviour { ... }` in `facts.rs`: one constant per name of
/// `spec/behaviour.toml`, with this version's value.
pub fn behaviour(all: &[BehaviourConst]) -> TokenStream {
    let consts = all.iter().map(|b| {
        let name = format_ident!("{}", b.name);
        let doc = format!(" {}", b.doc);
        let (ty, value) = match &b.value {
            BehaviourValue::Bool(v) => (quote!(bool), quote!(#v)),
            BehaviourValue::Str(s) => (quote!(&str), quote!(#s)),
        };
        quote! {
            #[doc = #doc]
            pub const #name: #ty = #value;
        }
    });
    quote! {
        /// Behaviour that differs between CPython versions (spec/behaviour.toml).
        pub mod behaviour {
            #(#consts)*
        }
    }
}

/// The items of `facts.rs` after its module doc.
pub fn facts(f: &FactsModel) -> TokenStream {
    let minor = Literal::u32_unsuffixed(f.python_version[1]);
    let highest = Literal::i32_unsuffixed(f.highest_protocol as i32);
    let default = Literal::i32_unsuffixed(f.default_protocol as i32);
    let pickle_opcodes = f.pickle_opcodes.iter().map(|op| {
        let name = format_ident!("{}", op.name);
        let doc = format!(" Since protocol {}.", op.proto);
        let code = byte_literal(op.code).unwrap_or_else(|| hex(op.code));
        quote! {
            #[doc = #doc]
            pub const #name: u8 = #code;
        }
    });
    let opcodes = f.opcodes.iter().map(|(name, op)| {
        let name = format_ident!("{name}");
        let op = Literal::u8_unsuffixed(*op);
        quote!(pub const #name: u8 = #op;)
    });
    let opmap = f.opcodes.iter().map(|(name, op)| {
        let op = Literal::u8_unsuffixed(*op);
        quote!((#name, #op))
    });
    let pseudo = f.pseudo_opcodes.iter().map(|(name, op)| {
        let name = format_ident!("{name}");
        let op = Literal::u16_unsuffixed(*op);
        quote!(pub const #name: u16 = #op;)
    });
    let have_argument = Literal::u8_unsuffixed(f.have_argument);
    let hasarg = f.hasarg.iter().map(|n| format_ident!("{n}"));
    let has_arg = if f.hasarg.is_empty() {
        quote!(false)
    } else {
        quote!(matches!(op, #(#hasarg)|*))
    };
    let inline_cache = inline_cache(f);
    let fields = &f.code_constructor_fields;
    let required = Literal::usize_unsuffixed(f.code_constructor_required);
    let attributes = &f.code_attributes;
    quote! {
        pub const PY_MINOR: u32 = #minor;
        pub const HIGHEST_PROTOCOL: i32 = #highest;
        pub const DEFAULT_PROTOCOL: i32 = #default;

        /// Parameters of `types.CodeType(...)`, in order.
        pub const CODE_CONSTRUCTOR_FIELDS: &[&str] = &[#(#fields),*];
        /// How many leading `CODE_CONSTRUCTOR_FIELDS` have no default.
        pub const CODE_CONSTRUCTOR_REQUIRED: usize = #required;
        /// Every `co_*` name on `types.CodeType`, methods included, sorted.
        pub const CODE_ATTRIBUTES: &[&str] = &[#(#attributes),*];

        /// `pickletools.opcodes`: one constant per opcode, by code byte.
        pub mod pickle_opcodes {
            #(#pickle_opcodes)*
        }

        /// `dis.opmap`, by value.
        pub mod bytecode {
            #(#opcodes)*

            /// The constants above by name, for opcodes some versions lack.
            pub const OPMAP: &[(&str, u8)] = &[#(#opmap),*];

            /// `dis.HAVE_ARGUMENT`.
            pub const HAVE_ARGUMENT: u8 = #have_argument;

            /// Whether an opcode takes an argument (`dis.hasarg`, or
            /// `>= HAVE_ARGUMENT` before 3.12).
            pub const fn has_arg(op: u8) -> bool {
                #has_arg
            }

            #inline_cache

            /// Compiler pseudo-instructions; they never appear in `co_code`.
            pub mod pseudo {
                #(#pseudo)*
            }
        }
    }
}

fn inline_cache(f: &FactsModel) -> TokenStream {
    let Some(entries) = &f.inline_cache_entries else {
        return quote! {
            /// This version has no inline caches.
            pub const INLINE_CACHE_ENTRIES: Option<[u8; 256]> = None;
        };
    };
    let rows = entries.iter().map(|(name, _, n)| {
        let name = format_ident!("{name}");
        let n = Literal::u8_unsuffixed(*n);
        quote!(table[#name as usize] = #n;)
    });
    quote! {
        /// `dis._inline_cache_entries`, indexed by opcode: how many
        /// `CACHE` code units follow each instruction.
        pub const INLINE_CACHE_ENTRIES: Option<[u8; 256]> = Some({
            let mut table = [0u8; 256];
            #(#rows)*
            table
        });
    }
}

/// `b'('` for printable ASCII, so the table reads like `_pickle.c`.
fn byte_literal(b: u8) -> Option<TokenStream> {
    (b.is_ascii_graphic() || b == b' ').then(|| {
        let lit = Literal::byte_character(b);
        quote!(#lit)
    })
}

fn hex(b: u8) -> TokenStream {
    format!("0x{b:02x}")
        .parse()
        .expect("a hex literal is one token")
}
