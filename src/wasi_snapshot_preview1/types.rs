#![allow(non_camel_case_types, non_upper_case_globals)]
//! The ABI types of WASI `wasi_snapshot_preview1`.
//!
//! Every type here mirrors a witx definition, with the witx name, and
//! implements [`GuestType`] with the wasm32 size, alignment and field
//! offsets of that definition. Enumerations and flag sets whose values come
//! from the guest are transparent newtypes over their integer
//! representation, so any value the guest writes can be carried through and
//! answered, never rejected by the decoder.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign};

use super::memory::{GuestType, WasmSlicePtr};

// ---------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------

macro_rules! guest_int {
    ($($t:ty),* $(,)?) => {
        $(
            impl GuestType for $t {
                const SIZE: u32 = size_of::<$t>() as u32;
                const ALIGN: u32 = size_of::<$t>() as u32;

                fn read_from(bytes: &[u8]) -> Self {
                    let mut raw = [0u8; size_of::<$t>()];
                    raw.copy_from_slice(&bytes[..size_of::<$t>()]);
                    <$t>::from_le_bytes(raw)
                }

                fn write_to(&self, bytes: &mut [u8]) {
                    bytes[..size_of::<$t>()].copy_from_slice(&self.to_le_bytes());
                }
            }
        )*
    };
}

guest_int!(u8, u16, u32, u64, i64);

/// Decodes the field of type `T` that starts at `offset` in `bytes`.
fn get<T: GuestType>(bytes: &[u8], offset: usize) -> T {
    T::read_from(&bytes[offset..offset + T::SIZE as usize])
}

/// Encodes `value` as the field of type `T` that starts at `offset` in
/// `bytes`, touching only that field's bytes.
fn put<T: GuestType>(bytes: &mut [u8], offset: usize, value: &T) {
    value.write_to(&mut bytes[offset..offset + T::SIZE as usize]);
}

/// An array size or length, in elements or bytes.
pub type size = u32;
/// A file descriptor handle.
pub type fd = u32;
/// Non-negative file size or length of a region within a file.
pub type filesize = u64;
/// Timestamp in nanoseconds.
pub type timestamp = u64;
/// Relative offset within a file.
pub type filedelta = i64;
/// A reference to the offset of a directory entry.
pub type dircookie = u64;
/// The length in bytes of the name of a directory entry.
pub type dirnamlen = u32;
/// Exit code returned by a process.
pub type exitcode = u32;
/// Number of hard links to an inode.
pub type linkcount = u64;
/// Identifier for a device containing a file system.
pub type device = u64;
/// File serial number, unique within its file system.
pub type inode = u64;
/// User-provided value that a subscription carries into its event.
pub type userdata = u64;

// ---------------------------------------------------------------------------
// errno
// ---------------------------------------------------------------------------

/// Number of defined [`errno`] values (`0..ERRNO_COUNT`).
pub const ERRNO_COUNT: usize = 77;

/// Error codes returned by functions. Not all of these may be returned by
/// every function.
#[repr(u16)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum errno {
    /// No error occurred; the call completed successfully.
    #[default]
    success = 0,
    /// Argument list too long.
    toobig = 1,
    /// Permission denied.
    acces = 2,
    /// Address already in use.
    addrinuse = 3,
    /// Address not available.
    addrnotavail = 4,
    /// Address family not supported.
    afnosupport = 5,
    /// Resource unavailable, or the operation would block.
    again = 6,
    /// A connection is already in progress.
    already = 7,
    /// Bad file descriptor.
    badf = 8,
    /// Bad message.
    badmsg = 9,
    /// Device or resource busy.
    busy = 10,
    /// Operation canceled.
    canceled = 11,
    /// No child processes.
    child = 12,
    /// Connection aborted.
    connaborted = 13,
    /// Connection refused.
    connrefused = 14,
    /// Connection reset.
    connreset = 15,
    /// Resource deadlock would occur.
    deadlk = 16,
    /// Destination address required.
    destaddrreq = 17,
    /// Mathematics argument out of domain of function.
    dom = 18,
    /// Reserved.
    dquot = 19,
    /// File exists.
    exist = 20,
    /// Bad address.
    fault = 21,
    /// File too large.
    fbig = 22,
    /// Host is unreachable.
    hostunreach = 23,
    /// Identifier removed.
    idrm = 24,
    /// Illegal byte sequence.
    ilseq = 25,
    /// Operation in progress.
    inprogress = 26,
    /// Interrupted function.
    intr = 27,
    /// Invalid argument.
    inval = 28,
    /// I/O error.
    io = 29,
    /// Socket is connected.
    isconn = 30,
    /// Is a directory.
    isdir = 31,
    /// Too many levels of symbolic links.
    r#loop = 32,
    /// File descriptor value too large.
    mfile = 33,
    /// Too many links.
    mlink = 34,
    /// Message too large.
    msgsize = 35,
    /// Reserved.
    multihop = 36,
    /// Filename too long.
    nametoolong = 37,
    /// Network is down.
    netdown = 38,
    /// Connection aborted by network.
    netreset = 39,
    /// Network unreachable.
    netunreach = 40,
    /// Too many files open in system.
    nfile = 41,
    /// No buffer space available.
    nobufs = 42,
    /// No such device.
    nodev = 43,
    /// No such file or directory.
    noent = 44,
    /// Executable file format error.
    noexec = 45,
    /// No locks available.
    nolck = 46,
    /// Reserved.
    nolink = 47,
    /// Not enough space.
    nomem = 48,
    /// No message of the desired type.
    nomsg = 49,
    /// Protocol not available.
    noprotoopt = 50,
    /// No space left on device.
    nospc = 51,
    /// Function not supported.
    nosys = 52,
    /// The socket is not connected.
    notconn = 53,
    /// Not a directory, or a symbolic link to a directory.
    notdir = 54,
    /// Directory not empty.
    notempty = 55,
    /// State not recoverable.
    notrecoverable = 56,
    /// Not a socket.
    notsock = 57,
    /// Not supported, or operation not supported on socket.
    notsup = 58,
    /// Inappropriate I/O control operation.
    notty = 59,
    /// No such device or address.
    nxio = 60,
    /// Value too large to be stored in data type.
    overflow = 61,
    /// Previous owner died.
    ownerdead = 62,
    /// Operation not permitted.
    perm = 63,
    /// Broken pipe.
    pipe = 64,
    /// Protocol error.
    proto = 65,
    /// Protocol not supported.
    protonosupport = 66,
    /// Protocol wrong type for socket.
    prototype = 67,
    /// Result too large.
    range = 68,
    /// Read-only file system.
    rofs = 69,
    /// Invalid seek.
    spipe = 70,
    /// No such process.
    srch = 71,
    /// Reserved.
    stale = 72,
    /// Connection timed out.
    timedout = 73,
    /// Text file busy.
    txtbsy = 74,
    /// Cross-device link.
    xdev = 75,
    /// Extension: capabilities insufficient.
    notcapable = 76,
}

