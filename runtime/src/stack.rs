//! How close the current thread is to the end of its C stack. The
//! interpreter's recursion limit is a count, not a size: with a raised limit
//! a deep graph could overflow the stack, so `save()` checks this too.

use std::cell::Cell;

/// Stop this far before the end, leaving room for Python code that a
/// `__reduce__` or `persistent_id` runs.
const RESERVE: usize = 256 * 1024;

thread_local! {
    static LOW_WATER: Cell<Option<usize>> = const { Cell::new(None) };
}

#[inline(always)]
pub fn nearly_exhausted() -> bool {
    let marker = 0u8;
    let here = &marker as *const u8 as usize;
    here < low_water()
}

fn low_water() -> usize {
    LOW_WATER.with(|cell| match cell.get() {
        Some(limit) => limit,
        None => {
            let limit = stack_bottom().map_or(0, |bottom| bottom + RESERVE);
            cell.set(Some(limit));
            limit
        }
    })
}

/// The lowest address of this thread's stack (stacks grow down here).
fn stack_bottom() -> Option<usize> {
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let status = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        if status != 0 || addr.is_null() { None } else { Some(addr as usize) }
    }
}
