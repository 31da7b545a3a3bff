//! Tracker ids of dynamic classes and TypeVars: a digest of everything
//! their pickle carries, so that two classes share an id only when loading
//! either gives the same class. The loading side returns the class already
//! known under an id, so an id that ignored a closure value, a default or
//! an attribute would hand one sender's class to another's pickle.
//!
//! The content is the class's own reduction, pickled by value into a side
//! pickle (protocol 4, a fresh memo, no Pickler hook): the class itself is
//! pre-memoized (a reference to it costs one GET). A class met inside is
//! written as its own id, computed first (an id stands for everything its
//! class reaches), unless it reaches a cycle of classes (a side pickle
//! that met a class whose digest is under way, or wrote one whole): then
//! it is written whole, with no id. Which class of a cycle is pickled first
//! then changes no id, and each class that reaches no cycle is side
//! pickled once per dump, however deep classes nest. The id is recomputed
//! for every dump that meets the class, since a class, or what its methods
//! close over, may change between dumps. Where it can, the main pickle
//! reuses the side pickle's bytes for the class state rather than pickling
//! it twice (`splice`).

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

/// What to write for an object with a tracker id.
pub enum Tracked<'py> {
    /// The object, whole, with this id (`None` in a side pickle, for an
    /// object whose own digest is under way), and the side pickle whose
    /// reusable part the main pickle may take over
    /// (`SidePickle::splice_into`).
    Whole(Bound<'py, PyAny>, Option<SidePickle>),
    /// Already written: in a side pickle, the object's id stood for it.
    Written,
}

/// The id for `obj` whose reduction, with `None` where the id goes, pickles
/// as `write_prefix` then `write_reusable` write it.
pub unsafe fn tracker_id<'py>(
    p: &mut Core,
    obj: &Bound<'py, PyAny>,
    write_prefix: impl FnOnce(&mut Core) -> Res,
    write_reusable: Option<&dyn Fn(&mut Core) -> Res>,
) -> Res<Tracked<'py>> {
    let py = obj.py();
    let key = obj.as_ptr() as usize;
    let whole_without_id = |p: &mut Core| {
        p.wrote_class_whole = true;
        Ok(Tracked::Whole(py.None().into_bound(py), None))
    };
    if p.digesting {
        p.differs_from_main = true;
        if p.digest_stack.contains(&key) {
            p.met_digest_under_way = true;
            return whole_without_id(p);
        }
    }
    let (id, cyclic, side) = match p.tracker_ids.get(&key) {
        Some(known) => (known.id.bind(py).clone(), known.reaches_cycle, None),
        None => {
            let (digest, cyclic, side) = match side_pickle(p, obj.as_ptr(), write_prefix, write_reusable) {
                // On a cycle through a class further out: no id of its own yet.
                Ok(side) if side.core.met_digest_under_way => return whole_without_id(p),
                Ok(side) => {
                    let digest = super::raised(py, crate::pyalloc::string(py, &hex_digest(side.core.out.as_slice())))?.into_any();
                    (digest, side.core.wrote_class_whole, Some(side))
                }
                Err(Failed) => (fallback_id(py)?, false, None),
            };
            let id = tracked_id(obj, &digest)?;
            let known = KnownId { _obj: obj.clone().unbind(), id: id.clone().unbind(), reaches_cycle: cyclic };
            p.tracker_ids.insert(key, known);
            (id, cyclic, side)
        }
    };
    if p.digesting {
        if cyclic {
            return whole_without_id(p);
        }
        write_id_for(p, obj.as_ptr(), &id)?;
        return Ok(Tracked::Written);
    }
    Ok(Tracked::Whole(id, side))
}

/// A tracker id computed during a dump (the object is held so its address
/// stays its own), and whether its class reaches a cycle of classes.
pub struct KnownId {
    _obj: Py<PyAny>,
    id: Py<PyAny>,
    reaches_cycle: bool,
}

/// In a side pickle, an object that has an id: the id (in a 1-tuple, which
/// no str the object could hold looks like), memoized as the object.
unsafe fn write_id_for(p: &mut Core, obj: *mut PyObject, id: &Bound<'_, PyAny>) -> Res {
    let marker = super::raised(id.py(), crate::pyalloc::tuple(id.py(), [id.clone()]))?;
    crate::generated::dispatch::save(p, marker.as_ptr(), false)?;
    crate::save::memo_put(p, obj)
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
    let track = super::refs::refs(py).and_then(|r| r._track_pickled_class.bind(py).call1((digest, obj)));
    let id = super::raised(py, track)?;
    if let Ok(entry) = crate::pyalloc::tuple(py, [digest.clone(), id.clone()]) {
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
    let random = (|| -> PyResult<Bound<'_, PyAny>> {
        let uuid4 = crate::pyalloc::getattr(&crate::pyalloc::import(py, "uuid")?, "uuid4")?;
        crate::pyalloc::getattr(&uuid4.call0()?, "hex")
    })();
    super::raised(py, random)
}

unsafe fn side_pickle(
    main: &mut Core,
    root: *mut PyObject,
    write_prefix: impl FnOnce(&mut Core) -> Res,
    write_reusable: Option<&dyn Fn(&mut Core) -> Res>,
) -> Result<SidePickle, Failed> {
    let mut side = SidePickle::new(Core::side()?);
    // The ids of this dump, and the digests under way, go along and back.
    side.core.tracker_ids = std::mem::take(&mut main.tracker_ids);
    side.core.digest_stack = std::mem::take(&mut main.digest_stack);
    side.core.digest_stack.push(root as usize);
    let result = fill_side_pickle(main, &mut side, root, write_prefix, write_reusable);
    side.core.digest_stack.pop();
    main.tracker_ids = std::mem::take(&mut side.core.tracker_ids);
    main.digest_stack = std::mem::take(&mut side.core.digest_stack);
    result.map(|()| side)
}

unsafe fn fill_side_pickle(
    main: &Core,
    side: &mut SidePickle,
    root: *mut PyObject,
    write_prefix: impl FnOnce(&mut Core) -> Res,
    write_reusable: Option<&dyn Fn(&mut Core) -> Res>,
) -> Res {
    let core = &mut side.core;
    core.proto = DIGEST_PROTOCOL;
    core.bin = 1;
    core.by_value = true;
    core.digesting = true;
    // Functions inside share the globals dicts the main pickle already has,
    // as they would there (the bytes are the same either way).
    core.globals_ref = main.globals_ref.clone_ref(pyo3::Python::assume_attached());
    core.memo.set(root, 0);
    core.out.write(&[PROTO, DIGEST_PROTOCOL as u8])?;
    write_prefix(core)?;
    if let Some(write) = write_reusable {
        side.write_reusable(write)?;
    }
    side.core.out.write_byte(STOP)
}

fn hex_digest(bytes: &[u8]) -> String {
    let digest = Sha256::new_with_prefix(b"anethum-tracker-id-2\0").chain_update(bytes).finalize();
    let mut hex = String::with_capacity(DIGEST_HEX_LEN);
    for byte in &digest[..DIGEST_HEX_LEN / 2] {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}
