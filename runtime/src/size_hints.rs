//! How big the last `dumps` got, to start the next one there: an object
//! pickled again and again (a task shipped to workers in a loop) then
//! neither regrows its output buffer nor rehashes its memo on the way.
//! Capped, so one huge pickle doesn't make every later one start huge.
//! Only sizes change: the bytes written are the same.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

static OUTPUT_LEN: AtomicUsize = AtomicUsize::new(0);
static MEMO_LEN: AtomicUsize = AtomicUsize::new(0);

const MAX_OUTPUT: usize = 1 << 20;
const MAX_MEMO: usize = 1 << 15;

/// Bytes the last `dumps` returned (capped).
pub fn output() -> usize {
    OUTPUT_LEN.load(Relaxed)
}

/// Memo entries the last dump made (capped).
pub fn memo() -> usize {
    MEMO_LEN.load(Relaxed)
}

pub fn note_output(len: usize) {
    OUTPUT_LEN.store(len.min(MAX_OUTPUT), Relaxed);
}

pub fn note_memo(len: usize) {
    MEMO_LEN.store(len.min(MAX_MEMO), Relaxed);
}
