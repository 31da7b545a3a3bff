//! Reusing a side pickle's bytes in the main pickle. A class's tracker id
//! digests a side pickle of its state (`tracker_id`); the main pickle then
//! needs the same state written again, in its own memo. When the side
//! pickle's bytes are what the main pickle would write, apart from memo
//! numbers, they are copied over with their GETs renumbered, instead of
//! pickling the state a second time.
//!
//! That holds only when the main pickle would take the same path through
//! the same objects: the same protocol family (4, or 5 when nothing in the
//! side pickle depended on the protocol), no hook the side pickle lacks, no
//! class inside (the side pickle wrote it without its id), and no object
//! of the reused part already in the main memo (the main pickle would
//! have written a GET for it). Otherwise `splice_into` declines and the
//! caller pickles the state itself; the output is the same either way.

use super::tracker_id::DIGEST_PROTOCOL;
use crate::core::Core;
use crate::error::Res;
use crate::ffi::PyObject;
use crate::opcodes::*;

pub struct SidePickle {
    pub core: Core,
    /// Output offset and memo size where the reusable part starts and ends.
    start: usize,
    memo_start: usize,
    end: usize,
}

impl SidePickle {
    pub fn new(core: Core) -> SidePickle {
        SidePickle { core, start: 0, memo_start: 0, end: 0 }
    }

    /// Writes the reusable part with `write`, between marks.
    pub unsafe fn write_reusable(&mut self, write: &dyn Fn(&mut Core) -> Res) -> Res {
        self.start = self.core.out.as_slice().len();
        self.memo_start = self.core.memo.len();
        write(&mut self.core)?;
        self.end = self.core.out.as_slice().len();
        Ok(())
    }

    /// Writes the reusable part into `main`, memoizing its objects there as
    /// the main pickle would have; `Ok(false)`, writing nothing, if the
    /// bytes would not be the main pickle's own.
    pub unsafe fn splice_into(self, main: &mut Core) -> Res<bool> {
        let side = &self.core;
        let same_protocol = main.proto == DIGEST_PROTOCOL || (main.proto == 5 && !side.protocol_dependent);
        let same_hooks = main.pers_func.is_none()
            && main.reducer_override.is_none()
            && main.dispatch_table.is_none()
            && main.buffer_callback.is_none()
            && main.fast == 0;
        let enabled = crate::process::PROCESS.reuse_side_pickles.load(std::sync::atomic::Ordering::Relaxed);
        if !enabled || self.end <= self.start || !same_protocol || !same_hooks || side.differs_from_main {
            return Ok(false);
        }
        // Side memo index -> main memo index.
        let mut objects: Vec<*mut PyObject> = vec![std::ptr::null_mut(); side.memo.len()];
        for (obj, index) in side.memo.entries() {
            let Some(slot) = objects.get_mut(index) else { return Ok(false) };
            *slot = obj;
        }
        let next = main.memo.len();
        let mut renumbered: Vec<Option<usize>> = Vec::with_capacity(objects.len());
        for (index, &obj) in objects.iter().enumerate() {
            let in_main = main.memo.get(obj);
            if index < self.memo_start {
                renumbered.push(in_main);
            } else if in_main.is_some() {
                return Ok(false);
            } else {
                renumbered.push(Some(next + index - self.memo_start));
            }
        }
        let Some(bytes) = renumber_gets(&side.out.as_slice()[self.start..self.end], &renumbered) else { return Ok(false) };
        main.opcode_boundary()?;
        main.out.write(&bytes)?;
        for &obj in &objects[self.memo_start..] {
            let index = main.memo.len();
            main.memo.set(obj, index);
        }
        main.globals_ref.adopt(&self.core.globals_ref);
        Ok(true)
    }
}

/// The opcodes with their memo GETs renumbered; None at anything a
/// protocol-4 side pickle without framing or hooks doesn't write, or at a
/// GET whose object has no main memo entry.
fn renumber_gets(bytes: &[u8], renumbered: &[Option<usize>]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let mut at = 0;
    while at < bytes.len() {
        let op = bytes[at];
        let get = match op {
            BINGET => Some(*bytes.get(at + 1)? as usize),
            LONG_BINGET => Some(u32::from_le_bytes(bytes.get(at + 1..at + 5)?.try_into().ok()?) as usize),
            _ => None,
        };
        if let Some(index) = get {
            let main_index = (*renumbered.get(index)?)?;
            if main_index < 256 {
                out.extend_from_slice(&[BINGET, main_index as u8]);
            } else {
                let b = u32::try_from(main_index).ok()?.to_le_bytes();
                out.extend_from_slice(&[LONG_BINGET, b[0], b[1], b[2], b[3]]);
            }
            at += if op == BINGET { 2 } else { 5 };
            continue;
        }
        let len = 1 + argument_len(op, bytes.get(at + 1..)?)?;
        out.extend_from_slice(bytes.get(at..at + len)?);
        at += len;
    }
    Some(out)
}

/// Bytes after the opcode `op` (given what follows it), for the binary
/// opcodes a side pickle writes; None for the rest.
fn argument_len(op: u8, rest: &[u8]) -> Option<usize> {
    let prefixed = |width: usize| -> Option<usize> {
        let mut len = [0u8; 8];
        len[..width].copy_from_slice(rest.get(..width)?);
        width.checked_add(usize::try_from(u64::from_le_bytes(len)).ok()?)
    };
    match op {
        MARK | POP | POP_MARK | NONE | REDUCE | APPEND | BUILD | DICT | EMPTY_DICT | APPENDS | LIST | EMPTY_LIST
        | SETITEM | TUPLE | EMPTY_TUPLE | SETITEMS | NEWOBJ | TUPLE1 | TUPLE2 | TUPLE3 | NEWTRUE | NEWFALSE
        | EMPTY_SET | ADDITEMS | FROZENSET | NEWOBJ_EX | STACK_GLOBAL | MEMOIZE => Some(0),
        BININT1 | EXT1 => Some(1),
        BININT2 | EXT2 => Some(2),
        BININT | EXT4 => Some(4),
        BINFLOAT => Some(8),
        SHORT_BINBYTES | SHORT_BINUNICODE | LONG1 => prefixed(1),
        BINBYTES | BINUNICODE | LONG4 => prefixed(4),
        BINBYTES8 | BINUNICODE8 | BYTEARRAY8 => prefixed(8),
        _ => None,
    }
}
