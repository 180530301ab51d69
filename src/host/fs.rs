//! The filesystem: preopened directories and every `fd_*` / `path_*`
//! function on files and directories, confined with cap-std.
//!
//! The sandbox is cap-std's: every path a guest names is resolved by
//! cap-std relative to a directory fd the guest holds, and cap-std refuses
//! anything that would leave it (`..` past the top, absolute paths,
//! symlinks pointing out, symlink loops), on Linux with one `openat2`
//! (`RESOLVE_BENEATH`) where the kernel has it. No path string is
//! interpreted here, but for one shortcut: `path_open` of a single plain
//! name (no `/`, not `.` or `..`) is one `openat` with `O_NOFOLLOW`,
//! which cannot leave the directory; a symlink there goes to cap-std.
//!
//! Rights do the rest: a read-only preopen holds no right that writes
//! (see [`WRITE_RIGHTS`]), and neither does anything opened from it, so
//! every write, create, truncate, rename, unlink, link, symlink, set-size
//! and set-times through it fails with `notcapable`.

use std::ffi::OsStr;
use std::io::{self, Read};
use std::num::NonZeroU64;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
    SystemTimeSpec,
};
use cap_std::fs::{Dir, File, Metadata, MetadataExt, OpenOptions, OpenOptionsExt};

use super::errno_map::{from_io_error, from_rustix};
use super::fd_table::{FdEntry, FdObject, FdTable};
use super::fifo::FifoWait;
use crate::wasi_snapshot_preview1::types::{
    advice, dircookie, dirent, errno, fdflags, filesize, filestat, filetype, fstflags, lookupflags,
    oflags, rights, timestamp, whence,
};
use crate::wasi_snapshot_preview1::{Ctx, GuestType, WasmSlicePtr};

const fn bits(list: &[rights]) -> rights {
    let mut raw = 0;
    let mut i = 0;
    while i < list.len() {
        raw |= list[i].raw;
        i += 1;
    }
    rights::from_raw(raw)
}

/// Every right that applies to a regular file.
pub(crate) const FILE_RIGHTS: rights = bits(&[
    rights::fd_datasync,
    rights::fd_read,
    rights::fd_seek,
    rights::fd_fdstat_set_flags,
    rights::fd_sync,
    rights::fd_tell,
    rights::fd_write,
    rights::fd_advise,
    rights::fd_allocate,
    rights::fd_filestat_get,
    rights::fd_filestat_set_size,
    rights::fd_filestat_set_times,
    rights::poll_fd_readwrite,
]);

/// Every right that applies to a directory.
pub(crate) const DIR_RIGHTS: rights = bits(&[
    rights::fd_datasync,
    rights::fd_fdstat_set_flags,
    rights::fd_sync,
    rights::path_create_directory,
    rights::path_create_file,
    rights::path_link_source,
    rights::path_link_target,
    rights::path_open,
    rights::fd_readdir,
    rights::path_readlink,
    rights::path_rename_source,
    rights::path_rename_target,
    rights::path_filestat_get,
    rights::path_filestat_set_size,
    rights::path_filestat_set_times,
    rights::fd_filestat_get,
    rights::fd_filestat_set_times,
    rights::path_symlink,
    rights::path_remove_directory,
    rights::path_unlink_file,
]);

/// The rights that change the filesystem; a read-only preopen has none of
/// them, for itself or for anything opened through it.
pub(crate) const WRITE_RIGHTS: rights = bits(&[
    rights::fd_write,
    rights::fd_allocate,
    rights::fd_filestat_set_size,
    rights::fd_filestat_set_times,
    rights::path_create_directory,
    rights::path_create_file,
    rights::path_link_source,
    rights::path_link_target,
    rights::path_rename_source,
    rights::path_rename_target,
    rights::path_filestat_set_size,
    rights::path_filestat_set_times,
    rights::path_symlink,
    rights::path_remove_directory,
    rights::path_unlink_file,
]);

/// An open regular file (or other non-directory: a device, a FIFO).
pub(crate) struct FileFd {
    pub(crate) file: File,
    pub(crate) filetype: filetype,
    /// The position of a regular file, kept by the host (as wasmtime
    /// does): `fd_read` and `fd_write` go to it with `pread`/`pwrite` and
    /// advance it by what they transferred, and `fd_tell` and `fd_seek`
    /// (but `end`, which needs the size) make no syscall. Any position
    /// from 0 to 2^64 - 1 can be held, as POSIX and wasmtime allow; beyond
    /// what the host filesystem holds, reads see the end of the file and
    /// writes are `fbig`, as they would natively.
    ///
    /// `None` while the host fd's own offset is the position: always for
    /// anything but a regular file (a device, a FIFO: kept by the
    /// kernel), and for a regular file after an `append` write, which
    /// leaves the kernel's offset at the new end (read back, once, when
    /// the position is next needed). Only guest-opened files are here,
    /// never an fd the embedder shares (stdio streams cannot seek), so no
    /// one else moves the host offset behind the host's back.
    offset: Option<u64>,
    /// See [`FileFd::write_twin`].
    twin: super::stdio::WriteTwin,
}

impl FileFd {
    pub(crate) fn new(file: File, filetype: filetype) -> FileFd {
        FileFd {
            file,
            filetype,
            // A new open file description starts at 0.
            offset: (filetype == filetype::regular_file).then_some(0),
            twin: super::stdio::WriteTwin::default(),
        }
    }

    /// The non-blocking twin to write to, for a FIFO or a device.
    pub(crate) fn write_twin(&self) -> Option<std::sync::Arc<std::os::fd::OwnedFd>> {
        if self.filetype == filetype::regular_file {
            return None;
        }
        self.twin.get(AsFd::as_fd(&self.file))
    }
}

/// An open directory.
pub(crate) struct DirFd {
    pub(crate) dir: Dir,
    /// The guest path it is mounted at, for a preopen.
    pub(crate) preopen: Option<Vec<u8>>,
    /// The inode `..` reports: the parent's when it is inside the sandbox,
    /// else (a preopen) the directory's own.
    parent_ino: Option<u64>,
    /// The listing `fd_readdir` serves cookies from: read once when a guest
    /// starts at cookie 0, then sliced, so a listing costs one pass over
    /// the directory however small the guest's buffer.
    pub(crate) listing: Option<Listing>,
    /// Its own inode, read once when a directory opened from it asks
    /// (the `..` of a subdirectory).
    own_ino: std::cell::OnceCell<u64>,
}