/// Every [`errno`], indexed by its numeric value.
const ERRNO_TABLE: [errno; ERRNO_COUNT] = [
    errno::success,
    errno::toobig,
    errno::acces,
    errno::addrinuse,
    errno::addrnotavail,
    errno::afnosupport,
    errno::again,
    errno::already,
    errno::badf,
    errno::badmsg,
    errno::busy,
    errno::canceled,
    errno::child,
    errno::connaborted,
    errno::connrefused,
    errno::connreset,
    errno::deadlk,
    errno::destaddrreq,
    errno::dom,
    errno::dquot,
    errno::exist,
    errno::fault,
    errno::fbig,
    errno::hostunreach,
    errno::idrm,
    errno::ilseq,
    errno::inprogress,
    errno::intr,
    errno::inval,
    errno::io,
    errno::isconn,
    errno::isdir,
    errno::r#loop,
    errno::mfile,
    errno::mlink,
    errno::msgsize,
    errno::multihop,
    errno::nametoolong,
    errno::netdown,
    errno::netreset,
    errno::netunreach,
    errno::nfile,
    errno::nobufs,
    errno::nodev,
    errno::noent,
    errno::noexec,
    errno::nolck,
    errno::nolink,
    errno::nomem,
    errno::nomsg,
    errno::noprotoopt,
    errno::nospc,
    errno::nosys,
    errno::notconn,
    errno::notdir,
    errno::notempty,
    errno::notrecoverable,
    errno::notsock,
    errno::notsup,
    errno::notty,
    errno::nxio,
    errno::overflow,
    errno::ownerdead,
    errno::perm,
    errno::pipe,
    errno::proto,
    errno::protonosupport,
    errno::prototype,
    errno::range,
    errno::rofs,
    errno::spipe,
    errno::srch,
    errno::stale,
    errno::timedout,
    errno::txtbsy,
    errno::xdev,
    errno::notcapable,
];

impl errno {
    /// The numeric value of this code.
    pub const fn raw(self) -> u16 {
        self as u16
    }

    /// The code with numeric value `v`, or `None` if `v` is not defined.
    pub const fn from_raw(v: u16) -> Option<errno> {
        if (v as usize) < ERRNO_COUNT {
            Some(ERRNO_TABLE[v as usize])
        } else {
            None
        }
    }

    /// The witx name of this code, e.g. `"2big"`, `"loop"`, `"badf"`.
    pub fn name(self) -> &'static str {
        match self {
            errno::success => "success",
            errno::toobig => "2big",
            errno::acces => "acces",
            errno::addrinuse => "addrinuse",
            errno::addrnotavail => "addrnotavail",
            errno::afnosupport => "afnosupport",
            errno::again => "again",
            errno::already => "already",
            errno::badf => "badf",
            errno::badmsg => "badmsg",
            errno::busy => "busy",
            errno::canceled => "canceled",
            errno::child => "child",
            errno::connaborted => "connaborted",
            errno::connrefused => "connrefused",
            errno::connreset => "connreset",
            errno::deadlk => "deadlk",
            errno::destaddrreq => "destaddrreq",
            errno::dom => "dom",
            errno::dquot => "dquot",
            errno::exist => "exist",
            errno::fault => "fault",
            errno::fbig => "fbig",
            errno::hostunreach => "hostunreach",
            errno::idrm => "idrm",
            errno::ilseq => "ilseq",
            errno::inprogress => "inprogress",
            errno::intr => "intr",
            errno::inval => "inval",
            errno::io => "io",
            errno::isconn => "isconn",
            errno::isdir => "isdir",
            errno::r#loop => "loop",
            errno::mfile => "mfile",
            errno::mlink => "mlink",
            errno::msgsize => "msgsize",
            errno::multihop => "multihop",
            errno::nametoolong => "nametoolong",
            errno::netdown => "netdown",
            errno::netreset => "netreset",
            errno::netunreach => "netunreach",
            errno::nfile => "nfile",
            errno::nobufs => "nobufs",
            errno::nodev => "nodev",
            errno::noent => "noent",
            errno::noexec => "noexec",
            errno::nolck => "nolck",
            errno::nolink => "nolink",
            errno::nomem => "nomem",
            errno::nomsg => "nomsg",
            errno::noprotoopt => "noprotoopt",
            errno::nospc => "nospc",
            errno::nosys => "nosys",
            errno::notconn => "notconn",
            errno::notdir => "notdir",
            errno::notempty => "notempty",
            errno::notrecoverable => "notrecoverable",
            errno::notsock => "notsock",
            errno::notsup => "notsup",
            errno::notty => "notty",
            errno::nxio => "nxio",
            errno::overflow => "overflow",
            errno::ownerdead => "ownerdead",
            errno::perm => "perm",
            errno::pipe => "pipe",
            errno::proto => "proto",
            errno::protonosupport => "protonosupport",
            errno::prototype => "prototype",
            errno::range => "range",
            errno::rofs => "rofs",
            errno::spipe => "spipe",
            errno::srch => "srch",
            errno::stale => "stale",
            errno::timedout => "timedout",
            errno::txtbsy => "txtbsy",
            errno::xdev => "xdev",
            errno::notcapable => "notcapable",
        }
    }

    /// A short human-readable description, like `strerror`.
    pub fn message(self) -> &'static str {
        match self {
            errno::success => "Success",
            errno::toobig => "Argument list too long",
            errno::acces => "Permission denied",
            errno::addrinuse => "Address in use",
            errno::addrnotavail => "Address not available",
            errno::afnosupport => "Address family not supported",
            errno::again => "Resource temporarily unavailable",
            errno::already => "Operation already in progress",
            errno::badf => "Bad file descriptor",
            errno::badmsg => "Bad message",
            errno::busy => "Device or resource busy",
            errno::canceled => "Operation canceled",
            errno::child => "No child process",
            errno::connaborted => "Connection aborted",
            errno::connrefused => "Connection refused",
            errno::connreset => "Connection reset by peer",
            errno::deadlk => "Resource deadlock would occur",
            errno::destaddrreq => "Destination address required",
            errno::dom => "Mathematics argument out of domain",
            errno::dquot => "Disk quota exceeded",
            errno::exist => "File exists",
            errno::fault => "Bad address",
            errno::fbig => "File too large",
            errno::hostunreach => "Host is unreachable",
            errno::idrm => "Identifier removed",
            errno::ilseq => "Illegal byte sequence",
            errno::inprogress => "Operation in progress",
            errno::intr => "Interrupted function",
            errno::inval => "Invalid argument",
            errno::io => "I/O error",
            errno::isconn => "Socket is connected",
            errno::isdir => "Is a directory",
            errno::r#loop => "Too many levels of symbolic links",
            errno::mfile => "File descriptor value too large",
            errno::mlink => "Too many links",
            errno::msgsize => "Message too large",
            errno::multihop => "Multihop attempted",
            errno::nametoolong => "Filename too long",
            errno::netdown => "Network is down",
            errno::netreset => "Connection aborted by network",
            errno::netunreach => "Network unreachable",
            errno::nfile => "Too many files open in system",
            errno::nobufs => "No buffer space available",
            errno::nodev => "No such device",
            errno::noent => "No such file or directory",
            errno::noexec => "Executable file format error",
            errno::nolck => "No locks available",
            errno::nolink => "Link has been severed",
            errno::nomem => "Not enough space",
            errno::nomsg => "No message of the desired type",
            errno::noprotoopt => "Protocol not available",
            errno::nospc => "No space left on device",
            errno::nosys => "Function not supported",
            errno::notconn => "The socket is not connected",
            errno::notdir => "Not a directory",
            errno::notempty => "Directory not empty",
            errno::notrecoverable => "State not recoverable",
            errno::notsock => "Not a socket",
            errno::notsup => "Not supported",
            errno::notty => "Inappropriate I/O control operation",
            errno::nxio => "No such device or address",
            errno::overflow => "Value too large to be stored in data type",
            errno::ownerdead => "Previous owner died",
            errno::perm => "Operation not permitted",
            errno::pipe => "Broken pipe",
            errno::proto => "Protocol error",
            errno::protonosupport => "Protocol not supported",
            errno::prototype => "Protocol wrong type for socket",
            errno::range => "Result too large",
            errno::rofs => "Read-only file system",
            errno::spipe => "Invalid seek",
            errno::srch => "No such process",
            errno::stale => "Stale file handle",
            errno::timedout => "Connection timed out",
            errno::txtbsy => "Text file busy",
            errno::xdev => "Cross-device link",
            errno::notcapable => "Capabilities insufficient",
        }
    }
}

