//! Bounds-checked access to a guest's linear memory.
//!
//! Every guest pointer reaches the host as a [`WasmSlicePtr<T>`], a typed
//! 32-bit offset. [`Ctx`] turns such a pointer into a value or a byte slice
//! only after checking that the whole range lies inside linear memory and
//! that it is aligned for `T`, so no guest pointer, length or struct can
//! make the host read or write outside guest memory, or panic:
//!
//! * a range that runs past the end of memory (or whose end overflows)
//!   gives [`errno::fault`];
//! * a pointer not aligned for `T` gives [`errno::inval`], as wasmtime's
//!   own WASI implementation does.
//!
//! All access is safe Rust: the memory is a `&mut [u8]` borrowed from the
//! wasmtime store for the duration of one host call, and values are
//! decoded and encoded little-endian field by field ([`GuestType`]).

use crate::limits::Cancel;
use std::marker::PhantomData;

use super::types::errno;

/// A value with a fixed wasm32 layout that can be copied in and out of
/// guest memory.
///
/// `SIZE` and `ALIGN` are those of the witx definition on wasm32;
/// `read_from` and `write_to` receive a slice of exactly `SIZE` bytes.
pub trait GuestType: Sized {
    /// Size in bytes in guest memory.
    const SIZE: u32;
    /// Required alignment in guest memory (a power of two).
    const ALIGN: u32;
    /// Decodes a value from exactly `SIZE` little-endian bytes.
    fn read_from(bytes: &[u8]) -> Self;
    /// Encodes the value into exactly `SIZE` bytes. Padding bytes are left
    /// as they were, so a call writes only the bytes of its fields.
    fn write_to(&self, bytes: &mut [u8]);
}

/// A typed pointer into guest memory: a 32-bit offset that, when
/// dereferenced through [`Ctx`], refers to a `T` (or an array of `T`).
///
/// A `WasmSlicePtr` carries no borrow and no validity: it is only a number
/// the guest handed over, checked at each access.
#[repr(transparent)]
pub struct WasmSlicePtr<T> {
    offset: u32,
    _type: PhantomData<fn() -> T>,
}

impl<T> WasmSlicePtr<T> {
    /// A pointer to guest offset `offset`.
    #[inline]
    pub const fn new(offset: u32) -> Self {
        WasmSlicePtr {
            offset,
            _type: PhantomData,
        }
    }

    /// The guest offset this pointer holds.
    #[inline]
    pub const fn offset(self) -> u32 {
        self.offset
    }

    /// The same offset viewed as a pointer to another type.
    #[inline]
    pub const fn cast<U>(self) -> WasmSlicePtr<U> {
        WasmSlicePtr::new(self.offset)
    }
}

impl<T: GuestType> WasmSlicePtr<T> {
    /// The pointer to element `index` of the array starting here, or
    /// [`errno::fault`] when that offset does not fit in 32 bits.
    #[inline]
    pub fn at(self, index: u32) -> Result<Self, errno> {
        (index as u64)
            .checked_mul(T::SIZE as u64)
            .and_then(|d| d.checked_add(self.offset as u64))
            .and_then(|o| u32::try_from(o).ok())
            .map(WasmSlicePtr::new)
            .ok_or(errno::fault)
    }
}

impl<T> Clone for WasmSlicePtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for WasmSlicePtr<T> {}
impl<T> PartialEq for WasmSlicePtr<T> {
    fn eq(&self, other: &Self) -> bool {
        self.offset == other.offset
    }
}
impl<T> Eq for WasmSlicePtr<T> {}
impl<T> std::fmt::Debug for WasmSlicePtr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WasmSlicePtr({:#x})", self.offset)
    }
}

impl<T> GuestType for WasmSlicePtr<T> {
    const SIZE: u32 = 4;
    const ALIGN: u32 = 4;
    #[inline]
    fn read_from(bytes: &[u8]) -> Self {
        WasmSlicePtr::new(u32::read_from(bytes))
    }
    #[inline]
    fn write_to(&self, bytes: &mut [u8]) {
        self.offset.write_to(bytes)
    }
}

/// The calling instance's context for one WASI call: bounds-checked access
/// to its linear memory.
///
/// A `Ctx` lives for one host call. The memory it borrows cannot grow or
/// move during the call (a host function cannot run guest code), so every
/// check holds until the call returns.
pub struct Ctx<'a> {
    memory: &'a mut [u8],
    cancel: Option<&'a Cancel>,
}

impl<'a> Ctx<'a> {
    /// A context over `memory`, the guest's whole linear memory.
    ///
    /// Useful to test a [`NativeWasiImports`](super::native::NativeWasiImports)
    /// implementation without a wasm engine.
    #[inline]
    pub fn new(memory: &'a mut [u8]) -> Self {
        Ctx {
            memory,
            cancel: None,
        }
    }

    /// A context whose blocking waits end when `cancel` is set (the
    /// instance was interrupted or ran past its timeout).
    #[inline]
    pub fn with_cancel(memory: &'a mut [u8], cancel: Option<&'a Cancel>) -> Self {
        Ctx { memory, cancel }
    }

