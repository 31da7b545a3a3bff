//! Globals anethum itself emits in every by-value pickle (the functions of
//! `anethum.loaders`): verified importable once, then saved without the
//! import and attribute walk `save_global` does for arbitrary objects.

use crate::owned::Owned;

/// `__module__` and `__qualname__` of a known top-level global: the very
/// objects `save_global` would have found, so the memo sees the same.
pub struct KnownGlobal {
    pub module_name: Owned,
    pub qualname: Owned,
    _keep_alive: Owned,
}

unsafe impl Send for KnownGlobal {}
unsafe impl Sync for KnownGlobal {}

#[inline]
pub fn lookup(obj: *mut pyo3::ffi::PyObject) -> Option<&'static KnownGlobal> {
    crate::process::PROCESS.known_globals.get()?.get(&(obj as usize))
}

/// Registers top-level functions of importable modules; call once.
pub fn register(objects: Vec<(Owned, Owned, Owned)>) {
    let map = objects
        .into_iter()
        .map(|(obj, module_name, qualname)| {
            (obj.as_ptr() as usize, KnownGlobal { module_name, qualname, _keep_alive: obj })
        })
        .collect();
    let _ = crate::process::PROCESS.known_globals.set(map);
}
