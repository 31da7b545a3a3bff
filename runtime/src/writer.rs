//! The output buffer and protocol-4 framing of `Modules/_pickle.c`
//! (`_Pickler_Write`, `_Pickler_CommitFrame`, `_Pickler_OpcodeBoundary`,
//! `_Pickler_write_bytes`). Output goes straight into a `bytes` object that
//! grows by 1.5x, so `dumps` returns it without a copy.

use crate::error::{Failed, Res, check, check_int};
use crate::ffi::{self, PyObject, compat};
use crate::opcodes::{FRAME, FRAME_HEADER_SIZE, FRAME_SIZE_MIN, FRAME_SIZE_TARGET, WRITE_BUF_SIZE};
use crate::owned::Owned;
use std::ptr;

pub struct Writer {
    buffer: *mut PyObject,
    len: isize,
    capacity: isize,
    frame_start: isize,
    pub framing: bool,
    /// The file's bound `write`, for `dump`; `None` for `dumps`.
    pub file_write: Option<pyo3::Py<pyo3::PyAny>>,
}

impl Writer {
    pub unsafe fn new() -> Result<Writer, Failed> {
        // The last `dumps`'s size, plus room for a few more bytes this time.
        let hint = crate::size_hints::output();
        let capacity = if hint == 0 { WRITE_BUF_SIZE } else { WRITE_BUF_SIZE.max((hint + hint / 8) as isize) };
        Writer::with_capacity(capacity)
    }

    /// A writer starting at `WRITE_BUF_SIZE` whatever the last dump was.
    pub unsafe fn small() -> Result<Writer, Failed> {
        Writer::with_capacity(WRITE_BUF_SIZE)
    }

    unsafe fn with_capacity(capacity: isize) -> Result<Writer, Failed> {
        let buffer = check(ffi::PyBytes_FromStringAndSize(ptr::null(), capacity))?;
        Ok(Writer { buffer, len: 0, capacity, frame_start: -1, framing: false, file_write: None })
    }

    /// `_Pickler_ClearBuffer`: start over with a fresh buffer of the current capacity.
    pub unsafe fn reset(&mut self) -> Res {
        let fresh = check(ffi::PyBytes_FromStringAndSize(ptr::null(), self.capacity))?;
        let old = std::mem::replace(&mut self.buffer, fresh);
        if !old.is_null() {
            ffi::Py_DECREF(old);
        }
        self.len = 0;
        self.frame_start = -1;
        Ok(())
    }

    #[inline(always)]
    pub unsafe fn write_byte(&mut self, byte: u8) -> Res {
        if self.len < self.capacity && !(self.framing && self.frame_start == -1) {
            *self.data().add(self.len as usize) = byte;
            self.len += 1;
            return Ok(());
        }
        self.write_slow(&[byte])
    }

    #[inline(always)]
    pub unsafe fn write(&mut self, bytes: &[u8]) -> Res {
        let n = bytes.len() as isize;
        if self.len + n <= self.capacity && !(self.framing && self.frame_start == -1) {
            ptr::copy_nonoverlapping(bytes.as_ptr(), self.data().add(self.len as usize), bytes.len());
            self.len += n;
            return Ok(());
        }
        self.write_slow(bytes)
    }

    /// What has been written so far (frames uncommitted).
    pub unsafe fn as_slice(&self) -> &[u8] {
        if self.buffer.is_null() {
            return &[];
        }
        std::slice::from_raw_parts(self.data(), self.len as usize)
    }

    #[inline(always)]
    unsafe fn data(&self) -> *mut u8 {
        ffi::PyBytes_AS_STRING(self.buffer) as *mut u8
    }

    #[cold]
    #[inline(never)]
    unsafe fn write_slow(&mut self, bytes: &[u8]) -> Res {
        if self.buffer.is_null() {
            ffi::PyErr_SetString(ffi::PyExc_RuntimeError, c"anethum: the pickler has no output buffer".as_ptr());
            return Err(Failed);
        }
        let need_new_frame = self.framing && self.frame_start == -1;
        let n = bytes.len() as isize + if need_new_frame { FRAME_HEADER_SIZE } else { 0 };
        if self.len + n > self.capacity {
            if self.len >= isize::MAX / 2 - n {
                ffi::PyErr_NoMemory();
                return Err(Failed);
            }
            let capacity = (self.len + n) / 2 * 3;
            if compat::_PyBytes_Resize(&mut self.buffer, capacity) < 0 {
                // The buffer is gone (freed, now null): no write may reach it.
                self.len = self.capacity;
                return Err(Failed);
            }
            self.capacity = capacity;
        }
        let data = self.data();
        if need_new_frame {
            self.frame_start = self.len;
            ptr::write_bytes(data.add(self.len as usize), 0xFE, FRAME_HEADER_SIZE as usize);
            self.len += FRAME_HEADER_SIZE;
        }
        ptr::copy_nonoverlapping(bytes.as_ptr(), data.add(self.len as usize), bytes.len());
        self.len += bytes.len() as isize;
        Ok(())
    }

