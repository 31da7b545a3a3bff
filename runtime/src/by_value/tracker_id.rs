//! Tracker ids of dynamic classes and TypeVars: a digest of everything
//! their pickle carries, so that two classes share an id only when loading
//! either gives the same class. The loading side returns the class already
//! known under an id, so an id that ignored a closure value, a default or
//! an attribute would hand one sender's class to another's pickle.
//!
//! The content is the class's own reduction, pickled by value into a side
//! buffer with a fresh memo: the class itself is pre-memoized (a reference
//! to it costs one GET), other classes inside are written whole with no id
//! (so no digest waits on another), and no Pickler hook is called. It is
//! recomputed for every dump that meets the class, since a class or what
//! its methods close over may change between dumps.

use crate::core::Core;
use crate::error::{Failed, Res};
use crate::ffi::PyObject;
use crate::opcodes::{PROTO, STOP};
use pyo3::prelude::*;
use sha2::{Digest, Sha256};

/// The protocol of the side pickle: fixed, so the id doesn't depend on the
/// protocol of the dump that carries it.
const DIGEST_PROTOCOL: u8 = 4;
const DIGEST_HEX_LEN: usize = 32;

/// The id for `obj` (a class or TypeVar) whose reduction, with `None`
/// where the id goes, is `reduction`. `None` inside a side pickle.
pub unsafe fn tracker_id<'py>(p: &mut Core, obj: &Bound<'py, PyAny>, reduction: &Bound<'py, PyAny>) -> Res<Bound<'py, PyAny>> {
    let py = obj.py();
    if p.digesting {
        return Ok(py.None().into_bound(py));
    }
    let key = obj.as_ptr() as usize;
    if let Some((_, id)) = p.tracker_ids.get(&key) {
        return Ok(id.bind(py).clone());
    }
    let digest = match content_digest(obj.as_ptr(), reduction.as_ptr()) {
        Ok(hex) => pyo3::types::PyString::new(py, &hex).into_any(),
        Err(Failed) => fallback_id(py)?,
    };
    // Known under its id in this process, so a pickle of it loaded here
    // gives back this very object (`anethum.loaders._track_pickled_class`).
    let track = super::refs::refs(py).and_then(|r| r.track_pickled_class.bind(py).call1((&digest, obj)));
    let id = super::raised(py, track)?;
    p.tracker_ids.insert(key, (obj.clone().unbind(), id.clone().unbind()));
    Ok(id)
}

/// A content digest failed (something in the class that only the caller's
/// hooks can pickle, say): a random id, as cloudpickle uses, is never
/// shared by mistake. KeyboardInterrupt, SystemExit and MemoryError are
/// not swallowed.
unsafe fn fallback_id(py: Python<'_>) -> Res<Bound<'_, PyAny>> {
    let err = PyErr::fetch(py);
    if !err.is_instance_of::<pyo3::exceptions::PyException>(py) || err.is_instance_of::<pyo3::exceptions::PyMemoryError>(py) {
        err.restore(py);
        return Err(Failed);
    }
    let random = (|| -> PyResult<Bound<'_, PyAny>> { py.import("uuid")?.getattr("uuid4")?.call0()?.getattr("hex") })();
    super::raised(py, random)
}

unsafe fn content_digest(root: *mut PyObject, reduction: *mut PyObject) -> Result<String, Failed> {
    let mut side = Core::new()?;
    side.proto = DIGEST_PROTOCOL as i32;
    side.bin = 1;
    side.by_value = true;
    side.digesting = true;
    side.memo.set(root, 0);
    side.out.write(&[PROTO, DIGEST_PROTOCOL])?;
    crate::generated::dispatch::save(&mut side, reduction, false)?;
    side.out.write_byte(STOP)?;
    let digest = Sha256::new_with_prefix(b"anethum-tracker-id-2\0").chain_update(side.out.as_slice()).finalize();
    let mut hex = String::with_capacity(DIGEST_HEX_LEN);
    for byte in &digest[..DIGEST_HEX_LEN / 2] {
        hex.push_str(&format!("{byte:02x}"));
    }
    Ok(hex)
}
