//! The trait a WASI preview1 implementation provides: one method per
//! import of `wasi_snapshot_preview1`.
//!
//! The names and signatures are the project's contract (see
//! `shared/spec/NativeWasiImports.txt`). Pointers arrive as
//! [`WasmSlicePtr`]s to be dereferenced through the [`Ctx`]; results that the
//! ABI returns through out-pointers come back as tuples, and the glue in
//! [`link`](super::link) writes them to guest memory only when the errno is
//! [`errno::success`]. The glue has already checked that those out-pointers
//! are valid before the method runs, so a method's side effects are never
//! lost to a bad result pointer.

#![allow(clippy::too_many_arguments)]

use std::convert::Infallible;
use std::sync::Arc;

use super::memory::{Ctx, WasmSlicePtr};
use super::types::*;

/// Functions necessary to satisfy the WASI specification.
///
/// Implementations must be `Send + Sync + 'static`: one implementation
/// value serves one guest instance, which may be run from any thread, and
/// the C ABI hands it across threads. Methods take `&self`; state that
/// changes (the fd table, say) needs interior mutability.
///
/// A method must not panic on any guest input: every argument, pointer and
/// length comes from an untrusted guest. (If one panics anyway, the glue
/// turns the panic into a trap of that guest, never a crash of the host.)
pub trait NativeWasiImports: Send + Sync + 'static {
    /// Read command-line argument data. The size of the array should match that
    /// returned by args_sizes_get
    fn args_get(
        &self,
        ctx: &mut Ctx,
        argv: WasmSlicePtr<WasmSlicePtr<u8>>,
        argv_buf: WasmSlicePtr<u8>,
    ) -> errno;

    /// Return command-line argument data sizes.
    fn args_sizes_get(&self, ctx: &mut Ctx) -> (errno, size, size);

    /// Read environment variable data. The sizes of the buffers should match that
    /// returned by environ_sizes_get.
    fn environ_get(
        &self,
        ctx: &mut Ctx,
        environ: WasmSlicePtr<WasmSlicePtr<u8>>,
        environ_buf: WasmSlicePtr<u8>,
    ) -> errno;

    /// Return environment variable data sizes.
    fn environ_sizes_get(&self, ctx: &mut Ctx) -> (errno, size, size);

    /// Return the resolution of a clock. Implementations are required to provide a
    /// non-zero value for supported clocks. For unsupported clocks, return
    /// [`errno::inval`]. Note: This is similar to clock_getres in POSIX.
    fn clock_res_get(&self, ctx: &mut Ctx, id: clockid) -> (errno, timestamp);

    /// Return the time value of a clock. Note: This is similar to clock_gettime in
    /// POSIX.
    fn clock_time_get(
        &self,
        ctx: &mut Ctx,
        id: clockid,
        precision: timestamp,
    ) -> (errno, timestamp);

    /// Provide file advisory information on a file descriptor. Note: This is
    /// similar to posix_fadvise in POSIX.
    fn fd_advise(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        offset: filesize,
        len: filesize,
        advice: advice,
    ) -> errno;

    /// Force the allocation of space in a file. Note: This is similar to
    /// posix_fallocate in POSIX.
    fn fd_allocate(&self, ctx: &mut Ctx, fd: fd, offset: filesize, len: filesize) -> errno;

    /// Close a file descriptor. Note: This is similar to close in POSIX.
    fn fd_close(&self, ctx: &mut Ctx, fd: fd) -> errno;

    /// Synchronize the data of a file to disk. Note: This is similar to fdatasync
    /// in POSIX.
    fn fd_datasync(&self, ctx: &mut Ctx, fd: fd) -> errno;

    /// Get the attributes of a file descriptor. Note: This returns similar flags to
    /// fsync(fd, F_GETFL) in POSIX, as well as additional fields.
    fn fd_fdstat_get(&self, ctx: &mut Ctx, fd: fd) -> (errno, fdstat);

    /// Adjust the flags associated with a file descriptor. Note: This is similar to
    /// fcntl(fd, F_SETFL, flags) in POSIX.
    fn fd_fdstat_set_flags(&self, ctx: &mut Ctx, fd: fd, flags: fdflags) -> errno;

    /// Adjust the rights associated with a file descriptor. This can only be used
    /// to remove rights, and returns [`errno::notcapable`] if called in a way that
    /// would attempt to add rights
    fn fd_fdstat_set_rights(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        fs_rights_base: rights,
        fs_rights_inheriting: rights,
    ) -> errno;

    /// Return the attributes of an open file.
    fn fd_filestat_get(&self, ctx: &mut Ctx, fd: fd) -> (errno, filestat);

    /// Adjust the size of an open file. If this increases the file's size, the
    /// extra bytes are filled with zeros. Note: This is similar to ftruncate in
    /// POSIX.
    fn fd_filestat_set_size(&self, ctx: &mut Ctx, fd: fd, size: filesize) -> errno;

    /// Adjust the timestamps of an open file or directory. Note: This is similar to
    /// futimens in POSIX.
    fn fd_filestat_set_times(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        atim: timestamp,
        mtim: timestamp,
        fst_flags: fstflags,
    ) -> errno;

    /// Read from a file descriptor, without using and updating the file
    /// descriptor's offset. Note: This is similar to preadv in POSIX.
    fn fd_pread(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        iovs: WasmSlicePtr<iovec>,
        iovs_len: size,
        offset: filesize,
    ) -> (errno, size);

    /// Return a description of the given preopened file descriptor.
    fn fd_prestat_get(&self, ctx: &mut Ctx, fd: fd) -> (errno, prestat);

    /// Return a description of the given preopened file descriptor.
    fn fd_prestat_dir_name(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        path: WasmSlicePtr<u8>,
        path_len: size,
    ) -> errno;

    /// Write to a file descriptor, without using and updating the file descriptor's
    /// offset. Note: This is similar to pwritev in POSIX.
    fn fd_pwrite(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        iovs: WasmSlicePtr<ciovec>,
        iovs_len: size,
        offset: filesize,
    ) -> (errno, size);

    /// Read from a file descriptor. Note: This is similar to readv in POSIX.
    fn fd_read(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        iovs: WasmSlicePtr<iovec>,
        iovs_len: size,
    ) -> (errno, size);

    /// Read directory entries from a directory. When successful, the contents of
    /// the output buffer consist of a sequence of directory entries. Each directory
    /// entry consists of a `dirent` object, followed by `dirent::d_namlen` bytes
    /// holding the name of the directory entry. This function fills the output
    /// buffer as much as possible, potentially truncating the last directory entry.
    /// This allows the caller to grow its read buffer size in case it's too small
    /// to fit a single large directory entry, or skip the oversized directory
    /// entry.
    fn fd_readdir(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        buf: WasmSlicePtr<u8>,
        buf_len: size,
        cookie: dircookie,
    ) -> (errno, size);

    /// Atomically replace a file descriptor by renumbering another file descriptor.
    /// Due to the strong focus on thread safety, this environment does not provide
    /// a mechanism to duplicate or renumber a file descriptor to an arbitrary
    /// number, like dup2(). This would be prone to race conditions, as an actual
    /// file descriptor with the same number could be allocated by a different
    /// thread at the same time. This function provides a way to atomically renumber
    /// file descriptors, which would disappear if dup2() were to be removed
    /// entirely.
    fn fd_renumber(&self, ctx: &mut Ctx, fd: fd, to: fd) -> errno;

    /// Move the offset of a file descriptor. Note: This is similar to lseek in
    /// POSIX.
    fn fd_seek(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        offset: filedelta,
        whence: whence,
    ) -> (errno, filesize);

    /// Synchronize the data and metadata of a file to disk. Note: This is similar
    /// to fsync in POSIX.
    fn fd_sync(&self, ctx: &mut Ctx, fd: fd) -> errno;

    /// Return the current offset of a file descriptor. Note: This is similar to
    /// lseek(fd, 0, SEEK_CUR) in POSIX.
    fn fd_tell(&self, ctx: &mut Ctx, fd: fd) -> (errno, filesize);

    /// Write to a file descriptor. Note: This is similar to writev in POSIX.
    fn fd_write(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        iovs: WasmSlicePtr<ciovec>,
        iovs_len: size,
    ) -> (errno, size);

    /// Create a directory. Note: This is similar to mkdirat in POSIX.
    fn path_create_directory(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        path: WasmSlicePtr<u8>,
        path_len: size,
    ) -> errno;

    /// Return the attributes of a file or directory. Note: This is similar to stat
    /// in POSIX.
    fn path_filestat_get(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        flags: lookupflags,
        path: WasmSlicePtr<u8>,
        path_len: size,
    ) -> (errno, filestat);

    /// Adjust the timestamps of a file or directory. Note: This is similar to
    /// utimensat in POSIX.
    fn path_filestat_set_times(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        flags: lookupflags,
        path: WasmSlicePtr<u8>,
        path_len: size,
        atim: timestamp,
        mtim: timestamp,
        fst_flags: fstflags,
    ) -> errno;

    /// Create a hard link. Note: This is similar to linkat in POSIX.
    fn path_link(
        &self,
        ctx: &mut Ctx,
        old_fd: fd,
        old_flags: lookupflags,
        old_path: WasmSlicePtr<u8>,
        old_path_len: size,
        new_fd: fd,
        new_path: WasmSlicePtr<u8>,
        new_path_len: size,
    ) -> errno;

    /// Open a file or directory. The returned file descriptor is not guaranteed to
    /// be the lowest-numbered file descriptor not currently open; it is randomized
    /// to prevent applications from depending on making assumptions about indexes,
    /// since this is error-prone in multi-threaded contexts. The returned file
    /// descriptor is guaranteed to be less than 2**31. Note: This is similar to
    /// openat in POSIX.
    fn path_open(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        dirflags: lookupflags,
        path: WasmSlicePtr<u8>,
        path_len: size,
        oflags: oflags,
        fs_rights_base: rights,
        fs_rights_inherting: rights,
        fdflags: fdflags,
    ) -> (errno, fd);

    /// Read the contents of a symbolic link. Note: This is similar to readlinkat in
    /// POSIX.
    fn path_readlink(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        path: WasmSlicePtr<u8>,
        path_len: size,
        buf: WasmSlicePtr<u8>,
        buf_len: size,
    ) -> (errno, size);

    /// Remove a directory. Return [`errno::notempty`] if the directory is not
    /// empty. Note: This is similar to unlinkat(fd, path, AT_REMOVEDIR) in POSIX.
    fn path_remove_directory(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        path: WasmSlicePtr<u8>,
        path_len: size,
    ) -> errno;

    /// Rename a file or directory. Note: This is similar to renameat in POSIX.
    fn path_rename(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        old_path: WasmSlicePtr<u8>,
        old_path_len: size,
        new_fd: fd,
        new_path: WasmSlicePtr<u8>,
        new_path_len: size,
    ) -> errno;

    /// Create a symbolic link. Note: This is similar to symlinkat in POSIX.
    fn path_symlink(
        &self,
        ctx: &mut Ctx,
        old_path: WasmSlicePtr<u8>,
        old_path_len: size,
        fd: fd,
        new_path: WasmSlicePtr<u8>,
        new_path_len: size,
    ) -> errno;

    /// Unlink a file. Return [`errno::isdir`] if the path refers to a directory.
    /// Note: This is similar to unlinkat(fd, path, 0) in POSIX.
    fn path_unlink_file(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        path: WasmSlicePtr<u8>,
        path_len: size,
    ) -> errno;

    /// Concurrently poll for the occurrence of a set of events.
    fn poll_oneoff(
        &self,
        ctx: &mut Ctx,
        r#in: WasmSlicePtr<subscription>,
        out: WasmSlicePtr<event>,
        nsubscriptions: size,
    ) -> (errno, size);

    /// Terminate the process normally. An exit code of 0 indicates successful
    /// termination of the program. The meanings of other values is dependent on the
    /// environment.
    fn proc_exit(&self, ctx: &mut Ctx, rval: exitcode) -> Result<Infallible, exitcode>;

    /// Send a signal to the process of the calling thread. Note: This is similar to
    /// raise in POSIX.
    fn proc_raise(&self, ctx: &mut Ctx, sig: signal) -> errno;

    /// Temporarily yield execution of the calling thread. Note: This is similar to
    /// sched_yield in POSIX.
    fn sched_yield(&self, ctx: &mut Ctx) -> errno;

    /// Write high-quality random data into a buffer. This function blocks when the
    /// implementation is unable to immediately provide sufficient high-quality
    /// random data. This function may execute slowly, so when large mounts of
    /// random data are required, it's advisable to use this function to seed a
    /// pseudo-random number generator, rather than to provide the random data
    /// directly.
    fn random_get(&self, ctx: &mut Ctx, buf: WasmSlicePtr<u8>, buf_len: size) -> errno;

    /// Receive a message from a socket. Note: This is similar to recv in POSIX,
    /// though it also supports reading the data into multiple buffers in the manner
    /// of readv.
    fn sock_recv(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        ri_data: WasmSlicePtr<iovec>,
        ri_data_len: size,
        ri_flags: riflags,
    ) -> (errno, size, roflags);

    /// Send a message on a socket. Note: This is similar to send in POSIX, though
    /// it also supports writing the data from multiple buffers in the manner of
    /// writev.
    fn sock_send(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        si_data: WasmSlicePtr<ciovec>,
        si_data_len: size,
        si_flags: siflags,
    ) -> (errno, size);

    /// Shut down socket send and receive channels. Note: This is similar to
    /// shutdown in POSIX.
    fn sock_shutdown(&self, ctx: &mut Ctx, fd: fd, how: sdflags) -> errno;
}

