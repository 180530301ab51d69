//! The default WASI host: [`WasiHost`], configured with a
//! [`WasiHostBuilder`].
//!
//! One file per concern: [`builder`] (configuration), `fd_table` (fds and
//! rights), [`stdio`] (streams), `fs` (preopens, files, directories),
//! `clocks`, [`random`], `poll`, and the one errno mapping in
//! [`errno_map`]. This file maps each WASI function onto them.
//!
//! Behaviour where the spec leaves a choice (see also `RATIONALE.md`):
//! * errors are checked in this order: a closed or unknown fd gives `badf`;
//!   an operation the object cannot do at all gives the POSIX errno for
//!   that object (`spipe` to seek a stream, `notdir` for a path call on a
//!   stream, `notsock` for a socket call on a non-socket); a missing right
//!   gives `notcapable`;
//! * `proc_raise` accepts signal 0 and the signals whose default action is
//!   to ignore them (`chld`, `cont`, `urg`, `winch`) as no-ops, refuses the
//!   others with `notsup` (a guest cannot be killed by a signal here; it
//!   can call `proc_exit`), and gives `inval` for numbers beyond `sys`.

pub mod builder;
pub mod clocks;
pub mod errno_map;
pub(crate) mod fd_table;
pub(crate) mod fifo;
pub(crate) mod fs;
pub(crate) mod poll;
pub mod random;
pub mod stdio;

use std::convert::Infallible;
use std::sync::{Mutex, MutexGuard, PoisonError};

pub use builder::WasiHostBuilder;
pub use clocks::{Clock, SystemClock, VirtualClock};
use fd_table::{FdObject, FdTable};
pub use random::{Entropy, RandomSource};
pub use stdio::{Capture, Input, Output};

use crate::error::Error;
use crate::wasi_snapshot_preview1::memory::{Ctx, WasmSlicePtr};
use crate::wasi_snapshot_preview1::native::NativeWasiImports;
use crate::wasi_snapshot_preview1::types::{self as t, errno};

/// The default, configurable WASI host for one guest instance.
///
/// Build one with [`WasiHost::builder`]. A `WasiHost` serves one instance:
/// it holds that guest's fd table and stream positions.
pub struct WasiHost {
    args: StringTable,
    env: StringTable,
    random: random::Random,
    clocks: clocks::Clocks,
    fds: Mutex<FdTable>,
}

impl std::fmt::Debug for WasiHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiHost")
            .field("args", &self.args.count())
            .field("env", &self.env.count())
            .finish_non_exhaustive()
    }
}

impl WasiHost {
    /// A builder that grants nothing yet.
    pub fn builder() -> WasiHostBuilder {
        WasiHostBuilder::new()
    }

    #[inline]
    fn fds(&self) -> MutexGuard<'_, FdTable> {
        // A panic while the table was locked (a bug) must not turn every
        // later call into a panic: the table itself is still consistent,
        // since no method leaves it half-updated.
        self.fds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `badf` for a closed fd, else `notsock`: no fd here is a socket.
    fn no_sock(&self, fd: t::fd) -> errno {
        match self.fds().get(fd) {
            Err(e) => e,
            Ok(_) => errno::notsock,
        }
    }

    /// Runs `f` on the open file behind `fd`, in the documented error
    /// order: `badf` for a closed fd, `on_stream` (the errno POSIX gives
    /// for the call on a pipe) for a stream, `isdir` for a directory, then
    /// `notcapable` unless the fd holds `needed`.
    fn with_file<R>(
        &self,
        fd: t::fd,
        needed: t::rights,
        on_stream: errno,
        f: impl FnOnce(&mut fs::FileFd) -> Result<R, errno>,
    ) -> Result<R, errno> {
        let mut fds = self.fds();
        let entry = fds.get_mut(fd)?;
        let held = entry.rights_base;
        match &mut entry.object {
            FdObject::Input(_) | FdObject::Output(_) => Err(on_stream),
            FdObject::Dir(_) => Err(errno::isdir),
            FdObject::File(file) => {
                if !held.contains(needed) {
                    return Err(errno::notcapable);
                }
                f(file)
            }
        }
    }

