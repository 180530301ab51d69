//! The table of `wasi_snapshot_preview1`: every import described once.
//!
//! `wasi_calls!` lists each function of the
//! [`NativeWasiImports`](super::NativeWasiImports) trait with its doc
//! comment, its group, its parameters (name, trait type, and a
//! [`ParamKind`](super::calls::ParamKind) that says how to read the value)
//! and the names and types of the results it returns through
//! out-pointers. Everything that would otherwise restate the 45 signatures
//! is derived from it by a macro given to `wasi_calls!`: the trait itself
//! and its forwarding impls ([`native`](super::native)), the wasmtime glue
//! ([`link`](super::link)), and the call descriptors, dispatch and test
//! double of [`calls`](super::calls).
//!
//! Two imports are not in the list because their shape differs: `proc_exit`
//! (it does not return) and `sock_accept` (not a method of the trait; the
//! glue answers it from `fd_fdstat_get`). Each generator writes those two by
//! hand.
//!
//! To add a capability that sees every call (a tracer, a policy), write a
//! generator macro over this table rather than a 46th copy of the
//! signatures.

/// Invokes `$callback!` with `[extra tokens]` (what follows the callback's
/// name, e.g. a type) and the list of imports:
/// `[group] name(param: Type = Kind, ...) -> (result: Type, ...);`
macro_rules! wasi_calls {
    ($callback:ident $($extra:tt)*) => {
        $callback! {
            [$($extra)*]
            /// Read command-line argument data. The size of the array should match that
            /// returned by args_sizes_get
            [args]
            args_get(
                argv: WasmSlicePtr<WasmSlicePtr<u8>> = Ptr,
                argv_buf: WasmSlicePtr<u8> = Ptr,
            ) -> ();
            /// Return command-line argument data sizes.
            [args]
            args_sizes_get() -> (argc: size, argv_buf_size: size);
            /// Read environment variable data. The sizes of the buffers should match that
            /// returned by environ_sizes_get.
            [args]
            environ_get(
                environ: WasmSlicePtr<WasmSlicePtr<u8>> = Ptr,
                environ_buf: WasmSlicePtr<u8> = Ptr,
            ) -> ();
            /// Return environment variable data sizes.
            [args]
            environ_sizes_get() -> (environc: size, environ_buf_size: size);
            /// Return the resolution of a clock. Implementations are required to provide a
            /// non-zero value for supported clocks. For unsupported clocks, return
            /// [`errno::inval`]. Note: This is similar to clock_getres in POSIX.
            [clock]
            clock_res_get(id: clockid = Enum) -> (resolution: timestamp);
            /// Return the time value of a clock. Note: This is similar to clock_gettime in
            /// POSIX.
            [clock]
            clock_time_get(id: clockid = Enum, precision: timestamp = Int) -> (time: timestamp);
            /// Provide file advisory information on a file descriptor. Note: This is
            /// similar to posix_fadvise in POSIX.
            [fd]
            fd_advise(
                fd: fd = Fd,
                offset: filesize = Int,
                len: filesize = Int,
                advice: advice = Enum,
            ) -> ();
            /// Force the allocation of space in a file. Note: This is similar to
            /// posix_fallocate in POSIX.
            [fd]
            fd_allocate(fd: fd = Fd, offset: filesize = Int, len: filesize = Int) -> ();
            /// Close a file descriptor. Note: This is similar to close in POSIX.
            [fd]
            fd_close(fd: fd = Fd) -> ();
            /// Synchronize the data of a file to disk. Note: This is similar to fdatasync
            /// in POSIX.
            [fd]
            fd_datasync(fd: fd = Fd) -> ();
            /// Get the attributes of a file descriptor. Note: This returns similar flags to
            /// fsync(fd, F_GETFL) in POSIX, as well as additional fields.
            [fd]
            fd_fdstat_get(fd: fd = Fd) -> (stat: fdstat);
            /// Adjust the flags associated with a file descriptor. Note: This is similar to
            /// fcntl(fd, F_SETFL, flags) in POSIX.
            [fd]
            fd_fdstat_set_flags(fd: fd = Fd, flags: fdflags = Flags) -> ();
            /// Adjust the rights associated with a file descriptor. This can only be used
            /// to remove rights, and returns [`errno::notcapable`] if called in a way that
            /// would attempt to add rights
            [fd]
            fd_fdstat_set_rights(
                fd: fd = Fd,
                fs_rights_base: rights = Flags,
                fs_rights_inheriting: rights = Flags,
            ) -> ();
            /// Return the attributes of an open file.
            [fd]
            fd_filestat_get(fd: fd = Fd) -> (stat: filestat);
            /// Adjust the size of an open file. If this increases the file's size, the
            /// extra bytes are filled with zeros. Note: This is similar to ftruncate in
            /// POSIX.
            [fd]
            fd_filestat_set_size(fd: fd = Fd, size: filesize = Int) -> ();
            /// Adjust the timestamps of an open file or directory. Note: This is similar to
            /// futimens in POSIX.
            [fd]
            fd_filestat_set_times(
                fd: fd = Fd,
                atim: timestamp = Int,
                mtim: timestamp = Int,
                fst_flags: fstflags = Flags,
            ) -> ();
            /// Read from a file descriptor, without using and updating the file
            /// descriptor's offset. Note: This is similar to preadv in POSIX.
            [fd]
            fd_pread(
                fd: fd = Fd,
                iovs: WasmSlicePtr<iovec> = Iovs,
                iovs_len: size = Len,
                offset: filesize = Int,
            ) -> (nread: size);
            /// Return a description of the given preopened file descriptor.
            [fd]
            fd_prestat_get(fd: fd = Fd) -> (prestat: prestat);
            /// Return a description of the given preopened file descriptor.
            [fd]
            fd_prestat_dir_name(fd: fd = Fd, path: WasmSlicePtr<u8> = Buf, path_len: size = Len) -> ();
            /// Write to a file descriptor, without using and updating the file descriptor's
            /// offset. Note: This is similar to pwritev in POSIX.
            [fd]
            fd_pwrite(
                fd: fd = Fd,
                iovs: WasmSlicePtr<ciovec> = Iovs,
                iovs_len: size = Len,
                offset: filesize = Int,
            ) -> (nwritten: size);
            /// Read from a file descriptor. Note: This is similar to readv in POSIX.
            [fd]
            fd_read(
                fd: fd = Fd,
                iovs: WasmSlicePtr<iovec> = Iovs,
                iovs_len: size = Len,
            ) -> (nread: size);
            /// Read directory entries from a directory. When successful, the contents of
            /// the output buffer consist of a sequence of directory entries. Each directory
            /// entry consists of a `dirent` object, followed by `dirent::d_namlen` bytes
            /// holding the name of the directory entry. This function fills the output
            /// buffer as much as possible, potentially truncating the last directory entry.
            /// This allows the caller to grow its read buffer size in case it's too small
            /// to fit a single large directory entry, or skip the oversized directory
            /// entry.
            [fd]
            fd_readdir(
                fd: fd = Fd,
                buf: WasmSlicePtr<u8> = Buf,
                buf_len: size = Len,
                cookie: dircookie = Int,
            ) -> (bufused: size);
            /// Atomically replace a file descriptor by renumbering another file descriptor.
            /// Due to the strong focus on thread safety, this environment does not provide
            /// a mechanism to duplicate or renumber a file descriptor to an arbitrary
            /// number, like dup2(). This would be prone to race conditions, as an actual
            /// file descriptor with the same number could be allocated by a different
            /// thread at the same time. This function provides a way to atomically renumber
            /// file descriptors, which would disappear if dup2() were to be removed
            /// entirely.
            [fd]
            fd_renumber(fd: fd = Fd, to: fd = Fd) -> ();
            /// Move the offset of a file descriptor. Note: This is similar to lseek in
            /// POSIX.
            [fd]
            fd_seek(
                fd: fd = Fd,
                offset: filedelta = Signed,
                whence: whence = Enum,
            ) -> (newoffset: filesize);
            /// Synchronize the data and metadata of a file to disk. Note: This is similar
            /// to fsync in POSIX.
            [fd]
            fd_sync(fd: fd = Fd) -> ();
            /// Return the current offset of a file descriptor. Note: This is similar to
            /// lseek(fd, 0, SEEK_CUR) in POSIX.
            [fd]
            fd_tell(fd: fd = Fd) -> (offset: filesize);
            /// Write to a file descriptor. Note: This is similar to writev in POSIX.
            [fd]
            fd_write(
                fd: fd = Fd,
                iovs: WasmSlicePtr<ciovec> = Iovs,
                iovs_len: size = Len,
            ) -> (nwritten: size);
            /// Create a directory. Note: This is similar to mkdirat in POSIX.
            [path]
            path_create_directory(
                fd: fd = Fd,
                path: WasmSlicePtr<u8> = Path,
                path_len: size = Len,
            ) -> ();
            /// Return the attributes of a file or directory. Note: This is similar to stat
            /// in POSIX.
            [path]
            path_filestat_get(
                fd: fd = Fd,
                flags: lookupflags = Flags,
                path: WasmSlicePtr<u8> = Path,
                path_len: size = Len,
            ) -> (stat: filestat);
            /// Adjust the timestamps of a file or directory. Note: This is similar to
            /// utimensat in POSIX.
            [path]
            path_filestat_set_times(
                fd: fd = Fd,
                flags: lookupflags = Flags,
                path: WasmSlicePtr<u8> = Path,
                path_len: size = Len,
                atim: timestamp = Int,
                mtim: timestamp = Int,
                fst_flags: fstflags = Flags,
            ) -> ();
            /// Create a hard link. Note: This is similar to linkat in POSIX.
            [path]
            path_link(
                old_fd: fd = Fd,
                old_flags: lookupflags = Flags,
                old_path: WasmSlicePtr<u8> = Path,
                old_path_len: size = Len,
                new_fd: fd = Fd,
                new_path: WasmSlicePtr<u8> = Path,
                new_path_len: size = Len,
            ) -> ();
            /// Open a file or directory. The returned file descriptor is not guaranteed to
            /// be the lowest-numbered file descriptor not currently open; it is randomized
            /// to prevent applications from depending on making assumptions about indexes,
            /// since this is error-prone in multi-threaded contexts. The returned file
            /// descriptor is guaranteed to be less than 2**31. Note: This is similar to
            /// openat in POSIX.
            [path]
            path_open(
                fd: fd = Fd,
                dirflags: lookupflags = Flags,
                path: WasmSlicePtr<u8> = Path,
                path_len: size = Len,
                oflags: oflags = Flags,
                fs_rights_base: rights = Flags,
                fs_rights_inherting: rights = Flags,
                fdflags: fdflags = Flags,
            ) -> (opened_fd: fd);
            /// Read the contents of a symbolic link. Note: This is similar to readlinkat in
            /// POSIX.
            [path]
            path_readlink(
                fd: fd = Fd,
                path: WasmSlicePtr<u8> = Path,
                path_len: size = Len,
                buf: WasmSlicePtr<u8> = Buf,
                buf_len: size = Len,
            ) -> (bufused: size);
            /// Remove a directory. Return [`errno::notempty`] if the directory is not
            /// empty. Note: This is similar to unlinkat(fd, path, AT_REMOVEDIR) in POSIX.
            [path]
            path_remove_directory(
                fd: fd = Fd,
                path: WasmSlicePtr<u8> = Path,
                path_len: size = Len,
            ) -> ();
            /// Rename a file or directory. Note: This is similar to renameat in POSIX.
            [path]
            path_rename(
                fd: fd = Fd,
                old_path: WasmSlicePtr<u8> = Path,
                old_path_len: size = Len,
                new_fd: fd = Fd,
                new_path: WasmSlicePtr<u8> = Path,
                new_path_len: size = Len,
            ) -> ();
            /// Create a symbolic link. Note: This is similar to symlinkat in POSIX.
            [path]
            path_symlink(
                old_path: WasmSlicePtr<u8> = Path,
                old_path_len: size = Len,
                fd: fd = Fd,
                new_path: WasmSlicePtr<u8> = Path,
                new_path_len: size = Len,
            ) -> ();
            /// Unlink a file. Return [`errno::isdir`] if the path refers to a directory.
            /// Note: This is similar to unlinkat(fd, path, 0) in POSIX.
            [path]
            path_unlink_file(fd: fd = Fd, path: WasmSlicePtr<u8> = Path, path_len: size = Len) -> ();
            /// Concurrently poll for the occurrence of a set of events.
            [poll]
            poll_oneoff(
                r#in: WasmSlicePtr<subscription> = Ptr,
                out: WasmSlicePtr<event> = Ptr,
                nsubscriptions: size = Len,
            ) -> (nevents: size);
            /// Send a signal to the process of the calling thread. Note: This is similar to
            /// raise in POSIX.
            [proc]
            proc_raise(sig: signal = Enum) -> ();
            /// Temporarily yield execution of the calling thread. Note: This is similar to
            /// sched_yield in POSIX.
            [proc]
            sched_yield() -> ();
            /// Write high-quality random data into a buffer. This function blocks when the
            /// implementation is unable to immediately provide sufficient high-quality
            /// random data. This function may execute slowly, so when large mounts of
            /// random data are required, it's advisable to use this function to seed a
            /// pseudo-random number generator, rather than to provide the random data
            /// directly.
            [random]
            random_get(buf: WasmSlicePtr<u8> = Buf, buf_len: size = Len) -> ();
            /// Receive a message from a socket. Note: This is similar to recv in POSIX,
            /// though it also supports reading the data into multiple buffers in the manner
            /// of readv.
            [sock]
            sock_recv(
                fd: fd = Fd,
                ri_data: WasmSlicePtr<iovec> = Iovs,
                ri_data_len: size = Len,
                ri_flags: riflags = Flags,
            ) -> (ro_datalen: size, ro_flags: roflags);
            /// Send a message on a socket. Note: This is similar to send in POSIX, though
            /// it also supports writing the data from multiple buffers in the manner of
            /// writev.
            [sock]
            sock_send(
                fd: fd = Fd,
                si_data: WasmSlicePtr<ciovec> = Iovs,
                si_data_len: size = Len,
                si_flags: siflags = Flags,
            ) -> (so_datalen: size);
            /// Shut down socket send and receive channels. Note: This is similar to
            /// shutdown in POSIX.
            [sock]
            sock_shutdown(fd: fd = Fd, how: sdflags = Flags) -> ();

        }
    };
}

pub(crate) use wasi_calls;