impl fmt::Display for errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.message())
    }
}

impl std::error::Error for errno {}

impl GuestType for errno {
    const SIZE: u32 = 2;
    const ALIGN: u32 = 2;

    /// Decodes a code; an undefined value decodes as [`errno::inval`].
    fn read_from(bytes: &[u8]) -> Self {
        errno::from_raw(u16::read_from(bytes)).unwrap_or(errno::inval)
    }

    fn write_to(&self, bytes: &mut [u8]) {
        self.raw().write_to(bytes);
    }
}

// ---------------------------------------------------------------------------
// Enumerations (open newtypes)
// ---------------------------------------------------------------------------

/// Adds `raw` and a [`GuestType`] impl to an enumeration newtype.
macro_rules! guest_enum {
    ($name:ident, $repr:ty) => {
        impl $name {
            /// The numeric value.
            pub const fn raw(self) -> $repr {
                self.raw
            }

            /// The value `v`, defined or not.
            pub const fn from_raw(v: $repr) -> Self {
                $name { raw: v }
            }
        }

        impl GuestType for $name {
            const SIZE: u32 = <$repr as GuestType>::SIZE;
            const ALIGN: u32 = <$repr as GuestType>::ALIGN;

            fn read_from(bytes: &[u8]) -> Self {
                $name {
                    raw: <$repr as GuestType>::read_from(bytes),
                }
            }

            fn write_to(&self, bytes: &mut [u8]) {
                self.raw.write_to(bytes);
            }
        }
    };
}

/// Identifiers for clocks.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct clockid {
    /// The numeric value as the guest passes it.
    pub raw: u32,
}

impl clockid {
    /// The clock measuring real time, in nanoseconds since the Unix epoch.
    pub const realtime: clockid = clockid { raw: 0 };
    /// A clock that cannot be set and is strictly increasing from an
    /// unspecified point in the past.
    pub const monotonic: clockid = clockid { raw: 1 };
    /// The CPU-time clock of the current process.
    pub const process_cputime_id: clockid = clockid { raw: 2 };
    /// The CPU-time clock of the current thread.
    pub const thread_cputime_id: clockid = clockid { raw: 3 };
}
guest_enum!(clockid, u32);

/// The type of a file descriptor or file.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct filetype {
    /// The numeric value as the guest passes it.
    pub raw: u8,
}

impl filetype {
    /// The type is unknown or differs from the types below.
    pub const unknown: filetype = filetype { raw: 0 };
    /// A block device inode.
    pub const block_device: filetype = filetype { raw: 1 };
    /// A character device inode.
    pub const character_device: filetype = filetype { raw: 2 };
    /// A directory inode.
    pub const directory: filetype = filetype { raw: 3 };
    /// A regular file inode.
    pub const regular_file: filetype = filetype { raw: 4 };
    /// A datagram socket.
    pub const socket_dgram: filetype = filetype { raw: 5 };
    /// A byte-stream socket.
    pub const socket_stream: filetype = filetype { raw: 6 };
    /// A symbolic link inode.
    pub const symbolic_link: filetype = filetype { raw: 7 };
}
guest_enum!(filetype, u8);

/// File or memory access pattern advice.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct advice {
    /// The numeric value as the guest passes it.
    pub raw: u8,
}

impl advice {
    /// No advice for the specified data.
    pub const normal: advice = advice { raw: 0 };
    /// The data will be accessed sequentially, from lower to higher offsets.
    pub const sequential: advice = advice { raw: 1 };
    /// The data will be accessed in random order.
    pub const random: advice = advice { raw: 2 };
    /// The data will be accessed in the near future.
    pub const willneed: advice = advice { raw: 3 };
    /// The data will not be accessed in the near future.
    pub const dontneed: advice = advice { raw: 4 };
    /// The data will be accessed only once.
    pub const noreuse: advice = advice { raw: 5 };
}
guest_enum!(advice, u8);

/// The position an offset is relative to.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct whence {
    /// The numeric value as the guest passes it.
    pub raw: u8,
}

impl whence {
    /// Seek relative to the start of the file.
    pub const set: whence = whence { raw: 0 };
    /// Seek relative to the current position.
    pub const cur: whence = whence { raw: 1 };
    /// Seek relative to the end of the file.
    pub const end: whence = whence { raw: 2 };
}
guest_enum!(whence, u8);

/// Type of a subscription to an event, or of the event it produced.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct eventtype {
    /// The numeric value as the guest passes it.
    pub raw: u8,
}

impl eventtype {
    /// The time of the given clock has reached the requested timestamp.
    pub const clock: eventtype = eventtype { raw: 0 };
    /// The file descriptor has data available for reading.
    pub const fd_read: eventtype = eventtype { raw: 1 };
    /// The file descriptor has capacity available for writing.
    pub const fd_write: eventtype = eventtype { raw: 2 };
}
guest_enum!(eventtype, u8);

/// Signal condition.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct signal {
    /// The numeric value as the guest passes it.
    pub raw: u8,
}

impl signal {
    /// No signal; reserved.
    pub const none: signal = signal { raw: 0 };
    /// Hangup. Default action: terminate.
    pub const hup: signal = signal { raw: 1 };
    /// Terminal interrupt. Default action: terminate.
    pub const int: signal = signal { raw: 2 };
    /// Terminal quit. Default action: terminate.
    pub const quit: signal = signal { raw: 3 };
    /// Illegal instruction. Default action: terminate.
    pub const ill: signal = signal { raw: 4 };
    /// Trace or breakpoint trap. Default action: terminate.
    pub const trap: signal = signal { raw: 5 };
    /// Process abort. Default action: terminate.
    pub const abrt: signal = signal { raw: 6 };
    /// Access to an undefined portion of a memory object. Default action:
    /// terminate.
    pub const bus: signal = signal { raw: 7 };
    /// Erroneous arithmetic operation. Default action: terminate.
    pub const fpe: signal = signal { raw: 8 };
    /// Kill. Default action: terminate.
    pub const kill: signal = signal { raw: 9 };
    /// User-defined signal 1. Default action: terminate.
    pub const usr1: signal = signal { raw: 10 };
    /// Invalid memory reference. Default action: terminate.
    pub const segv: signal = signal { raw: 11 };
    /// User-defined signal 2. Default action: terminate.
    pub const usr2: signal = signal { raw: 12 };
    /// Write on a pipe with no one to read it. Default action: ignore.
    pub const pipe: signal = signal { raw: 13 };
    /// Alarm clock. Default action: terminate.
    pub const alrm: signal = signal { raw: 14 };
    /// Termination signal. Default action: terminate.
    pub const term: signal = signal { raw: 15 };
    /// Child process terminated, stopped or continued. Default action:
    /// ignore.
    pub const chld: signal = signal { raw: 16 };
    /// Continue executing if stopped. Default action: continue.
    pub const cont: signal = signal { raw: 17 };
    /// Stop executing. Default action: stop.
    pub const stop: signal = signal { raw: 18 };
    /// Terminal stop. Default action: stop.
    pub const tstp: signal = signal { raw: 19 };
    /// Background process attempting to read. Default action: stop.
    pub const ttin: signal = signal { raw: 20 };
    /// Background process attempting to write. Default action: stop.
    pub const ttou: signal = signal { raw: 21 };
    /// High-bandwidth data available at a socket. Default action: ignore.
    pub const urg: signal = signal { raw: 22 };
    /// CPU time limit exceeded. Default action: terminate.
    pub const xcpu: signal = signal { raw: 23 };
    /// File size limit exceeded. Default action: terminate.
    pub const xfsz: signal = signal { raw: 24 };
    /// Virtual timer expired. Default action: terminate.
    pub const vtalrm: signal = signal { raw: 25 };
    /// Profiling timer expired. Default action: terminate.
    pub const prof: signal = signal { raw: 26 };
    /// Window changed. Default action: ignore.
    pub const winch: signal = signal { raw: 27 };
    /// I/O possible. Default action: terminate.
    pub const poll: signal = signal { raw: 28 };
    /// Power failure. Default action: terminate.
    pub const pwr: signal = signal { raw: 29 };
    /// Bad system call. Default action: terminate.
    pub const sys: signal = signal { raw: 30 };
}
guest_enum!(signal, u8);