/// A directory's entries: all names in one buffer (no allocation per
/// entry), each entry's slice of it, inode and type.
pub(crate) struct Listing {
    names: Vec<u8>,
    entries: Vec<Listed>,
}

/// The host memory the listings kept for `fd_readdir` may use together,
/// across all of one guest's directory fds. A guest could otherwise open
/// its fd cap's worth of fds on one large directory it filled and list
/// each partway. Past it, the listings of other fds are dropped; such an
/// fd reads its directory again at its next cookie (the same order for an
/// unchanged directory), so only the memory is bounded, not the behaviour.
const LISTING_BUDGET: usize = 64 << 20;

impl Listing {
    /// The host memory it holds, about.
    pub(crate) fn bytes(&self) -> usize {
        self.names.capacity() + self.entries.capacity() * std::mem::size_of::<Listed>()
    }
}

struct Listed {
    name: std::ops::Range<usize>,
    ino: u64,
    filetype: filetype,
}

impl DirFd {
    pub(crate) fn new(dir: Dir, preopen: Option<Vec<u8>>) -> DirFd {
        DirFd {
            dir,
            preopen,
            parent_ino: None,
            listing: None,
            own_ino: std::cell::OnceCell::new(),
        }
    }

    /// Its own inode (`None` if the host cannot say).
    fn own_ino(&self) -> Option<u64> {
        if let Some(ino) = self.own_ino.get() {
            return Some(*ino);
        }
        let ino = rustix::fs::fstat(&self.dir).ok()?.st_ino;
        Some(*self.own_ino.get_or_init(|| ino))
    }
}

/// Whether `path` is one plain name: no `/`, not `.` or `..`.
fn is_plain_name(path: &Path) -> bool {
    let b = path.as_os_str().as_bytes();
    !b.is_empty() && !b.contains(&b'/') && b != b"." && b != b".."
}

/// The rights of a preopened directory.
pub(crate) fn preopen_rights(readonly: bool) -> (rights, rights) {
    let all = DIR_RIGHTS.union(FILE_RIGHTS);
    if readonly {
        (
            DIR_RIGHTS.difference(WRITE_RIGHTS),
            all.difference(WRITE_RIGHTS),
        )
    } else {
        (DIR_RIGHTS, all)
    }
}

fn io(e: io::Error) -> errno {
    from_io_error(&e)
}

fn sys(e: rustix::io::Errno) -> errno {
    from_rustix(e)
}

/// The path a guest passed, as a host path. NUL bytes are `inval` (no host
/// call could take them); an empty path is `noent`, as in POSIX.
fn guest_path<'a>(ctx: &'a Ctx, ptr: WasmSlicePtr<u8>, len: u32) -> Result<&'a Path, errno> {
    let bytes = ctx.bytes(ptr, len)?;
    if bytes.is_empty() {
        return Err(errno::noent);
    }
    // What no host call would take (Linux's PATH_MAX counts the NUL); said
    // here so that trimming `/.` below never turns it into a valid path.
    if bytes.len() >= 4096 {
        return Err(errno::nametoolong);
    }
    if bytes.contains(&0) {
        return Err(errno::inval);
    }
    // WASI paths are strings: bytes that are not UTF-8 are `ilseq`, as in
    // wasmtime, so a guest cannot make names no other WASI host can open.
    if std::str::from_utf8(bytes).is_err() {
        return Err(errno::ilseq);
    }
    Ok(Path::new(OsStr::from_bytes(bytes)))
}

/// The last component of a path, if it is `.` or `..` (trailing slashes
/// ignored): `Some(false)` for `.`, `Some(true)` for `..`. Calls that
/// create or remove a name refuse these as POSIX does, after resolving
/// the path (so a missing parent is still `noent` and an escape `perm`).
fn dot_last(path: &Path) -> Option<bool> {
    let b = path.as_os_str().as_bytes();
    let end = b.iter().rposition(|&c| c != b'/').map_or(0, |i| i + 1);
    let b = &b[..end];
    let last = match b.iter().rposition(|&c| c == b'/') {
        Some(i) => &b[i + 1..],
        None => b,
    };
    match last {
        b"." => Some(false),
        b".." => Some(true),
        _ => None,
    }
}

/// For a call that creates or removes `path` in `dir` whose last component
/// is `.` or `..`: the errno of resolving it, else `e`, the errno POSIX
/// gives for such a name.
fn refuse_dot(dir: &Dir, path: &Path, e: errno) -> Result<(), errno> {
    match dot_last(path) {
        None => Ok(()),
        Some(_) => {
            dir.metadata(path).map_err(io)?;
            Err(e)
        }
    }
}

/// `inval` for lookup flags with undefined bits.
fn known_lookupflags(flags: lookupflags) -> Result<(), errno> {
    match lookupflags::from_bits(flags.bits()) {
        Some(_) => Ok(()),
        None => Err(errno::inval),
    }
}

/// A guest path with its trailing `/` and `/.` removed, and whether there
/// were any: POSIX reads `name/` as "the directory `name`", following a
/// symlink there, and a file there is `notdir`. (Rust's `Path`, and so
/// cap-std, would silently drop the slash.)
fn guest_path_dir<'a>(
    ctx: &'a Ctx,
    ptr: WasmSlicePtr<u8>,
    len: u32,
) -> Result<(&'a Path, bool), errno> {
    let mut b = guest_path(ctx, ptr, len)?.as_os_str().as_bytes();
    let mut dir = false;
    loop {
        if b.len() > 1 && b.ends_with(b"/") {
            b = &b[..b.len() - 1];
        } else if b.len() > 2 && b.ends_with(b"/.") {
            b = &b[..b.len() - 2];
        } else {
            break;
        }
        dir = true;
    }
    Ok((Path::new(OsStr::from_bytes(b)), dir))
}

/// `stat` following symlinks. For a plain name in the directory, which is
/// what `stat("name")` usually asks, one `fstatat` without following is
/// enough unless it finds a symlink; cap-std's general path (open with
/// O_PATH beneath the directory, fstat, close) costs three syscalls.
fn stat_follow(dir: &Dir, path: &Path) -> io::Result<Metadata> {
    let mut parts = path.components();
    if let (Some(std::path::Component::Normal(_)), None) = (parts.next(), parts.next()) {
        let meta = dir.symlink_metadata(path)?;
        if !meta.file_type().is_symlink() {
            return Ok(meta);
        }
    }
    dir.metadata(path)
}

