//! Tracker ids of dynamic classes and TypeVars: a digest of everything
//! their pickle carries, so that two classes share an id only when loading
//! either gives the same class. The loading side returns the class already
//! known under an id, so an id that ignored a closure value, a default or
//! an attribute would hand one sender's class to another's pickle.
//!
//! The content is the class's own reduction, pickled by value into a side
//! pickle (protocol 4, a fresh memo, no Pickler hook): the class itself is
//! pre-memoized (a reference to it costs one GET), and classes inside are
//! written whole with no id (so no digest waits on another). It is
//! recomputed for every dump that meets the class, since a class, or what
//! its methods close over, may change between dumps. Where it can, the
//! main pickle reuses the side pickle's bytes for the class state rather
//! than pickling it twice (`splice`).

use super::splice::SidePickle;
use crate::core::Core;
use crate::error::{Failed, Res};
use crate::ffi::PyObject;
use crate::opcodes::{PROTO, STOP};
use pyo3::prelude::*;
use sha2::{Digest, Sha256};

/// The protocol of side pickles: fixed, so the id doesn't depend on the
/// protocol of the dump that carries it.
pub const DIGEST_PROTOCOL: i32 = 4;
const DIGEST_HEX_LEN: usize = 32;

/// The id for `obj` whose reduction, with `None` where the id goes, pickles
/// as `write_prefix` then `write_reusable` write it; `None` inside a side
/// pickle. With the id comes the side pickle, whose `write_reusable` part
/// the main pickle may take over (`SidePickle::splice_into`).
pub unsafe fn tracker_id<'py>(
    p: &mut Core,
    obj: &Bound<'py, PyAny>,
    write_prefix: impl FnOnce(&mut Core) -> Res,
    write_reusable: Option<&dyn Fn(&mut Core) -> Res>,
) -> Res<(Bound<'py, PyAny>, Option<SidePickle>)> {
    let py = obj.py();
    if p.digesting {
        p.differs_from_main = true;
        return Ok((py.None().into_bound(py), None));
    }
    let key = obj.as_ptr() as usize;
    if let Some((_, id)) = p.tracker_ids.get(&key) {
        return Ok((id.bind(py).clone(), None));
    }
    let (digest, side) = match side_pickle(p, obj.as_ptr(), write_prefix, write_reusable) {
        Ok(side) => (pyo3::types::PyString::new(py, &hex_digest(side.core.out.as_slice())).into_any(), Some(side)),
        Err(Failed) => (fallback_id(py)?, None),
    };
    let id = tracked_id(obj, &digest)?;
    p.tracker_ids.insert(key, (obj.clone().unbind(), id.clone().unbind()));
    Ok((id, side))
}

/// The id under which `obj`, with content `digest`, is known in this
/// process (`anethum.loaders._track_pickled_class`), so a pickle of it
/// loaded here gives back this very object. The answer is remembered per
/// object: the same content again (a class shipped in a loop) needs no
/// Python call, since a live class never loses its entry.
unsafe fn tracked_id<'py>(obj: &Bound<'py, PyAny>, digest: &Bound<'py, PyAny>) -> Res<Bound<'py, PyAny>> {
    let py = obj.py();
    let cache = &crate::process::PROCESS.tracked_ids;
    if let Some(known) = cache.get(obj) {
        if let Ok((known_digest, id)) = known.extract::<(Bound<'py, PyAny>, Bound<'py, PyAny>)>() {
            if super::raised(py, known_digest.eq(digest))? {
                return Ok(id);
            }
        }
    }
    let track = super::refs::refs(py).and_then(|r| r.track_pickled_class.bind(py).call1((digest, obj)));
    let id = super::raised(py, track)?;
    if let Ok(entry) = pyo3::types::PyTuple::new(py, [digest, &id]) {
        cache.insert(obj, entry.as_any());
    }
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

unsafe fn side_pickle(
    main: &Core,
    root: *mut PyObject,
    write_prefix: impl FnOnce(&mut Core) -> Res,
    write_reusable: Option<&dyn Fn(&mut Core) -> Res>,
) -> Result<SidePickle, Failed> {
    let mut side = Core::side()?;
    side.proto = DIGEST_PROTOCOL;
    side.bin = 1;
    side.by_value = true;
    side.digesting = true;
    // Functions inside share the globals dicts the main pickle already has,
    // as they would there (the bytes are the same either way).
    side.globals_ref = main.globals_ref.clone_ref(pyo3::Python::assume_attached());
    side.memo.set(root, 0);
    side.out.write(&[PROTO, DIGEST_PROTOCOL as u8])?;
    let mut side = SidePickle::new(side);
    write_prefix(&mut side.core)?;
    if let Some(write) = write_reusable {
        side.write_reusable(write)?;
    }
    side.core.out.write_byte(STOP)?;
    Ok(side)
}

fn hex_digest(bytes: &[u8]) -> String {
    let digest = Sha256::new_with_prefix(b"anethum-tracker-id-2\0").chain_update(bytes).finalize();
    let mut hex = String::with_capacity(DIGEST_HEX_LEN);
    for byte in &digest[..DIGEST_HEX_LEN / 2] {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}
