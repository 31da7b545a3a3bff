//! The pickler's state (`PicklerObject` in `_pickle.c`, minus the Python
//! object around it) and the `dump()` driver shared by `dumps`, `dump` and
//! `Pickler.dump`.

use crate::error::{Failed, Res, raise};
use crate::ffi::{self, PyObject};
use crate::generated::dispatch::save;
use crate::generated::facts::{DEFAULT_PROTOCOL, HIGHEST_PROTOCOL};
use crate::memo::Memo;
use crate::opcodes::{PROTO, STOP};
use crate::owned::Owned;
use crate::type_cache::TypeCache;
use crate::writer::Writer;
use pyo3::Py;
use pyo3::PyAny;

pub struct Core {
    pub proto: i32,
    pub bin: i32,
    pub fix_imports: bool,
    pub fast: i32,
    pub fast_nesting: i32,
    pub fast_memo: Option<Owned>,
    pub memo: Memo,
    pub out: Writer,
    /// `persistent_id`, unbound when it was a method of the Pickler itself
    /// (then `pers_func_self` is that Pickler, borrowed) to avoid a cycle.
    pub pers_func: Option<Py<PyAny>>,
    pub pers_func_self: *mut PyObject,
    pub dispatch_table: Option<Py<PyAny>>,
    /// Looked up afresh for each `dump()` and dropped after it.
    pub reducer_override: Option<Py<PyAny>>,
    pub buffer_callback: Option<Py<PyAny>>,
    /// Pickle by value what `pickle` can't pickle by reference (the
    /// rules of spec/overrides.toml); off, output is exactly `pickle`'s.
    pub by_value: bool,
    /// What this dump has learnt about the types it met.
    pub types: TypeCache,
    /// Where the current error happened, recorded while it unwinds.
    pub error_path: crate::path::ErrorPath,
    /// Globals dicts shared by the functions pickled by value.
    pub globals_ref: crate::by_value::GlobalsRef,
    /// A side pickle whose bytes are digested into a tracker id: classes
    /// inside it are written with no id of their own.
    pub digesting: bool,
    /// Set in a side pickle when it wrote something the main pickle would
    /// write otherwise (a class with no id, a protocol-dependent reduction),
    /// so its bytes can't stand in for the main pickle's.
    pub differs_from_main: bool,
    /// Set in a side pickle when a reduction may depend on the protocol
    /// (a `__reduce_ex__` other than a plain instance's, a bytearray).
    pub protocol_dependent: bool,
    /// Tracker ids computed during this dump, by object address (the
    /// object is held so the address stays its own).
    pub tracker_ids: std::collections::HashMap<usize, crate::by_value::KnownId>,
    /// The objects whose side pickles are being written, outermost first.
    pub digest_stack: Vec<usize>,
    /// Set in a side pickle that met one of `digest_stack` (a cycle), or
    /// wrote a class whole for want of an id that stands for it.
    pub met_digest_under_way: bool,
    pub wrote_class_whole: bool,
    /// Hooks of a Python subclass (dill dispatch, overridden save...);
    /// None for every other dump.
    pub python: Option<Box<crate::python_hooks::PythonHooks>>,
}

// Only touched with the GIL held; free-threaded builds are refused.
unsafe impl Send for Core {}

impl Core {
    pub unsafe fn new() -> Result<Core, Failed> {
        Core::with(Memo::default(), Writer::new()?)
    }

    /// A core for a side pickle: small buffers, no size hints read or left.
    pub unsafe fn side() -> Result<Core, Failed> {
        Core::with(Memo::small(), Writer::small()?)
    }

    unsafe fn with(memo: Memo, out: Writer) -> Result<Core, Failed> {
        Ok(Core {
            proto: 0,
            bin: 0,
            fix_imports: false,
            fast: 0,
            fast_nesting: 0,
            fast_memo: None,
            memo,
            out,
            pers_func: None,
            pers_func_self: std::ptr::null_mut(),
            dispatch_table: None,
            reducer_override: None,
            buffer_callback: None,
            by_value: true,
            error_path: Default::default(),
            types: TypeCache::default(),
            globals_ref: Default::default(),
            digesting: false,
            differs_from_main: false,
            protocol_dependent: false,
            tracker_ids: Default::default(),
            digest_stack: Vec::new(),
            met_digest_under_way: false,
            wrote_class_whole: false,
            python: None,
        })
    }

