//! What one dump has learnt about the types it met: which ones miss every
//! by-value rule, and which ones `object.__reduce_ex__` reduces the plain
//! way (see `save/plain_instance.rs`). A small direct-mapped table; each
//! slot holds a reference to its type, so an address is never recycled
//! for another type while it is cached.

use crate::ffi::{self, PyTypeObject};
use crate::owned::Owned;

/// The type misses every by-value rule (spec/overrides.toml).
pub const RULES_MISS: u8 = 1;
/// Whether the type is plain has been decided (see `PLAIN`).
pub const PLAIN_KNOWN: u8 = 2;
/// Its instances reduce to `copyreg.__newobj__, (cls,), obj.__dict__ or None`.
pub const PLAIN: u8 = 4;

struct Slot {
    tp: Owned,
    flags: u8,
    /// `tp_version_tag` when `PLAIN` was learnt: any change to the type or
    /// its bases since then invalidates the tag.
    version: u32,
}

#[derive(Default)]
pub struct TypeCache([Option<Slot>; 16]);

impl TypeCache {
    #[inline(always)]
    fn index(tp: *mut PyTypeObject) -> usize {
        (tp as usize >> 4) & 15
    }

    #[inline(always)]
    fn slot(&self, tp: *mut PyTypeObject) -> Option<&Slot> {
        self.0[Self::index(tp)]
            .as_ref()
            .filter(|slot| slot.tp.as_ptr() == tp.cast())
    }

    #[inline(always)]
    pub fn has(&self, tp: *mut PyTypeObject, flag: u8) -> bool {
        self.slot(tp).is_some_and(|slot| slot.flags & flag != 0)
    }

    /// `Some(plain)` once decided and the type is unchanged since.
    #[inline(always)]
    pub unsafe fn plain(&self, tp: *mut PyTypeObject) -> Option<bool> {
        let slot = self.slot(tp)?;
        if slot.flags & PLAIN_KNOWN == 0 {
            return None;
        }
        Some(slot.flags & PLAIN != 0 && version_tag(tp) == Some(slot.version))
    }

    pub unsafe fn set(&mut self, tp: *mut PyTypeObject, flag: u8) {
        self.update(tp, |slot| slot.flags |= flag);
    }

    /// A plain type is only remembered with a valid version tag, so a later
    /// change to it is seen. The first `__reduce_ex__` of a class usually
    /// invalidates its tag (copyreg caches `__slotnames__` on it): it is
    /// then judged again at its next instance.
    pub unsafe fn set_plain(&mut self, tp: *mut PyTypeObject, plain: bool) {
        let version = match (plain, version_tag(tp)) {
            (true, None) => return,
            (true, Some(version)) => Some(version),
            (false, _) => None,
        };
        self.update(tp, |slot| {
            slot.flags |= PLAIN_KNOWN;
            if let Some(version) = version {
                slot.flags |= PLAIN;
                slot.version = version;
            }
        });
    }

    unsafe fn update(&mut self, tp: *mut PyTypeObject, change: impl FnOnce(&mut Slot)) {
        let entry = &mut self.0[Self::index(tp)];
        if entry
            .as_ref()
            .is_none_or(|slot| slot.tp.as_ptr() != tp.cast())
        {
            // The evicted type (if any) is released after the slot is reused.
            let old = entry.replace(Slot {
                tp: Owned::borrowed(tp.cast()),
                flags: 0,
                version: 0,
            });
            drop(old);
        }
        if let Some(slot) = entry.as_mut() {
            change(slot);
        }
    }

    pub fn clear(&mut self) {
        let old = std::mem::take(&mut self.0);
        drop(old);
    }
}

#[inline(always)]
unsafe fn version_tag(tp: *mut PyTypeObject) -> Option<u32> {
    ffi::compat::valid_version_tag(tp)
}