/// Identifiers for preopened capabilities.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct preopentype {
    /// The numeric value as the guest passes it.
    pub raw: u8,
}

impl preopentype {
    /// A pre-opened directory.
    pub const dir: preopentype = preopentype { raw: 0 };
}
guest_enum!(preopentype, u8);

// ---------------------------------------------------------------------------
// Flag sets
// ---------------------------------------------------------------------------

/// Adds the set operations, the bit-operator impls and a [`GuestType`] impl
/// to a flag-set newtype. `$flag` lists every defined bit, for `all`.
macro_rules! guest_flags {
    ($name:ident, $repr:ty, [$($flag:ident),* $(,)?]) => {
        impl $name {
            /// The set with no bits.
            pub const fn empty() -> Self {
                $name { raw: 0 }
            }

            /// The witx name and bits of each defined flag, in witx order.
            pub const NAMES: &'static [(&'static str, $repr)] =
                &[$((stringify!($flag), $name::$flag.raw)),*];

            /// The set of every defined bit.
            pub const fn all() -> Self {
                $name { raw: 0 $(| $name::$flag.raw)* }
            }

            /// The raw bits.
            pub const fn bits(self) -> $repr {
                self.raw
            }

            /// The set with bits `v`, undefined bits included.
            pub const fn from_raw(v: $repr) -> Self {
                $name { raw: v }
            }

            /// Whether every bit of `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.raw & other.raw == other.raw
            }

            /// Whether `self` and `other` share at least one bit.
            pub const fn intersects(self, other: Self) -> bool {
                self.raw & other.raw != 0
            }

            /// The bits set in either `self` or `other`.
            pub const fn union(self, other: Self) -> Self {
                $name { raw: self.raw | other.raw }
            }

            /// The bits set in both `self` and `other`.
            pub const fn intersection(self, other: Self) -> Self {
                $name { raw: self.raw & other.raw }
            }

            /// The bits of `self` that are not set in `other`.
            pub const fn difference(self, other: Self) -> Self {
                $name { raw: self.raw & !other.raw }
            }

            /// Whether no bit is set.
            pub const fn is_empty(self) -> bool {
                self.raw == 0
            }

            /// The set with bits `v`, or `None` if `v` has an undefined bit.
            pub const fn from_bits(v: $repr) -> Option<Self> {
                if v & !Self::all().raw == 0 {
                    Some($name { raw: v })
                } else {
                    None
                }
            }
        }

        impl BitOr for $name {
            type Output = Self;

            fn bitor(self, rhs: Self) -> Self {
                self.union(rhs)
            }
        }

        impl BitAnd for $name {
            type Output = Self;

            fn bitand(self, rhs: Self) -> Self {
                self.intersection(rhs)
            }
        }

        impl BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: Self) {
                self.raw |= rhs.raw;
            }
        }

        impl GuestType for $name {
            const SIZE: u32 = <$repr as GuestType>::SIZE;
            const ALIGN: u32 = <$repr as GuestType>::ALIGN;

            fn read_from(bytes: &[u8]) -> Self {
                $name { raw: <$repr as GuestType>::read_from(bytes) }
            }

            fn write_to(&self, bytes: &mut [u8]) {
                self.raw.write_to(bytes);
            }
        }
    };
}

/// File descriptor rights, determining which actions may be performed.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct rights {
    /// The numeric value as the guest passes it.
    pub raw: u64,
}

impl rights {
    /// The right to invoke `fd_datasync`; with `path_open`, to open with
    /// `fdflags::dsync`.
    pub const fd_datasync: rights = rights { raw: 1 << 0 };
    /// The right to invoke `fd_read` and `sock_recv`; with `fd_seek`, also
    /// `fd_pread`.
    pub const fd_read: rights = rights { raw: 1 << 1 };
    /// The right to invoke `fd_seek`; implies `fd_tell`.
    pub const fd_seek: rights = rights { raw: 1 << 2 };
    /// The right to invoke `fd_fdstat_set_flags`.
    pub const fd_fdstat_set_flags: rights = rights { raw: 1 << 3 };
    /// The right to invoke `fd_sync`; with `path_open`, to open with
    /// `fdflags::rsync` and `fdflags::dsync`.
    pub const fd_sync: rights = rights { raw: 1 << 4 };
    /// The right to invoke `fd_seek` only in ways that leave the offset
    /// unchanged, or `fd_tell`.
    pub const fd_tell: rights = rights { raw: 1 << 5 };
    /// The right to invoke `fd_write` and `sock_send`; with `fd_seek`, also
    /// `fd_pwrite`.
    pub const fd_write: rights = rights { raw: 1 << 6 };
    /// The right to invoke `fd_advise`.
    pub const fd_advise: rights = rights { raw: 1 << 7 };
    /// The right to invoke `fd_allocate`.
    pub const fd_allocate: rights = rights { raw: 1 << 8 };
    /// The right to invoke `path_create_directory`.
    pub const path_create_directory: rights = rights { raw: 1 << 9 };
    /// With `path_open`, the right to create files with `oflags::creat`.
    pub const path_create_file: rights = rights { raw: 1 << 10 };
    /// The right to invoke `path_link` with the descriptor as the source
    /// directory.
    pub const path_link_source: rights = rights { raw: 1 << 11 };
    /// The right to invoke `path_link` with the descriptor as the target
    /// directory.
    pub const path_link_target: rights = rights { raw: 1 << 12 };
    /// The right to invoke `path_open`.
    pub const path_open: rights = rights { raw: 1 << 13 };
    /// The right to invoke `fd_readdir`.
    pub const fd_readdir: rights = rights { raw: 1 << 14 };
    /// The right to invoke `path_readlink`.
    pub const path_readlink: rights = rights { raw: 1 << 15 };
    /// The right to invoke `path_rename` with the descriptor as the source
    /// directory.
    pub const path_rename_source: rights = rights { raw: 1 << 16 };
    /// The right to invoke `path_rename` with the descriptor as the target
    /// directory.
    pub const path_rename_target: rights = rights { raw: 1 << 17 };
    /// The right to invoke `path_filestat_get`.
    pub const path_filestat_get: rights = rights { raw: 1 << 18 };
    /// The right to change a file's size (via `path_open` with
    /// `oflags::trunc`).
    pub const path_filestat_set_size: rights = rights { raw: 1 << 19 };
    /// The right to invoke `path_filestat_set_times`.
    pub const path_filestat_set_times: rights = rights { raw: 1 << 20 };
    /// The right to invoke `fd_filestat_get`.
    pub const fd_filestat_get: rights = rights { raw: 1 << 21 };
    /// The right to invoke `fd_filestat_set_size`.
    pub const fd_filestat_set_size: rights = rights { raw: 1 << 22 };
    /// The right to invoke `fd_filestat_set_times`.
    pub const fd_filestat_set_times: rights = rights { raw: 1 << 23 };
    /// The right to invoke `path_symlink`.
    pub const path_symlink: rights = rights { raw: 1 << 24 };
    /// The right to invoke `path_remove_directory`.
    pub const path_remove_directory: rights = rights { raw: 1 << 25 };
    /// The right to invoke `path_unlink_file`.
    pub const path_unlink_file: rights = rights { raw: 1 << 26 };
    /// With `fd_read`/`fd_write`, the right to subscribe to the descriptor
    /// in `poll_oneoff`.
    pub const poll_fd_readwrite: rights = rights { raw: 1 << 27 };
    /// The right to invoke `sock_shutdown`.
    pub const sock_shutdown: rights = rights { raw: 1 << 28 };
    /// The right to invoke `sock_accept`.
    pub const sock_accept: rights = rights { raw: 1 << 29 };
}
guest_flags!(
    rights,
    u64,
    [
        fd_datasync,
        fd_read,
        fd_seek,
        fd_fdstat_set_flags,
        fd_sync,
        fd_tell,
        fd_write,
        fd_advise,
        fd_allocate,
        path_create_directory,
        path_create_file,
        path_link_source,
        path_link_target,
        path_open,
        fd_readdir,
        path_readlink,
        path_rename_source,
        path_rename_target,
        path_filestat_get,
        path_filestat_set_size,
        path_filestat_set_times,
        fd_filestat_get,
        fd_filestat_set_size,
        fd_filestat_set_times,
        path_symlink,
        path_remove_directory,
        path_unlink_file,
        poll_fd_readwrite,
        sock_shutdown,
        sock_accept,
    ]
);

