//! The default WASI host: [`WasiHost`], configured with a
//! [`WasiHostBuilder`].
//!
//! One file per concern: [`builder`] (configuration), `fd_table` (fds and
//! rights), [`stdio`] (streams), `clocks`, [`random`], `poll`, and the
//! errno mapping in [`errno`]. This file maps each WASI function onto them.
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
pub(crate) mod clocks;
pub mod errno_map;
pub(crate) mod fd_table;
pub(crate) mod poll;
pub mod random;
pub mod stdio;

use std::convert::Infallible;
use std::sync::{Mutex, MutexGuard, PoisonError};

pub use builder::WasiHostBuilder;
use fd_table::{FdObject, FdTable};
pub use random::RandomSource;
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

    /// `badf` for a closed fd, else `notdir`: what every path call answers
    /// while the host has no directories.
    fn no_dir(&self, fd: t::fd) -> errno {
        match self.fds().get(fd) {
            Err(e) => e,
            Ok(_) => errno::notdir,
        }
    }

    /// `badf` for a closed fd, else `notsock`.
    fn no_sock(&self, fd: t::fd) -> errno {
        match self.fds().get(fd) {
            Err(e) => e,
            Ok(_) => errno::notsock,
        }
    }

    /// For calls that only make sense on files: `badf` for a closed fd,
    /// else `stream_errno`, the errno POSIX gives for the call on a pipe.
    fn file_only(&self, fd: t::fd, stream_errno: errno) -> errno {
        match self.fds().get(fd) {
            Err(e) => e,
            Ok(_) => stream_errno,
        }
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

/// Up to this many buffers of one `fd_write` are gathered without
/// allocating.
const STACK_BUFS: usize = 16;

/// Calls `f` with the byte slices of the ciovec array at `iovs`, all
/// checked before `f` runs.
#[inline]
fn with_ciovecs<R>(
    ctx: &Ctx,
    iovs: WasmSlicePtr<t::ciovec>,
    iovs_len: t::size,
    f: impl FnOnce(&[&[u8]]) -> Result<R, errno>,
) -> Result<R, errno> {
    ctx.check_array(iovs, iovs_len)?;
    let mut total: u64 = 0;
    if iovs_len as usize <= STACK_BUFS {
        let mut bufs: [&[u8]; STACK_BUFS] = [&[]; STACK_BUFS];
        for (i, slot) in bufs.iter_mut().take(iovs_len as usize).enumerate() {
            let v = ctx.read_at(iovs, i as u32)?;
            *slot = ctx.bytes(v.buf, v.buf_len)?;
            total += v.buf_len as u64;
        }
        if total > u32::MAX as u64 {
            return Err(errno::inval);
        }
        f(&bufs[..iovs_len as usize])
    } else {
        let mut bufs = Vec::with_capacity(iovs_len as usize);
        for i in 0..iovs_len {
            let v = ctx.read_at(iovs, i)?;
            bufs.push(ctx.bytes(v.buf, v.buf_len)?);
            total += v.buf_len as u64;
        }
        if total > u32::MAX as u64 {
            return Err(errno::inval);
        }
        f(&bufs)
    }
}

/// Checks every buffer of an iovec array lies in memory, so a read never
/// consumes input it then cannot store.
fn check_iovecs(ctx: &Ctx, iovs: WasmSlicePtr<t::iovec>, iovs_len: t::size) -> Result<u64, errno> {
    ctx.check_array(iovs, iovs_len)?;
    let mut total = 0u64;
    for i in 0..iovs_len {
        let v = ctx.read_at(iovs, i)?;
        ctx.check_array(v.buf, v.buf_len)?;
        total += v.buf_len as u64;
    }
    if total > u32::MAX as u64 {
        return Err(errno::inval);
    }
    Ok(total)
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
        pair(clocks::resolution(id))
    }

    #[inline]
    fn clock_time_get(
        &self,
        _ctx: &mut Ctx,
        id: t::clockid,
        _precision: t::timestamp,
    ) -> (errno, t::timestamp) {
        pair(clocks::now(id))
    }

    fn fd_advise(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _offset: t::filesize,
        _len: t::filesize,
        advice: t::advice,
    ) -> errno {
        if advice.raw() > t::advice::noreuse.raw() {
            return match self.fds().get(fd) {
                Err(e) => e,
                Ok(_) => errno::inval,
            };
        }
        self.file_only(fd, errno::spipe)
    }

    fn fd_allocate(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _offset: t::filesize,
        _len: t::filesize,
    ) -> errno {
        self.file_only(fd, errno::spipe)
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
        self.file_only(fd, errno::inval)
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
            let host_fd = match &e.object {
                FdObject::Input(s) => s.host_fd(),
                FdObject::Output(s) => s.host_fd(),
            };
            let mut st = t::filestat {
                filetype: e.filetype(),
                ..Default::default()
            };
            // A stream backed by a host fd reports that fd's identity and
            // times; a virtual stream (bytes, capture, callback) has none.
            if let Some(Ok(h)) = host_fd.map(rustix::fs::fstat) {
                let ts = |s: i64, ns: u64| (s.max(0) as u64) * 1_000_000_000 + ns;
                st.dev = h.st_dev;
                st.ino = h.st_ino;
                st.nlink = h.st_nlink;
                st.size = h.st_size.max(0) as u64;
                st.atim = ts(h.st_atime, h.st_atime_nsec);
                st.mtim = ts(h.st_mtime, h.st_mtime_nsec);
                st.ctim = ts(h.st_ctime, h.st_ctime_nsec);
            }
            Ok(st)
        }))
    }

    fn fd_filestat_set_size(&self, _ctx: &mut Ctx, fd: t::fd, _size: t::filesize) -> errno {
        self.file_only(fd, errno::inval)
    }

    fn fd_filestat_set_times(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _atim: t::timestamp,
        _mtim: t::timestamp,
        _fst_flags: t::fstflags,
    ) -> errno {
        self.file_only(fd, errno::inval)
    }

    fn fd_pread(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _iovs: WasmSlicePtr<t::iovec>,
        _iovs_len: t::size,
        _offset: t::filesize,
    ) -> (errno, t::size) {
        (self.file_only(fd, errno::spipe), 0)
    }

    fn fd_prestat_get(&self, _ctx: &mut Ctx, _fd: t::fd) -> (errno, t::prestat) {
        // No preopened directories yet: every fd answers `badf`, as the
        // spec asks for an fd that is not a preopen.
        (errno::badf, t::prestat::default())
    }

    fn fd_prestat_dir_name(
        &self,
        _ctx: &mut Ctx,
        _fd: t::fd,
        _path: WasmSlicePtr<u8>,
        _path_len: t::size,
    ) -> errno {
        errno::badf
    }

    fn fd_pwrite(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _iovs: WasmSlicePtr<t::ciovec>,
        _iovs_len: t::size,
        _offset: t::filesize,
    ) -> (errno, t::size) {
        (self.file_only(fd, errno::spipe), 0)
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
        // The direction first (reading stdout is `badf`, as in POSIX),
        // then the right.
        let FdObject::Input(stream) = &mut entry.object else {
            return (errno::badf, 0);
        };
        if !held.contains(t::rights::fd_read) {
            return (errno::notcapable, 0);
        }
        if let Err(e) = check_iovecs(ctx, iovs, iovs_len) {
            return (e, 0);
        }
        if nonblock && !poll::readable_now(stream) {
            return (errno::again, 0);
        }
        // Fill buffers in order. A stream that may block (a pipe, a
        // terminal, a reader) returns after the first read that gave data,
        // as readv would, instead of blocking for more.
        let may_block = stream.ready_bytes().is_none();
        let mut total: u32 = 0;
        for i in 0..iovs_len {
            let Ok(v) = ctx.read_at(iovs, i) else { break };
            if v.buf_len == 0 {
                continue;
            }
            let Ok(buf) = ctx.bytes_mut(v.buf, v.buf_len) else {
                break;
            };
            match stream.read(buf) {
                Ok(n) => {
                    total += n as u32;
                    if n < buf.len() || may_block {
                        break;
                    }
                }
                // Bytes already read are delivered; the error will recur
                // on the next call.
                Err(_) if total > 0 => break,
                Err(e) => return (errno_map::from_io_error(&e), 0),
            }
        }
        (errno::success, total)
    }

    fn fd_readdir(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _buf: WasmSlicePtr<u8>,
        _buf_len: t::size,
        _cookie: t::dircookie,
    ) -> (errno, t::size) {
        (self.no_dir(fd), 0)
    }

    fn fd_renumber(&self, _ctx: &mut Ctx, fd: t::fd, to: t::fd) -> errno {
        unit(self.fds().renumber(fd, to))
    }

    fn fd_seek(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _offset: t::filedelta,
        whence: t::whence,
    ) -> (errno, t::filesize) {
        if whence.raw() > t::whence::end.raw() {
            return match self.fds().get(fd) {
                Err(e) => (e, 0),
                Ok(_) => (errno::inval, 0),
            };
        }
        (self.file_only(fd, errno::spipe), 0)
    }

    fn fd_sync(&self, _ctx: &mut Ctx, fd: t::fd) -> errno {
        self.file_only(fd, errno::inval)
    }

    fn fd_tell(&self, _ctx: &mut Ctx, fd: t::fd) -> (errno, t::filesize) {
        (self.file_only(fd, errno::spipe), 0)
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
        let FdObject::Output(stream) = &mut entry.object else {
            return (errno::badf, 0);
        };
        if !held.contains(t::rights::fd_write) {
            return (errno::notcapable, 0);
        }
        match with_ciovecs(ctx, iovs, iovs_len, |bufs| {
            stream.write(bufs).map_err(|e| errno_map::from_io_error(&e))
        }) {
            Ok(n) => (errno::success, n as u32),
            Err(e) => (e, 0),
        }
    }

    fn path_create_directory(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _path: WasmSlicePtr<u8>,
        _path_len: t::size,
    ) -> errno {
        self.no_dir(fd)
    }

    fn path_filestat_get(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _flags: t::lookupflags,
        _path: WasmSlicePtr<u8>,
        _path_len: t::size,
    ) -> (errno, t::filestat) {
        (self.no_dir(fd), t::filestat::default())
    }

    fn path_filestat_set_times(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _flags: t::lookupflags,
        _path: WasmSlicePtr<u8>,
        _path_len: t::size,
        _atim: t::timestamp,
        _mtim: t::timestamp,
        _fst_flags: t::fstflags,
    ) -> errno {
        self.no_dir(fd)
    }

    fn path_link(
        &self,
        _ctx: &mut Ctx,
        old_fd: t::fd,
        _old_flags: t::lookupflags,
        _old_path: WasmSlicePtr<u8>,
        _old_path_len: t::size,
        new_fd: t::fd,
        _new_path: WasmSlicePtr<u8>,
        _new_path_len: t::size,
    ) -> errno {
        match self.no_dir(old_fd) {
            errno::badf => errno::badf,
            e => match self.no_dir(new_fd) {
                errno::badf => errno::badf,
                _ => e,
            },
        }
    }

    fn path_open(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _dirflags: t::lookupflags,
        _path: WasmSlicePtr<u8>,
        _path_len: t::size,
        _oflags: t::oflags,
        _fs_rights_base: t::rights,
        _fs_rights_inherting: t::rights,
        _fdflags: t::fdflags,
    ) -> (errno, t::fd) {
        (self.no_dir(fd), 0)
    }

    fn path_readlink(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _path: WasmSlicePtr<u8>,
        _path_len: t::size,
        _buf: WasmSlicePtr<u8>,
        _buf_len: t::size,
    ) -> (errno, t::size) {
        (self.no_dir(fd), 0)
    }

    fn path_remove_directory(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _path: WasmSlicePtr<u8>,
        _path_len: t::size,
    ) -> errno {
        self.no_dir(fd)
    }

    fn path_rename(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _old_path: WasmSlicePtr<u8>,
        _old_path_len: t::size,
        new_fd: t::fd,
        _new_path: WasmSlicePtr<u8>,
        _new_path_len: t::size,
    ) -> errno {
        match self.no_dir(fd) {
            errno::badf => errno::badf,
            e => match self.no_dir(new_fd) {
                errno::badf => errno::badf,
                _ => e,
            },
        }
    }

    fn path_symlink(
        &self,
        _ctx: &mut Ctx,
        _old_path: WasmSlicePtr<u8>,
        _old_path_len: t::size,
        fd: t::fd,
        _new_path: WasmSlicePtr<u8>,
        _new_path_len: t::size,
    ) -> errno {
        self.no_dir(fd)
    }

    fn path_unlink_file(
        &self,
        _ctx: &mut Ctx,
        fd: t::fd,
        _path: WasmSlicePtr<u8>,
        _path_len: t::size,
    ) -> errno {
        self.no_dir(fd)
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