/// `notdir` unless `path` (not followed) is a directory: for calls whose
/// path ended in a slash.
fn must_be_dir(dir: &Dir, path: &Path) -> Result<(), errno> {
    if dir.symlink_metadata(path).map_err(io)?.is_dir() {
        Ok(())
    } else {
        Err(errno::notdir)
    }
}

/// For two-path calls with a trailing slash: resolves the source and the
/// target's parent first (so an escape on either side is still `perm`),
/// then requires the source to be a directory.
fn slash_pair_check(from: &Dir, old: &Path, to: &Dir, new: &Path) -> Result<(), errno> {
    let old_is_dir = from.symlink_metadata(old).map_err(io)?.is_dir();
    if let Some(parent) = new.parent().filter(|p| !p.as_os_str().is_empty()) {
        to.metadata(parent).map_err(io)?;
    }
    if old_is_dir {
        Ok(())
    } else {
        Err(errno::notdir)
    }
}

/// The directory behind `fd`, after checking it holds `needed`:
/// `badf` for a closed fd, `notdir` for something else, `notcapable`
/// for a missing right.
fn dir_of(fds: &FdTable, fd: u32, needed: rights) -> Result<&DirFd, errno> {
    let entry = fds.get(fd)?;
    let FdObject::Dir(d) = &entry.object else {
        return Err(errno::notdir);
    };
    entry.require(needed)?;
    Ok(d)
}

fn stat_time(secs: i64, nsecs: i64) -> timestamp {
    (secs.max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsecs.max(0) as u64)
}

pub(crate) fn filetype_of(ft: cap_std::fs::FileType) -> filetype {
    use cap_std::fs::FileTypeExt;
    if ft.is_dir() {
        filetype::directory
    } else if ft.is_file() {
        filetype::regular_file
    } else if ft.is_symlink() {
        filetype::symbolic_link
    } else if ft.is_block_device() {
        filetype::block_device
    } else if ft.is_char_device() {
        filetype::character_device
    } else if ft.is_socket() {
        filetype::socket_stream
    } else {
        filetype::unknown
    }
}

fn filestat_of(m: &Metadata) -> filestat {
    filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype_of(m.file_type()),
        nlink: m.nlink(),
        size: m.len(),
        atim: stat_time(m.atime(), m.atime_nsec()),
        mtim: stat_time(m.mtime(), m.mtime_nsec()),
        ctim: stat_time(m.ctime(), m.ctime_nsec()),
    }
}

/// `fstat` of a host fd as a WASI filestat, with the filetype the fd
/// table knows.
pub(crate) fn fstat(fd: BorrowedFd<'_>, ft: filetype) -> Result<filestat, errno> {
    let st = rustix::fs::fstat(fd).map_err(sys)?;
    Ok(filestat {
        dev: st.st_dev,
        ino: st.st_ino,
        filetype: ft,
        nlink: st.st_nlink,
        size: st.st_size.max(0) as u64,
        atim: stat_time(st.st_atime, st.st_atime_nsec as i64),
        mtim: stat_time(st.st_mtime, st.st_mtime_nsec as i64),
        ctim: stat_time(st.st_ctime, st.st_ctime_nsec as i64),
    })
}

/// The new times of a set-times call: `None` keeps a time.
fn time_specs(
    atim: timestamp,
    mtim: timestamp,
    flags: fstflags,
) -> Result<(Option<SystemTimeSpec>, Option<SystemTimeSpec>), errno> {
    if fstflags::from_bits(flags.bits()).is_none()
        || flags.contains(fstflags::atim.union(fstflags::atim_now))
        || flags.contains(fstflags::mtim.union(fstflags::mtim_now))
    {
        return Err(errno::inval);
    }
    let spec = |value: timestamp, set: fstflags, now: fstflags| {
        if flags.contains(now) {
            Some(SystemTimeSpec::SymbolicNow)
        } else if flags.contains(set) {
            Some(SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(
                    SystemTime::UNIX_EPOCH + Duration::from_nanos(value),
                ),
            ))
        } else {
            None
        }
    };
    Ok((
        spec(atim, fstflags::atim, fstflags::atim_now),
        spec(mtim, fstflags::mtim, fstflags::mtim_now),
    ))
}

fn timespec(spec: Option<SystemTimeSpec>) -> rustix::fs::Timespec {
    match spec {
        None => rustix::fs::Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_OMIT,
        },
        Some(SystemTimeSpec::SymbolicNow) => rustix::fs::Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_NOW,
        },
        Some(SystemTimeSpec::Absolute(t)) => {
            let d = t
                .into_std()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or(Duration::ZERO);
            rustix::fs::Timespec {
                tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
                tv_nsec: d.subsec_nanos() as _,
            }
        }
    }
}

/// Everything a path call needs: the fd table, under its lock.
pub(crate) struct Fs<'t> {
    pub(crate) fds: &'t mut FdTable,
}