/// File descriptor flags.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct fdflags {
    /// The numeric value as the guest passes it.
    pub raw: u16,
}

impl fdflags {
    /// Append mode: data written goes to the end of the file.
    pub const append: fdflags = fdflags { raw: 1 };
    /// Write according to synchronized I/O data integrity completion.
    pub const dsync: fdflags = fdflags { raw: 2 };
    /// Non-blocking mode.
    pub const nonblock: fdflags = fdflags { raw: 4 };
    /// Synchronized read I/O operations.
    pub const rsync: fdflags = fdflags { raw: 8 };
    /// Write according to synchronized I/O file integrity completion.
    pub const sync: fdflags = fdflags { raw: 16 };
}
guest_flags!(fdflags, u16, [append, dsync, nonblock, rsync, sync]);

/// Open flags used by `path_open`.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct oflags {
    /// The numeric value as the guest passes it.
    pub raw: u16,
}

impl oflags {
    /// Create the file if it does not exist.
    pub const creat: oflags = oflags { raw: 1 };
    /// Fail if the path is not a directory.
    pub const directory: oflags = oflags { raw: 2 };
    /// Fail if the file already exists.
    pub const excl: oflags = oflags { raw: 4 };
    /// Truncate the file to size 0.
    pub const trunc: oflags = oflags { raw: 8 };
}
guest_flags!(oflags, u16, [creat, directory, excl, trunc]);

/// Flags determining how a path is resolved.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct lookupflags {
    /// The numeric value as the guest passes it.
    pub raw: u32,
}

impl lookupflags {
    /// Expand a final symbolic link, if any, instead of acting on it.
    pub const symlink_follow: lookupflags = lookupflags { raw: 1 };
}
guest_flags!(lookupflags, u32, [symlink_follow]);

/// Which file time attributes to adjust.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct fstflags {
    /// The numeric value as the guest passes it.
    pub raw: u16,
}

impl fstflags {
    /// Set the access time to the given value.
    pub const atim: fstflags = fstflags { raw: 1 };
    /// Set the access time to the current time.
    pub const atim_now: fstflags = fstflags { raw: 2 };
    /// Set the modification time to the given value.
    pub const mtim: fstflags = fstflags { raw: 4 };
    /// Set the modification time to the current time.
    pub const mtim_now: fstflags = fstflags { raw: 8 };
}
guest_flags!(fstflags, u16, [atim, atim_now, mtim, mtim_now]);

/// Flags given to `sock_recv`.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct riflags {
    /// The numeric value as the guest passes it.
    pub raw: u16,
}

impl riflags {
    /// Return the data without removing it from the queue.
    pub const recv_peek: riflags = riflags { raw: 1 };
    /// Block until the full amount of data is available.
    pub const recv_waitall: riflags = riflags { raw: 2 };
}
guest_flags!(riflags, u16, [recv_peek, recv_waitall]);

/// Flags returned by `sock_recv`.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct roflags {
    /// The numeric value as the guest passes it.
    pub raw: u16,
}

impl roflags {
    /// The message data was truncated.
    pub const recv_data_truncated: roflags = roflags { raw: 1 };
}
guest_flags!(roflags, u16, [recv_data_truncated]);

/// Flags given to `sock_send`; none are defined.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct siflags {
    /// The numeric value as the guest passes it.
    pub raw: u16,
}

guest_flags!(siflags, u16, []);

/// Which channels of a socket to shut down.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct sdflags {
    /// The numeric value as the guest passes it.
    pub raw: u8,
}

impl sdflags {
    /// Disable further receive operations.
    pub const rd: sdflags = sdflags { raw: 1 };
    /// Disable further send operations.
    pub const wr: sdflags = sdflags { raw: 2 };
}
guest_flags!(sdflags, u8, [rd, wr]);

/// State of a file descriptor reported with an `fd_read`/`fd_write` event.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct eventrwflags {
    /// The numeric value as the guest passes it.
    pub raw: u16,
}

impl eventrwflags {
    /// The peer of this socket has closed or disconnected.
    pub const fd_readwrite_hangup: eventrwflags = eventrwflags { raw: 1 };
}
guest_flags!(eventrwflags, u16, [fd_readwrite_hangup]);

/// Flags of a clock subscription.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct subclockflags {
    /// The numeric value as the guest passes it.
    pub raw: u16,
}

impl subclockflags {
    /// The timeout is an absolute time of the clock rather than relative to
    /// its current time.
    pub const subscription_clock_abstime: subclockflags = subclockflags { raw: 1 };
}
guest_flags!(subclockflags, u16, [subscription_clock_abstime]);

// ---------------------------------------------------------------------------
// Structs
// ---------------------------------------------------------------------------

/// File descriptor attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct fdstat {
    /// File type.
    pub fs_filetype: filetype,
    /// File descriptor flags.
    pub fs_flags: fdflags,
    /// Rights that apply to this file descriptor.
    pub fs_rights_base: rights,
    /// Maximum set of rights that descriptors opened through this one may
    /// have.
    pub fs_rights_inheriting: rights,
}

impl GuestType for fdstat {
    const SIZE: u32 = 24;
    const ALIGN: u32 = 8;

    fn read_from(bytes: &[u8]) -> Self {
        fdstat {
            fs_filetype: get(bytes, 0),
            fs_flags: get(bytes, 2),
            fs_rights_base: get(bytes, 8),
            fs_rights_inheriting: get(bytes, 16),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.fs_filetype);
        put(bytes, 2, &self.fs_flags);
        put(bytes, 8, &self.fs_rights_base);
        put(bytes, 16, &self.fs_rights_inheriting);
    }
}

/// File attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct filestat {
    /// Device ID of the device containing the file.
    pub dev: device,
    /// File serial number.
    pub ino: inode,
    /// File type.
    pub filetype: filetype,
    /// Number of hard links to the file.
    pub nlink: linkcount,
    /// For regular files, the file size in bytes; for symbolic links, the
    /// length of the link target.
    pub size: filesize,
    /// Last data access timestamp.
    pub atim: timestamp,
    /// Last data modification timestamp.
    pub mtim: timestamp,
    /// Last file status change timestamp.
    pub ctim: timestamp,
}

impl GuestType for filestat {
    const SIZE: u32 = 64;
    const ALIGN: u32 = 8;

