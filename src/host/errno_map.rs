//! The one place where host errors become WASI errnos.

use std::io;

use crate::wasi_snapshot_preview1::types::errno;

/// The WASI errno for a host I/O error: by OS error number when there is
/// one, else by [`io::ErrorKind`] (cap-std reports sandbox escapes as
/// `PermissionDenied` with no OS number; those become `perm`).
pub fn from_io_error(e: &io::Error) -> errno {
    if let Some(GuestErrno(chosen)) = e.get_ref().and_then(|i| i.downcast_ref::<GuestErrno>()) {
        return *chosen;
    }
    match e.raw_os_error() {
        Some(code) => from_os_code(code),
        None => from_kind(e.kind()),
    }
}

/// An I/O error that carries the WASI errno the guest is to get: a stdio
/// reader or writer of the embedder (a callback) returns
/// `Err(GuestErrno(errno::nospc).into())` to fail the guest's call with
/// `nospc` rather than the errno its kind would map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestErrno(pub errno);

impl std::fmt::Display for GuestErrno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the guest gets errno {}", self.0.name())
    }
}

impl std::error::Error for GuestErrno {}

impl From<GuestErrno> for io::Error {
    fn from(e: GuestErrno) -> io::Error {
        io::Error::other(e)
    }
}

/// The WASI errno for a rustix error.
pub fn from_rustix(e: rustix::io::Errno) -> errno {
    from_os_code(e.raw_os_error())
}

/// The WASI errno for a host I/O error kind (when there is no OS error
/// number to go by).
pub fn from_kind(kind: io::ErrorKind) -> errno {
    use io::ErrorKind as K;
    match kind {
        K::NotFound => errno::noent,
        K::PermissionDenied => errno::perm,
        K::ConnectionRefused => errno::connrefused,
        K::ConnectionReset => errno::connreset,
        K::HostUnreachable => errno::hostunreach,
        K::NetworkUnreachable => errno::netunreach,
        K::ConnectionAborted => errno::connaborted,
        K::NotConnected => errno::notconn,
        K::AddrInUse => errno::addrinuse,
        K::AddrNotAvailable => errno::addrnotavail,
        K::NetworkDown => errno::netdown,
        K::BrokenPipe => errno::pipe,
        K::AlreadyExists => errno::exist,
        K::WouldBlock => errno::again,
        K::NotADirectory => errno::notdir,
        K::IsADirectory => errno::isdir,
        K::DirectoryNotEmpty => errno::notempty,
        K::ReadOnlyFilesystem => errno::rofs,
        K::StaleNetworkFileHandle => errno::stale,
        K::InvalidInput | K::InvalidData | K::InvalidFilename => errno::inval,
        K::TimedOut => errno::timedout,
        K::StorageFull => errno::nospc,
        K::NotSeekable => errno::spipe,
        K::QuotaExceeded => errno::dquot,
        K::FileTooLarge => errno::fbig,
        K::ResourceBusy => errno::busy,
        K::ExecutableFileBusy => errno::txtbsy,
        K::Deadlock => errno::deadlk,
        K::CrossesDevices => errno::xdev,
        K::TooManyLinks => errno::mlink,
        K::ArgumentListTooLong => errno::toobig,
        K::Interrupted => errno::intr,
        K::Unsupported => errno::notsup,
        K::OutOfMemory => errno::nomem,
        K::WriteZero | K::UnexpectedEof => errno::io,
        _ => errno::io,
    }
}