impl Fs<'_> {
    #[allow(clippy::too_many_arguments)] // the shape of the WASI call
    pub(crate) fn path_open(
        &mut self,
        ctx: &Ctx,
        fd: u32,
        dirflags: lookupflags,
        path: WasmSlicePtr<u8>,
        path_len: u32,
        of: oflags,
        base: rights,
        inheriting: rights,
        flags: fdflags,
        fifo: &mut FifoWait,
    ) -> Result<u32, errno> {
        if oflags::from_bits(of.bits()).is_none()
            || fdflags::from_bits(flags.bits()).is_none()
            || lookupflags::from_bits(dirflags.bits()).is_none()
        {
            return Err(errno::inval);
        }
        // As wasmtime: a directory cannot be created, made exclusively or
        // truncated, whatever the path names.
        if of.contains(oflags::directory)
            && of.intersects(oflags::creat.union(oflags::excl).union(oflags::trunc))
        {
            return Err(errno::inval);
        }
        let mut needed = rights::path_open;
        if of.contains(oflags::creat) {
            needed = needed.union(rights::path_create_file);
        }
        if of.contains(oflags::trunc) {
            needed = needed.union(rights::path_filestat_set_size);
        }
        let parent = self.fds.get(fd)?;
        let FdObject::Dir(d) = &parent.object else {
            return Err(errno::notdir);
        };
        parent.require(needed)?;
        let allowed = parent.rights_inheriting;
        // Asking to write where writing is not granted fails here, so a
        // program learns it at open (as with a read-only mount), not at
        // its first write. Other rights the parent cannot pass on are
        // dropped quietly: toolchains ask for more than they use (Rust's
        // std asks for fd_filestat_set_times on every open).
        // The host fd is opened for writing when the guest asks to write,
        // create or truncate; `append` alone only asks to write a file
        // (it is ignored for a directory, as wasmtime does).
        let write_access =
            base.contains(rights::fd_write) || of.intersects(oflags::creat.union(oflags::trunc));
        let want_dir = of.contains(oflags::directory);
        let write = write_access || (flags.contains(fdflags::append) && !want_dir);
        if write && !allowed.contains(rights::fd_write) {
            return Err(errno::notcapable);
        }
        if self.fds.is_full() {
            return Err(errno::mfile);
        }
        if of.contains(oflags::creat) {
            // `open("d/.", O_CREAT)` names an existing directory: `isdir`
            // (Linux), or `exist` with `excl` (POSIX, and wasmtime).
            let e = if of.contains(oflags::excl) {
                errno::exist
            } else {
                errno::isdir
            };
            refuse_dot(&d.dir, guest_path(ctx, path, path_len)?, e)?;
        }
        let (path, slash) = guest_path_dir(ctx, path, path_len)?;
        if slash && write {
            // Resolved first, so that an escape is still `perm`. Then as
            // Linux: creating `name/` is `isdir` (also where nothing is
            // yet, once its parent resolves); writing one is `isdir` for a
            // directory and `notdir` for anything else.
            let meta = match d.dir.metadata(path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound && of.contains(oflags::creat) => {
                    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                        d.dir.metadata(parent).map_err(io)?;
                    }
                    return Err(errno::isdir);
                }
                r => r.map_err(io)?,
            };
            return Err(if meta.is_dir() || of.contains(oflags::creat) {
                errno::isdir
            } else {
                errno::notdir
            });
        }
        // `name/` names a directory, through a symlink if need be.
        let follow = dirflags.contains(lookupflags::symlink_follow) || slash;

        let want_dir = want_dir || slash;
        let mut opts = OpenOptions::new();
        // `append` and `trunc` go to open(2) as flags of their own: std's
        // and cap-std's `OpenOptions` refuse them together, and append
        // without write access, which POSIX allows.
        opts.read(base.contains(rights::fd_read) || !write_access)
            .write(write_access)
            .follow(if follow {
                FollowSymlinks::Yes
            } else {
                FollowSymlinks::No
            })
            .maybe_dir(true)
            .dsync(flags.contains(fdflags::dsync))
            .rsync(flags.contains(fdflags::rsync))
            .sync(flags.contains(fdflags::sync));
        if of.contains(oflags::creat) {
            if of.contains(oflags::excl) {
                opts.create_new(true);
            } else {
                opts.create(true);
            }
        }
        let mut custom = 0;
        if of.contains(oflags::trunc) {
            custom |= libc::O_TRUNC;
        }
        if flags.contains(fdflags::append) && !want_dir {
            custom |= libc::O_APPEND;
        }
        // Opened without blocking in any case: a FIFO's open would block
        // until its other end comes, with the fd table locked; the caller
        // waits for that without the lock (see `fifo`).
        let blocking = !flags.contains(fdflags::nonblock) && !want_dir;
        if !want_dir {
            custom |= libc::O_NONBLOCK;
        }
        if want_dir {
            custom |= libc::O_DIRECTORY;
        }
        opts.custom_flags(custom);
        // A plain name in the directory is opened with one `openat`, not
        // followed: it cannot leave the directory (no `/`, no `..`, and a
        // symlink there is refused by O_NOFOLLOW), so `RESOLVE_BENEATH`
        // would check nothing. `noent` and `exist` are the answer as they
        // are; any other failure (a symlink to follow, a FIFO without a
        // reader, ...) is asked again through cap-std below, which gives
        // the answer.
        let direct = if is_plain_name(path) {
            let mut fl = rustix::fs::OFlags::CLOEXEC
                | rustix::fs::OFlags::NOFOLLOW
                | rustix::fs::OFlags::from_bits_retain(custom as _);
            fl |= match (
                base.contains(rights::fd_read) || !write_access,
                write_access,
            ) {
                (_, false) => rustix::fs::OFlags::RDONLY,
                (false, true) => rustix::fs::OFlags::WRONLY,
                (true, true) => rustix::fs::OFlags::RDWR,
            };
            if of.contains(oflags::creat) {
                fl |= rustix::fs::OFlags::CREATE;
                if of.contains(oflags::excl) {
                    fl |= rustix::fs::OFlags::EXCL;
                }
            }
            for (flag, host) in [
                (fdflags::dsync, rustix::fs::OFlags::DSYNC),
                (fdflags::rsync, rustix::fs::OFlags::RSYNC),
                (fdflags::sync, rustix::fs::OFlags::SYNC),
            ] {
                if flags.contains(flag) {
                    fl |= host;
                }
            }
            match rustix::fs::openat(&d.dir, path, fl, rustix::fs::Mode::from_raw_mode(0o666)) {
                Ok(fd) => Some(File::from_std(std::fs::File::from(fd))),
                Err(e @ (rustix::io::Errno::NOENT | rustix::io::Errno::EXIST)) => {
                    return Err(sys(e));
                }
                Err(_) => None,
            }
        } else {
            None
        };
        let opened_directly = direct.is_some();
        // A directory is opened like a file (not with cap-std's `open_dir`,
        // whose O_PATH fds refuse fsync, futimens and F_SETFL).
        let file = match direct.map_or_else(|| d.dir.open_with(path, &opts), Ok) {
            Ok(f) => f,
            // O_NOFOLLOW on a symlink is `loop` in POSIX, whatever it points
            // to; cap-std reports a symlink to a directory under
            // O_DIRECTORY as `notdir`.
            Err(e)
                if !follow
                    && from_io_error(&e) == errno::notdir
                    && d.dir
                        .symlink_metadata(path)
                        .is_ok_and(|m| m.file_type().is_symlink()) =>
            {
                return Err(errno::r#loop);
            }
            // Opening a FIFO for writing while it has no reader.
            Err(e)
                if blocking
                    && write_access
                    && e.raw_os_error() == Some(libc::ENXIO)
                    && d.dir
                        .metadata(path)
                        .is_ok_and(|m| cap_fs_ext::FileTypeExt::is_fifo(&m.file_type())) =>
            {
                *fifo = FifoWait::Reader;
                return Err(errno::nxio);
            }
            Err(e) => return Err(io(e)),
        };
        // The type, from what the open already says where it can:
        // O_DIRECTORY opens only a directory, and O_CREAT|O_EXCL only
        // creates a regular file; else one `fstat`.
        let kind = if want_dir {
            rustix::fs::FileType::Directory
        } else if of.contains(oflags::creat.union(oflags::excl)) {
            rustix::fs::FileType::RegularFile
        } else {
            rustix::fs::FileType::from_raw_mode(rustix::fs::fstat(&file).map_err(sys)?.st_mode)
        };
        // O_NONBLOCK stays on a regular file or a directory, where Linux
        // ignores it (and the guest's flags are the table's); anything else
        // gets the blocking fd it asked for, a FIFO for reading once a
        // writer has come.
        if blocking
            && !matches!(
                kind,
                rustix::fs::FileType::RegularFile | rustix::fs::FileType::Directory
            )
        {
            if kind == rustix::fs::FileType::Fifo && !write_access {
                *fifo = FifoWait::Writer(AsFd::as_fd(&file).try_clone_to_owned().map_err(io)?);
            } else {
                super::fifo::set_blocking(AsFd::as_fd(&file))?;
            }
        }
        let (object, ft) = match kind {
            rustix::fs::FileType::Directory => {
                // The parent's inode, for the `..` entry of fd_readdir: of
                // a plain name opened directly (not a symlink), the
                // directory it was opened from; else cap-std resolves
                // `path/..` inside the sandbox or refuses.
                let parent_ino = if opened_directly {
                    d.own_ino()
                } else {
                    d.dir.metadata(path.join("..")).ok().map(|m| m.ino())
                };
                let mut sub = DirFd::new(Dir::from_std_file(file.into_std()), None);
                sub.parent_ino = parent_ino;
                (FdObject::Dir(sub), filetype::directory)
            }
            t => {
                let ft = match t {
                    rustix::fs::FileType::RegularFile => filetype::regular_file,
                    rustix::fs::FileType::CharacterDevice => filetype::character_device,
                    rustix::fs::FileType::BlockDevice => filetype::block_device,
                    rustix::fs::FileType::Socket => filetype::socket_stream,
                    _ => filetype::unknown,
                };
                (FdObject::File(FileFd::new(file, ft)), ft)
            }
        };
        let applicable = if ft == filetype::directory {
            DIR_RIGHTS
        } else {
            FILE_RIGHTS
        };
        let entry = FdEntry {
            object,
            rights_base: base.intersection(allowed).intersection(applicable),
            rights_inheriting: inheriting.intersection(allowed),
            // Checked above to hold defined bits only.
            flags,
        };
        self.fds.insert(entry)
    }

    pub(crate) fn path_create_directory(
        &mut self,
        ctx: &Ctx,
        fd: u32,
        path: WasmSlicePtr<u8>,
        len: u32,
    ) -> Result<(), errno> {
        let d = dir_of(self.fds, fd, rights::path_create_directory)?;
        // `mkdir("d/.")` is `exist` (when `d` exists), as in Linux.
        refuse_dot(&d.dir, guest_path(ctx, path, len)?, errno::exist)?;
        d.dir
            .create_dir(guest_path_dir(ctx, path, len)?.0)
            .map_err(io)
    }

    pub(crate) fn path_remove_directory(
        &mut self,
        ctx: &Ctx,
        fd: u32,
        path: WasmSlicePtr<u8>,
        len: u32,
    ) -> Result<(), errno> {
        let d = dir_of(self.fds, fd, rights::path_remove_directory)?;
        // POSIX: `rmdir` of a name ending in `.` or `..` fails, `inval` for
        // `.` (and `..`, as wasmtime; Linux says `notempty`). Never the
        // directory the dot stands for.
        refuse_dot(&d.dir, guest_path(ctx, path, len)?, errno::inval)?;
        d.dir
            .remove_dir(guest_path_dir(ctx, path, len)?.0)
            .map_err(io)
    }

    pub(crate) fn path_unlink_file(
        &mut self,
        ctx: &Ctx,
        fd: u32,
        path: WasmSlicePtr<u8>,
        len: u32,
    ) -> Result<(), errno> {
        let d = dir_of(self.fds, fd, rights::path_unlink_file)?;
        // `.` and `..` are directories: `isdir`, as in Linux.
        refuse_dot(&d.dir, guest_path(ctx, path, len)?, errno::isdir)?;
        let (path, slash) = guest_path_dir(ctx, path, len)?;
        if slash {
            // `file/` is not a directory; `dir/` is one, and not a file.
            must_be_dir(&d.dir, path)?;
            return Err(errno::isdir);
        }
        d.dir.remove_file(path).map_err(io)
    }

    pub(crate) fn path_filestat_get(
        &mut self,
        ctx: &Ctx,
        fd: u32,
        flags: lookupflags,
        path: WasmSlicePtr<u8>,
        len: u32,
    ) -> Result<filestat, errno> {
        let d = dir_of(self.fds, fd, rights::path_filestat_get)?;
        known_lookupflags(flags)?;
        let (path, slash) = guest_path_dir(ctx, path, len)?;
        let meta = if flags.contains(lookupflags::symlink_follow) || slash {
            stat_follow(&d.dir, path)
        } else {
            d.dir.symlink_metadata(path)
        }
        .map_err(io)?;
        if slash && !meta.is_dir() {
            return Err(errno::notdir);
        }
        Ok(filestat_of(&meta))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn path_filestat_set_times(
        &mut self,
        ctx: &Ctx,
        fd: u32,
        flags: lookupflags,
        path: WasmSlicePtr<u8>,
        len: u32,
        atim: timestamp,
        mtim: timestamp,
        fst: fstflags,
    ) -> Result<(), errno> {
        let d = dir_of(self.fds, fd, rights::path_filestat_set_times)?;
        known_lookupflags(flags)?;
        let (path, slash) = guest_path_dir(ctx, path, len)?;
        let (a, m) = time_specs(atim, mtim, fst)?;
        if slash && !d.dir.metadata(path).map_err(io)?.is_dir() {
            return Err(errno::notdir);
        }
        if flags.contains(lookupflags::symlink_follow) || slash {
            d.dir.set_times(path, a, m)
        } else {
            d.dir.set_symlink_times(path, a, m)
        }
        .map_err(io)
    }

    pub(crate) fn path_readlink(
        &mut self,
        ctx: &mut Ctx,
        fd: u32,
        path: WasmSlicePtr<u8>,
        len: u32,
        buf: WasmSlicePtr<u8>,
        buf_len: u32,
    ) -> Result<u32, errno> {
        let d = dir_of(self.fds, fd, rights::path_readlink)?;
        let target = d
            .dir
            .read_link_contents(guest_path(ctx, path, len)?)
            .map_err(io)?;
        // Like readlink(2): as much as fits, no NUL, no error when cut.
        let bytes = target.as_os_str().as_bytes();
        let n = bytes.len().min(buf_len as usize);
        ctx.copy_to(buf, &bytes[..n])?;
        Ok(n as u32)
    }

    pub(crate) fn path_symlink(
        &mut self,
        ctx: &Ctx,
        old: WasmSlicePtr<u8>,
        old_len: u32,
        fd: u32,
        new: WasmSlicePtr<u8>,
        new_len: u32,
    ) -> Result<(), errno> {
        let d = dir_of(self.fds, fd, rights::path_symlink)?;
        let target = guest_path(ctx, old, old_len)?;
        refuse_dot(&d.dir, guest_path(ctx, new, new_len)?, errno::exist)?;
        // cap-std refuses an absolute target: such a link could never be
        // followed inside the sandbox, and could mislead the host.
        d.dir
            .symlink(target, guest_path(ctx, new, new_len)?)
            .map_err(io)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn path_rename(
        &mut self,
        ctx: &Ctx,
        fd: u32,
        old: WasmSlicePtr<u8>,
        old_len: u32,
        new_fd: u32,
        new: WasmSlicePtr<u8>,
        new_len: u32,
    ) -> Result<(), errno> {
        // A closed fd on either side is `badf` before anything else.
        self.fds.get(fd)?;
        self.fds.get(new_fd)?;
        let from = dir_of(self.fds, fd, rights::path_rename_source)?;
        let to = dir_of(self.fds, new_fd, rights::path_rename_target)?;
        // POSIX: renaming from or to a name ending in `.` or `..` fails;
        // `busy`, as Linux and wasmtime answer (POSIX allows it).
        refuse_dot(&from.dir, guest_path(ctx, old, old_len)?, errno::busy)?;
        refuse_dot(&to.dir, guest_path(ctx, new, new_len)?, errno::busy)?;
        let (old, old_slash) = guest_path_dir(ctx, old, old_len)?;
        let (new, new_slash) = guest_path_dir(ctx, new, new_len)?;
        if old_slash || new_slash {
            // A slash on either side says "directory": the source must be one.
            slash_pair_check(&from.dir, old, &to.dir, new)?;
        }
        from.dir.rename(old, &to.dir, new).map_err(io)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn path_link(
        &mut self,
        ctx: &Ctx,
        old_fd: u32,
        old_flags: lookupflags,
        old: WasmSlicePtr<u8>,
        old_len: u32,
        new_fd: u32,
        new: WasmSlicePtr<u8>,
        new_len: u32,
    ) -> Result<(), errno> {
        self.fds.get(old_fd)?;
        self.fds.get(new_fd)?;
        let from = dir_of(self.fds, old_fd, rights::path_link_source)?;
        let to = dir_of(self.fds, new_fd, rights::path_link_target)?;
        known_lookupflags(old_flags)?;
        // Following a symlink at the source would resolve it outside
        // cap-std's checks; refused, as wasmtime does.
        if old_flags.contains(lookupflags::symlink_follow) {
            return Err(errno::inval);
        }
        // Linux: a hard link to `.`/`..` (directories) is `perm`; a new
        // name `.`/`..` already exists.
        refuse_dot(&from.dir, guest_path(ctx, old, old_len)?, errno::perm)?;
        refuse_dot(&to.dir, guest_path(ctx, new, new_len)?, errno::exist)?;
        let (old, old_slash) = guest_path_dir(ctx, old, old_len)?;
        let (new, new_slash) = guest_path_dir(ctx, new, new_len)?;
        if old_slash {
            // `dir/` is a directory, which cannot be hard-linked; `file/`
            // is not a directory.
            return Err(if from.dir.symlink_metadata(old).map_err(io)?.is_dir() {
                errno::perm
            } else {
                errno::notdir
            });
        }
        if new_slash {
            // As linkat(2): a new name with a trailing slash exists
            // (`exist`) or cannot be created as a non-directory (`noent`);
            // the source is resolved first.
            from.dir.symlink_metadata(old).map_err(io)?;
            return Err(match to.dir.symlink_metadata(new) {
                Ok(_) => errno::exist,
                Err(e) if e.kind() == io::ErrorKind::NotFound => errno::noent,
                Err(e) => io(e),
            });
        }
        from.dir.hard_link(old, &to.dir, new).map_err(io)
    }

    /// `fd_readdir`: entries from `cookie` on, as many as fit, the last
    /// one cut if it does not fit.
    pub(crate) fn fd_readdir(
        &mut self,
        ctx: &mut Ctx,
        fd: u32,
        buf: WasmSlicePtr<u8>,
        buf_len: u32,
        cookie: dircookie,
    ) -> Result<u32, errno> {
        let entry = self.fds.get_mut(fd)?;
        if !matches!(entry.object, FdObject::Dir(_)) {
            return Err(errno::notdir);
        }
        entry.require(rights::fd_readdir)?;
        let FdObject::Dir(d) = &mut entry.object else {
            return Err(errno::notdir);
        };
        ctx.check_array(buf, buf_len)?;
        if cookie == 0 || d.listing.is_none() {
            d.listing = None;
            let fresh = list(&d.dir, d.parent_ino)?;
            self.fds
                .drop_listings_beyond(LISTING_BUDGET.saturating_sub(fresh.bytes()));
            if let Ok(FdEntry {
                object: FdObject::Dir(d),
                ..
            }) = self.fds.get_mut(fd)
            {
                d.listing = Some(fresh);
            }
        }
        let out = ctx.bytes_mut(buf, buf_len)?;
        let Ok(FdEntry {
            object:
                FdObject::Dir(DirFd {
                    listing: Some(listing),
                    ..
                }),
            ..
        }) = self.fds.get(fd)
        else {
            return Ok(0);
        };
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        let mut used = 0usize;
        for (i, e) in listing.entries.iter().enumerate().skip(start) {
            let name = &listing.names[e.name.clone()];
            let mut head = [0u8; 24];
            dirent {
                d_next: i as u64 + 1,
                d_ino: e.ino,
                d_namlen: name.len() as u32,
                d_type: e.filetype,
            }
            .write_to(&mut head);
            for part in [&head[..], name] {
                let n = part.len().min(out.len() - used);
                out[used..used + n].copy_from_slice(&part[..n]);
                used += n;
            }
            if used == out.len() {
                break;
            }
        }
        Ok(used as u32)
    }
}

/// One pass over a directory: `.` and `..` first, then every entry with
/// its inode and type from the directory entry itself (no stat per entry,
/// unless the filesystem does not report types).
fn list(dir: &Dir, parent_ino: Option<u64>) -> Result<Listing, errno> {
    use std::os::unix::fs::DirEntryExt;
    let dot = rustix::fs::fstat(dir).map_err(sys)?.st_ino;
    // The parent of a preopen is outside the sandbox: its `..` reports the
    // directory's own inode.
    let dotdot = parent_ino.unwrap_or(dot);
    let mut names = b"...".to_vec();
    let mut entries = vec![
        Listed {
            name: 0..1,
            ino: dot,
            filetype: filetype::directory,
        },
        Listed {
            name: 1..3,
            ino: dotdot,
            filetype: filetype::directory,
        },
    ];
    for e in dir.entries().map_err(io)? {
        let e = e.map_err(io)?;
        let filetype = e.file_type().map(filetype_of).unwrap_or(filetype::unknown);
        let start = names.len();
        names.extend_from_slice(e.file_name().as_bytes());
        entries.push(Listed {
            name: start..names.len(),
            ino: e.ino(),
            filetype,
        });
    }
    Ok(Listing { names, entries })
}

/// File-data calls on one open file.
impl FileFd {
    /// Whether the host keeps the position (see [`FileFd::offset`]).
    #[inline]
    fn host_positioned(&self) -> bool {
        self.filetype == filetype::regular_file
    }

    /// The position of a regular file, read back from the host fd once
    /// after an `append` write.
    #[inline]
    fn position(&mut self) -> Result<filesize, errno> {
        let at = self.peek_position()?;
        if self.host_positioned() {
            self.offset = Some(at);
        }
        Ok(at)
    }

    /// Reads at the position into `buf`, advancing it; 0 at the end.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> Result<usize, errno> {
        if !self.host_positioned() {
            return loop {
                match self.file.read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r.map_err(io),
                }
            };
        }
        let at = self.position()?;
        // Beyond off_t: the end of any file.
        if at > i64::MAX as u64 {
            return Ok(0);
        }
        let n = loop {
            match rustix::io::pread(&self.file, &mut *buf, at) {
                Err(rustix::io::Errno::INTR) => continue,
                r => break r.map_err(sys)?,
            }
        };
        self.offset = Some(at + n as u64);
        Ok(n)
    }

    /// Writes `bufs` at the position (at the end for `append`, the fd's
    /// flag), advancing it; the position after an append is the new end,
    /// as in POSIX and wasmtime.
    pub(crate) fn write(&mut self, bufs: &[&[u8]], append: bool) -> Result<usize, errno> {
        if !self.host_positioned() {
            return super::stdio::write_fd(self.file.as_fd(), bufs).map_err(io);
        }
        if append {
            // The host fd has O_APPEND: the kernel writes at the end and
            // leaves its offset after what it wrote, the new end.
            let n = super::stdio::write_fd(self.file.as_fd(), bufs).map_err(io)?;
            self.offset = None;
            return Ok(n);
        }
        let at = self.position()?;
        if at > i64::MAX as u64 {
            return Err(errno::fbig);
        }
        let n = super::stdio::pwrite_fd(self.file.as_fd(), bufs, at).map_err(io)?;
        self.offset = Some(at + n as u64);
        Ok(n)
    }

    pub(crate) fn pread(&self, buf: &mut [u8], offset: filesize) -> Result<usize, errno> {
        rustix::io::pread(&self.file, buf, offset).map_err(sys)
    }

    pub(crate) fn pwrite(&self, buf: &[u8], offset: filesize) -> Result<usize, errno> {
        rustix::io::pwrite(&self.file, buf, offset).map_err(sys)
    }

    /// `fd_seek`. On a regular file any position from 0 to 2^64 - 1 can be
    /// reached (`inval` below 0 or beyond), computed by the host: `set`
    /// and `cur` without a syscall, `end` with one `fstat`.
    pub(crate) fn seek(&mut self, offset: i64, wh: whence) -> Result<filesize, errno> {
        if wh.raw() > whence::end.raw() {
            return Err(errno::inval);
        }
        if !self.host_positioned() {
            let pos = match wh {
                whence::set => {
                    let at = u64::try_from(offset).map_err(|_| errno::inval)?;
                    rustix::fs::SeekFrom::Start(at)
                }
                whence::cur => rustix::fs::SeekFrom::Current(offset),
                _ => rustix::fs::SeekFrom::End(offset),
            };
            return rustix::fs::seek(&self.file, pos).map_err(sys);
        }
        let base = match wh {
            whence::set => 0,
            whence::cur => self.position()?,
            _ => rustix::fs::fstat(&self.file).map_err(sys)?.st_size.max(0) as u64,
        };
        let target = base.checked_add_signed(offset).ok_or(errno::inval)?;
        self.offset = Some(target);
        Ok(target)
    }

    /// The current position (`fd_tell`).
    #[inline]
    pub(crate) fn tell(&mut self) -> Result<filesize, errno> {
        self.position()
    }

    /// The current position, without remembering it (for `poll_oneoff`,
    /// which only looks).
    #[inline]
    pub(crate) fn peek_position(&self) -> Result<filesize, errno> {
        match self.offset {
            Some(at) => Ok(at),
            None => rustix::fs::seek(&self.file, rustix::fs::SeekFrom::Current(0)).map_err(sys),
        }
    }

    pub(crate) fn advise(&self, offset: filesize, len: filesize, adv: advice) -> Result<(), errno> {
        use rustix::fs::Advice;
        let a = match adv {
            advice::normal => Advice::Normal,
            advice::sequential => Advice::Sequential,
            advice::random => Advice::Random,
            advice::willneed => Advice::WillNeed,
            advice::dontneed => Advice::DontNeed,
            advice::noreuse => Advice::NoReuse,
            _ => return Err(errno::inval),
        };
        rustix::fs::fadvise(&self.file, offset, NonZeroU64::new(len), a).map_err(sys)
    }

    pub(crate) fn allocate(&self, offset: filesize, len: filesize) -> Result<(), errno> {
        let end = offset.checked_add(len).ok_or(errno::fbig)?;
        if end > i64::MAX as u64 {
            return Err(errno::fbig);
        }
        if len == 0 {
            return Err(errno::inval);
        }
        match rustix::fs::fallocate(&self.file, rustix::fs::FallocateFlags::empty(), offset, len) {
            Ok(()) => Ok(()),
            // A filesystem without fallocate: growing the file gives the
            // same guarantee for reads, without reserving blocks.
            Err(rustix::io::Errno::OPNOTSUPP) => {
                let size = self.file.metadata().map_err(io)?.len();
                if end > size {
                    self.file.set_len(end).map_err(io)?;
                }
                Ok(())
            }
            Err(e) => Err(sys(e)),
        }
    }

    pub(crate) fn set_size(&self, size: filesize) -> Result<(), errno> {
        // ftruncate(2) takes an off_t: a size beyond it is an invalid
        // argument, not a file too big.
        if size > i64::MAX as u64 {
            return Err(errno::inval);
        }
        self.file.set_len(size).map_err(io)
    }
}