    fn read_from(bytes: &[u8]) -> Self {
        filestat {
            dev: get(bytes, 0),
            ino: get(bytes, 8),
            filetype: get(bytes, 16),
            nlink: get(bytes, 24),
            size: get(bytes, 32),
            atim: get(bytes, 40),
            mtim: get(bytes, 48),
            ctim: get(bytes, 56),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.dev);
        put(bytes, 8, &self.ino);
        put(bytes, 16, &self.filetype);
        put(bytes, 24, &self.nlink);
        put(bytes, 32, &self.size);
        put(bytes, 40, &self.atim);
        put(bytes, 48, &self.mtim);
        put(bytes, 56, &self.ctim);
    }
}

/// A directory entry header; the entry's name follows it in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct dirent {
    /// The cookie of the next directory entry.
    pub d_next: dircookie,
    /// The serial number of the file the entry refers to.
    pub d_ino: inode,
    /// The length of the name of the directory entry.
    pub d_namlen: dirnamlen,
    /// The type of the file the entry refers to.
    pub d_type: filetype,
}

impl GuestType for dirent {
    const SIZE: u32 = 24;
    const ALIGN: u32 = 8;

    fn read_from(bytes: &[u8]) -> Self {
        dirent {
            d_next: get(bytes, 0),
            d_ino: get(bytes, 8),
            d_namlen: get(bytes, 16),
            d_type: get(bytes, 20),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.d_next);
        put(bytes, 8, &self.d_ino);
        put(bytes, 16, &self.d_namlen);
        put(bytes, 20, &self.d_type);
    }
}

/// A region of guest memory to read data into (scatter input).
#[derive(Clone, Copy, Debug)]
pub struct iovec {
    /// The start of the buffer.
    pub buf: WasmSlicePtr<u8>,
    /// The length of the buffer in bytes.
    pub buf_len: size,
}

impl GuestType for iovec {
    const SIZE: u32 = 8;
    const ALIGN: u32 = 4;

    fn read_from(bytes: &[u8]) -> Self {
        iovec {
            buf: WasmSlicePtr::new(get(bytes, 0)),
            buf_len: get(bytes, 4),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.buf.offset());
        put(bytes, 4, &self.buf_len);
    }
}

/// A region of guest memory to write data from (gather output).
#[derive(Clone, Copy, Debug)]
pub struct ciovec {
    /// The start of the buffer.
    pub buf: WasmSlicePtr<u8>,
    /// The length of the buffer in bytes.
    pub buf_len: size,
}

impl GuestType for ciovec {
    const SIZE: u32 = 8;
    const ALIGN: u32 = 4;

    fn read_from(bytes: &[u8]) -> Self {
        ciovec {
            buf: WasmSlicePtr::new(get(bytes, 0)),
            buf_len: get(bytes, 4),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.buf.offset());
        put(bytes, 4, &self.buf_len);
    }
}

/// The contents of a [`prestat`] for a pre-opened directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct prestat_dir {
    /// The length of the directory name, for `fd_prestat_dir_name`.
    pub pr_name_len: size,
}

impl GuestType for prestat_dir {
    const SIZE: u32 = 4;
    const ALIGN: u32 = 4;

    fn read_from(bytes: &[u8]) -> Self {
        prestat_dir {
            pr_name_len: get(bytes, 0),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.pr_name_len);
    }
}

/// The payload of a [`prestat`]; `dir` is its only case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct prestat_u {
    /// The payload when the tag is [`preopentype::dir`].
    pub dir: prestat_dir,
}

impl GuestType for prestat_u {
    const SIZE: u32 = 4;
    const ALIGN: u32 = 4;

    fn read_from(bytes: &[u8]) -> Self {
        prestat_u { dir: get(bytes, 0) }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.dir);
    }
}

/// Information about a pre-opened capability (a tagged union).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct prestat {
    /// Which kind of capability this is.
    pub tag: preopentype,
    /// The payload for `tag`.
    pub u: prestat_u,
}

impl prestat {
    /// A pre-opened directory whose name is `pr_name_len` bytes long.
    pub const fn dir(pr_name_len: size) -> prestat {
        prestat {
            tag: preopentype::dir,
            u: prestat_u {
                dir: prestat_dir { pr_name_len },
            },
        }
    }
}

impl GuestType for prestat {
    const SIZE: u32 = 8;
    const ALIGN: u32 = 4;

    fn read_from(bytes: &[u8]) -> Self {
        prestat {
            tag: get(bytes, 0),
            u: get(bytes, 4),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.tag);
        put(bytes, 4, &self.u);
    }
}

/// The contents of a clock [`subscription`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct subscription_clock {
    /// The clock to compare the timeout against.
    pub id: clockid,
    /// The absolute or relative timestamp.
    pub timeout: timestamp,
    /// How much the host may coalesce or delay the wakeup.
    pub precision: timestamp,
    /// Flags, e.g. whether `timeout` is absolute.
    pub flags: subclockflags,
}

impl GuestType for subscription_clock {
    const SIZE: u32 = 32;
    const ALIGN: u32 = 8;

    fn read_from(bytes: &[u8]) -> Self {
        subscription_clock {
            id: get(bytes, 0),
            timeout: get(bytes, 8),
            precision: get(bytes, 16),
            flags: get(bytes, 24),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.id);
        put(bytes, 8, &self.timeout);
        put(bytes, 16, &self.precision);
        put(bytes, 24, &self.flags);
    }
}

/// The contents of an `fd_read` or `fd_write` [`subscription`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct subscription_fd_readwrite {
    /// The file descriptor to wait on.
    pub file_descriptor: fd,
}

impl GuestType for subscription_fd_readwrite {
    const SIZE: u32 = 4;
    const ALIGN: u32 = 4;

    fn read_from(bytes: &[u8]) -> Self {
        subscription_fd_readwrite {
            file_descriptor: get(bytes, 0),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.file_descriptor);
    }
}

/// The tagged contents of a [`subscription`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum subscription_u {
    /// Tag [`eventtype::clock`]: wait for a clock.
    clock(subscription_clock),
    /// Tag [`eventtype::fd_read`]: wait until a descriptor is readable.
    fd_read(subscription_fd_readwrite),
    /// Tag [`eventtype::fd_write`]: wait until a descriptor is writable.
    fd_write(subscription_fd_readwrite),
    /// A tag byte the guest wrote that names no event type; its payload is
    /// not decoded.
    unknown(u8),
}

impl subscription_u {
    /// The tag (event type) of this union.
    pub const fn tag(&self) -> eventtype {
        match self {
            subscription_u::clock(_) => eventtype::clock,
            subscription_u::fd_read(_) => eventtype::fd_read,
            subscription_u::fd_write(_) => eventtype::fd_write,
            subscription_u::unknown(tag) => eventtype { raw: *tag },
        }
    }
}

impl Default for subscription_u {
    fn default() -> Self {
        subscription_u::clock(subscription_clock::default())
    }
}

/// A subscription to an event, as passed to `poll_oneoff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct subscription {
    /// Value copied into the [`event`] this subscription produces.
    pub userdata: userdata,
    /// The kind of event and its parameters.
    pub u: subscription_u,
}

impl subscription {
    /// Offset of the union's tag byte.
    const TAG_OFFSET: usize = 8;
    /// Offset of the union's payload.
    const PAYLOAD_OFFSET: usize = 16;
}

impl GuestType for subscription {
    const SIZE: u32 = 48;
    const ALIGN: u32 = 8;