    /// The calling instance's cancel token, when its engine is
    /// interruptible: a host call that blocks (a sleep, a read of a pipe)
    /// should wait through it ([`Cancel::poll`], [`Cancel::sleep`]) so
    /// that an interrupt or a timeout ends the wait.
    #[inline]
    pub fn cancel(&self) -> Option<&'a Cancel> {
        self.cancel
    }

    /// The guest's whole linear memory.
    #[inline]
    pub fn memory(&self) -> &[u8] {
        self.memory
    }

    /// The guest's whole linear memory, writable.
    #[inline]
    pub fn memory_mut(&mut self) -> &mut [u8] {
        self.memory
    }

    /// Checks that `count` values of `T` starting at `offset` lie in memory
    /// and that `offset` is aligned for `T`; returns the byte range.
    #[inline]
    fn range<T: GuestType>(&self, offset: u32, count: u32) -> Result<(usize, usize), errno> {
        if offset & (T::ALIGN - 1) != 0 {
            return Err(errno::inval);
        }
        // u64 arithmetic cannot overflow: both factors are below 2^32.
        let len = count as u64 * T::SIZE as u64;
        let end = offset as u64 + len;
        if end > self.memory.len() as u64 {
            return Err(errno::fault);
        }
        Ok((offset as usize, end as usize))
    }

    /// Checks that an array of `count` values of `T` at `ptr` lies in
    /// memory and is aligned, without reading it.
    #[inline]
    pub fn check_array<T: GuestType>(&self, ptr: WasmSlicePtr<T>, count: u32) -> Result<(), errno> {
        self.range::<T>(ptr.offset, count).map(|_| ())
    }

    /// Reads the `T` at `ptr`.
    #[inline]
    pub fn read<T: GuestType>(&self, ptr: WasmSlicePtr<T>) -> Result<T, errno> {
        let (start, end) = self.range::<T>(ptr.offset, 1)?;
        Ok(T::read_from(&self.memory[start..end]))
    }

    /// Reads element `index` of the array of `T` at `ptr`.
    #[inline]
    pub fn read_at<T: GuestType>(&self, ptr: WasmSlicePtr<T>, index: u32) -> Result<T, errno> {
        self.read(ptr.at(index)?)
    }

    /// Writes `value` at `ptr`. Nothing is written on error.
    #[inline]
    pub fn write<T: GuestType>(&mut self, ptr: WasmSlicePtr<T>, value: T) -> Result<(), errno> {
        let (start, end) = self.range::<T>(ptr.offset, 1)?;
        value.write_to(&mut self.memory[start..end]);
        Ok(())
    }

    /// Writes `value` as element `index` of the array of `T` at `ptr`.
    #[inline]
    pub fn write_at<T: GuestType>(
        &mut self,
        ptr: WasmSlicePtr<T>,
        index: u32,
        value: T,
    ) -> Result<(), errno> {
        self.write(ptr.at(index)?, value)
    }

    /// The `len` bytes at `ptr`.
    #[inline]
    pub fn bytes(&self, ptr: WasmSlicePtr<u8>, len: u32) -> Result<&[u8], errno> {
        let (start, end) = self.range::<u8>(ptr.offset, len)?;
        Ok(&self.memory[start..end])
    }

    /// The `len` bytes at `ptr`, writable.
    #[inline]
    pub fn bytes_mut(&mut self, ptr: WasmSlicePtr<u8>, len: u32) -> Result<&mut [u8], errno> {
        let (start, end) = self.range::<u8>(ptr.offset, len)?;
        Ok(&mut self.memory[start..end])
    }

    /// Copies `data` to `ptr`. Nothing is written on error.
    #[inline]
    pub fn copy_to(&mut self, ptr: WasmSlicePtr<u8>, data: &[u8]) -> Result<(), errno> {
        let len = u32::try_from(data.len()).map_err(|_| errno::fault)?;
        self.bytes_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    /// The byte buffers of an iovec (or ciovec) array, checked one at a time
    /// as the iterator advances. The array itself is checked up front, so a
    /// `len` that runs past memory fails before any buffer is used.
    #[inline]
    pub fn iovecs<V: IoVec>(&self, iovs: WasmSlicePtr<V>, len: u32) -> Result<IoVecs<V>, errno> {
        let (start, end) = self.range::<V>(iovs.offset, len)?;
        Ok(IoVecs {
            next: start,
            end,
            _type: PhantomData,
        })
    }

    /// The next buffer of an [`IoVecs`] walk as `(offset, len)` after
    /// checking it lies in memory; `None` at the end.
    #[inline]
    pub fn next_iovec<V: IoVec>(
        &self,
        it: &mut IoVecs<V>,
    ) -> Option<Result<(WasmSlicePtr<u8>, u32), errno>> {
        if it.next >= it.end {
            return None;
        }
        let raw = V::read_from(&self.memory[it.next..it.next + V::SIZE as usize]);
        it.next += V::SIZE as usize;
        let (buf, len) = raw.parts();
        Some(self.range::<u8>(buf.offset, len).map(|_| (buf, len)))
    }
}