    /// `_Pickler_CommitFrame`: fill in the FRAME header, or drop it if the
    /// frame is too small to be worth one.
    pub unsafe fn commit_frame(&mut self) {
        if !self.framing || self.frame_start == -1 || self.buffer.is_null() {
            return;
        }
        let frame_len = self.len - self.frame_start - FRAME_HEADER_SIZE;
        let header = self.data().add(self.frame_start as usize);
        if frame_len >= FRAME_SIZE_MIN {
            *header = FRAME;
            ptr::copy_nonoverlapping((frame_len as u64).to_le_bytes().as_ptr(), header.add(1), 8);
        } else {
            ptr::copy(header.add(FRAME_HEADER_SIZE as usize), header, frame_len as usize);
            self.len -= FRAME_HEADER_SIZE;
        }
        self.frame_start = -1;
    }

    /// `_Pickler_OpcodeBoundary`: close a full frame and, when writing to
    /// a file, hand it over so memory stays near one frame.
    #[inline(always)]
    pub unsafe fn opcode_boundary(&mut self) -> Res {
        if self.frame_start == -1 || !self.framing {
            return Ok(());
        }
        if self.len - self.frame_start - FRAME_HEADER_SIZE >= FRAME_SIZE_TARGET {
            return self.flush_full_frame();
        }
        Ok(())
    }

    #[cold]
    unsafe fn flush_full_frame(&mut self) -> Res {
        self.commit_frame();
        if self.file_write.is_some() {
            self.flush_to_file()?;
            self.reset()?;
        }
        Ok(())
    }

    /// `_Pickler_GetString`: commit the frame and hand out the bytes,
    /// shrunk to size. The writer has no buffer afterwards.
    pub unsafe fn take_bytes(&mut self) -> Result<Owned, Failed> {
        self.commit_frame();
        let mut out = std::mem::replace(&mut self.buffer, ptr::null_mut());
        if out.is_null() {
            ffi::PyErr_SetString(ffi::PyExc_RuntimeError, c"anethum: the pickler has no output buffer".as_ptr());
            return Err(Failed);
        }
        let len = self.len;
        // Without a buffer, every write takes the slow path, which refuses.
        self.len = self.capacity;
        check_int(compat::_PyBytes_Resize(&mut out, len))?;
        if self.file_write.is_none() {
            crate::size_hints::note_output(len as usize);
        }
        Ok(Owned::new(out))
    }

    /// `_Pickler_FlushToFile`.
    pub unsafe fn flush_to_file(&mut self) -> Res {
        let output = self.take_bytes()?;
        self.call_write(output.as_ptr())
    }

    unsafe fn call_write(&mut self, data: *mut PyObject) -> Res {
        let Some(write) = self.file_write.as_ref().map(|w| w.as_ptr()) else {
            ffi::PyErr_SetString(ffi::PyExc_RuntimeError, c"anethum: the pickler has no file to write to".as_ptr());
            return Err(Failed);
        };
        let result = check(ffi::PyObject_CallOneArg(write, data))?;
        ffi::Py_DECREF(result);
        Ok(())
    }

    /// `_Pickler_write_bytes`: a payload of a frame or more goes to the file
    /// directly, outside any frame, so the loader can read it in one call.
    pub unsafe fn write_large(&mut self, header: &[u8], data: &[u8], payload: *mut PyObject) -> Res {
        let bypass = data.len() as isize >= FRAME_SIZE_TARGET;
        let framing = self.framing;
        if bypass {
            self.commit_frame();
            self.framing = false;
        }
        self.write(header)?;
        if bypass && self.file_write.is_some() {
            self.flush_to_file()?;
            let copy;
            let payload = if payload.is_null() {
                copy = Owned::new(check(ffi::PyBytes_FromStringAndSize(data.as_ptr().cast(), data.len() as isize))?);
                copy.as_ptr()
            } else {
                payload
            };
            self.call_write(payload)?;
            self.reset()?;
        } else {
            self.write(data)?;
        }
        self.framing = framing;
        Ok(())
    }

    pub fn buffer_size(&self) -> isize {
        if self.buffer.is_null() { 0 } else { self.capacity }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.buffer.is_null() {
            unsafe { ffi::Py_DECREF(self.buffer) }
        }
    }
}