/// `fd_filestat_set_times` on any host fd.
pub(crate) fn set_fd_times(
    fd: BorrowedFd<'_>,
    atim: timestamp,
    mtim: timestamp,
    fst: fstflags,
) -> Result<(), errno> {
    let (a, m) = time_specs(atim, mtim, fst)?;
    let ts = rustix::fs::Timestamps {
        last_access: timespec(a),
        last_modification: timespec(m),
    };
    rustix::fs::futimens(fd, &ts).map_err(sys)
}

/// Applies `fd_fdstat_set_flags` to a host file or directory: `append` and
/// `nonblock` change the host fd (the caller refuses a change of the sync
/// flags, which only open can choose).
pub(crate) fn set_host_flags(fd: BorrowedFd<'_>, new: fdflags) -> Result<(), errno> {
    let mut fl = rustix::fs::fcntl_getfl(fd).map_err(sys)?;
    fl.set(rustix::fs::OFlags::APPEND, new.contains(fdflags::append));
    fl.set(
        rustix::fs::OFlags::NONBLOCK,
        new.contains(fdflags::nonblock),
    );
    rustix::fs::fcntl_setfl(fd, fl).map_err(sys)
}

impl FdObject {
    /// The host fd behind an fd, when there is one.
    pub(crate) fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            FdObject::Input(s) => s.host_fd(),
            FdObject::Output(s) => s.host_fd(),
            FdObject::File(f) => Some(f.file.as_fd()),
            FdObject::Dir(d) => Some(d.dir.as_fd()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::WasiHost;
    use crate::wasi_snapshot_preview1::NativeWasiImports;

    /// Lists `fd` from `cookie` through a 64-byte buffer: the names of
    /// the whole entries it got, and the cookie to go on from.
    fn some_names(host: &WasiHost, mem: &mut [u8], fd: u32, cookie: u64) -> (Vec<String>, u64) {
        let mut ctx = Ctx::new(mem);
        let (e, n) = host.fd_readdir(&mut ctx, fd, WasmSlicePtr::new(0), 64, cookie);
        assert_eq!(e, errno::success);
        let (mut names, mut next, mut at) = (Vec::new(), cookie, 0usize);
        while at + 24 <= n as usize {
            let d = dirent::read_from(&ctx.memory()[at..at + 24]);
            let end = at + 24 + d.d_namlen as usize;
            if end > n as usize {
                break;
            }
            names.push(String::from_utf8_lossy(&ctx.memory()[at + 24..end]).into_owned());
            next = d.d_next;
            at = end;
        }
        (names, next)
    }

    #[test]
    fn listings_dropped_past_the_budget_resume_at_their_cookie() {
        let dir = std::env::temp_dir().join(format!("wasihost-listing-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..40 {
            std::fs::write(dir.join(format!("entry{i:02}")), "").unwrap();
        }
        let host = WasiHost::builder().preopen_dir(&dir, "/d").build().unwrap();
        let mut mem = vec![0u8; 4096];
        let mut open = |host: &WasiHost| {
            let mut ctx = Ctx::new(&mut mem);
            ctx.copy_to(WasmSlicePtr::new(1024), b".").unwrap();
            let (e, fd) = host.path_open(
                &mut ctx,
                3,
                lookupflags::empty(),
                WasmSlicePtr::new(1024),
                1,
                oflags::directory,
                rights::fd_readdir,
                rights::empty(),
                fdflags::empty(),
            );
            assert_eq!(e, errno::success);
            fd
        };
        let (a, b) = (open(&host), open(&host));
        let mut mem = vec![0u8; 4096];
        let (mut seen_a, mut seen_b) = (Vec::new(), Vec::new());
        let (mut ca, mut cb) = (0, 0);
        loop {
            let (na, next_a) = some_names(&host, &mut mem, a, ca);
            let (nb, next_b) = some_names(&host, &mut mem, b, cb);
            // Every other round, both listings are dropped, as past the
            // budget: each fd reads its directory again at its cookie.
            if ca % 2 == 0 {
                host.fds().drop_listings_beyond(0);
            }
            if na.is_empty() && nb.is_empty() {
                break;
            }
            seen_a.extend(na);
            seen_b.extend(nb);
            (ca, cb) = (next_a, next_b);
        }
        let mut want: Vec<String> = (0..40).map(|i| format!("entry{i:02}")).collect();
        want.extend([".".to_string(), "..".to_string()]);
        want.sort();
        seen_a.sort();
        seen_b.sort();
        assert_eq!(seen_a, want);
        assert_eq!(seen_b, want);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