impl<T: NativeWasiImports> NativeWasiImports for Arc<T> {
    #[inline]
    fn args_get(
        &self,
        ctx: &mut Ctx,
        argv: WasmSlicePtr<WasmSlicePtr<u8>>,
        argv_buf: WasmSlicePtr<u8>,
    ) -> errno {
        (**self).args_get(ctx, argv, argv_buf)
    }
    #[inline]
    fn args_sizes_get(&self, ctx: &mut Ctx) -> (errno, size, size) {
        (**self).args_sizes_get(ctx)
    }
    #[inline]
    fn environ_get(
        &self,
        ctx: &mut Ctx,
        environ: WasmSlicePtr<WasmSlicePtr<u8>>,
        environ_buf: WasmSlicePtr<u8>,
    ) -> errno {
        (**self).environ_get(ctx, environ, environ_buf)
    }
    #[inline]
    fn environ_sizes_get(&self, ctx: &mut Ctx) -> (errno, size, size) {
        (**self).environ_sizes_get(ctx)
    }
    #[inline]
    fn clock_res_get(&self, ctx: &mut Ctx, id: clockid) -> (errno, timestamp) {
        (**self).clock_res_get(ctx, id)
    }
    #[inline]
    fn clock_time_get(
        &self,
        ctx: &mut Ctx,
        id: clockid,
        precision: timestamp,
    ) -> (errno, timestamp) {
        (**self).clock_time_get(ctx, id, precision)
    }
    #[inline]
    fn fd_advise(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        offset: filesize,
        len: filesize,
        advice: advice,
    ) -> errno {
        (**self).fd_advise(ctx, fd, offset, len, advice)
    }
    #[inline]
    fn fd_allocate(&self, ctx: &mut Ctx, fd: fd, offset: filesize, len: filesize) -> errno {
        (**self).fd_allocate(ctx, fd, offset, len)
    }
    #[inline]
    fn fd_close(&self, ctx: &mut Ctx, fd: fd) -> errno {
        (**self).fd_close(ctx, fd)
    }
    #[inline]
    fn fd_datasync(&self, ctx: &mut Ctx, fd: fd) -> errno {
        (**self).fd_datasync(ctx, fd)
    }
    #[inline]
    fn fd_fdstat_get(&self, ctx: &mut Ctx, fd: fd) -> (errno, fdstat) {
        (**self).fd_fdstat_get(ctx, fd)
    }
    #[inline]
    fn fd_fdstat_set_flags(&self, ctx: &mut Ctx, fd: fd, flags: fdflags) -> errno {
        (**self).fd_fdstat_set_flags(ctx, fd, flags)
    }
    #[inline]
    fn fd_fdstat_set_rights(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        fs_rights_base: rights,
        fs_rights_inheriting: rights,
    ) -> errno {
        (**self).fd_fdstat_set_rights(ctx, fd, fs_rights_base, fs_rights_inheriting)
    }
    #[inline]
    fn fd_filestat_get(&self, ctx: &mut Ctx, fd: fd) -> (errno, filestat) {
        (**self).fd_filestat_get(ctx, fd)
    }
    #[inline]
    fn fd_filestat_set_size(&self, ctx: &mut Ctx, fd: fd, size: filesize) -> errno {
        (**self).fd_filestat_set_size(ctx, fd, size)
    }
    #[inline]
    fn fd_filestat_set_times(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        atim: timestamp,
        mtim: timestamp,
        fst_flags: fstflags,
    ) -> errno {
        (**self).fd_filestat_set_times(ctx, fd, atim, mtim, fst_flags)
    }
    #[inline]
    fn fd_pread(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        iovs: WasmSlicePtr<iovec>,
        iovs_len: size,
        offset: filesize,
    ) -> (errno, size) {
        (**self).fd_pread(ctx, fd, iovs, iovs_len, offset)
    }
    #[inline]
    fn fd_prestat_get(&self, ctx: &mut Ctx, fd: fd) -> (errno, prestat) {
        (**self).fd_prestat_get(ctx, fd)
    }
    #[inline]
    fn fd_prestat_dir_name(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        path: WasmSlicePtr<u8>,
        path_len: size,
    ) -> errno {
        (**self).fd_prestat_dir_name(ctx, fd, path, path_len)
    }
    #[inline]
    fn fd_pwrite(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        iovs: WasmSlicePtr<ciovec>,
        iovs_len: size,
        offset: filesize,
    ) -> (errno, size) {
        (**self).fd_pwrite(ctx, fd, iovs, iovs_len, offset)
    }
    #[inline]
    fn fd_read(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        iovs: WasmSlicePtr<iovec>,
        iovs_len: size,
    ) -> (errno, size) {
        (**self).fd_read(ctx, fd, iovs, iovs_len)
    }
    #[inline]
    fn fd_readdir(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        buf: WasmSlicePtr<u8>,
        buf_len: size,
        cookie: dircookie,
    ) -> (errno, size) {
        (**self).fd_readdir(ctx, fd, buf, buf_len, cookie)
    }
    #[inline]
    fn fd_renumber(&self, ctx: &mut Ctx, fd: fd, to: fd) -> errno {
        (**self).fd_renumber(ctx, fd, to)
    }
    #[inline]
    fn fd_seek(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        offset: filedelta,
        whence: whence,
    ) -> (errno, filesize) {
        (**self).fd_seek(ctx, fd, offset, whence)
    }
    #[inline]
    fn fd_sync(&self, ctx: &mut Ctx, fd: fd) -> errno {
        (**self).fd_sync(ctx, fd)
    }
    #[inline]
    fn fd_tell(&self, ctx: &mut Ctx, fd: fd) -> (errno, filesize) {
        (**self).fd_tell(ctx, fd)
    }
    #[inline]
    fn fd_write(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        iovs: WasmSlicePtr<ciovec>,
        iovs_len: size,
    ) -> (errno, size) {
        (**self).fd_write(ctx, fd, iovs, iovs_len)
    }
    #[inline]
    fn path_create_directory(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        path: WasmSlicePtr<u8>,
        path_len: size,
    ) -> errno {
        (**self).path_create_directory(ctx, fd, path, path_len)
    }
    #[inline]
    fn path_filestat_get(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        flags: lookupflags,
        path: WasmSlicePtr<u8>,
        path_len: size,
    ) -> (errno, filestat) {
        (**self).path_filestat_get(ctx, fd, flags, path, path_len)
    }
    #[inline]
    fn path_filestat_set_times(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        flags: lookupflags,
        path: WasmSlicePtr<u8>,
        path_len: size,
        atim: timestamp,
        mtim: timestamp,
        fst_flags: fstflags,
    ) -> errno {
        (**self).path_filestat_set_times(ctx, fd, flags, path, path_len, atim, mtim, fst_flags)
    }
    #[inline]
    fn path_link(
        &self,
        ctx: &mut Ctx,
        old_fd: fd,
        old_flags: lookupflags,
        old_path: WasmSlicePtr<u8>,
        old_path_len: size,
        new_fd: fd,
        new_path: WasmSlicePtr<u8>,
        new_path_len: size,
    ) -> errno {
        (**self).path_link(
            ctx,
            old_fd,
            old_flags,
            old_path,
            old_path_len,
            new_fd,
            new_path,
            new_path_len,
        )
    }
    #[inline]
    fn path_open(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        dirflags: lookupflags,
        path: WasmSlicePtr<u8>,
        path_len: size,
        oflags: oflags,
        fs_rights_base: rights,
        fs_rights_inherting: rights,
        fdflags: fdflags,
    ) -> (errno, fd) {
        (**self).path_open(
            ctx,
            fd,
            dirflags,
            path,
            path_len,
            oflags,
            fs_rights_base,
            fs_rights_inherting,
            fdflags,
        )
    }
    #[inline]
    fn path_readlink(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        path: WasmSlicePtr<u8>,
        path_len: size,
        buf: WasmSlicePtr<u8>,
        buf_len: size,
    ) -> (errno, size) {
        (**self).path_readlink(ctx, fd, path, path_len, buf, buf_len)
    }
    #[inline]
    fn path_remove_directory(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        path: WasmSlicePtr<u8>,
        path_len: size,
    ) -> errno {
        (**self).path_remove_directory(ctx, fd, path, path_len)
    }
    #[inline]
    fn path_rename(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        old_path: WasmSlicePtr<u8>,
        old_path_len: size,
        new_fd: fd,
        new_path: WasmSlicePtr<u8>,
        new_path_len: size,
    ) -> errno {
        (**self).path_rename(
            ctx,
            fd,
            old_path,
            old_path_len,
            new_fd,
            new_path,
            new_path_len,
        )
    }
    #[inline]
    fn path_symlink(
        &self,
        ctx: &mut Ctx,
        old_path: WasmSlicePtr<u8>,
        old_path_len: size,
        fd: fd,
        new_path: WasmSlicePtr<u8>,
        new_path_len: size,
    ) -> errno {
        (**self).path_symlink(ctx, old_path, old_path_len, fd, new_path, new_path_len)
    }
    #[inline]
    fn path_unlink_file(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        path: WasmSlicePtr<u8>,
        path_len: size,
    ) -> errno {
        (**self).path_unlink_file(ctx, fd, path, path_len)
    }
    #[inline]
    fn poll_oneoff(
        &self,
        ctx: &mut Ctx,
        r#in: WasmSlicePtr<subscription>,
        out: WasmSlicePtr<event>,
        nsubscriptions: size,
    ) -> (errno, size) {
        (**self).poll_oneoff(ctx, r#in, out, nsubscriptions)
    }
    #[inline]
    fn proc_exit(&self, ctx: &mut Ctx, rval: exitcode) -> Result<Infallible, exitcode> {
        (**self).proc_exit(ctx, rval)
    }
    #[inline]
    fn proc_raise(&self, ctx: &mut Ctx, sig: signal) -> errno {
        (**self).proc_raise(ctx, sig)
    }
    #[inline]
    fn sched_yield(&self, ctx: &mut Ctx) -> errno {
        (**self).sched_yield(ctx)
    }
    #[inline]
    fn random_get(&self, ctx: &mut Ctx, buf: WasmSlicePtr<u8>, buf_len: size) -> errno {
        (**self).random_get(ctx, buf, buf_len)
    }
    #[inline]
    fn sock_recv(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        ri_data: WasmSlicePtr<iovec>,
        ri_data_len: size,
        ri_flags: riflags,
    ) -> (errno, size, roflags) {
        (**self).sock_recv(ctx, fd, ri_data, ri_data_len, ri_flags)
    }
    #[inline]
    fn sock_send(
        &self,
        ctx: &mut Ctx,
        fd: fd,
        si_data: WasmSlicePtr<ciovec>,
        si_data_len: size,
        si_flags: siflags,
    ) -> (errno, size) {
        (**self).sock_send(ctx, fd, si_data, si_data_len, si_flags)
    }
    #[inline]
    fn sock_shutdown(&self, ctx: &mut Ctx, fd: fd, how: sdflags) -> errno {
        (**self).sock_shutdown(ctx, fd, how)
    }
}