    /// `_Pickler_SetProtocol`.
    pub unsafe fn set_protocol(&mut self, protocol: *mut PyObject, fix_imports: bool) -> Res {
        let proto = if protocol.is_null() || protocol == ffi::Py_None() {
            DEFAULT_PROTOCOL as i64
        } else {
            let value = ffi::PyLong_AsLong(protocol) as i64;
            if value == -1 && !ffi::PyErr_Occurred().is_null() {
                return Err(Failed);
            }
            if value < 0 {
                HIGHEST_PROTOCOL as i64
            } else if value > HIGHEST_PROTOCOL as i64 {
                let message = format!("pickle protocol must be <= {HIGHEST_PROTOCOL}");
                return Err(raise(ffi::PyExc_ValueError, &message));
            } else {
                value
            }
        };
        self.proto = proto as i32;
        self.bin = (proto > 0) as i32;
        self.fix_imports = fix_imports && proto < 3;
        Ok(())
    }

    /// `_Pickler_SetBufferCallback`.
    pub unsafe fn set_buffer_callback(&mut self, callback: Option<Py<PyAny>>) -> Res {
        let callback = callback.filter(|c| c.as_ptr() != ffi::Py_None());
        if callback.is_some() && self.proto < 5 {
            return Err(raise(ffi::PyExc_ValueError, "buffer_callback needs protocol >= 5"));
        }
        self.buffer_callback = callback;
        Ok(())
    }

    #[inline(always)]
    pub unsafe fn opcode_boundary(&mut self) -> Res {
        self.out.opcode_boundary()
    }

    #[inline(always)]
    pub fn rules_known_to_miss(&self, tp: *mut ffi::PyTypeObject) -> bool {
        self.types.has(tp, crate::type_cache::RULES_MISS)
    }

    #[inline(always)]
    pub unsafe fn note_rules_missed(&mut self, tp: *mut ffi::PyTypeObject) {
        self.types.set(tp, crate::type_cache::RULES_MISS)
    }

    #[inline(always)]
    pub fn has_persistent_id(&self) -> bool {
        self.pers_func.is_some()
    }

    /// `dump()` in `_pickle.c`: header, the object, STOP, last frame.
    pub unsafe fn dump(&mut self, obj: *mut PyObject) -> Res {
        self.error_path.clear();
        self.types.clear();
        self.tracker_ids.clear();
        let result = self.dump_inner(obj);
        self.tracker_ids.clear();
        crate::size_hints::note_memo(self.memo.len());
        self.out.framing = false;
        if result.is_err() && self.by_value && crate::error::exception_matches(ffi::PyExc_RecursionError) {
            crate::by_value::as_pickling_recursion_error();
        }
        if result.is_err() && self.error_path.wants_note() {
            let path = &self.error_path;
            crate::path::annotate_current_exception(|| {
                format!("when pickling {}: {}", crate::path::short(obj), path.describe())
            });
            self.error_path.clear();
        }
        result
    }

    unsafe fn dump_inner(&mut self, obj: *mut PyObject) -> Res {
        if self.proto >= 2 {
            self.out.write(&[PROTO, self.proto as u8])?;
            if self.proto >= 4 {
                self.out.framing = true;
            }
        }
        save(self, obj, false)?;
        self.out.write_byte(STOP)?;
        self.out.commit_frame();
        Ok(())
    }
}

/// `Py_EnterRecursiveCall`, plus a check of the real stack so a raised
/// recursion limit turns into `RecursionError` rather than a crash.
#[inline(always)]
pub unsafe fn enter_recursive_call() -> Res {
    if ffi::Py_EnterRecursiveCall(c" while pickling an object".as_ptr()) != 0 {
        return Err(Failed);
    }
    if crate::stack::nearly_exhausted() {
        ffi::Py_LeaveRecursiveCall();
        return Err(raise(ffi::PyExc_RecursionError, "maximum recursion depth exceeded while pickling an object (stack nearly exhausted)"));
    }
    Ok(())
}

#[inline(always)]
pub unsafe fn leave_recursive_call() {
    ffi::Py_LeaveRecursiveCall();
}