    fn read_from(bytes: &[u8]) -> Self {
        let tag: u8 = get(bytes, Self::TAG_OFFSET);
        let p = Self::PAYLOAD_OFFSET;
        let u = match (eventtype { raw: tag }) {
            eventtype::clock => subscription_u::clock(get(bytes, p)),
            eventtype::fd_read => subscription_u::fd_read(get(bytes, p)),
            eventtype::fd_write => subscription_u::fd_write(get(bytes, p)),
            _ => subscription_u::unknown(tag),
        };
        subscription {
            userdata: get(bytes, 0),
            u,
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.userdata);
        put(bytes, Self::TAG_OFFSET, &self.u.tag());
        let p = Self::PAYLOAD_OFFSET;
        match &self.u {
            subscription_u::clock(c) => put(bytes, p, c),
            subscription_u::fd_read(r) | subscription_u::fd_write(r) => put(bytes, p, r),
            subscription_u::unknown(_) => {}
        }
    }
}

/// The contents of an `fd_read` or `fd_write` [`event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct event_fd_readwrite {
    /// The number of bytes available for reading or writing.
    pub nbytes: filesize,
    /// The state of the file descriptor.
    pub flags: eventrwflags,
}

impl GuestType for event_fd_readwrite {
    const SIZE: u32 = 16;
    const ALIGN: u32 = 8;

    fn read_from(bytes: &[u8]) -> Self {
        event_fd_readwrite {
            nbytes: get(bytes, 0),
            flags: get(bytes, 8),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.nbytes);
        put(bytes, 8, &self.flags);
    }
}

/// An event that occurred, as written by `poll_oneoff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct event {
    /// The `userdata` of the subscription that produced this event.
    pub userdata: userdata,
    /// An error that occurred while processing the subscription, if any.
    pub error: errno,
    /// The type of event that occurred.
    pub r#type: eventtype,
    /// The contents of the event, for `fd_read` and `fd_write` events.
    pub fd_readwrite: event_fd_readwrite,
}

impl GuestType for event {
    const SIZE: u32 = 32;
    const ALIGN: u32 = 8;

    fn read_from(bytes: &[u8]) -> Self {
        event {
            userdata: get(bytes, 0),
            error: get(bytes, 8),
            r#type: get(bytes, 10),
            fd_readwrite: get(bytes, 16),
        }
    }