    /// Runs `f` on the host fd of a file or directory behind `fd` (sync,
    /// set-times): `badf`, then `on_stream` for a stream, then rights.
    fn with_host_fd<R>(
        &self,
        fd: t::fd,
        needed: t::rights,
        on_stream: errno,
        f: impl FnOnce(std::os::fd::BorrowedFd<'_>) -> Result<R, errno>,
    ) -> Result<R, errno> {
        let fds = self.fds();
        let entry = fds.get(fd)?;
        if matches!(entry.object, FdObject::Input(_) | FdObject::Output(_)) {
            return Err(on_stream);
        }
        entry.require(needed)?;
        match entry.object.host_fd() {
            Some(h) => f(h),
            None => Err(on_stream),
        }
    }

    /// Runs a path call with the fd table.
    fn fs<R>(&self, f: impl FnOnce(&mut fs::Fs<'_>) -> Result<R, errno>) -> Result<R, errno> {
        let mut fds = self.fds();
        f(&mut fs::Fs { fds: &mut fds })
    }
}

/// Null-terminated strings laid out as `args_get` / `environ_get` write
/// them, built once.
pub(crate) struct StringTable {
    blob: Vec<u8>,
    offsets: Vec<u32>,
}

impl StringTable {
    pub(crate) fn new(
        items: impl Iterator<Item = Result<Vec<u8>, String>>,
    ) -> Result<StringTable, Error> {
        let mut blob = Vec::new();
        let mut offsets = Vec::new();
        for item in items {
            let item = item?;
            offsets.push(blob.len() as u32);
            blob.extend_from_slice(&item);
            blob.push(0);
            if blob.len() > u32::MAX as usize / 2 {
                return Err(Error::from(
                    "arguments or environment exceed 2 GiB".to_string(),
                ));
            }
        }
        Ok(StringTable { blob, offsets })
    }

    fn count(&self) -> usize {
        self.offsets.len()
    }

    fn sizes(&self) -> (errno, t::size, t::size) {
        (
            errno::success,
            self.offsets.len() as u32,
            self.blob.len() as u32,
        )
    }

    /// Writes the pointer array and the strings, after checking both lie in
    /// memory, so a bad pointer leaves memory untouched.
    fn write(
        &self,
        ctx: &mut Ctx,
        ptrs: WasmSlicePtr<WasmSlicePtr<u8>>,
        buf: WasmSlicePtr<u8>,
    ) -> errno {
        let check = ctx
            .check_array(ptrs, self.offsets.len() as u32)
            .and_then(|_| ctx.check_array(buf, self.blob.len() as u32));
        if let Err(e) = check {
            return e;
        }
        for (i, off) in self.offsets.iter().enumerate() {
            // Pointers into a buffer near the top of memory can wrap past
            // 2^32; such a buffer cannot hold the strings anyway.
            let Some(p) = buf.offset().checked_add(*off) else {
                return errno::fault;
            };
            if let Err(e) = ctx.write_at(ptrs, i as u32, WasmSlicePtr::new(p)) {
                return e;
            }
        }
        match ctx.copy_to(buf, &self.blob) {
            Ok(()) => errno::success,
            Err(e) => e,
        }
    }
}

/// Up to this many buffers of one `fd_write` are gathered in the inlined
/// fast path.
const STACK_BUFS: usize = 16;

/// The most buffers one vectored call takes, as Linux's `IOV_MAX`. A guest
/// that passes more gets a short transfer of the first `IOV_MAX` (legal
/// for every vectored call), so the host memory and time a call can cost
/// do not grow with a count the guest chose.
pub(crate) const IOV_MAX: u32 = 1024;

/// Where `fd_read` reads from.
enum Source<'a> {
    Stream(&'a mut stdio::InputStream),
    File(&'a mut fs::FileFd),
}

/// Calls `f` with the byte slices of the first [`IOV_MAX`] entries of the
/// ciovec array at `iovs`, all checked before `f` runs. The whole array
/// must lie in memory (else `fault`), as the guest described it.
#[inline]
fn with_ciovecs<R>(
    ctx: &Ctx,
    iovs: WasmSlicePtr<t::ciovec>,
    iovs_len: t::size,
    f: impl FnOnce(&[&[u8]]) -> Result<R, errno>,
) -> Result<R, errno> {
    ctx.check_array(iovs, iovs_len)?;
    if iovs_len as usize <= STACK_BUFS {
        let mut bufs: [&[u8]; STACK_BUFS] = [&[]; STACK_BUFS];
        gather(ctx, iovs, &mut bufs[..iovs_len as usize])?;
        f(&bufs[..iovs_len as usize])
    } else {
        with_many_ciovecs(ctx, iovs, iovs_len, f)
    }
}

/// [`with_ciovecs`] for more than [`STACK_BUFS`] buffers: a fixed array of
/// [`IOV_MAX`] slices on the stack, never a heap vector sized by the guest.
#[inline(never)]
fn with_many_ciovecs<R>(
    ctx: &Ctx,
    iovs: WasmSlicePtr<t::ciovec>,
    iovs_len: t::size,
    f: impl FnOnce(&[&[u8]]) -> Result<R, errno>,
) -> Result<R, errno> {
    let n = iovs_len.min(IOV_MAX) as usize;
    let mut bufs: [&[u8]; IOV_MAX as usize] = [&[]; IOV_MAX as usize];
    gather(ctx, iovs, &mut bufs[..n])?;
    f(&bufs[..n])
}

/// Fills `bufs` with the first `bufs.len()` buffers of a ciovec array
/// whose extent was checked; `inval` when they add up to more than a
/// `size` can report.
#[inline]
fn gather<'m>(
    ctx: &'m Ctx,
    iovs: WasmSlicePtr<t::ciovec>,
    bufs: &mut [&'m [u8]],
) -> Result<(), errno> {
    let mut total: u64 = 0;
    for (i, slot) in bufs.iter_mut().enumerate() {
        let v = ctx.read_at(iovs, i as u32)?;
        *slot = ctx.bytes(v.buf, v.buf_len)?;
        total += v.buf_len as u64;
    }
    if total > u32::MAX as u64 {
        return Err(errno::inval);
    }
    Ok(())
}

/// Checks the iovec array lies in memory, and every buffer of its first
/// [`IOV_MAX`] entries too, so a read never consumes input it then cannot
/// store. Returns how many entries the call uses.
/// Reads into the first `n` iovecs at `iovs` (checked already) in order,
/// with `read`. A source that may block returns after the first read that
/// gave data, as readv would, instead of blocking for more. Bytes already
/// read are delivered when a later read fails (the error will recur on the
/// next call).
fn fill_iovecs(
    ctx: &mut Ctx,
    iovs: WasmSlicePtr<t::iovec>,
    n: u32,
    may_block: bool,
    mut read: impl FnMut(&mut [u8]) -> Result<usize, errno>,
) -> (errno, t::size) {
    let mut total: u32 = 0;
    for i in 0..n {
        let Ok(v) = ctx.read_at(iovs, i) else { break };
        if v.buf_len == 0 {
            continue;
        }
        let Ok(buf) = ctx.bytes_mut(v.buf, v.buf_len) else {
            break;
        };
        let len = buf.len();
        match read(buf) {
            Ok(got) => {
                total += got as u32;
                if got < len || may_block {
                    break;
                }
            }
            Err(_) if total > 0 => break,
            Err(e) => return (e, 0),
        }
    }
    (errno::success, total)
}

fn check_iovecs(ctx: &Ctx, iovs: WasmSlicePtr<t::iovec>, iovs_len: t::size) -> Result<u32, errno> {
    ctx.check_array(iovs, iovs_len)?;
    let n = iovs_len.min(IOV_MAX);
    let mut total = 0u64;
    for i in 0..n {
        let v = ctx.read_at(iovs, i)?;
        ctx.check_array(v.buf, v.buf_len)?;
        total += v.buf_len as u64;
    }
    if total > u32::MAX as u64 {
        return Err(errno::inval);
    }
    Ok(n)
}

fn pair<T: Default>(r: Result<T, errno>) -> (errno, T) {
    match r {
        Ok(v) => (errno::success, v),
        Err(e) => (e, T::default()),
    }
}

fn unit(r: Result<(), errno>) -> errno {
    match r {
        Ok(()) => errno::success,
        Err(e) => e,
    }
}

impl NativeWasiImports for WasiHost {
    fn args_get(
        &self,
        ctx: &mut Ctx,
        argv: WasmSlicePtr<WasmSlicePtr<u8>>,
        argv_buf: WasmSlicePtr<u8>,
    ) -> errno {
        self.args.write(ctx, argv, argv_buf)
    }

    fn args_sizes_get(&self, _ctx: &mut Ctx) -> (errno, t::size, t::size) {
        self.args.sizes()
    }

    fn environ_get(
        &self,
        ctx: &mut Ctx,
        environ: WasmSlicePtr<WasmSlicePtr<u8>>,
        environ_buf: WasmSlicePtr<u8>,
    ) -> errno {
        self.env.write(ctx, environ, environ_buf)
    }

    fn environ_sizes_get(&self, _ctx: &mut Ctx) -> (errno, t::size, t::size) {
        self.env.sizes()
    }

    fn clock_res_get(&self, _ctx: &mut Ctx, id: t::clockid) -> (errno, t::timestamp) {
        pair(self.clocks.resolution(id))
    }

    #[inline]
    fn clock_time_get(
        &self,
        _ctx: &mut Ctx,
        id: t::clockid,
        _precision: t::timestamp,
    ) -> (errno, t::timestamp) {
        pair(self.clocks.now(id))
    }

    fn fd_advise(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        offset: t::filesize,
        len: t::filesize,
        advice: t::advice,
    ) -> errno {
        unit(self.with_file(fd, t::rights::fd_advise, errno::spipe, |f| {
            f.advise(offset, len, advice)
        }))
    }

    fn fd_allocate(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        offset: t::filesize,
        len: t::filesize,
    ) -> errno {
        unit(
            self.with_file(fd, t::rights::fd_allocate, errno::spipe, |f| {
                f.allocate(offset, len)
            }),
        )
    }

    fn fd_close(&self, _ctx: &mut Ctx, fd: t::fd) -> errno {
        // Dropped after the lock is released: closing a host file can block.
        let closed = self.fds().remove(fd);
        match closed {
            Ok(entry) => {
                drop(entry);
                errno::success
            }
            Err(e) => e,
        }
    }

    fn fd_datasync(&self, _ctx: &mut Ctx, fd: t::fd) -> errno {
        unit(
            self.with_host_fd(fd, t::rights::fd_datasync, errno::inval, |h| {
                rustix::fs::fdatasync(h).map_err(errno_map::from_rustix)
            }),
        )
    }

    fn fd_fdstat_get(&self, _ctx: &mut Ctx, fd: t::fd) -> (errno, t::fdstat) {
        let fds = self.fds();
        pair(fds.get(fd).map(|e| t::fdstat {
            fs_filetype: e.filetype(),
            fs_flags: e.flags,
            fs_rights_base: e.rights_base,
            fs_rights_inheriting: e.rights_inheriting,
        }))
    }

    fn fd_fdstat_set_flags(&self, _ctx: &mut Ctx, fd: t::fd, flags: t::fdflags) -> errno {
        let mut fds = self.fds();
        unit(fds.get_mut(fd).and_then(|e| {
            e.require(t::rights::fd_fdstat_set_flags)?;
            if t::fdflags::from_bits(flags.bits()).is_none() {
                return Err(errno::inval);
            }
            // The sync flags can only be chosen at open (Linux cannot
            // change them), on any kind of fd.
            let sync = t::fdflags::dsync
                .union(t::fdflags::rsync)
                .union(t::fdflags::sync);
            if e.flags.intersection(sync) != flags.intersection(sync) {
                return Err(errno::notsup);
            }
            if let FdObject::File(_) | FdObject::Dir(_) = &e.object
                && let Some(h) = e.object.host_fd()
            {
                fs::set_host_flags(h, flags)?;
            }
            e.flags = flags;
            Ok(())
        }))
    }

    fn fd_fdstat_set_rights(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        fs_rights_base: t::rights,
        fs_rights_inheriting: t::rights,
    ) -> errno {
        let mut fds = self.fds();
        unit(fds.get_mut(fd).and_then(|e| {
            if !e.rights_base.contains(fs_rights_base)
                || !e.rights_inheriting.contains(fs_rights_inheriting)
            {
                return Err(errno::notcapable);
            }
            e.rights_base = fs_rights_base;
            e.rights_inheriting = fs_rights_inheriting;
            Ok(())
        }))
    }

    fn fd_filestat_get(&self, _ctx: &mut Ctx, fd: t::fd) -> (errno, t::filestat) {
        let fds = self.fds();
        pair(fds.get(fd).and_then(|e| {
            e.require(t::rights::fd_filestat_get)?;
            // A virtual stream (bytes, capture, callback) has no host
            // identity or times: only its type.
            match e.object.host_fd() {
                Some(h) => fs::fstat(h, e.filetype()),
                None => Ok(t::filestat {
                    filetype: e.filetype(),
                    ..Default::default()
                }),
            }
        }))
    }

    fn fd_filestat_set_size(&self, _ctx: &mut Ctx, fd: t::fd, size: t::filesize) -> errno {
        unit(
            self.with_file(fd, t::rights::fd_filestat_set_size, errno::inval, |f| {
                f.set_size(size)
            }),
        )
    }

    fn fd_filestat_set_times(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        atim: t::timestamp,
        mtim: t::timestamp,
        fst_flags: t::fstflags,
    ) -> errno {
        // A stdio stream is not a file of the guest's, even when the
        // embedder backs it with one: `badf`, as wasmtime.
        let (atim, mtim, fst_flags) = self.clocks.resolve_now(atim, mtim, fst_flags);
        unit(
            self.with_host_fd(fd, t::rights::fd_filestat_set_times, errno::badf, |h| {
                fs::set_fd_times(h, atim, mtim, fst_flags)
            }),
        )
    }

    fn fd_pread(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        iovs: WasmSlicePtr<t::iovec>,
        iovs_len: t::size,
        offset: t::filesize,
    ) -> (errno, t::size) {
        let needed = t::rights::fd_read.union(t::rights::fd_seek);
        pair(self.with_file(fd, needed, errno::spipe, |f| {
            let n = check_iovecs(ctx, iovs, iovs_len)?;
            let mut total: u32 = 0;
            for i in 0..n {
                let v = ctx.read_at(iovs, i)?;
                let buf = ctx.bytes_mut(v.buf, v.buf_len)?;
                if buf.is_empty() {
                    continue;
                }
                let at = offset.checked_add(total as u64).ok_or(errno::inval)?;
                match f.pread(buf, at) {
                    Ok(n) => {
                        total += n as u32;
                        if n < buf.len() {
                            break;
                        }
                    }
                    Err(_) if total > 0 => break,
                    Err(e) => return Err(e),
                }
            }
            Ok(total)
        }))
    }

    fn fd_prestat_get(&self, _ctx: &mut Ctx, fd: t::fd) -> (errno, t::prestat) {
        let fds = self.fds();
        pair(fds.get(fd).and_then(|e| match &e.object {
            FdObject::Dir(d) => match &d.preopen {
                Some(name) => Ok(t::prestat::dir(name.len() as u32)),
                None => Err(errno::badf),
            },
            // The spec's answer for an fd that is not a preopen.
            _ => Err(errno::badf),
        }))
    }

    fn fd_prestat_dir_name(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        path: WasmSlicePtr<u8>,
        path_len: t::size,
    ) -> errno {
        let fds = self.fds();
        unit(fds.get(fd).and_then(|e| match &e.object {
            FdObject::Dir(d) => match &d.preopen {
                // A buffer shorter than the name is `nametoolong` (the
                // guest sized it from fd_prestat_get); a longer one gets
                // the name alone, without a NUL.
                Some(name) if (path_len as usize) < name.len() => Err(errno::nametoolong),
                Some(name) => ctx.copy_to(path, name),
                None => Err(errno::badf),
            },
            _ => Err(errno::badf),
        }))
    }

    fn fd_pwrite(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        iovs: WasmSlicePtr<t::ciovec>,
        iovs_len: t::size,
        offset: t::filesize,
    ) -> (errno, t::size) {
        let needed = t::rights::fd_write.union(t::rights::fd_seek);
        pair(self.with_file(fd, needed, errno::spipe, |f| {
            with_ciovecs(ctx, iovs, iovs_len, |bufs| {
                let mut total: u64 = 0;
                for b in bufs.iter().filter(|b| !b.is_empty()) {
                    let at = offset.checked_add(total).ok_or(errno::inval)?;
                    match f.pwrite(b, at) {
                        Ok(n) => {
                            total += n as u64;
                            if n < b.len() {
                                break;
                            }
                        }
                        Err(_) if total > 0 => break,
                        Err(e) => return Err(e),
                    }
                }
                Ok(total as u32)
            })
        }))
    }

    fn fd_read(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        iovs: WasmSlicePtr<t::iovec>,
        iovs_len: t::size,
    ) -> (errno, t::size) {
        let mut fds = self.fds();
        let entry = match fds.get_mut(fd) {
            Ok(e) => e,
            Err(e) => return (e, 0),
        };
        let (held, nonblock) = (
            entry.rights_base,
            entry.flags.contains(t::fdflags::nonblock),
        );
        // The kind first (reading stdout is `badf`, as in POSIX; reading a
        // directory `isdir`), then the right.
        let mut source = match &mut entry.object {
            FdObject::Input(s) => Source::Stream(s),
            FdObject::File(f) => Source::File(f),
            FdObject::Output(_) => return (errno::badf, 0),
            FdObject::Dir(_) => return (errno::isdir, 0),
        };
        if !held.contains(t::rights::fd_read) {
            return (errno::notcapable, 0);
        }
        let n = match check_iovecs(ctx, iovs, iovs_len) {
            Ok(n) => n,
            Err(e) => return (e, 0),
        };
        if nonblock
            && let Source::Stream(s) = &source
            && !poll::readable_now(s)
        {
            return (errno::again, 0);
        }
        // A source that may block (a pipe, a terminal, a reader, a FIFO)
        // is read apart from the fd table, whose lock is released first,
        // after waiting for data through the cancel token, so that an
        // interrupt or a timeout ends the wait.
        let detached = match &source {
            _ if nonblock => None,
            Source::Stream(s) => s.detach(),
            Source::File(f) if f.filetype != t::filetype::regular_file => {
                match std::os::fd::AsFd::as_fd(&f.file).try_clone_to_owned() {
                    Ok(dup) => Some(stdio::Detached::Fd(dup)),
                    Err(e) => return (errno_map::from_io_error(&e), 0),
                }
            }
            Source::File(_) => None,
        };
        if let Some(d) = detached {
            drop(fds);
            if let (Some(cancel), Some(wait)) = (ctx.cancel(), d.wait_fd())
                && cancel.wait_fd(wait, false, None).is_err()
            {
                // Stopped: the guest ends before it sees this errno.
                return (errno::intr, 0);
            }
            return fill_iovecs(ctx, iovs, n, true, |buf| {
                d.read(buf).map_err(|e| errno_map::from_io_error(&e))
            });
        }
        fill_iovecs(ctx, iovs, n, false, |buf| match &mut source {
            Source::Stream(s) => s.read(buf).map_err(|e| errno_map::from_io_error(&e)),
            Source::File(f) => f.read(buf),
        })
    }

    fn fd_readdir(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        buf: WasmSlicePtr<u8>,
        buf_len: t::size,
        cookie: t::dircookie,
    ) -> (errno, t::size) {
        pair(self.fs(|fs| fs.fd_readdir(ctx, fd, buf, buf_len, cookie)))
    }

    fn fd_renumber(&self, _ctx: &mut Ctx, fd: t::fd, to: t::fd) -> errno {
        unit(self.fds().renumber(fd, to))
    }

    fn fd_seek(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        offset: t::filedelta,
        whence: t::whence,
    ) -> (errno, t::filesize) {
        if whence.raw() > t::whence::end.raw() {
            return match self.fds().get(fd) {
                Err(e) => (e, 0),
                Ok(_) => (errno::inval, 0),
            };
        }
        // Asking where the offset is needs only `fd_tell`.
        let needed = if offset == 0 && whence == t::whence::cur {
            t::rights::fd_tell
        } else {
            t::rights::fd_seek
        };
        pair(self.with_file(fd, needed, errno::spipe, |f| f.seek(offset, whence)))
    }

    fn fd_sync(&self, _ctx: &mut Ctx, fd: t::fd) -> errno {
        unit(
            self.with_host_fd(fd, t::rights::fd_sync, errno::inval, |h| {
                rustix::fs::fsync(h).map_err(errno_map::from_rustix)
            }),
        )
    }

    fn fd_tell(&self, _ctx: &mut Ctx, fd: t::fd) -> (errno, t::filesize) {
        pair(self.with_file(fd, t::rights::fd_tell, errno::spipe, |f| f.tell()))
    }

    #[inline]
    fn fd_write(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        iovs: WasmSlicePtr<t::ciovec>,
        iovs_len: t::size,
    ) -> (errno, t::size) {
        let mut fds = self.fds();
        let entry = match fds.get_mut(fd) {
            Ok(e) => e,
            Err(e) => return (e, 0),
        };
        let held = entry.rights_base;
        // On an instance that can be stopped, a pipe, FIFO or terminal is
        // written through a non-blocking twin, outside the lock, waiting
        // through the cancel token while it is full.
        if let Some(cancel) = ctx.cancel()
            && held.contains(t::rights::fd_write)
            && !entry.flags.contains(t::fdflags::nonblock)
        {
            let twin = match &entry.object {
                FdObject::Output(stream) => stream.write_twin(),
                FdObject::File(file) if !entry.flags.contains(t::fdflags::append) => {
                    file.write_twin()
                }
                _ => None,
            };
            if let Some(twin) = twin {
                drop(fds);
                let written = with_ciovecs(ctx, iovs, iovs_len, |bufs| {
                    stdio::write_cancellable(&twin, bufs, cancel).map_err(|e| match e {
                        Some(e) => errno_map::from_io_error(&e),
                        // Stopped: the guest ends before it sees this.
                        None => errno::intr,
                    })
                });
                return pair(written.map(|n| n as u32));
            }
        }
        let result = match &mut entry.object {
            FdObject::Output(stream) => {
                if !held.contains(t::rights::fd_write) {
                    return (errno::notcapable, 0);
                }
                with_ciovecs(ctx, iovs, iovs_len, |bufs| {
                    stream.write(bufs).map_err(|e| errno_map::from_io_error(&e))
                })
            }
            FdObject::File(file) => {
                if !held.contains(t::rights::fd_write) {
                    return (errno::notcapable, 0);
                }
                let append = entry.flags.contains(t::fdflags::append);
                with_ciovecs(ctx, iovs, iovs_len, |bufs| file.write(bufs, append))
            }
            FdObject::Input(_) => return (errno::badf, 0),
            FdObject::Dir(_) => return (errno::isdir, 0),
        };
        match result {
            Ok(n) => (errno::success, n as u32),
            Err(e) => (e, 0),
        }
    }

    fn path_create_directory(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        path: WasmSlicePtr<u8>,
        path_len: t::size,
    ) -> errno {
        unit(self.fs(|fs| fs.path_create_directory(ctx, fd, path, path_len)))
    }

    fn path_filestat_get(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        flags: t::lookupflags,
        path: WasmSlicePtr<u8>,
        path_len: t::size,
    ) -> (errno, t::filestat) {
        pair(self.fs(|fs| fs.path_filestat_get(ctx, fd, flags, path, path_len)))
    }

    fn path_filestat_set_times(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        flags: t::lookupflags,
        path: WasmSlicePtr<u8>,
        path_len: t::size,
        atim: t::timestamp,
        mtim: t::timestamp,
        fst_flags: t::fstflags,
    ) -> errno {
        let (atim, mtim, fst_flags) = self.clocks.resolve_now(atim, mtim, fst_flags);
        unit(self.fs(|fs| {
            fs.path_filestat_set_times(ctx, fd, flags, path, path_len, atim, mtim, fst_flags)
        }))
    }

    fn path_link(
        &self,
        ctx: &mut Ctx,
        old_fd: t::fd,
        old_flags: t::lookupflags,
        old_path: WasmSlicePtr<u8>,
        old_path_len: t::size,
        new_fd: t::fd,
        new_path: WasmSlicePtr<u8>,
        new_path_len: t::size,
    ) -> errno {
        unit(self.fs(|fs| {
            fs.path_link(
                ctx,
                old_fd,
                old_flags,
                old_path,
                old_path_len,
                new_fd,
                new_path,
                new_path_len,
            )
        }))
    }

    fn path_open(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        dirflags: t::lookupflags,
        path: WasmSlicePtr<u8>,
        path_len: t::size,
        oflags: t::oflags,
        fs_rights_base: t::rights,
        fs_rights_inherting: t::rights,
        fdflags: t::fdflags,
    ) -> (errno, t::fd) {
        loop {
            let mut fifo = fifo::FifoWait::None;
            let opened = self.fs(|fs| {
                fs.path_open(
                    ctx,
                    fd,
                    dirflags,
                    path,
                    path_len,
                    oflags,
                    fs_rights_base,
                    fs_rights_inherting,
                    fdflags,
                    &mut fifo,
                )
            });
            // A FIFO's other end is waited for here, without the lock.
            match (opened, fifo) {
                (Err(_), fifo::FifoWait::Reader) => {
                    if let Err(e) = fifo::wait_for_reader(ctx.cancel()) {
                        return (e, 0);
                    }
                }
                (Ok(new), fifo::FifoWait::Writer(dup)) => {
                    return match fifo::wait_for_writer(&dup, ctx.cancel()) {
                        Ok(()) => (errno::success, new),
                        Err(e) => {
                            let _ = self.fds().remove(new);
                            (e, 0)
                        }
                    };
                }
                (r, _) => return pair(r),
            }
        }
    }

    fn path_readlink(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        path: WasmSlicePtr<u8>,
        path_len: t::size,
        buf: WasmSlicePtr<u8>,
        buf_len: t::size,
    ) -> (errno, t::size) {
        pair(self.fs(|fs| fs.path_readlink(ctx, fd, path, path_len, buf, buf_len)))
    }

    fn path_remove_directory(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        path: WasmSlicePtr<u8>,
        path_len: t::size,
    ) -> errno {
        unit(self.fs(|fs| fs.path_remove_directory(ctx, fd, path, path_len)))
    }

    fn path_rename(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        old_path: WasmSlicePtr<u8>,
        old_path_len: t::size,
        new_fd: t::fd,
        new_path: WasmSlicePtr<u8>,
        new_path_len: t::size,
    ) -> errno {
        unit(self.fs(|fs| {
            fs.path_rename(
                ctx,
                fd,
                old_path,
                old_path_len,
                new_fd,
                new_path,
                new_path_len,
            )
        }))
    }

    fn path_symlink(
        &self,
        ctx: &mut Ctx,
        old_path: WasmSlicePtr<u8>,
        old_path_len: t::size,
        fd: t::fd,
        new_path: WasmSlicePtr<u8>,
        new_path_len: t::size,
    ) -> errno {
        unit(self.fs(|fs| fs.path_symlink(ctx, old_path, old_path_len, fd, new_path, new_path_len)))
    }

    fn path_unlink_file(
        &self,
        ctx: &mut Ctx,
        fd: t::fd,
        path: WasmSlicePtr<u8>,
        path_len: t::size,
    ) -> errno {
        unit(self.fs(|fs| fs.path_unlink_file(ctx, fd, path, path_len)))
    }

    fn poll_oneoff(
        &self,
        ctx: &mut Ctx,
        r#in: WasmSlicePtr<t::subscription>,
        out: WasmSlicePtr<t::event>,
        nsubscriptions: t::size,
    ) -> (errno, t::size) {
        match poll::poll_oneoff(self, ctx, r#in, out, nsubscriptions) {
            Ok(n) => (errno::success, n),
            Err(e) => (e, 0),
        }
    }

    fn proc_exit(&self, _ctx: &mut Ctx, rval: t::exitcode) -> Result<Infallible, t::exitcode> {
        Err(rval)
    }

    fn proc_raise(&self, _ctx: &mut Ctx, sig: t::signal) -> errno {
        match sig {
            t::signal::none
            | t::signal::chld
            | t::signal::cont
            | t::signal::urg
            | t::signal::winch => errno::success,
            s if s.raw() <= t::signal::sys.raw() => errno::notsup,
            _ => errno::inval,
        }
    }

    fn sched_yield(&self, _ctx: &mut Ctx) -> errno {
        std::thread::yield_now();
        errno::success
    }

    #[inline]
    fn random_get(&self, ctx: &mut Ctx, buf: WasmSlicePtr<u8>, buf_len: t::size) -> errno {
        match ctx.bytes_mut(buf, buf_len) {
            Ok(bytes) => unit(self.random.fill(bytes)),
            Err(e) => e,
        }
    }

    fn sock_recv(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _ri_data: WasmSlicePtr<t::iovec>,
        _ri_data_len: t::size,
        _ri_flags: t::riflags,
    ) -> (errno, t::size, t::roflags) {
        (self.no_sock(fd), 0, t::roflags::empty())
    }

    fn sock_send(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _si_data: WasmSlicePtr<t::ciovec>,
        _si_data_len: t::size,
        _si_flags: t::siflags,
    ) -> (errno, t::size) {
        (self.no_sock(fd), 0)
    }

    fn sock_shutdown(&self, _ctx: &mut Ctx, fd: t::fd, _how: t::sdflags) -> errno {
        self.no_sock(fd)
    }
}
