//! How big the last `dumps` got, to start the next one there: an object
//! pickled again and again (a task shipped to workers in a loop) then
//! neither regrows its output buffer nor rehashes its memo on the way.
//! Bounded: one huge pickle must not make every later one start huge, and
//! an output buffer is only worth starting big below malloc's mmap
//! threshold (128 KiB by default). Past it, growing from small, as
//! `_pickle.c` does, measured faster (a 360 KiB dump was 8% slower when
//! started at its final size, 1.1 MiB ones 5–13%), so a bigger output
//! leaves no hint at all.
//! Only sizes change: the bytes written are the same.

use std::sync::atomic::Ordering::Relaxed;

use crate::process::PROCESS;

const MAX_OUTPUT: usize = 96 << 10;
const MAX_MEMO: usize = 1 << 15;

/// Bytes the last `dumps` returned (capped).
pub fn output() -> usize {
    PROCESS.output_len.load(Relaxed)
}

/// Memo entries the last dump made (capped).
pub fn memo() -> usize {
    PROCESS.memo_len.load(Relaxed)
}

pub fn note_output(len: usize) {
    PROCESS.output_len.store(if len <= MAX_OUTPUT { len } else { 0 }, Relaxed);
}

pub fn note_memo(len: usize) {
    PROCESS.memo_len.store(len.min(MAX_MEMO), Relaxed);
}