    fn write_to(&self, bytes: &mut [u8]) {
        put(bytes, 0, &self.userdata);
        put(bytes, 8, &self.error);
        put(bytes, 10, &self.r#type);
        put(bytes, 16, &self.fd_readwrite);
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `value` into a 0xAA-filled buffer and checks that exactly the
    /// bytes in `fields` (offset, expected little-endian bytes) were
    /// written, then returns the buffer.
    fn check_write<T: GuestType>(value: &T, fields: &[(usize, &[u8])]) -> Vec<u8> {
        let mut buf = vec![0xAA; T::SIZE as usize];
        value.write_to(&mut buf);
        let mut covered = vec![false; buf.len()];
        for (off, expected) in fields {
            assert_eq!(&buf[*off..*off + expected.len()], *expected, "field @{off}");
            for c in &mut covered[*off..*off + expected.len()] {
                assert!(!*c, "overlapping field @{off}");
                *c = true;
            }
        }
        for (i, (b, c)) in buf.iter().zip(&covered).enumerate() {
            if !c {
                assert_eq!(*b, 0xAA, "padding byte {i} was written");
            }
        }
        buf
    }

    fn sizes<T: GuestType>(size: u32, align: u32) {
        assert_eq!(T::SIZE, size);
        assert_eq!(T::ALIGN, align);
    }

    #[test]
    fn scalar_layouts() {
        sizes::<u8>(1, 1);
        sizes::<u16>(2, 2);
        sizes::<u32>(4, 4);
        sizes::<u64>(8, 8);
        sizes::<i64>(8, 8);
        sizes::<errno>(2, 2);
        sizes::<clockid>(4, 4);
        sizes::<filetype>(1, 1);
        sizes::<rights>(8, 8);
        sizes::<fdflags>(2, 2);
        sizes::<lookupflags>(4, 4);
        sizes::<sdflags>(1, 1);
        let mut b = [0u8; 8];
        (-2i64).write_to(&mut b);
        assert_eq!(b, (-2i64).to_le_bytes());
        assert_eq!(i64::read_from(&b), -2);
    }

    #[test]
    fn fdstat_layout() {
        sizes::<fdstat>(24, 8);
        let v = fdstat {
            fs_filetype: filetype::regular_file,
            fs_flags: fdflags { raw: 0x0102 },
            fs_rights_base: rights {
                raw: 0x0102_0304_0506_0708,
            },
            fs_rights_inheriting: rights {
                raw: 0x1112_1314_1516_1718,
            },
        };
        let buf = check_write(
            &v,
            &[
                (0, &[4]),
                (2, &0x0102u16.to_le_bytes()),
                (8, &0x0102_0304_0506_0708u64.to_le_bytes()),
                (16, &0x1112_1314_1516_1718u64.to_le_bytes()),
            ],
        );
        assert_eq!(fdstat::read_from(&buf), v);
    }

    #[test]
    fn filestat_layout() {
        sizes::<filestat>(64, 8);
        let v = filestat {
            dev: 0x0101_0101_0101_0102,
            ino: 0x0202_0202_0202_0203,
            filetype: filetype::directory,
            nlink: 0x0303_0303_0303_0304,
            size: 0x0404_0404_0404_0405,
            atim: 0x0505_0505_0505_0506,
            mtim: 0x0606_0606_0606_0607,
            ctim: 0x0707_0707_0707_0708,
        };
        let buf = check_write(
            &v,
            &[
                (0, &v.dev.to_le_bytes()),
                (8, &v.ino.to_le_bytes()),
                (16, &[3]),
                (24, &v.nlink.to_le_bytes()),
                (32, &v.size.to_le_bytes()),
                (40, &v.atim.to_le_bytes()),
                (48, &v.mtim.to_le_bytes()),
                (56, &v.ctim.to_le_bytes()),
            ],
        );
        assert_eq!(filestat::read_from(&buf), v);
    }

    #[test]
    fn dirent_layout() {
        sizes::<dirent>(24, 8);
        let v = dirent {
            d_next: 0x0102_0304_0506_0708,
            d_ino: 0x1112_1314_1516_1718,
            d_namlen: 0x2122_2324,
            d_type: filetype::symbolic_link,
        };
        let buf = check_write(
            &v,
            &[
                (0, &v.d_next.to_le_bytes()),
                (8, &v.d_ino.to_le_bytes()),
                (16, &v.d_namlen.to_le_bytes()),
                (20, &[7]),
            ],
        );
        assert_eq!(dirent::read_from(&buf), v);
    }

    #[test]
    fn iovec_layouts() {
        sizes::<iovec>(8, 4);
        sizes::<ciovec>(8, 4);
        let v = iovec {
            buf: WasmSlicePtr::new(0x0102_0304),
            buf_len: 0x1112_1314,
        };
        let fields: &[(usize, &[u8])] = &[
            (0, &0x0102_0304u32.to_le_bytes()),
            (4, &0x1112_1314u32.to_le_bytes()),
        ];
        let buf = check_write(&v, fields);
        let r = iovec::read_from(&buf);
        assert_eq!((r.buf.offset(), r.buf_len), (0x0102_0304, 0x1112_1314));

        let v = ciovec {
            buf: WasmSlicePtr::new(0x0102_0304),
            buf_len: 0x1112_1314,
        };
        let buf = check_write(&v, fields);
        let r = ciovec::read_from(&buf);
        assert_eq!((r.buf.offset(), r.buf_len), (0x0102_0304, 0x1112_1314));
    }

    #[test]
    fn prestat_layout() {
        sizes::<prestat>(8, 4);
        sizes::<prestat_u>(4, 4);
        sizes::<prestat_dir>(4, 4);
        let v = prestat::dir(0x0102_0304);
        let buf = check_write(&v, &[(0, &[0]), (4, &0x0102_0304u32.to_le_bytes())]);
        assert_eq!(prestat::read_from(&buf), v);
        // A non-zero tag round-trips too.
        let v = prestat {
            tag: preopentype { raw: 9 },
            ..v
        };
        let buf = check_write(&v, &[(0, &[9]), (4, &0x0102_0304u32.to_le_bytes())]);
        assert_eq!(prestat::read_from(&buf), v);
    }

    #[test]
    fn subscription_clock_layout() {
        sizes::<subscription_clock>(32, 8);
        let v = subscription_clock {
            id: clockid { raw: 0x0102_0304 },
            timeout: 0x1112_1314_1516_1718,
            precision: 0x2122_2324_2526_2728,
            flags: subclockflags { raw: 0x3132 },
        };
        let buf = check_write(
            &v,
            &[
                (0, &0x0102_0304u32.to_le_bytes()),
                (8, &v.timeout.to_le_bytes()),
                (16, &v.precision.to_le_bytes()),
                (24, &0x3132u16.to_le_bytes()),
            ],
        );
        assert_eq!(subscription_clock::read_from(&buf), v);
    }

    #[test]
    fn subscription_fd_readwrite_layout() {
        sizes::<subscription_fd_readwrite>(4, 4);
        let v = subscription_fd_readwrite {
            file_descriptor: 0x0102_0304,
        };
        let buf = check_write(&v, &[(0, &0x0102_0304u32.to_le_bytes())]);
        assert_eq!(subscription_fd_readwrite::read_from(&buf), v);
    }

    #[test]
    fn subscription_layout() {
        sizes::<subscription>(48, 8);
        let ud: u64 = 0x0102_0304_0506_0708;

        let clock = subscription_clock {
            id: clockid::monotonic,
            timeout: 0x1112_1314_1516_1718,
            precision: 0x2122_2324_2526_2728,
            flags: subclockflags::subscription_clock_abstime,
        };
        let v = subscription {
            userdata: ud,
            u: subscription_u::clock(clock),
        };
        let buf = check_write(
            &v,
            &[
                (0, &ud.to_le_bytes()),
                (8, &[0]),
                (16, &1u32.to_le_bytes()),
                (24, &clock.timeout.to_le_bytes()),
                (32, &clock.precision.to_le_bytes()),
                (40, &1u16.to_le_bytes()),
            ],
        );
        assert_eq!(subscription::read_from(&buf), v);

        let rw = subscription_fd_readwrite {
            file_descriptor: 0x3132_3334,
        };
        for (u, tag) in [
            (subscription_u::fd_read(rw), 1u8),
            (subscription_u::fd_write(rw), 2u8),
        ] {
            let v = subscription { userdata: ud, u };
            let buf = check_write(
                &v,
                &[
                    (0, &ud.to_le_bytes()),
                    (8, &[tag]),
                    (16, &0x3132_3334u32.to_le_bytes()),
                ],
            );
            assert_eq!(subscription::read_from(&buf), v);
            assert_eq!(u.tag(), eventtype { raw: tag });
        }

        // An unknown tag decodes without panicking and round-trips.
        let v = subscription {
            userdata: ud,
            u: subscription_u::unknown(0xAB),
        };
        let buf = check_write(&v, &[(0, &ud.to_le_bytes()), (8, &[0xAB])]);
        assert_eq!(subscription::read_from(&buf), v);
        assert_eq!(v.u.tag(), eventtype { raw: 0xAB });
    }

    #[test]
    fn event_fd_readwrite_layout() {
        sizes::<event_fd_readwrite>(16, 8);
        let v = event_fd_readwrite {
            nbytes: 0x0102_0304_0506_0708,
            flags: eventrwflags { raw: 0x1112 },
        };
        let buf = check_write(
            &v,
            &[(0, &v.nbytes.to_le_bytes()), (8, &0x1112u16.to_le_bytes())],
        );
        assert_eq!(event_fd_readwrite::read_from(&buf), v);
    }

    #[test]
    fn event_layout() {
        sizes::<event>(32, 8);
        let v = event {
            userdata: 0x0102_0304_0506_0708,
            error: errno::notcapable,
            r#type: eventtype::fd_write,
            fd_readwrite: event_fd_readwrite {
                nbytes: 0x1112_1314_1516_1718,
                flags: eventrwflags::fd_readwrite_hangup,
            },
        };
        let buf = check_write(
            &v,
            &[
                (0, &v.userdata.to_le_bytes()),
                (8, &76u16.to_le_bytes()),
                (10, &[2]),
                (16, &v.fd_readwrite.nbytes.to_le_bytes()),
                (24, &1u16.to_le_bytes()),
            ],
        );
        assert_eq!(event::read_from(&buf), v);

        // An undefined error value decodes as `inval`.
        let mut buf = buf;
        buf[8..10].copy_from_slice(&500u16.to_le_bytes());
        assert_eq!(event::read_from(&buf).error, errno::inval);
        assert_eq!(event::default().error, errno::success);
    }

    #[test]
    fn errno_values() {
        for v in 0..=76u16 {
            let e = errno::from_raw(v).expect("defined errno");
            assert_eq!(e.raw(), v);
            assert!(!e.name().is_empty());
            assert!(!e.message().is_empty());
        }
        assert_eq!(errno::from_raw(77), None);
        assert_eq!(errno::from_raw(u16::MAX), None);
        assert_eq!(ERRNO_COUNT, 77);
        assert_eq!(errno::toobig.raw(), 1);
        assert_eq!(errno::toobig.name(), "2big");
        assert_eq!(errno::r#loop.raw(), 32);
        assert_eq!(errno::r#loop.name(), "loop");
        assert_eq!(errno::notcapable.name(), "notcapable");
        assert_eq!(errno::badf.to_string(), "badf (Bad file descriptor)");
        assert_eq!(errno::default(), errno::success);
        let names: std::collections::HashSet<_> = (0..77u16)
            .map(|v| errno::from_raw(v).unwrap().name())
            .collect();
        assert_eq!(names.len(), ERRNO_COUNT);
    }

    #[test]
    fn flag_operations() {
        assert_eq!(rights::all().bits(), (1u64 << 30) - 1);
        assert_eq!(fdflags::all().bits(), 0x1f);
        assert_eq!(oflags::all().bits(), 0xf);
        assert_eq!(fstflags::all().bits(), 0xf);
        assert_eq!(siflags::all(), siflags::empty());
        assert_eq!(siflags::from_bits(1), None);
        assert_eq!(siflags::from_bits(0), Some(siflags::empty()));
        assert_eq!(sdflags::from_bits(3), Some(sdflags::rd | sdflags::wr));
        assert_eq!(sdflags::from_bits(4), None);

        let mut r = rights::fd_read | rights::fd_write;
        assert!(r.contains(rights::fd_read));
        assert!(!r.contains(rights::fd_read | rights::fd_seek));
        assert!(r.intersects(rights::fd_read | rights::fd_seek));
        assert!(!r.intersects(rights::fd_seek));
        assert_eq!(r & rights::fd_write, rights::fd_write);
        assert_eq!(r.difference(rights::fd_write), rights::fd_read);
        r |= rights::fd_seek;
        assert_eq!(r.bits(), 0b100_0110);
        assert!(rights::empty().is_empty());
        assert!(r.contains(rights::empty()));
    }

    #[test]
    fn enum_newtypes_pass_any_value() {
        assert_eq!(filetype::read_from(&[200]), filetype { raw: 200 });
        assert_eq!(clockid::read_from(&9u32.to_le_bytes()).raw(), 9);
        assert_eq!(signal::sys.raw(), 30);
        assert_eq!(whence::end.raw(), 2);
        assert_eq!(advice::noreuse.raw(), 5);
    }
}
