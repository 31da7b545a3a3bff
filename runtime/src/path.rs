//! Where in the graph a pickling error happened. Savers record one step
//! each as the error unwinds through them (a cold path: nothing is
//! recorded while pickling succeeds); the API layer turns the steps into a
//! note on the exception, e.g.
//! `when pickling <function f>: obj.__reduce__()[2][1]['__globals__']['lock']`.

use crate::error::{Failed, repr};
use crate::ffi::{self, PyObject};
use crate::owned::Owned;

pub enum Step {
    /// Item `i` of a list or tuple, or of a `__reduce__` listitems iterator.
    Index(isize),
    /// The value under a dict key.
    Value(Owned),
    /// A dict key itself.
    Key(Owned),
    /// An item of a set or frozenset.
    Member,
    /// Part `i` of the `__reduce__` value (0 callable, 1 args, 2 state, ...).
    Reduce(usize),
}

#[derive(Default)]
pub struct ErrorPath {
    steps: Vec<Step>,
    /// A step inside a by-value reduction, which pickle's own notes (3.14+)
    /// can't describe.
    through_by_value: bool,
}

/// Deep failures (RecursionError) would record thousands of steps; the
/// outermost ones are the useful part, so only the innermost are dropped.
const MAX_STEPS: usize = 64;

impl ErrorPath {
    #[cold]
    pub fn record(&mut self, step: Step) -> Failed {
        if self.steps.len() == MAX_STEPS {
            self.steps.remove(0);
        }
        self.steps.push(step);
        Failed
    }

    /// A step of a by-value reduction (`by_value/`).
    #[cold]
    pub fn record_by_value(&mut self, step: Step) -> Failed {
        self.through_by_value = true;
        self.record(step)
    }

    pub fn clear(&mut self) {
        self.steps.clear();
        self.through_by_value = false;
    }

    /// Whether anethum's one-line path note is wanted: always before 3.14;
    /// from 3.14, where pickle notes each step itself, only for a path
    /// through a by-value reduction.
    pub fn wants_note(&self) -> bool {
        !self.steps.is_empty() && (!crate::generated::facts::behaviour::ERROR_NOTES || self.through_by_value)
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// `obj[3]['key'].__reduce__()[2]`, outermost step first.
    pub unsafe fn describe(&self) -> String {
        let mut out = String::from("obj");
        for step in self.steps.iter().rev() {
            match step {
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                Step::Value(key) => out.push_str(&format!("[{}]", short(key.as_ptr()))),
                Step::Key(key) => out.push_str(&format!(" (the key {})", short(key.as_ptr()))),
                Step::Member => out.push_str(" (a set member)"),
                Step::Reduce(i) => out.push_str(&format!(".__reduce__()[{i}]")),
            }
        }
        out
    }
}

/// A short description that can't recurse: `repr()` only for scalars,
/// functions, classes and modules (a container's repr would walk the very
/// graph that may have been too deep to pickle).
pub unsafe fn short(obj: *mut PyObject) -> String {
    let safe = ffi::PyUnicode_Check(obj) != 0
        || ffi::PyLong_Check(obj) != 0
        || ffi::PyFloat_Check(obj) != 0
        || ffi::PyBytes_Check(obj) != 0
        || ffi::PyType_Check(obj) != 0
        || ffi::PyFunction_Check(obj) != 0
        || ffi::PyModule_Check(obj) != 0
        || obj == ffi::Py_None();
    if !safe {
        return format!("<{} object at {:p}>", crate::error::type_name(obj), obj);
    }
    let text = repr(obj);
    if text.chars().count() > 60 { format!("{}...", text.chars().take(57).collect::<String>()) } else { text }
}

/// One of `_pickle.c`'s notes (3.14+, gh-122213), added to the exception
/// as it unwinds through a saver. Rendered only on failure.
pub enum Note {
    /// `when serializing {type} item {i}`: a list, tuple or listitems item.
    Item(*mut PyObject, isize),
    /// `when serializing {type} item {key!r}`: a dict or dictitems value.
    Value(*mut PyObject, *mut PyObject),
    /// `when serializing {type} element`: a set or frozenset member.
    Element(*mut PyObject),
    /// `when serializing {type} {part}`: part of a reduction (`class`,
    /// `reconstructor arguments`, `state`, ...), or `object` for the whole.
    Part(*mut PyObject, &'static str),
}

/// Adds `note` to the exception that is set, on the versions whose pickle
/// does; returns `Failed` so savers can write `.map_err(|_| note(..))`.
#[cold]
pub unsafe fn note(note: Note) -> Failed {
    if crate::generated::facts::behaviour::ERROR_NOTES {
        annotate_current_exception(|| match note {
            Note::Item(container, i) => format!("when serializing {} item {i}", qualified_type_name(container)),
            Note::Value(container, key) => {
                format!("when serializing {} item {}", qualified_type_name(container), repr(key))
            }
            Note::Element(container) => format!("when serializing {} element", qualified_type_name(container)),
            Note::Part(obj, part) => format!("when serializing {} {part}", qualified_type_name(obj)),
        });
    }
    Failed
}

/// `%T` of `PyUnicode_FromFormat`: the fully qualified name of the
/// object's type (`builtins.` and `__main__.` left out); `NoneType` for a
/// missing object, as pickle.py's `_T(None)`.
pub unsafe fn qualified_type_name(obj: *mut PyObject) -> String {
    if obj.is_null() {
        return String::from("NoneType");
    }
    let tp = ffi::Py_TYPE(obj);
    if (*tp).tp_flags & ffi::Py_TPFLAGS_HEAPTYPE == 0 {
        return crate::error::type_name(obj);
    }
    let name = |attr: &std::ffi::CStr| {
        let value = ffi::PyObject_GetAttrString(tp.cast(), attr.as_ptr());
        if value.is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        let text = if ffi::PyUnicode_Check(value) != 0 { Some(crate::error::str_of(value)) } else { None };
        ffi::Py_DECREF(value);
        text
    };
    let qualname = name(c"__qualname__").unwrap_or_else(|| crate::error::type_name(obj));
    match name(c"__module__") {
        Some(module) if module != "builtins" && module != "__main__" => format!("{module}.{qualname}"),
        _ => qualname,
    }
}

/// Adds a note to the exception that is set (3.11+: `add_note`; before,
/// the `__notes__` list is set so tools can still find it). The note is
/// made with the exception put aside, since it runs `repr()`.
pub unsafe fn annotate_current_exception(make_note: impl FnOnce() -> String) {
    let value = crate::error::take_raised();
    if !value.is_null() {
        let note = make_note();
        let text = ffi::PyUnicode_FromStringAndSize(note.as_ptr().cast(), note.len() as isize);
        if !text.is_null() {
            let result = ffi::PyObject_CallMethod(value, c"add_note".as_ptr(), c"O".as_ptr(), text);
            if result.is_null() {
                ffi::PyErr_Clear();
                let notes = ffi::PyList_New(0);
                if !notes.is_null() {
                    ffi::PyList_Append(notes, text);
                    if ffi::PyObject_SetAttrString(value, c"__notes__".as_ptr(), notes) < 0 {
                        ffi::PyErr_Clear();
                    }
                    ffi::Py_DECREF(notes);
                }
            } else {
                ffi::Py_DECREF(result);
            }
            ffi::Py_DECREF(text);
        } else {
            ffi::PyErr_Clear();
        }
    }
    crate::error::restore_raised(value);
}
