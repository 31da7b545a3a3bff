//! Everything anethum keeps for the life of the process, in one place: the
//! module state (`_pickle.c`'s `PickleState`), the type pointers found at
//! import, the load-time helpers, and the caches. All of it belongs to the
//! main interpreter (`lib.rs` refuses sub-interpreters) and is only touched
//! with the GIL held (the module declares `gil_used`). Making anethum
//! per-interpreter or free-threaded starts here.
//!
//! No lock here is ever held across a call into Python: a call can run
//! arbitrary code (a `__del__`, a signal handler) that re-enters anethum.

use crate::by_value::refs::Refs;
use crate::by_value::weak_cache::WeakCache;
use crate::ffi::types::TypeSlots;
use crate::save::known_globals::KnownGlobal;
use crate::state::ModuleState;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString};
use pyo3::Py;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Mutex, OnceLock};

pub struct Process {
    /// Set by `state::init` at import.
    pub module: OnceLock<ModuleState>,
    /// Types defined in Python or not exported by the C API, that no rule finds.
    pub types: TypeSlots,
    /// The types `spec/overrides.toml`'s rules find (generated).
    pub found_types: crate::generated::found_types::FoundTypes,
    /// `anethum.loaders` and friends, on first use.
    pub refs: PyOnceLock<Refs>,
    /// The `anethum.loaders` functions every by-value pickle names.
    pub known_globals: OnceLock<HashMap<usize, KnownGlobal>>,
    /// Code attribute names in constructor order.
    pub code_attributes: PyOnceLock<Vec<Py<PyString>>>,
    /// Reduce tuple per code object (immutable, so cached).
    pub code_reductions: WeakCache,
    /// Global names per code object.
    pub code_globals: WeakCache,
    /// `(content digest, tracker id)` per class or TypeVar last pickled.
    pub tracked_ids: WeakCache,
    /// Whether a class of the `types` module goes by value.
    pub types_module_decisions: GilMap<bool>,
    /// Copies of static types' dicts (3.12+ keep none in `tp_dict`).
    pub static_type_dicts: GilMap<Py<PyDict>>,
    /// The size of the last dump's output and memo (`size_hints`).
    pub output_len: AtomicUsize,
    pub memo_len: AtomicUsize,
    /// Whether class states are taken over from their side pickles
    /// (`by_value::splice`); off only in tests, which compare the two.
    pub reuse_side_pickles: AtomicBool,
}

pub static PROCESS: Process = Process {
    module: OnceLock::new(),
    types: TypeSlots::new(),
    found_types: crate::generated::found_types::FoundTypes::new(),
    refs: PyOnceLock::new(),
    known_globals: OnceLock::new(),
    code_attributes: PyOnceLock::new(),
    code_reductions: WeakCache::new(),
    code_globals: WeakCache::new(),
    tracked_ids: WeakCache::new(),
    types_module_decisions: GilMap::new(),
    static_type_dicts: GilMap::new(),
    output_len: AtomicUsize::new(0),
    memo_len: AtomicUsize::new(0),
    reuse_side_pickles: AtomicBool::new(true),
};

/// A map keyed by object address whose lock is held only to copy a value
/// out or put one in; a replaced value is dropped after the lock is
/// released (dropping a Python object can run Python code).
pub struct GilMap<V> {
    entries: Mutex<BTreeMap<usize, V>>,
}

impl<V> GilMap<V> {
    pub const fn new() -> GilMap<V> {
        GilMap { entries: Mutex::new(BTreeMap::new()) }
    }

    /// `read` sees the value under the lock, so it must not call Python
    /// (an incref is fine).
    pub fn get_with<R>(&self, key: usize, read: impl FnOnce(&V) -> R) -> Option<R> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(&key).map(read)
    }

    pub fn insert(&self, key: usize, value: V) {
        let replaced = self.entries.lock().unwrap_or_else(|e| e.into_inner()).insert(key, value);
        drop(replaced);
    }
}