/// Maps a Linux/POSIX error number to its WASI errno; numbers WASI has no
/// name for become `io`.
pub fn from_os_code(code: i32) -> errno {
    match code {
        libc::E2BIG => errno::toobig,
        libc::EACCES => errno::acces,
        libc::EADDRINUSE => errno::addrinuse,
        libc::EADDRNOTAVAIL => errno::addrnotavail,
        libc::EAFNOSUPPORT => errno::afnosupport,
        libc::EAGAIN => errno::again,
        libc::EALREADY => errno::already,
        libc::EBADF => errno::badf,
        libc::EBADMSG => errno::badmsg,
        libc::EBUSY => errno::busy,
        libc::ECANCELED => errno::canceled,
        libc::ECHILD => errno::child,
        libc::ECONNABORTED => errno::connaborted,
        libc::ECONNREFUSED => errno::connrefused,
        libc::ECONNRESET => errno::connreset,
        libc::EDEADLK => errno::deadlk,
        libc::EDESTADDRREQ => errno::destaddrreq,
        libc::EDOM => errno::dom,
        libc::EDQUOT => errno::dquot,
        libc::EEXIST => errno::exist,
        libc::EFAULT => errno::fault,
        libc::EFBIG => errno::fbig,
        libc::EHOSTUNREACH => errno::hostunreach,
        libc::EIDRM => errno::idrm,
        libc::EILSEQ => errno::ilseq,
        libc::EINPROGRESS => errno::inprogress,
        libc::EINTR => errno::intr,
        libc::EINVAL => errno::inval,
        libc::EIO => errno::io,
        libc::EISCONN => errno::isconn,
        libc::EISDIR => errno::isdir,
        libc::ELOOP => errno::r#loop,
        libc::EMFILE => errno::mfile,
        libc::EMLINK => errno::mlink,
        libc::EMSGSIZE => errno::msgsize,
        libc::EMULTIHOP => errno::multihop,
        libc::ENAMETOOLONG => errno::nametoolong,
        libc::ENETDOWN => errno::netdown,
        libc::ENETRESET => errno::netreset,
        libc::ENETUNREACH => errno::netunreach,
        libc::ENFILE => errno::nfile,
        libc::ENOBUFS => errno::nobufs,
        libc::ENODEV => errno::nodev,
        libc::ENOENT => errno::noent,
        libc::ENOEXEC => errno::noexec,
        libc::ENOLCK => errno::nolck,
        libc::ENOLINK => errno::nolink,
        libc::ENOMEM => errno::nomem,
        libc::ENOMSG => errno::nomsg,
        libc::ENOPROTOOPT => errno::noprotoopt,
        libc::ENOSPC => errno::nospc,
        libc::ENOSYS => errno::nosys,
        libc::ENOTCONN => errno::notconn,
        libc::ENOTDIR => errno::notdir,
        libc::ENOTEMPTY => errno::notempty,
        libc::ENOTRECOVERABLE => errno::notrecoverable,
        libc::ENOTSOCK => errno::notsock,
        libc::ENOTSUP => errno::notsup,
        libc::ENOTTY => errno::notty,
        libc::ENXIO => errno::nxio,
        libc::EOVERFLOW => errno::overflow,
        libc::EOWNERDEAD => errno::ownerdead,
        libc::EPERM => errno::perm,
        libc::EPIPE => errno::pipe,
        libc::EPROTO => errno::proto,
        libc::EPROTONOSUPPORT => errno::protonosupport,
        libc::EPROTOTYPE => errno::prototype,
        libc::ERANGE => errno::range,
        libc::EROFS => errno::rofs,
        libc::ESPIPE => errno::spipe,
        libc::ESRCH => errno::srch,
        libc::ESTALE => errno::stale,
        libc::ETIMEDOUT => errno::timedout,
        libc::ETXTBSY => errno::txtbsy,
        libc::EXDEV => errno::xdev,
        _ => errno::io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_codes_map_by_number() {
        let e = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(from_io_error(&e), errno::noent);
        let e = io::Error::from_raw_os_error(libc::ELOOP);
        assert_eq!(from_io_error(&e), errno::r#loop);
        assert_eq!(from_rustix(rustix::io::Errno::SPIPE), errno::spipe);
        // EWOULDBLOCK is EAGAIN on Linux.
        assert_eq!(from_os_code(libc::EWOULDBLOCK), errno::again);
        assert_eq!(from_os_code(libc::ENOTRECOVERABLE), errno::notrecoverable);
        assert_eq!(from_os_code(9999), errno::io);
    }

    #[test]
    fn kinds_without_os_code_map_by_kind() {
        let e = io::Error::new(io::ErrorKind::PermissionDenied, "escape");
        assert_eq!(from_io_error(&e), errno::perm);
        let e = io::Error::new(io::ErrorKind::NotFound, "x");
        assert_eq!(from_io_error(&e), errno::noent);
        let e = io::Error::other("x");
        assert_eq!(from_io_error(&e), errno::io);
    }
}