/// A scatter/gather vector type: [`iovec`](super::types::iovec) or
/// [`ciovec`](super::types::ciovec).
pub trait IoVec: GuestType {
    /// The buffer pointer and its length.
    fn parts(&self) -> (WasmSlicePtr<u8>, u32);
}

impl IoVec for super::types::iovec {
    #[inline]
    fn parts(&self) -> (WasmSlicePtr<u8>, u32) {
        (self.buf, self.buf_len)
    }
}

impl IoVec for super::types::ciovec {
    #[inline]
    fn parts(&self) -> (WasmSlicePtr<u8>, u32) {
        (self.buf, self.buf_len)
    }
}

/// A walk over a checked iovec array; see [`Ctx::iovecs`].
pub struct IoVecs<V> {
    next: usize,
    end: usize,
    _type: PhantomData<fn() -> V>,
}

impl<V: IoVec> IoVecs<V> {
    /// Number of vectors not yet visited.
    #[inline]
    pub fn remaining(&self) -> usize {
        (self.end - self.next) / V::SIZE as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasi_snapshot_preview1::types::{ciovec, fdstat};

    #[test]
    fn reads_and_writes_at_the_very_end() {
        let mut mem = vec![0u8; 64];
        let mut ctx = Ctx::new(&mut mem);
        ctx.write(WasmSlicePtr::<u64>::new(56), 0x0102_0304_0506_0708)
            .unwrap();
        assert_eq!(
            ctx.read(WasmSlicePtr::<u64>::new(56)),
            Ok(0x0102_0304_0506_0708)
        );
        assert_eq!(ctx.read(WasmSlicePtr::<u64>::new(64)), Err(errno::fault));
        assert_eq!(ctx.read(WasmSlicePtr::<u32>::new(62)), Err(errno::inval));
        assert_eq!(ctx.read(WasmSlicePtr::<u32>::new(60)), Ok(0x0102_0304));
        assert_eq!(ctx.bytes(WasmSlicePtr::new(64), 0).map(<[u8]>::len), Ok(0));
        assert_eq!(ctx.bytes(WasmSlicePtr::new(64), 1), Err(errno::fault));
        assert_eq!(ctx.bytes(WasmSlicePtr::new(65), 0), Err(errno::fault));
    }

    #[test]
    fn huge_lengths_and_wrapping_ends_fault() {
        let mut mem = vec![0u8; 4096];
        let ctx = Ctx::new(&mut mem);
        assert_eq!(
            ctx.bytes(WasmSlicePtr::new(u32::MAX), u32::MAX),
            Err(errno::fault)
        );
        assert_eq!(ctx.bytes(WasmSlicePtr::new(8), u32::MAX), Err(errno::fault));
        assert_eq!(
            ctx.check_array(WasmSlicePtr::<fdstat>::new(0), u32::MAX),
            Err(errno::fault)
        );
        assert_eq!(
            WasmSlicePtr::<u64>::new(u32::MAX - 7).at(1),
            Err(errno::fault)
        );
        assert_eq!(
            ctx.read_at(WasmSlicePtr::<u64>::new(8), 1 << 30),
            Err(errno::fault)
        );
    }

    #[test]
    fn failed_write_leaves_memory_untouched() {
        let mut mem = vec![0xAAu8; 16];
        let mut ctx = Ctx::new(&mut mem);
        assert_eq!(
            ctx.write(WasmSlicePtr::<u64>::new(16), 1),
            Err(errno::fault)
        );
        assert_eq!(
            ctx.copy_to(WasmSlicePtr::new(10), b"0123456789"),
            Err(errno::fault)
        );
        assert!(mem.iter().all(|&b| b == 0xAA));
    }

    #[test]
    fn iovec_walk_checks_each_buffer() {
        let mut mem = vec![0u8; 128];
        let mut ctx = Ctx::new(&mut mem);
        let iovs = WasmSlicePtr::<ciovec>::new(0);
        ctx.write_at(
            iovs,
            0,
            ciovec {
                buf: WasmSlicePtr::new(64),
                buf_len: 8,
            },
        )
        .unwrap();
        ctx.write_at(
            iovs,
            1,
            ciovec {
                buf: WasmSlicePtr::new(124),
                buf_len: 8,
            },
        )
        .unwrap();
        let mut it = ctx.iovecs(iovs, 2).unwrap();
        assert_eq!(it.remaining(), 2);
        assert_eq!(
            ctx.next_iovec(&mut it),
            Some(Ok((WasmSlicePtr::new(64), 8)))
        );
        assert_eq!(ctx.next_iovec(&mut it), Some(Err(errno::fault)));
        assert_eq!(ctx.next_iovec(&mut it), None);
        assert!(ctx.iovecs(iovs, 17).is_err());
    }
}
