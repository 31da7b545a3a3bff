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

    pub fn clear(&mut self) {
        self.steps.clear();
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

/// Adds a note to the exception that is set (3.11+: `add_note`; before,
/// the `__notes__` list is set so tools can still find it). The note is
/// made with the exception put aside, since it runs `repr()`.
pub unsafe fn annotate_current_exception(make_note: impl FnOnce() -> String) {
    let (mut kind, mut value, mut traceback) = (std::ptr::null_mut(), std::ptr::null_mut(), std::ptr::null_mut());
    ffi::PyErr_Fetch(&mut kind, &mut value, &mut traceback);
    ffi::PyErr_NormalizeException(&mut kind, &mut value, &mut traceback);
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
    ffi::PyErr_Restore(kind, value, traceback);
}
