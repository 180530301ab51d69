//! Differential battery of every preview1 function, byte for byte: the
//! same sequences of raw WASI calls, through a WAT "forwarder" module that
//! imports every `wasi_snapshot_preview1` function and re-exports it, run
//! under wasihost (`wasihost_core::WasiHost`) and under wasmtime-wasi 48's
//! preview1 (`wasmtime_wasi::p1`, `add_to_linker_sync`).
//!
//! ```text
//! cargo test -p wasihost-bench --release --test battery   # make test-battery
//! ```
//!
//! Each case gets two fresh copies of the same fixture (see [`make_fixture`]:
//! files, directories, symlinks to a file, to a directory, dangling,
//! looping, escaping `..` and absolute), one per host, preopened as `/sb`
//! (fd 3) and `/sb2` (fd 4), with the same args, environment and stdin
//! bytes. Both instances start with the same memory; before every call the
//! whole page is reset to a sentinel (`0xEE`) and the call's inputs are
//! written. After every call the hosts are compared on:
//! * the errno (or `trap`, or `exit N` for `proc_exit`);
//! * each result the call documents, decoded field by field (fd numbers
//!   as they are, compared and reported);
//! * the padding bytes inside those results, as their own field;
//! * every other byte of guest memory (a host writing where it should not).
//!
//! At the end of a case: the fixture trees (names, types, contents, symlink
//! targets) and what reached stdout and stderr.
//!
//! Normalized, because it must differ: inode and device numbers (each host
//! has its own copy; wasmtime reports hashes), times within an hour of the
//! run (`now`), random bytes, monotonic and CPU clock values.
//!
//! Every difference must be listed, with the same semantics as
//! `differential.rs`: [`ALLOWED`] (intended, with the RATIONALE.md topic)
//! and [`EXPECTED_BUGS`] (suspected wasihost bugs, with a reproduction);
//! an entry that no longer matches any difference fails the test.
//!
//! Left out on purpose: calls where wasmtime-wasi traps on a bad pointer or
//! an undefined enum or flag value (RATIONALE "Bad arguments are errnos,
//! never traps"), and rights narrowing (wasmtime ignores rights:
//! RATIONALE "Read-only is a matter of rights").

mod common;
use common::tree_lines;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use wasihost_core::{Capture, Engine, Input, Instance, Module, Outcome, Output, WasiHost};
use wasmtime::{Linker, Store, Val};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

// ---------------------------------------------------------------------------
// Known differences

/// One known difference: rows whose case matches `case` (exact, or a
/// prefix when it ends in `*`), whose call label matches one of `calls`
/// (a prefix, or a substring when it starts with `~`; empty matches any),
/// and whose field starts with `field` (empty matches any).
struct Known {
    case: &'static str,
    calls: &'static [&'static str],
    field: &'static str,
    /// A substring wasihost's value must contain (empty matches any).
    ours: &'static str,
    /// What differs and why.
    why: &'static str,
    /// For [`ALLOWED`]: the RATIONALE.md topic. For [`EXPECTED_BUGS`]: a
    /// minimal reproduction (call, arguments, our errno vs wasmtime's).
    see: &'static str,
}

/// Intended differences, each the host's choice where preview1 leaves one
/// (each argued in RATIONALE.md).
const ALLOWED: &[Known] = &[
    Known {
        case: "poll fds",
        calls: &[
            "poll_oneoff(dir read)",
            "poll_oneoff(dir write)",
            "poll_oneoff(opened dir read)",
        ],
        field: "errno",
        ours: "error=badf",
        why: "a subscription on a directory is an event with badf (the call goes on with the others); wasmtime-wasi fails the whole call with badf",
        see: "RATIONALE.md poll_oneoff: per-subscription problems are events; Filesystem: File-data calls on a directory",
    },
    Known {
        case: "stdio sync flags",
        calls: &["fd_fdstat_set_flags("],
        field: "errno",
        ours: "notsup",
        why: "changing dsync/rsync/sync after open is notsup on every fd, stdio included (Linux cannot); wasmtime-wasi answers badf on stdio",
        see: "RATIONALE.md Filesystem: Changing dsync, rsync or sync after open is notsup",
    },
    Known {
        case: "*",
        calls: &["fd_fdstat_get("],
        field: "fdstat.rights",
        ours: "",
        why: "wasmtime-wasi reports fixed rights sets (it neither narrows nor enforces rights); wasihost reports the rights the fd holds",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights",
    },
    Known {
        case: "clocks",
        calls: &[
            "clock_res_get(2)",
            "clock_res_get(3)",
            "clock_time_get(2,",
            "clock_time_get(3,",
        ],
        field: "errno",
        ours: "",
        why: "wasmtime-wasi has no process/thread CPU-time clocks (badf); wasihost reads them",
        see: "RATIONALE.md Clocks",
    },
    Known {
        case: "proc_raise sched_yield",
        calls: &[
            "proc_raise(0)",
            "proc_raise(16)",
            "proc_raise(17)",
            "proc_raise(22)",
            "proc_raise(27)",
        ],
        field: "errno",
        ours: "",
        why: "signal 0 and the ignored-by-default signals (chld, cont, urg, winch) succeed with no effect on wasihost; wasmtime-wasi answers notsup to every signal",
        see: "RATIONALE.md proc_raise",
    },
    Known {
        case: "*",
        calls: &["fd_prestat_dir_name("],
        field: "errno",
        ours: "",
        why: "fd_prestat_dir_name on an open fd that is not a preopen: wasihost badf (as fd_prestat_get), wasmtime-wasi notdir",
        see: "RATIONALE.md Filesystem: fd_prestat_dir_name on an fd that is not a preopen is badf",
    },
    Known {
        case: "stdio read",
        calls: &[
            "fd_read(0, [3, 5])",
            "fd_read(0, [0, 4])",
            "fd_read(0, [64])",
        ],
        field: "",
        ours: "",
        why: "wasmtime-wasi's fd_read fills only the first non-empty iovec; wasihost fills every iovec (and so later reads start elsewhere)",
        see: "RATIONALE.md stdio: fd_write and fd_read use every iovec",
    },
    Known {
        case: "stdio read",
        calls: &["fd_read(0, [0])", "fd_read(0, [])"],
        field: "errno",
        ours: "",
        why: "a read of 0 bytes (one empty iovec, or none) from stdin: wasihost returns 0 bytes as read(2) does; wasmtime-wasi answers intr",
        see: "RATIONALE.md stdio: a zero-length read succeeds with 0 bytes (POSIX read(2))",
    },
    Known {
        case: "stdio write",
        calls: &["fd_write(1, [\"two \", \"iovecs\\n\"])", "(end)"],
        field: "",
        ours: "",
        why: "wasmtime-wasi's fd_write writes only the first non-empty iovec; wasihost writes every iovec",
        see: "RATIONALE.md stdio: fd_write and fd_read use every iovec",
    },
    Known {
        case: "file read seek",
        calls: &[
            "fd_read($f, [1, 2, 3])",
            "fd_tell($f)",
            "fd_read($f, [100])",
        ],
        field: "",
        ours: "",
        why: "wasmtime-wasi's fd_read fills only the first non-empty iovec of a file read too; wasihost fills every iovec (then the position and the next read differ)",
        see: "RATIONALE.md Guest memory: vectored calls (wasmtime transfers only the first non-empty buffer); stdio: fd_write and fd_read use every iovec",
    },
    Known {
        case: "file write",
        calls: &[
            "fd_write($f, [\"_\", \"W\"])",
            "fd_pread($f, [40], off=0)",
            "fd_read($f, [64])",
            "(end)",
        ],
        field: "",
        ours: "",
        why: "wasmtime-wasi's fd_write writes only the first non-empty iovec to a file; wasihost writes every iovec (the file then differs by that byte)",
        see: "RATIONALE.md Guest memory: vectored calls (wasmtime transfers only the first non-empty buffer); stdio: fd_write and fd_read use every iovec",
    },
    Known {
        case: "stdio file calls",
        calls: &[],
        field: "errno",
        ours: "",
        why: "file calls on a stream: wasihost answers what POSIX gives (spipe to pread/pwrite/advise/allocate, inval to sync/resize, notdir to readdir), wasmtime-wasi badf",
        see: "RATIONALE.md Error order (2.)",
    },
    Known {
        case: "stdio flags",
        calls: &[
            "fd_fdstat_set_flags(1, APPEND)",
            "fd_fdstat_set_flags(1, 0)",
            "fd_fdstat_set_flags(0, NONBLOCK)",
            "fd_fdstat_get(",
        ],
        field: "",
        ours: "",
        why: "fd_fdstat_set_flags(append / nonblock / 0) on stdio: wasihost records them (fd_fdstat_get reports them), wasmtime-wasi answers badf",
        see: "RATIONALE.md stdio: fdflags set on stdio are recorded and reported",
    },
    Known {
        case: "stdio path calls",
        calls: &[],
        field: "errno",
        ours: "",
        why: "a path call relative to a stdio stream: wasihost notdir (POSIX *at() on a non-directory fd), wasmtime-wasi badf",
        see: "RATIONALE.md Error order (2.): notdir for a path call relative to a non-directory",
    },
    Known {
        case: "file fdflags",
        calls: &[
            "fd_fdstat_set_flags($f, DSYNC)",
            "fd_fdstat_set_flags($f, RSYNC)",
            "fd_fdstat_set_flags($f, SYNC)",
        ],
        field: "errno",
        ours: "",
        why: "changing dsync/rsync/sync after open: wasihost notsup (Linux cannot), wasmtime-wasi inval",
        see: "RATIONALE.md Filesystem: Changing dsync, rsync or sync after open is notsup",
    },
    Known {
        case: "open with *",
        calls: &[],
        field: "",
        ours: "",
        why: "path_open with dsync/rsync/sync: wasihost opens with O_DSYNC/O_RSYNC/O_SYNC, wasmtime-wasi refuses (notsup), so the later calls on the fd and the file differ too",
        see: "RATIONALE.md Filesystem: dsync, rsync and sync at open",
    },
    Known {
        case: "file allocate",
        calls: &[],
        field: "",
        ours: "",
        why: "fd_allocate: wasihost grows the file as posix_fallocate (len 0 inval, past 2^63-1 fbig), wasmtime-wasi always answers notsup",
        see: "RATIONALE.md Filesystem: fd_allocate",
    },
    Known {
        case: "directory fds",
        calls: &[
            "fd_read(",
            "fd_write(",
            "fd_pread(",
            "fd_pwrite(",
            "fd_seek(",
            "fd_tell(",
            "fd_advise(",
            "fd_allocate(",
            "fd_filestat_set_size(",
        ],
        field: "errno",
        ours: "",
        why: "file-data calls on a directory: wasihost isdir, wasmtime-wasi badf",
        see: "RATIONALE.md Filesystem: File-data calls on a directory; Error order (2.)",
    },
    Known {
        case: "directory fds",
        calls: &[
            "fd_sync(",
            "fd_datasync(",
            "fd_filestat_set_times(3,",
            "fd_filestat_get(3)",
            "fd_fdstat_set_flags(",
            "fd_fdstat_get(",
        ],
        field: "",
        ours: "",
        why: "fd_sync, fd_datasync, fd_fdstat_set_flags on a directory (and fd_filestat_set_times on a preopen) work on wasihost; wasmtime-wasi answers badf (so the times and flags read back differ)",
        see: "RATIONALE.md Filesystem: Directory fds are plain read-only fds",
    },
    Known {
        case: "readdir",
        calls: &["fd_readdir($d, buf_len=4096, cookie=3)"],
        field: "",
        ours: "",
        why: "a file created after a listing: wasihost resumes its snapshot at cookie 3 (the new entry appears after a rewind), wasmtime-wasi lists the directory again on every call",
        see: "RATIONALE.md Filesystem: fd_readdir lists a snapshot",
    },
    Known {
        case: "fd allocation",
        calls: &["path_open("],
        field: "fd",
        ours: "",
        why: "a new fd takes the lowest free number on wasihost (POSIX open(2)); wasmtime-wasi reuses the highest freed number first",
        see: "RATIONALE.md Filesystem: new fds take the lowest free number, as POSIX open(2)",
    },
    Known {
        case: "long paths",
        calls: &["path_create_directory(", "(end)"],
        field: "",
        ours: "",
        why: "paths of 4096 bytes or more: wasihost nametoolong before any other check (Linux PATH_MAX), wasmtime-wasi resolves them component by component",
        see: "RATIONALE.md Filesystem: A trailing slash means directory (Paths of 4096 bytes or more are nametoolong)",
    },
    Known {
        case: "*",
        calls: &["~/\")"],
        field: "",
        ours: "",
        why: "a trailing slash: wasihost follows a symlink in the last component and needs a directory, as POSIX (stat(\"file/\") notdir, stat(\"dangling/\") noent, rmdir(\"dir/\") notempty, rmdir(\"link_dir/\") notdir, unlink(\"link_dir/\") notdir, rmdir(\"a/b/\") works); wasmtime-wasi ignores it (lstat of the link) or answers inval/isdir",
        see: "RATIONALE.md Filesystem: A trailing slash means \"directory\"",
    },
    Known {
        case: "remove nested",
        calls: &["path_remove_directory(3, \"a\")", "(end)"],
        field: "",
        ours: "",
        why: "follows from rmdir(\"a/b/\") working on wasihost only (trailing slash)",
        see: "RATIONALE.md Filesystem: A trailing slash means \"directory\"",
    },
    Known {
        case: "*",
        calls: &["~.\")"],
        field: "errno",
        ours: "",
        why: "`.` or `..` as the last component of a name to remove or rename: wasihost answers busy for rename to `.` (as Linux, and wasmtime for rename from `.`), wasmtime-wasi noent",
        see: "RATIONALE.md Filesystem: `.` or `..` as the last component of a name to create or remove",
    },
    Known {
        case: "open \"\\xff\\xfe\"",
        calls: &[],
        field: "errno",
        ours: "",
        why: "directory with creat/excl/trunc: wasihost inval before the path is read, wasmtime-wasi reads the path first (ilseq)",
        see: "RATIONALE.md Filesystem: Opening a directory without oflags::directory (inval before the path is looked at)",
    },
    Known {
        case: "path_readlink",
        calls: &["path_readlink(3, \"abs_link\""],
        field: "errno",
        ours: "",
        why: "readlink of a symlink inside the sandbox whose target is absolute: wasihost returns the target as readlink(2) (and the witx: 'read the contents of a symbolic link'), wasmtime-wasi (cap-std) answers perm",
        see: "RATIONALE.md Filesystem: path_readlink returns any target; only following a link is confined",
    },
    Known {
        case: "poll clocks",
        calls: &[
            "poll_oneoff(realtime relative 0)",
            "poll_oneoff(monotonic relative 0)",
            "poll_oneoff(monotonic relative 1ms)",
        ],
        field: "event0",
        ours: "",
        why: "a clock event's fd_readwrite: wasihost writes nbytes 0, wasmtime-wasi 1 (the witx defines it for fd events only)",
        see: "RATIONALE.md poll_oneoff: clock events carry nbytes 0",
    },
    Known {
        case: "poll clocks",
        calls: &[
            "poll_oneoff(process cputime)",
            "poll_oneoff(thread cputime)",
        ],
        field: "event0",
        ours: "",
        why: "a CPU-time clock subscription: wasihost gives an event with notsup, wasmtime-wasi fires it at once",
        see: "RATIONALE.md poll_oneoff: Per-subscription problems are events (a CPU-time clock notsup)",
    },
    Known {
        case: "poll fds",
        calls: &[],
        field: "event0",
        ours: "",
        why: "nbytes of fd events: wasihost reports the bytes left (stdin bytes, file size minus position, 0 for writes) and hangup at end of stdin, wasmtime-wasi always 1",
        see: "RATIONALE.md poll_oneoff: Readiness",
    },
    Known {
        case: "poll fds",
        calls: &[
            "poll_oneoff(stdout read)",
            "poll_oneoff(stdin write)",
            "poll_oneoff(closed",
        ],
        field: "errno",
        ours: "",
        why: "a closed fd, a directory or the wrong direction of a stdio stream in a subscription: wasihost gives an event with the error, wasmtime-wasi fails the whole call (badf)",
        see: "RATIONALE.md poll_oneoff: Per-subscription problems are events",
    },
];

/// Suspected bugs in wasihost (the witx docs, then POSIX, or, where the
/// spec is silent, wasmtime decide). An entry that no longer differs fails
/// the test: remove it with the fix.
const EXPECTED_BUGS: &[Known] = &[];

// ---------------------------------------------------------------------------
// The forwarder module

/// Every import of `wasi_snapshot_preview1` (name, wasm parameter types,
/// whether it returns an errno): the one table the crate's own WAT tests
/// use, not a copy of it.
#[path = "../../tests/wat_common/mod.rs"]
mod wat_common;
use wat_common::{SIGS, forwarder_wat};

fn module() -> &'static Module {
    static M: OnceLock<Module> = OnceLock::new();
    M.get_or_init(|| {
        let engine = Engine::new().expect("engine");
        Module::from_wat(&engine, &forwarder_wat()).expect("forwarder module")
    })
}

// ---------------------------------------------------------------------------
// Guest memory layout and constants

const PAGE: usize = 65536;
const SENTINEL: u8 = 0xEE;
/// Out-values.
const OUT: usize = 0x100;
const OUT2: usize = 0x108;
/// iovec arrays.
const IOV: usize = 0x200;
/// args_get / environ_get pointer arrays.
const ARGV: usize = 0x400;
/// First path (up to 8 KiB).
const PATH: usize = 0x1000;
/// Second path / symlink target (up to 4 KiB).
const PATH2: usize = 0x3000;
/// Data buffers (16 KiB).
const BUF: usize = 0x4000;
/// poll_oneoff subscriptions and events.
const SUBS: usize = 0x8000;
const EVS: usize = 0xA000;

const ALL: i64 = (1 << 29) - 1;
const FD_WRITE: i64 = 1 << 6;
/// Every right but `fd_write`: a directory may be opened with it.
const RO: i64 = ALL & !FD_WRITE;

const CREAT: i64 = 1;
const DIRECTORY: i64 = 2;
const EXCL: i64 = 4;
const TRUNC: i64 = 8;
const FOLLOW: i64 = 1;

const APPEND: i64 = 1;
const DSYNC: i64 = 2;
const NONBLOCK: i64 = 4;
const RSYNC: i64 = 8;
const SYNC: i64 = 16;

const ATIM: i64 = 1;
const ATIM_NOW: i64 = 2;
const MTIM: i64 = 4;
const MTIM_NOW: i64 = 8;

const ERRNOS: &[&str] = &[
    "success",
    "2big",
    "acces",
    "addrinuse",
    "addrnotavail",
    "afnosupport",
    "again",
    "already",
    "badf",
    "badmsg",
    "busy",
    "canceled",
    "child",
    "connaborted",
    "connrefused",
    "connreset",
    "deadlk",
    "destaddrreq",
    "dom",
    "dquot",
    "exist",
    "fault",
    "fbig",
    "hostunreach",
    "idrm",
    "ilseq",
    "inprogress",
    "intr",
    "inval",
    "io",
    "isconn",
    "isdir",
    "loop",
    "mfile",
    "mlink",
    "msgsize",
    "multihop",
    "nametoolong",
    "netdown",
    "netreset",
    "netunreach",
    "nfile",
    "nobufs",
    "nodev",
    "noent",
    "noexec",
    "nolck",
    "nolink",
    "nomem",
    "nomsg",
    "noprotoopt",
    "nospc",
    "nosys",
    "notconn",
    "notdir",
    "notempty",
    "notrecoverable",
    "notsock",
    "notsup",
    "notty",
    "nxio",
    "overflow",
    "ownerdead",
    "perm",
    "pipe",
    "proto",
    "protonosupport",
    "prototype",
    "range",
    "rofs",
    "spipe",
    "srch",
    "stale",
    "timedout",
    "txtbsy",
    "xdev",
    "notcapable",
];

fn errno_name(e: i32) -> String {
    match usize::try_from(e).ok().and_then(|i| ERRNOS.get(i)) {
        Some(n) => n.to_string(),
        None => format!("errno {e}"),
    }
}

// ---------------------------------------------------------------------------
// Scripts: the calls of a case, as data, so both hosts run the same ones

/// An argument: a literal, or an fd a previous call returned on that host.
#[derive(Clone, Copy)]
enum A {
    I(i64),
    V(&'static str),
}

fn show_a(a: A) -> String {
    match a {
        A::I(n) => n.to_string(),
        A::V(v) => format!("${v}"),
    }
}

/// Bytes written before a call: literal bytes, or an fd variable (u32).
#[derive(Clone)]
enum P {
    Bytes(Vec<u8>),
    Var(&'static str),
}

/// A result the call documents, at a memory offset.
#[derive(Clone, Copy)]
enum Out {
    /// A u32 (a size, a count, an fd).
    U32(&'static str, usize),
    /// A u64 (an offset).
    U64(&'static str, usize),
    Fdstat(usize),
    Filestat(usize),
    Prestat(usize),
    /// Bytes at (offset, len), shown as they are.
    Bytes(&'static str, usize, usize),
    /// fd_readdir's buffer at (offset, len), used up to the u32 at the
    /// second offset.
    Dirents(usize, usize, usize),
    /// `n` events at the offset, as many used as the u32 at the second.
    Events(usize, usize, usize),
    /// A timestamp of this clock id.
    Time(u32, usize),
    /// Random bytes at (offset, len).
    Random(usize, usize),
}

impl Out {
    fn range(self) -> (usize, usize) {
        match self {
            Out::U32(_, at) => (at, 4),
            Out::U64(_, at) | Out::Time(_, at) => (at, 8),
            Out::Fdstat(at) => (at, 24),
            Out::Filestat(at) => (at, 64),
            Out::Prestat(at) => (at, 8),
            Out::Bytes(_, at, n) | Out::Dirents(at, n, _) | Out::Random(at, n) => (at, n),
            Out::Events(at, n, _) => (at, 32 * n),
        }
    }
}

struct Call {
    label: String,
    func: &'static str,
    args: Vec<A>,
    pokes: Vec<(usize, P)>,
    outs: Vec<Out>,
    save: Option<(&'static str, usize)>,
}

impl Call {
    fn poke(&mut self, at: usize, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.pokes.push((at, P::Bytes(bytes.into())));
        self
    }
    fn out(&mut self, o: Out) -> &mut Self {
        self.outs.push(o);
        self
    }
}

/// Shows a path for a label: escaped, long ones shortened.
fn sp(p: &[u8]) -> String {
    if p.len() > 48 {
        format!("\"{}...\"({} bytes)", p[..24].escape_ascii(), p.len())
    } else {
        format!("\"{}\"", p.escape_ascii())
    }
}

fn flags_name(v: i64, names: &[(i64, &str)]) -> String {
    if v == 0 {
        return "0".into();
    }
    let mut parts = Vec::new();
    let mut rest = v;
    for (bit, n) in names {
        if v & bit != 0 {
            parts.push(n.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    parts.join("|")
}

fn oflags_name(v: i64) -> String {
    flags_name(
        v,
        &[
            (CREAT, "CREAT"),
            (DIRECTORY, "DIRECTORY"),
            (EXCL, "EXCL"),
            (TRUNC, "TRUNC"),
        ],
    )
}

fn fdflags_name(v: i64) -> String {
    flags_name(
        v,
        &[
            (APPEND, "APPEND"),
            (DSYNC, "DSYNC"),
            (NONBLOCK, "NONBLOCK"),
            (RSYNC, "RSYNC"),
            (SYNC, "SYNC"),
        ],
    )
}

fn fst_name(v: i64) -> String {
    flags_name(
        v,
        &[
            (ATIM, "ATIM"),
            (ATIM_NOW, "ATIM_NOW"),
            (MTIM, "MTIM"),
            (MTIM_NOW, "MTIM_NOW"),
        ],
    )
}

fn look_name(v: i64) -> &'static str {
    if v == FOLLOW { "FOLLOW" } else { "0" }
}

fn rights_name(v: i64) -> String {
    match v {
        ALL => "ALL".into(),
        RO => "RO".into(),
        _ => format!("{v:#x}"),
    }
}

fn whence_name(w: i64) -> String {
    match w {
        0 => "SET".into(),
        1 => "CUR".into(),
        2 => "END".into(),
        _ => w.to_string(),
    }
}

#[derive(Default)]
struct S {
    calls: Vec<Call>,
}

/// The preopen `/sb` and the second one, `/sb2`.
const SB: A = A::I(3);
const SB2: A = A::I(4);

impl S {
    fn raw(&mut self, label: String, func: &'static str, args: Vec<A>) -> &mut Call {
        self.calls.push(Call {
            label,
            func,
            args,
            pokes: Vec::new(),
            outs: Vec::new(),
            save: None,
        });
        self.calls.last_mut().expect("just pushed")
    }

    fn fd_only(&mut self, func: &'static str, fd: A) {
        self.raw(format!("{func}({})", show_a(fd)), func, vec![fd]);
    }

    fn open(&mut self, dir: A, look: i64, path: &[u8], oflags: i64, rights: i64, fdflags: i64) {
        self.open_as(dir, look, path, oflags, rights, fdflags, "f");
    }

    #[allow(clippy::too_many_arguments)]
    fn open_as(
        &mut self,
        dir: A,
        look: i64,
        path: &[u8],
        oflags: i64,
        rights: i64,
        fdflags: i64,
        var: &'static str,
    ) {
        let label = format!(
            "path_open({}, {}, {}, {}, {}, {}) -> ${var}",
            show_a(dir),
            look_name(look),
            sp(path),
            oflags_name(oflags),
            rights_name(rights),
            fdflags_name(fdflags)
        );
        let c = self.raw(
            label,
            "path_open",
            vec![
                dir,
                A::I(look),
                A::I(PATH as i64),
                A::I(path.len() as i64),
                A::I(oflags),
                A::I(rights),
                A::I(ALL),
                A::I(fdflags),
                A::I(OUT as i64),
            ],
        );
        c.poke(PATH, path).out(Out::U32("fd", OUT));
        c.save = Some((var, OUT));
    }

    fn read(&mut self, fd: A, lens: &[u32]) {
        self.readv("fd_read", fd, lens, None);
    }

    fn pread(&mut self, fd: A, len: u32, off: i64) {
        self.readv("fd_pread", fd, &[len], Some(off));
    }

    fn readv(&mut self, func: &'static str, fd: A, lens: &[u32], off: Option<i64>) {
        let total: u32 = lens.iter().sum();
        let label = match off {
            Some(o) => format!("{func}({}, {lens:?}, off={o})", show_a(fd)),
            None => format!("{func}({}, {lens:?})", show_a(fd)),
        };
        let mut args = vec![fd, A::I(IOV as i64), A::I(lens.len() as i64)];
        if let Some(o) = off {
            args.push(A::I(o));
        }
        args.push(A::I(OUT as i64));
        let c = self.raw(label, func, args);
        let mut buf = BUF as u32;
        for (i, len) in lens.iter().enumerate() {
            let mut iov = buf.to_le_bytes().to_vec();
            iov.extend(len.to_le_bytes());
            c.poke(IOV + 8 * i, iov);
            buf += len;
        }
        c.out(Out::U32("nread", OUT))
            .out(Out::Bytes("data", BUF, total as usize));
    }

    fn write(&mut self, fd: A, chunks: &[&[u8]]) {
        self.writev("fd_write", fd, chunks, None);
    }

    fn pwrite(&mut self, fd: A, data: &[u8], off: i64) {
        self.writev("fd_pwrite", fd, &[data], Some(off));
    }

    fn writev(&mut self, func: &'static str, fd: A, chunks: &[&[u8]], off: Option<i64>) {
        let shown: Vec<String> = chunks.iter().map(|c| sp(c)).collect();
        let label = match off {
            Some(o) => format!("{func}({}, [{}], off={o})", show_a(fd), shown.join(", ")),
            None => format!("{func}({}, [{}])", show_a(fd), shown.join(", ")),
        };
        let mut args = vec![fd, A::I(IOV as i64), A::I(chunks.len() as i64)];
        if let Some(o) = off {
            args.push(A::I(o));
        }
        args.push(A::I(OUT as i64));
        let c = self.raw(label, func, args);
        let mut buf = BUF;
        for (i, chunk) in chunks.iter().enumerate() {
            let mut iov = (buf as u32).to_le_bytes().to_vec();
            iov.extend((chunk.len() as u32).to_le_bytes());
            c.poke(IOV + 8 * i, iov);
            c.poke(buf, *chunk);
            buf += chunk.len();
        }
        c.out(Out::U32("nwritten", OUT));
    }

    fn seek(&mut self, fd: A, off: i64, whence: i64) {
        self.raw(
            format!("fd_seek({}, {off}, {})", show_a(fd), whence_name(whence)),
            "fd_seek",
            vec![fd, A::I(off), A::I(whence), A::I(OUT as i64)],
        )
        .out(Out::U64("offset", OUT));
    }

    fn tell(&mut self, fd: A) {
        self.raw(
            format!("fd_tell({})", show_a(fd)),
            "fd_tell",
            vec![fd, A::I(OUT as i64)],
        )
        .out(Out::U64("offset", OUT));
    }

    fn fdstat(&mut self, fd: A) {
        self.raw(
            format!("fd_fdstat_get({})", show_a(fd)),
            "fd_fdstat_get",
            vec![fd, A::I(OUT as i64)],
        )
        .out(Out::Fdstat(OUT));
    }

    fn filestat(&mut self, fd: A) {
        self.raw(
            format!("fd_filestat_get({})", show_a(fd)),
            "fd_filestat_get",
            vec![fd, A::I(OUT as i64)],
        )
        .out(Out::Filestat(OUT));
    }

    fn close(&mut self, fd: A) {
        self.fd_only("fd_close", fd);
    }

    fn set_flags(&mut self, fd: A, flags: i64) {
        self.raw(
            format!(
                "fd_fdstat_set_flags({}, {})",
                show_a(fd),
                fdflags_name(flags)
            ),
            "fd_fdstat_set_flags",
            vec![fd, A::I(flags)],
        );
    }

    fn set_size(&mut self, fd: A, size: i64) {
        self.raw(
            format!("fd_filestat_set_size({}, {})", show_a(fd), size as u64),
            "fd_filestat_set_size",
            vec![fd, A::I(size)],
        );
    }

    fn set_times(&mut self, fd: A, atim: i64, mtim: i64, fst: i64) {
        self.raw(
            format!(
                "fd_filestat_set_times({}, {}, {}, {})",
                show_a(fd),
                atim as u64,
                mtim as u64,
                fst_name(fst)
            ),
            "fd_filestat_set_times",
            vec![fd, A::I(atim), A::I(mtim), A::I(fst)],
        );
    }

    fn advise(&mut self, fd: A, off: i64, len: i64, advice: i64) {
        self.raw(
            format!("fd_advise({}, {off}, {len}, {advice})", show_a(fd)),
            "fd_advise",
            vec![fd, A::I(off), A::I(len), A::I(advice)],
        );
    }

    fn allocate(&mut self, fd: A, off: i64, len: i64) {
        self.raw(
            format!("fd_allocate({}, {off}, {len})", show_a(fd)),
            "fd_allocate",
            vec![fd, A::I(off), A::I(len)],
        );
    }

    fn readdir(&mut self, fd: A, len: usize, cookie: i64) {
        self.raw(
            format!(
                "fd_readdir({}, buf_len={len}, cookie={})",
                show_a(fd),
                cookie as u64
            ),
            "fd_readdir",
            vec![
                fd,
                A::I(BUF as i64),
                A::I(len as i64),
                A::I(cookie),
                A::I(OUT as i64),
            ],
        )
        .out(Out::U32("bufused", OUT))
        .out(Out::Dirents(BUF, len, OUT));
    }

    fn prestat(&mut self, fd: A) {
        self.raw(
            format!("fd_prestat_get({})", show_a(fd)),
            "fd_prestat_get",
            vec![fd, A::I(OUT as i64)],
        )
        .out(Out::Prestat(OUT));
    }

    fn prestat_name(&mut self, fd: A, len: usize) {
        self.raw(
            format!("fd_prestat_dir_name({}, len={len})", show_a(fd)),
            "fd_prestat_dir_name",
            vec![fd, A::I(BUF as i64), A::I(len as i64)],
        )
        .out(Out::Bytes("name", BUF, len + 1));
    }

    fn renumber(&mut self, from: A, to: A) {
        self.raw(
            format!("fd_renumber({}, {})", show_a(from), show_a(to)),
            "fd_renumber",
            vec![from, to],
        );
    }

    /// A call taking (fd, path, path_len).
    fn path1(&mut self, func: &'static str, dir: A, path: &[u8]) {
        self.raw(
            format!("{func}({}, {})", show_a(dir), sp(path)),
            func,
            vec![dir, A::I(PATH as i64), A::I(path.len() as i64)],
        )
        .poke(PATH, path);
    }

    fn mkdir(&mut self, path: &[u8]) {
        self.path1("path_create_directory", SB, path);
    }

    fn rmdir(&mut self, path: &[u8]) {
        self.path1("path_remove_directory", SB, path);
    }

    fn unlink(&mut self, path: &[u8]) {
        self.path1("path_unlink_file", SB, path);
    }

    fn pstat(&mut self, dir: A, look: i64, path: &[u8]) {
        self.raw(
            format!(
                "path_filestat_get({}, {}, {})",
                show_a(dir),
                look_name(look),
                sp(path)
            ),
            "path_filestat_get",
            vec![
                dir,
                A::I(look),
                A::I(PATH as i64),
                A::I(path.len() as i64),
                A::I(OUT as i64),
            ],
        )
        .poke(PATH, path)
        .out(Out::Filestat(OUT));
    }

    fn pset_times(&mut self, look: i64, path: &[u8], atim: i64, mtim: i64, fst: i64) {
        self.raw(
            format!(
                "path_filestat_set_times(3, {}, {}, {}, {}, {})",
                look_name(look),
                sp(path),
                atim as u64,
                mtim as u64,
                fst_name(fst)
            ),
            "path_filestat_set_times",
            vec![
                SB,
                A::I(look),
                A::I(PATH as i64),
                A::I(path.len() as i64),
                A::I(atim),
                A::I(mtim),
                A::I(fst),
            ],
        )
        .poke(PATH, path);
    }

    fn readlink(&mut self, path: &[u8], len: usize) {
        self.raw(
            format!("path_readlink(3, {}, buf_len={len})", sp(path)),
            "path_readlink",
            vec![
                SB,
                A::I(PATH as i64),
                A::I(path.len() as i64),
                A::I(BUF as i64),
                A::I(len as i64),
                A::I(OUT as i64),
            ],
        )
        .poke(PATH, path)
        .out(Out::U32("bufused", OUT))
        .out(Out::Bytes("target", BUF, len + 1));
    }

    fn symlink(&mut self, target: &[u8], path: &[u8]) {
        self.raw(
            format!("path_symlink({}, 3, {})", sp(target), sp(path)),
            "path_symlink",
            vec![
                A::I(PATH2 as i64),
                A::I(target.len() as i64),
                SB,
                A::I(PATH as i64),
                A::I(path.len() as i64),
            ],
        )
        .poke(PATH2, target)
        .poke(PATH, path);
    }

    fn link(&mut self, odir: A, look: i64, old: &[u8], ndir: A, new: &[u8]) {
        self.raw(
            format!(
                "path_link({}, {}, {}, {}, {})",
                show_a(odir),
                look_name(look),
                sp(old),
                show_a(ndir),
                sp(new)
            ),
            "path_link",
            vec![
                odir,
                A::I(look),
                A::I(PATH as i64),
                A::I(old.len() as i64),
                ndir,
                A::I(PATH2 as i64),
                A::I(new.len() as i64),
            ],
        )
        .poke(PATH, old)
        .poke(PATH2, new);
    }

    fn rename(&mut self, odir: A, old: &[u8], ndir: A, new: &[u8]) {
        self.raw(
            format!(
                "path_rename({}, {}, {}, {})",
                show_a(odir),
                sp(old),
                show_a(ndir),
                sp(new)
            ),
            "path_rename",
            vec![
                odir,
                A::I(PATH as i64),
                A::I(old.len() as i64),
                ndir,
                A::I(PATH2 as i64),
                A::I(new.len() as i64),
            ],
        )
        .poke(PATH, old)
        .poke(PATH2, new);
    }

    fn poll(&mut self, label: &str, subs: &[Sub]) {
        let c = self.raw(
            format!("poll_oneoff({label})"),
            "poll_oneoff",
            vec![
                A::I(SUBS as i64),
                A::I(EVS as i64),
                A::I(subs.len() as i64),
                A::I(OUT as i64),
            ],
        );
        for (i, s) in subs.iter().enumerate() {
            let at = SUBS + 48 * i;
            let mut b = vec![0u8; 48];
            b[0..8].copy_from_slice(&(0x1000 + i as u64).to_le_bytes());
            match *s {
                Sub::Clock {
                    id,
                    timeout,
                    precision,
                    flags,
                } => {
                    b[8] = 0;
                    b[16..20].copy_from_slice(&id.to_le_bytes());
                    b[24..32].copy_from_slice(&timeout.to_le_bytes());
                    b[32..40].copy_from_slice(&precision.to_le_bytes());
                    b[40..42].copy_from_slice(&flags.to_le_bytes());
                    c.poke(at, b);
                }
                Sub::Fd { tag, fd } => {
                    b[8] = tag;
                    c.poke(at, b);
                    match fd {
                        A::I(n) => {
                            c.poke(at + 16, (n as u32).to_le_bytes());
                        }
                        A::V(v) => c.pokes.push((at + 16, P::Var(v))),
                    }
                }
            }
        }
        c.out(Out::U32("nevents", OUT))
            .out(Out::Events(EVS, subs.len().max(1), OUT));
    }
}

#[derive(Clone, Copy)]
enum Sub {
    Clock {
        id: u32,
        timeout: u64,
        precision: u64,
        flags: u16,
    },
    /// tag 1 fd_read, 2 fd_write.
    Fd { tag: u8, fd: A },
}

fn clock(id: u32, timeout: u64, flags: u16) -> Sub {
    Sub::Clock {
        id,
        timeout,
        precision: 0,
        flags,
    }
}

fn rd(fd: A) -> Sub {
    Sub::Fd { tag: 1, fd }
}

fn wr(fd: A) -> Sub {
    Sub::Fd { tag: 2, fd }
}

// ---------------------------------------------------------------------------
// Fixture

const ARGS: &[&str] = &["prog", "arg one", "", "\u{fc}n\u{ef}"];
const ENV: &[(&str, &str)] = &[("HOME", "/sb"), ("EMPTY", ""), ("EQ", "a=b")];
const STDIN: &[u8] = b"stdin-line-1\nstdin-line-2\n";

/// `root/sb` (preopened as `/sb`), `root/sb2` (`/sb2`) and entries outside
/// both.
fn make_fixture(root: &Path) {
    let sb = root.join("sb");
    let w = |p: &str, s: &str| std::fs::write(root.join(p), s).expect("write fixture file");
    let d = |p: &str| std::fs::create_dir_all(root.join(p)).expect("mkdir fixture");
    let l = |t: &str, p: &str| std::os::unix::fs::symlink(t, root.join(p)).expect("symlink");
    d("sb/dir/sub");
    d("sb/emptydir");
    d("sb2");
    d("outdir");
    w("outside.txt", "OUTSIDE");
    w("outdir/o.txt", "O");
    w("sb/file.txt", "hello world\n");
    w("sb/empty.txt", "");
    w("sb/dir/inner.txt", "inner");
    w("sb2/other.txt", "other");
    l("../file.txt", "sb/dir/up");
    l("file.txt", "sb/link_file");
    l("dir", "sb/link_dir");
    l("nowhere", "sb/dangling");
    l("loop_b", "sb/loop_a");
    l("loop_a", "sb/loop_b");
    l("../outdir", "sb/escape_dir");
    l("../outside.txt", "sb/escape_file");
    l("/nonexistent/abs", "sb/abs_link");
    assert!(sb.is_dir());
}

fn fresh(dir: &Path) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("remove old fixture");
    }
    std::fs::create_dir_all(dir).expect("create fixture dir");
    make_fixture(dir);
}

// ---------------------------------------------------------------------------
// The two hosts

enum Side {
    Ours {
        inst: Instance<WasiHost>,
        out: Capture,
        err: Capture,
    },
    Theirs {
        store: Store<WasiP1Ctx>,
        inst: wasmtime::Instance,
        out: MemoryOutputPipe,
        err: MemoryOutputPipe,
    },
}

const CAP: usize = 1 << 20;

impl Side {
    fn ours(root: &Path) -> Side {
        let out = Capture::new(CAP);
        let err = Capture::new(CAP);
        let mut b = WasiHost::builder()
            .args(ARGS)
            .stdin(Input::bytes(STDIN))
            .stdout(Output::Capture(out.clone()))
            .stderr(Output::Capture(err.clone()))
            .preopen_dir(root.join("sb"), "/sb")
            .preopen_dir(root.join("sb2"), "/sb2");
        for (k, v) in ENV {
            b = b.env(k, v);
        }
        let inst = module()
            .instantiate(b.build().expect("wasihost: build"))
            .expect("wasihost: instantiate");
        Side::Ours { inst, out, err }
    }

    fn theirs(root: &Path) -> Side {
        let wt = module().wasmtime();
        let mut linker: Linker<WasiP1Ctx> = Linker::new(wt.engine());
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx).expect("link wasmtime-wasi");
        let out = MemoryOutputPipe::new(CAP);
        let err = MemoryOutputPipe::new(CAP);
        let mut b = WasiCtxBuilder::new();
        b.args(ARGS)
            .stdin(MemoryInputPipe::new(STDIN))
            .stdout(out.clone())
            .stderr(err.clone())
            .allow_blocking_current_thread(true);
        for (k, v) in ENV {
            b.env(k, v);
        }
        b.preopened_dir(root.join("sb"), "/sb", FsPerms::ReadWrite)
            .expect("preopen");
        b.preopened_dir(root.join("sb2"), "/sb2", FsPerms::ReadWrite)
            .expect("preopen");
        let mut store = Store::new(wt.engine(), b.build_p1());
        store.set_epoch_deadline(u64::MAX);
        let inst = linker.instantiate(&mut store, wt).expect("instantiate");
        Side::Theirs {
            store,
            inst,
            out,
            err,
        }
    }

    /// The errno's name, `trap`, or `exit N`.
    fn call(&mut self, name: &str, vals: &[Val], has_result: bool) -> String {
        let mut res = vec![Val::I32(-1); usize::from(has_result)];
        let r = match self {
            Side::Ours { inst, .. } => match inst.call(name, vals, &mut res) {
                Ok(None) => Ok(()),
                Ok(Some(Outcome::Exit(c))) => Err(format!("exit {c}")),
                Ok(Some(_)) => Err("trap".to_string()),
                Err(e) => panic!("wasihost: calling {name}: {e}"),
            },
            Side::Theirs { store, inst, .. } => {
                let f = inst.get_func(&mut *store, name).expect("export");
                match f.call(&mut *store, vals, &mut res) {
                    Ok(()) => Ok(()),
                    Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
                        Some(c) => Err(format!("exit {}", c.0 as u32)),
                        None => Err("trap".to_string()),
                    },
                }
            }
        };
        match r {
            Ok(()) if has_result => errno_name(res[0].unwrap_i32()),
            Ok(()) => "returned".to_string(),
            Err(s) => s,
        }
    }

    fn mem(&mut self) -> &mut [u8] {
        match self {
            Side::Ours { inst, .. } => {
                let m = inst
                    .wasmtime()
                    .get_memory(inst.store_mut(), "memory")
                    .expect("memory");
                m.data_mut(inst.store_mut())
            }
            Side::Theirs { store, inst, .. } => {
                let m = inst.get_memory(&mut *store, "memory").expect("memory");
                m.data_mut(store)
            }
        }
    }

    fn output(&self) -> (Vec<u8>, Vec<u8>) {
        match self {
            Side::Ours { out, err, .. } => (out.contents(), err.contents()),
            Side::Theirs { out, err, .. } => (out.contents().to_vec(), err.contents().to_vec()),
        }
    }
}

// ---------------------------------------------------------------------------
// Decoding results

fn u16_at(m: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(m[at..at + 2].try_into().expect("2 bytes"))
}

fn u32_at(m: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(m[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(m: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(m[at..at + 8].try_into().expect("8 bytes"))
}

fn start_ns() -> u64 {
    static T: OnceLock<u64> = OnceLock::new();
    *T.get_or_init(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos() as u64
    })
}

const HOUR: u64 = 3_600_000_000_000;

/// A timestamp: `now` within an hour of the run, else as it is.
fn time(t: u64) -> String {
    let now = start_ns();
    if t > now - HOUR && t < now + 2 * HOUR {
        "now".into()
    } else {
        t.to_string()
    }
}

fn filetype(t: u8) -> String {
    match t {
        0 => "unknown".into(),
        1 => "block_device".into(),
        2 => "character_device".into(),
        3 => "directory".into(),
        4 => "regular_file".into(),
        5 => "socket_dgram".into(),
        6 => "socket_stream".into(),
        7 => "symbolic_link".into(),
        _ => format!("filetype {t}"),
    }
}

/// "nonzero" for any nonzero inode or device number (each host has its own
/// copy of the fixture, and wasmtime reports hashes).
fn nz(v: u64) -> String {
    if v == 0 { "0".into() } else { "nonzero".into() }
}

fn bytes_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Bytes as text: escaped, with a run of trailing sentinel bytes shown as
/// a count.
fn bytes_show(b: &[u8]) -> String {
    let end = b.iter().rposition(|&x| x != SENTINEL).map_or(0, |i| i + 1);
    let mut s = format!("\"{}\"", b[..end].escape_ascii());
    if end < b.len() {
        let _ = write!(s, "+{}x(EE)", b.len() - end);
    }
    s
}

/// The fields of a result: (name, value).
fn decode(o: Out, m: &[u8]) -> Vec<(String, String)> {
    let f = |n: &str, v: String| (n.to_string(), v);
    match o {
        Out::U32(n, at) => vec![f(n, u32_at(m, at).to_string())],
        Out::U64(n, at) => vec![f(n, u64_at(m, at).to_string())],
        Out::Fdstat(at) => vec![
            f("fdstat.filetype", filetype(m[at])),
            f("fdstat.flags", fdflags_name(i64::from(u16_at(m, at + 2)))),
            f("fdstat.rights_base", format!("{:#x}", u64_at(m, at + 8))),
            f(
                "fdstat.rights_inheriting",
                format!("{:#x}", u64_at(m, at + 16)),
            ),
            f(
                "fdstat.padding",
                format!(
                    "{}/{}",
                    bytes_hex(&m[at + 1..at + 2]),
                    bytes_hex(&m[at + 4..at + 8])
                ),
            ),
        ],
        Out::Filestat(at) => vec![
            f("filestat.dev", nz(u64_at(m, at))),
            f("filestat.ino", nz(u64_at(m, at + 8))),
            f("filestat.filetype", filetype(m[at + 16])),
            f("filestat.nlink", u64_at(m, at + 24).to_string()),
            f("filestat.size", u64_at(m, at + 32).to_string()),
            f("filestat.atim", time(u64_at(m, at + 40))),
            f("filestat.mtim", time(u64_at(m, at + 48))),
            f("filestat.ctim", time(u64_at(m, at + 56))),
            f("filestat.padding", bytes_hex(&m[at + 17..at + 24])),
        ],
        Out::Prestat(at) => vec![
            f("prestat.tag", m[at].to_string()),
            f("prestat.name_len", u32_at(m, at + 4).to_string()),
            f("prestat.padding", bytes_hex(&m[at + 1..at + 4])),
        ],
        Out::Bytes(n, at, len) => vec![f(n, bytes_show(&m[at..at + len]))],
        Out::Random(at, len) => {
            let changed = m[at..at + len].iter().filter(|&&b| b != SENTINEL).count();
            // 1 in 256 random bytes is the sentinel.
            let v = if changed * 2 >= len {
                format!("{len} random bytes")
            } else {
                format!("{changed} of {len} bytes written")
            };
            vec![f("random", v)]
        }
        Out::Time(id, at) => {
            let t = u64_at(m, at);
            let v = match id {
                0 => time(t),
                _ if t == u64_at(&[SENTINEL; 8], 0) => "untouched".into(),
                _ => "a time".into(),
            };
            vec![f("time", v)]
        }
        Out::Dirents(at, len, n_at) => {
            let used = (u32_at(m, n_at) as usize).min(len);
            let buf = &m[at..at + used];
            let mut ents = Vec::new();
            let mut pads = Vec::new();
            let mut i = 0;
            while i < buf.len() {
                if buf.len() - i < 24 {
                    let mut h = buf[i..].to_vec();
                    for b in h.iter_mut().skip(8).take(8) {
                        *b = 0;
                    }
                    ents.push(format!("partial header {} (ino zeroed)", bytes_hex(&h)));
                    break;
                }
                let h = &buf[i..i + 24];
                let namlen = u32_at(h, 16) as usize;
                pads.push(bytes_hex(&h[21..24]));
                let name_end = (i + 24 + namlen).min(buf.len());
                ents.push(format!(
                    "[next={} ino={} {} {}]",
                    u64_at(h, 0),
                    nz(u64_at(h, 8)),
                    filetype(h[20]),
                    sp(&buf[i + 24..name_end]),
                ));
                i = name_end;
            }
            vec![
                f("dirents", ents.join(" ")),
                f("dirents.padding", pads.join(",")),
                f("dirents.unused", bytes_show(&m[at + used..at + len])),
            ]
        }
        Out::Events(at, n, n_at) => {
            let used = (u32_at(m, n_at) as usize).min(n);
            let mut v = Vec::new();
            for i in 0..n {
                let e = &m[at + 32 * i..at + 32 * (i + 1)];
                if i >= used {
                    v.push(f(&format!("event{i}"), bytes_show(e)));
                    continue;
                }
                v.push(f(
                    &format!("event{i}"),
                    format!(
                        "userdata={:#x} error={} type={} nbytes={} flags={}",
                        u64_at(e, 0),
                        errno_name(i32::from(u16_at(e, 8))),
                        e[10],
                        u64_at(e, 16),
                        u16_at(e, 24)
                    ),
                ));
                v.push(f(
                    &format!("event{i}.padding"),
                    format!("{}/{}", bytes_hex(&e[11..16]), bytes_hex(&e[26..32])),
                ));
            }
            v
        }
    }
}

// ---------------------------------------------------------------------------
// Running and comparing

struct Case {
    name: String,
    script: S,
}

fn case(v: &mut Vec<Case>, name: impl Into<String>, f: impl FnOnce(&mut S)) {
    let mut script = S::default();
    f(&mut script);
    v.push(Case {
        name: name.into(),
        script,
    });
}

/// One difference.
struct Row {
    case: String,
    step: usize,
    call: String,
    field: String,
    ours: String,
    theirs: String,
}

fn run_case(c: &Case, idx: usize, rows: &mut Vec<Row>) -> usize {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("battery")
        .join(std::process::id().to_string())
        .join(format!("{idx:04}"));
    let roots: Vec<PathBuf> = ["wasihost", "wasmtime-wasi"]
        .iter()
        .map(|s| base.join(s))
        .collect();
    for r in &roots {
        fresh(r);
    }
    let mut sides = [Side::ours(&roots[0]), Side::theirs(&roots[1])];
    let mut vars: [HashMap<&'static str, u32>; 2] = [HashMap::new(), HashMap::new()];
    let mut row = |step: usize, call: &str, field: &str, ours: String, theirs: String| {
        rows.push(Row {
            case: c.name.clone(),
            step,
            call: call.to_string(),
            field: field.to_string(),
            ours,
            theirs,
        });
    };
    for (step, call) in c.script.calls.iter().enumerate() {
        let (_, params, has_result) = SIGS
            .iter()
            .find(|s| s.0 == call.func)
            .unwrap_or_else(|| panic!("unknown function {}", call.func));
        let types: Vec<&str> = params.split_whitespace().collect();
        assert_eq!(
            types.len(),
            call.args.len(),
            "{}: argument count",
            call.label
        );
        let mut results = Vec::new();
        let mut mems = Vec::new();
        for (k, side) in sides.iter_mut().enumerate() {
            let vals: Vec<Val> = types
                .iter()
                .zip(&call.args)
                .map(|(t, a)| {
                    let v = match *a {
                        A::I(n) => n,
                        A::V(name) => i64::from(*vars[k].get(name).unwrap_or(&u32::MAX)),
                    };
                    if *t == "i64" {
                        Val::I64(v)
                    } else {
                        Val::I32(v as i32)
                    }
                })
                .collect();
            let m = side.mem();
            m.fill(SENTINEL);
            for (at, p) in &call.pokes {
                match p {
                    P::Bytes(b) => m[*at..*at + b.len()].copy_from_slice(b),
                    P::Var(name) => {
                        let v = *vars[k].get(name).unwrap_or(&u32::MAX);
                        m[*at..*at + 4].copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
            let r = side.call(call.func, &vals, *has_result);
            let m = side.mem().to_vec();
            assert_eq!(m.len(), PAGE, "memory stays one page");
            if let Some((name, at)) = call.save {
                vars[k].insert(name, u32_at(&m, at));
            }
            results.push(r);
            mems.push(m);
        }
        if std::env::var("BATTERY_TRACE").is_ok_and(|t| c.name.contains(&t)) {
            let show = |k: usize| {
                let fields: Vec<String> = call
                    .outs
                    .iter()
                    .flat_map(|o| decode(*o, &mems[k]))
                    .map(|(f, v)| format!("{f}={v}"))
                    .collect();
                format!("{} {}", results[k], fields.join(" "))
            };
            println!(
                "TRACE {} #{step} {}\n  ours:   {}\n  theirs: {}",
                c.name,
                call.label,
                show(0),
                show(1)
            );
        }
        if results[0] != results[1] {
            // For poll_oneoff, what the succeeding side reported.
            let show = |k: usize| {
                let mut v = results[k].clone();
                if call.func == "poll_oneoff" && results[k] == "success" {
                    for o in &call.outs {
                        for (f, x) in decode(*o, &mems[k]) {
                            if !f.ends_with("padding") {
                                let _ = write!(v, " {f}={x}");
                            }
                        }
                    }
                }
                v
            };
            row(step, &call.label, "errno", show(0), show(1));
            continue;
        }
        let mut covered = vec![false; PAGE];
        for o in &call.outs {
            let (at, n) = o.range();
            covered[at..at + n].iter_mut().for_each(|b| *b = true);
            let a = decode(*o, &mems[0]);
            let b = decode(*o, &mems[1]);
            for ((fa, va), (_, vb)) in a.iter().zip(&b) {
                if va != vb {
                    row(step, &call.label, fa, va.clone(), vb.clone());
                }
            }
        }
        let mut stray = String::new();
        let mut i = 0;
        while i < PAGE {
            if !covered[i] && mems[0][i] != mems[1][i] {
                let start = i;
                while i < PAGE && !covered[i] && mems[0][i] != mems[1][i] && i - start < 32 {
                    i += 1;
                }
                let _ = write!(
                    stray,
                    "{start:#x}: {} vs {}; ",
                    bytes_hex(&mems[0][start..i]),
                    bytes_hex(&mems[1][start..i])
                );
            } else {
                i += 1;
            }
        }
        if !stray.is_empty() {
            row(step, &call.label, "memory", stray, "(see left)".into());
        }
    }
    let end = c.script.calls.len();
    let (t0, t1) = (tree_lines(&roots[0]), tree_lines(&roots[1]));
    for line in &t0 {
        if !t1.contains(line) {
            row(end, "(end)", "tree", line.clone(), "-".into());
        }
    }
    for line in &t1 {
        if !t0.contains(line) {
            row(end, "(end)", "tree", "-".into(), line.clone());
        }
    }
    let (o0, o1) = (sides[0].output(), sides[1].output());
    if o0.0 != o1.0 {
        row(end, "(end)", "stdout", bytes_show(&o0.0), bytes_show(&o1.0));
    }
    if o0.1 != o1.1 {
        row(end, "(end)", "stderr", bytes_show(&o0.1), bytes_show(&o1.1));
    }
    drop(sides);
    let _ = std::fs::remove_dir_all(&base);
    c.script.calls.len()
}

fn matches(k: &Known, r: &Row) -> bool {
    let case_ok = match k.case.strip_suffix('*') {
        Some(p) => r.case.starts_with(p),
        None => r.case == k.case,
    };
    let call_ok = k.calls.is_empty()
        || k.calls.iter().any(|c| match c.strip_prefix('~') {
            Some(sub) => r.call.contains(sub),
            None => r.call.starts_with(c),
        });
    case_ok && call_ok && r.field.starts_with(k.field) && r.ours.contains(k.ours)
}

#[test]
fn battery() {
    start_ns();
    let cases = cases();
    let mut names = std::collections::BTreeSet::new();
    for c in &cases {
        assert!(names.insert(c.name.as_str()), "case name twice: {}", c.name);
    }
    let mut rows = Vec::new();
    let mut calls = 0;
    for (i, c) in cases.iter().enumerate() {
        calls += run_case(c, i, &mut rows);
    }
    let mut used_allowed = vec![0usize; ALLOWED.len()];
    let mut used_bugs = vec![0usize; EXPECTED_BUGS.len()];
    let mut unlisted = Vec::new();
    let mut table = String::new();
    for r in &rows {
        let class = if let Some(i) = ALLOWED.iter().position(|k| matches(k, r)) {
            used_allowed[i] += 1;
            format!("allowed ({})", ALLOWED[i].see)
        } else if let Some(i) = EXPECTED_BUGS.iter().position(|k| matches(k, r)) {
            used_bugs[i] += 1;
            "suspected bug (EXPECTED_BUGS)".to_string()
        } else {
            unlisted.push(r);
            "UNLISTED".to_string()
        };
        let _ = writeln!(
            table,
            "{} #{} | {} | {} | wasihost: {} | wasmtime: {} | {}",
            r.case, r.step, r.call, r.field, r.ours, r.theirs, class
        );
    }
    println!(
        "battery: {} cases, {calls} calls compared, {} differences\n{table}",
        cases.len(),
        rows.len()
    );
    let mut problems = Vec::new();
    for r in &unlisted {
        problems.push(format!(
            "unlisted difference: {} #{} | {} | {} | wasihost: {} | wasmtime: {}",
            r.case, r.step, r.call, r.field, r.ours, r.theirs
        ));
    }
    for (k, n) in ALLOWED.iter().zip(&used_allowed) {
        if *n == 0 {
            problems.push(format!(
                "ALLOWED entry no longer differs (remove it): {} / {:?} / {}",
                k.case, k.calls, k.field
            ));
        }
        assert!(!k.why.is_empty() && !k.see.is_empty());
    }
    for (k, n) in EXPECTED_BUGS.iter().zip(&used_bugs) {
        if *n == 0 {
            problems.push(format!(
                "EXPECTED_BUGS entry is fixed (or no longer shows): remove it: {} / {:?} / {}",
                k.case, k.calls, k.field
            ));
        }
        assert!(!k.why.is_empty() && !k.see.is_empty());
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Cases

/// Paths of the fixture, each tried with every path function.
const PATHS: &[&[u8]] = &[
    b"file.txt",
    b"empty.txt",
    b"dir",
    b"emptydir",
    b"link_file",
    b"link_dir",
    b"dangling",
    b"loop_a",
    b"escape_dir",
    b"escape_file",
    b"abs_link",
    b"missing",
    b"file.txt/",
    b"dir/",
    b"link_file/",
    b"link_dir/",
    b"dangling/",
    b"missing/",
    b".",
    b"..",
    b"",
    b"./file.txt",
    b"dir/.",
    b"dir/..",
    b"dir/../file.txt",
    b"dir/./inner.txt",
    b"dir/up",
    b"link_dir/inner.txt",
    b"escape_dir/o.txt",
    b"../sb/file.txt",
    b"/file.txt",
    b"missing/x",
    b"file.txt/x",
    b"\xff\xfe",
];

fn cases() -> Vec<Case> {
    let mut v = Vec::new();

    case(&mut v, "args environ", |s| {
        for (sizes, get) in [
            ("args_sizes_get", "args_get"),
            ("environ_sizes_get", "environ_get"),
        ] {
            s.raw(
                format!("{sizes}()"),
                sizes,
                vec![A::I(OUT as i64), A::I(OUT as i64 + 4)],
            )
            .out(Out::U32("count", OUT))
            .out(Out::U32("buf_size", OUT + 4));
            s.raw(
                format!("{get}()"),
                get,
                vec![A::I(ARGV as i64), A::I(BUF as i64)],
            )
            .out(Out::Bytes("pointers", ARGV, 4 * 5))
            .out(Out::Bytes("strings", BUF, 64));
        }
    });

    case(&mut v, "clocks", |s| {
        for id in [0u32, 1, 2, 3] {
            s.raw(
                format!("clock_res_get({id})"),
                "clock_res_get",
                vec![A::I(i64::from(id)), A::I(OUT as i64)],
            )
            .out(Out::U64("resolution", OUT));
            for precision in [0i64, 1, 1_000_000, -1] {
                s.raw(
                    format!("clock_time_get({id}, {})", precision as u64),
                    "clock_time_get",
                    vec![A::I(i64::from(id)), A::I(precision), A::I(OUT as i64)],
                )
                .out(Out::Time(id, OUT));
            }
        }
    });

    case(&mut v, "proc_raise sched_yield", |s| {
        for sig in 0..=30 {
            s.raw(format!("proc_raise({sig})"), "proc_raise", vec![A::I(sig)]);
        }
        s.raw("sched_yield()".into(), "sched_yield", vec![]);
    });

    case(&mut v, "random_get", |s| {
        for len in [0usize, 1, 16, 1000] {
            s.raw(
                format!("random_get(len={len})"),
                "random_get",
                vec![A::I(BUF as i64), A::I(len as i64)],
            )
            .out(Out::Random(BUF, len));
        }
    });

    for code in [0i64, 7, 125] {
        case(&mut v, format!("proc_exit {code}"), |s| {
            s.write(A::I(1), &[b"before exit\n"]);
            s.raw(format!("proc_exit({code})"), "proc_exit", vec![A::I(code)]);
        });
    }

    case(&mut v, "stdio stat", |s| {
        for fd in 0..=2 {
            s.fdstat(A::I(fd));
            s.filestat(A::I(fd));
            s.prestat(A::I(fd));
            s.prestat_name(A::I(fd), 8);
        }
    });

    case(&mut v, "stdio read", |s| {
        s.read(A::I(0), &[4]);
        s.read(A::I(0), &[3, 5]);
        s.read(A::I(0), &[0, 4]);
        s.read(A::I(0), &[0]);
        s.read(A::I(0), &[]);
        s.read(A::I(0), &[64]);
        s.read(A::I(0), &[64]);
        s.read(A::I(1), &[4]);
        s.read(A::I(2), &[4]);
    });

    case(&mut v, "stdio write", |s| {
        s.write(A::I(1), &[b"out one\n"]);
        s.write(A::I(2), &[b"err one\n"]);
        s.write(A::I(1), &[b""]);
        s.write(A::I(1), &[]);
        s.write(A::I(1), &[b"", b"after empty\n"]);
        s.write(A::I(1), &[b"two ", b"iovecs\n"]);
        s.write(A::I(0), &[b"to stdin\n"]);
    });

    case(&mut v, "stdio file calls", |s| {
        for fd in 0..=2 {
            let f = A::I(fd);
            for w in 0..=2 {
                s.seek(f, 0, w);
            }
            s.seek(f, 5, 0);
            s.tell(f);
            s.pread(f, 4, 0);
            s.pwrite(f, b"x", 0);
            s.fd_only("fd_sync", f);
            s.fd_only("fd_datasync", f);
            s.advise(f, 0, 0, 0);
            s.allocate(f, 0, 10);
            s.set_size(f, 0);
            s.set_times(f, 0, 0, ATIM_NOW | MTIM_NOW);
            s.readdir(f, 128, 0);
        }
    });

    case(&mut v, "stdio flags", |s| {
        s.set_flags(A::I(1), APPEND);
        s.fdstat(A::I(1));
        s.set_flags(A::I(1), 0);
        s.fdstat(A::I(1));
        s.set_flags(A::I(0), NONBLOCK);
        s.fdstat(A::I(0));
        s.read(A::I(0), &[4]);
    });

    case(&mut v, "stdio sync flags", |s| {
        for fd in 0..=2 {
            for fl in [SYNC, DSYNC, RSYNC] {
                s.set_flags(A::I(fd), fl);
                s.fdstat(A::I(fd));
            }
        }
    });

    case(&mut v, "stdio path calls", |s| {
        s.open(A::I(0), 0, b"file.txt", 0, RO, 0);
        s.path1("path_create_directory", A::I(1), b"x");
        s.pstat(A::I(2), 0, b"file.txt");
    });

    case(&mut v, "prestat", |s| {
        for fd in [3, 4, 5] {
            s.prestat(A::I(fd));
        }
        for len in [0, 2, 3, 4, 10] {
            s.prestat_name(SB, len);
        }
        s.prestat_name(SB2, 4);
        s.open(SB, 0, b"dir", DIRECTORY, RO, 0);
        s.prestat(A::V("f"));
        s.prestat_name(A::V("f"), 8);
    });

    case(&mut v, "closed fds", |s| {
        for fd in [A::I(5), A::I(99), A::I(0x7fff_ffff), A::I(-1)] {
            s.read(fd, &[4]);
            s.write(fd, &[b"x"]);
            s.pread(fd, 4, 0);
            s.pwrite(fd, b"x", 0);
            s.seek(fd, 0, 1);
            s.tell(fd);
            s.fdstat(fd);
            s.filestat(fd);
            s.set_flags(fd, 0);
            s.set_size(fd, 0);
            s.set_times(fd, 0, 0, 0);
            s.advise(fd, 0, 0, 0);
            s.allocate(fd, 0, 1);
            s.fd_only("fd_sync", fd);
            s.fd_only("fd_datasync", fd);
            s.fd_only("fd_close", fd);
            s.readdir(fd, 64, 0);
            s.prestat(fd);
            s.prestat_name(fd, 4);
            s.renumber(fd, A::I(1));
            s.renumber(A::I(1), fd);
            s.raw(
                format!("fd_fdstat_set_rights({}, ALL, ALL)", show_a(fd)),
                "fd_fdstat_set_rights",
                vec![fd, A::I(ALL), A::I(ALL)],
            );
            s.open(fd, 0, b"file.txt", 0, RO, 0);
            s.path1("path_create_directory", fd, b"x");
            s.path1("path_remove_directory", fd, b"emptydir");
            s.path1("path_unlink_file", fd, b"file.txt");
            s.pstat(fd, 0, b"file.txt");
            s.link(fd, 0, b"file.txt", SB, b"l");
            s.link(SB, 0, b"file.txt", fd, b"l");
            s.rename(fd, b"file.txt", SB, b"r");
            s.rename(SB, b"file.txt", fd, b"r");
            s.raw(
                format!("path_readlink({}, \"link_file\")", show_a(fd)),
                "path_readlink",
                vec![
                    fd,
                    A::I(PATH as i64),
                    A::I(9),
                    A::I(BUF as i64),
                    A::I(16),
                    A::I(OUT as i64),
                ],
            )
            .poke(PATH, &b"link_file"[..]);
            s.raw(
                format!("path_symlink(\"t\", {}, \"s\")", show_a(fd)),
                "path_symlink",
                vec![A::I(PATH2 as i64), A::I(1), fd, A::I(PATH as i64), A::I(1)],
            )
            .poke(PATH2, &b"t"[..])
            .poke(PATH, &b"s"[..]);
            s.raw(
                format!("path_filestat_set_times({}, \"file.txt\")", show_a(fd)),
                "path_filestat_set_times",
                vec![
                    fd,
                    A::I(0),
                    A::I(PATH as i64),
                    A::I(8),
                    A::I(0),
                    A::I(0),
                    A::I(0),
                ],
            )
            .poke(PATH, &b"file.txt"[..]);
        }
    });

    case(&mut v, "sockets", |s| {
        for fd in [A::I(0), A::I(1), SB, A::I(99)] {
            s.raw(
                format!("sock_accept({}, 0)", show_a(fd)),
                "sock_accept",
                vec![fd, A::I(0), A::I(OUT as i64)],
            )
            .out(Out::U32("fd", OUT));
            s.raw(
                format!("sock_recv({}, [4], 0)", show_a(fd)),
                "sock_recv",
                vec![
                    fd,
                    A::I(IOV as i64),
                    A::I(1),
                    A::I(0),
                    A::I(OUT as i64),
                    A::I(OUT2 as i64),
                ],
            )
            .poke(
                IOV,
                [(BUF as u32).to_le_bytes(), 4u32.to_le_bytes()].concat(),
            )
            .out(Out::U32("nread", OUT))
            .out(Out::U32("roflags", OUT2));
            s.raw(
                format!("sock_send({}, [\"x\"], 0)", show_a(fd)),
                "sock_send",
                vec![fd, A::I(IOV as i64), A::I(1), A::I(0), A::I(OUT as i64)],
            )
            .poke(
                IOV,
                [(BUF as u32).to_le_bytes(), 1u32.to_le_bytes()].concat(),
            )
            .poke(BUF, &b"x"[..])
            .out(Out::U32("nwritten", OUT));
            for how in [1, 2, 3] {
                s.raw(
                    format!("sock_shutdown({}, {how})", show_a(fd)),
                    "sock_shutdown",
                    vec![fd, A::I(how)],
                );
            }
        }
        s.open(SB, 0, b"file.txt", 0, ALL, 0);
        s.raw(
            "sock_accept($f, 0)".into(),
            "sock_accept",
            vec![A::V("f"), A::I(0), A::I(OUT as i64)],
        )
        .out(Out::U32("fd", OUT));
        s.raw(
            "sock_shutdown($f, 3)".into(),
            "sock_shutdown",
            vec![A::V("f"), A::I(3)],
        );
    });

    case(&mut v, "file read seek", |s| {
        let f = A::V("f");
        s.open(SB, 0, b"file.txt", 0, ALL, 0);
        s.fdstat(f);
        s.filestat(f);
        s.read(f, &[5]);
        s.tell(f);
        s.read(f, &[1, 2, 3]);
        s.tell(f);
        s.read(f, &[100]);
        s.read(f, &[100]);
        for (off, w) in [
            (0, 0),
            (6, 0),
            (12, 0),
            (100, 0),
            (i64::MAX, 0),
            (-1, 0),
            (i64::MIN, 0),
            (0, 1),
            (-3, 1),
            (-100, 1),
            (5, 1),
            (i64::MAX, 1),
            (0, 2),
            (-5, 2),
            (5, 2),
            (-13, 2),
            (i64::MAX, 2),
        ] {
            s.seek(f, off, w);
            s.tell(f);
        }
        s.seek(f, 100, 0);
        s.read(f, &[8]);
        s.seek(f, 6, 0);
        s.read(f, &[3]);
        for off in [0i64, 6, 11, 12, 13, 100, i64::MAX, -1, i64::MIN] {
            s.pread(f, 8, off);
        }
        s.tell(f);
        s.read(f, &[0]);
        s.close(f);
        s.close(f);
        s.read(f, &[1]);
    });

    case(&mut v, "file write", |s| {
        let f = A::V("f");
        s.open(SB, 0, b"file.txt", 0, ALL, 0);
        s.write(f, &[b"HELLO"]);
        s.tell(f);
        s.write(f, &[b"_", b"W"]);
        s.seek(f, 0, 2);
        s.write(f, &[b"tail"]);
        s.seek(f, 20, 0);
        s.write(f, &[b"gap"]);
        s.filestat(f);
        s.pwrite(f, b"pw", 0);
        s.tell(f);
        s.pwrite(f, b"far", 30);
        s.pwrite(f, b"", 40);
        s.pwrite(f, b"x", -1);
        s.pwrite(f, b"x", i64::MAX);
        s.pwrite(f, b"x", i64::MAX - 1);
        s.filestat(f);
        s.pread(f, 40, 0);
        s.write(f, &[]);
        s.seek(f, i64::MAX - 1, 0);
        s.write(f, &[b"x"]);
        s.seek(f, 0, 0);
        s.read(f, &[64]);
        s.close(f);
    });

    case(&mut v, "file append", |s| {
        let f = A::V("f");
        s.open(SB, 0, b"file.txt", 0, ALL, APPEND);
        s.fdstat(f);
        s.tell(f);
        s.write(f, &[b"A1"]);
        s.tell(f);
        s.seek(f, 0, 0);
        s.write(f, &[b"A2"]);
        s.tell(f);
        s.pwrite(f, b"P", 0);
        s.pread(f, 32, 0);
        s.set_flags(f, 0);
        s.fdstat(f);
        s.seek(f, 0, 0);
        s.write(f, &[b"X"]);
        s.set_flags(f, APPEND);
        s.fdstat(f);
        s.write(f, &[b"Z"]);
        s.pread(f, 32, 0);
        s.close(f);
    });

    case(&mut v, "file fdflags", |s| {
        let f = A::V("f");
        s.open(SB, 0, b"file.txt", 0, ALL, 0);
        for fl in [0, APPEND, DSYNC, NONBLOCK, RSYNC, SYNC, APPEND | NONBLOCK] {
            s.set_flags(f, fl);
            s.fdstat(f);
        }
        s.close(f);
        s.open(SB, 0, b"file.txt", 0, ALL, APPEND | NONBLOCK);
        s.fdstat(f);
        s.write(f, &[b"w"]);
        s.close(f);
    });

    // Each in its own case: wasmtime refuses them at open, so what follows
    // differs too.
    for fl in [DSYNC, RSYNC, SYNC] {
        case(&mut v, format!("open with {}", fdflags_name(fl)), |s| {
            let f = A::V("f");
            s.open(SB, 0, b"file.txt", 0, ALL, fl);
            s.fdstat(f);
            s.write(f, &[b"w"]);
            s.close(f);
        });
    }

    case(&mut v, "file sizes times", |s| {
        let f = A::V("f");
        s.open(SB, 0, b"file.txt", 0, ALL, 0);
        for size in [5i64, 0, 100, 1 << 40, i64::MAX, -1, 7] {
            s.set_size(f, size);
            s.filestat(f);
        }
        s.pread(f, 16, 0);
        for (a, m, fl) in [
            (0i64, 0i64, 0i64),
            (1_000_000_000, 2_000_000_000, ATIM | MTIM),
            (123_456_789_012_345_678, 0, ATIM),
            (0, 987_654_321_987_654_321, MTIM),
            (0, 0, ATIM_NOW),
            (0, 0, MTIM_NOW),
            (0, 0, ATIM_NOW | MTIM_NOW),
            (5, 0, ATIM | ATIM_NOW),
            (0, 5, MTIM | MTIM_NOW),
            (-1, -1, ATIM | MTIM),
            (1, 1, ATIM | MTIM),
        ] {
            s.set_times(f, a, m, fl);
            s.filestat(f);
        }
        s.fd_only("fd_sync", f);
        s.fd_only("fd_datasync", f);
        for adv in 0..=5 {
            s.advise(f, 0, 0, adv);
        }
        s.advise(f, 10, 100, 1);
        s.advise(f, -1, 10, 0);
        s.advise(f, 0, -1, 0);
        s.filestat(f);
        s.close(f);
    });

    case(&mut v, "file allocate", |s| {
        let f = A::V("f");
        s.open(SB, 0, b"file.txt", 0, ALL, 0);
        for (off, len) in [(0i64, 0i64), (0, 10), (100, 10), (-1, 1), (i64::MAX, 1)] {
            s.allocate(f, off, len);
        }
        s.close(f);
    });

    case(&mut v, "directory fds", |s| {
        s.open_as(SB, 0, b"dir", DIRECTORY, RO, 0, "d");
        for d in [A::V("d"), SB] {
            s.fdstat(d);
            s.filestat(d);
            s.read(d, &[4]);
            s.write(d, &[b"x"]);
            s.pread(d, 4, 0);
            s.pwrite(d, b"x", 0);
            s.seek(d, 0, 0);
            s.seek(d, 0, 1);
            s.tell(d);
            s.advise(d, 0, 0, 0);
            s.allocate(d, 0, 1);
            s.set_size(d, 0);
            s.fd_only("fd_sync", d);
            s.fd_only("fd_datasync", d);
            s.set_times(d, 1_000_000_000, 2_000_000_000, ATIM | MTIM);
            s.filestat(d);
            s.set_flags(d, 0);
            s.set_flags(d, APPEND);
            s.set_flags(d, NONBLOCK);
            s.fdstat(d);
        }
        // Path calls through a directory that is not a preopen.
        s.open_as(A::V("d"), 0, b"inner.txt", 0, ALL, 0, "i");
        s.read(A::V("i"), &[16]);
        s.open_as(A::V("d"), 0, b"../file.txt", 0, ALL, 0, "e");
        s.open_as(A::V("d"), FOLLOW, b"up", 0, ALL, 0, "u");
        s.read(A::V("u"), &[16]);
        s.pstat(A::V("d"), 0, b"sub");
        s.pstat(A::V("d"), 0, b"..");
        s.pstat(A::V("d"), 0, b".");
        // Path calls relative to a file.
        s.open_as(SB, 0, b"file.txt", 0, ALL, 0, "f");
        s.open(A::V("f"), 0, b"x", 0, RO, 0);
        s.pstat(A::V("f"), 0, b"x");
        s.pstat(A::V("f"), 0, b"");
        s.path1("path_create_directory", A::V("f"), b"x");
        s.readdir(A::V("f"), 128, 0);
    });

    case(&mut v, "readdir", |s| {
        s.open_as(SB, 0, b"dir", DIRECTORY, RO, 0, "d");
        let d = A::V("d");
        for len in [4096usize, 0, 1, 23, 24, 25, 26, 30, 48, 50, 64, 100] {
            s.readdir(d, len, 0);
        }
        for cookie in [1i64, 2, 3, 4, 5, 6, 100, -1] {
            s.readdir(d, 4096, cookie);
        }
        s.readdir(d, 26, 2);
        s.readdir(d, 30, 3);
        // Changes after a listing.
        s.open_as(A::V("d"), 0, b"new.txt", CREAT, ALL, 0, "n");
        s.readdir(d, 4096, 3);
        s.readdir(d, 4096, 0);
        s.path1("path_unlink_file", d, b"new.txt");
        s.readdir(d, 4096, 0);
        s.open_as(SB, 0, b"emptydir", DIRECTORY, RO, 0, "e");
        s.readdir(A::V("e"), 4096, 0);
        s.readdir(A::V("e"), 4096, 2);
        s.readdir(SB2, 4096, 0);
        s.close(d);
        s.readdir(d, 4096, 0);
    });

    case(&mut v, "readdir preopen", |s| {
        s.readdir(SB, 8192, 0);
        s.readdir(SB, 8192, 5);
    });

    case(&mut v, "renumber", |s| {
        s.open_as(SB, 0, b"file.txt", 0, ALL, 0, "f");
        s.open_as(SB, 0, b"empty.txt", 0, ALL, 0, "g");
        s.renumber(A::V("f"), A::V("f"));
        s.renumber(A::V("f"), A::V("g"));
        s.read(A::V("g"), &[5]);
        s.read(A::V("f"), &[5]);
        s.renumber(A::V("g"), A::I(20));
        s.read(A::I(20), &[5]);
        s.open_as(SB, 0, b"dir/inner.txt", 0, ALL, 0, "h");
        s.renumber(A::V("h"), A::I(1));
        s.write(A::I(1), &[b"to inner\n"]);
        s.fdstat(A::I(1));
        s.fdstat(A::V("h"));
        s.renumber(A::I(2), SB2);
        s.fdstat(SB2);
        s.prestat(SB2);
        s.write(SB2, &[b"err via 4\n"]);
        s.renumber(SB, A::I(30));
        s.prestat(A::I(30));
        s.open(A::I(30), 0, b"file.txt", 0, RO, 0);
        s.read(A::V("f"), &[4]);
    });

    case(&mut v, "fd allocation", |s| {
        s.open_as(SB, 0, b"file.txt", 0, RO, 0, "a");
        s.open_as(SB, 0, b"file.txt", 0, RO, 0, "b");
        s.open_as(SB, 0, b"file.txt", 0, RO, 0, "c");
        s.close(A::V("a"));
        s.close(A::V("b"));
        s.open_as(SB, 0, b"file.txt", 0, RO, 0, "d");
        s.open_as(SB, 0, b"file.txt", 0, RO, 0, "e");
        s.close(A::I(0));
        s.open_as(SB, 0, b"file.txt", 0, RO, 0, "g");
        s.close(SB2);
        s.open_as(SB, 0, b"file.txt", 0, RO, 0, "h");
    });

    case(&mut v, "close preopen", |s| {
        s.close(SB);
        s.open(SB, 0, b"file.txt", 0, RO, 0);
        s.prestat(SB);
        s.close(SB);
        s.close(A::I(1));
        s.write(A::I(1), &[b"x"]);
    });

    // path_open: every oflags / lookupflags / rights combination on each
    // kind of path, in a fresh fixture per path.
    let oflags = [
        0,
        CREAT,
        DIRECTORY,
        EXCL,
        TRUNC,
        CREAT | EXCL,
        CREAT | TRUNC,
        CREAT | DIRECTORY,
        DIRECTORY | EXCL,
        DIRECTORY | TRUNC,
        CREAT | EXCL | TRUNC,
    ];
    for path in PATHS {
        case(&mut v, format!("open {}", sp(path)), |s| {
            for rights in [RO, ALL] {
                for look in [0, FOLLOW] {
                    for of in oflags {
                        s.open(SB, look, path, of, rights, 0);
                        s.filestat(A::V("f"));
                        s.close(A::V("f"));
                    }
                }
            }
        });
    }

    case(&mut v, "open new file", |s| {
        let f = A::V("f");
        s.open(SB, 0, b"new.txt", CREAT | EXCL, ALL, 0);
        s.write(f, &[b"brand new"]);
        s.filestat(f);
        s.seek(f, 0, 0);
        s.read(f, &[4]);
        s.close(f);
        s.open(SB, 0, b"new.txt", CREAT | EXCL, ALL, 0);
        s.open(SB, 0, b"new.txt", CREAT | TRUNC, ALL, 0);
        s.filestat(f);
        s.close(f);
        s.open(SB, 0, b"dir/new2.txt", CREAT, ALL, 0);
        s.close(f);
        s.open(SB, FOLLOW, b"link_dir/new3.txt", CREAT, ALL, 0);
        s.close(f);
        s.open(SB, 0, b"link_dir/new4.txt", CREAT, ALL, 0);
        s.close(f);
        s.open(SB, 0, b"new5.txt", CREAT, RO, 0);
        s.close(f);
        s.open(SB, 0, b"new6.txt/", CREAT, ALL, 0);
        s.open(SB, 0, b"emptydir/.", CREAT, ALL, 0);
        s.open(SB, 0, b"emptydir/..", CREAT, ALL, 0);
    });

    case(&mut v, "long paths", |s| {
        let name255 = vec![b'n'; 255];
        let name256 = vec![b'n'; 256];
        let mut dots4095 = b"./".repeat(2043);
        dots4095.extend_from_slice(b"/file.txt");
        let mut dots4096 = b"./".repeat(2044);
        dots4096.extend_from_slice(b"file.txt");
        let mut dots5000 = b"./".repeat(2496);
        dots5000.extend_from_slice(b"file.txt");
        assert_eq!(
            (dots4095.len(), dots4096.len(), dots5000.len()),
            (4095, 4096, 5000)
        );
        for p in [&name255, &name256] {
            s.open(SB, 0, p, CREAT, ALL, 0);
            s.close(A::V("f"));
            s.mkdir(&[p.as_slice(), b"d"].concat());
            s.pstat(SB, 0, p);
        }
        for p in [&dots4095, &dots4096, &dots5000] {
            s.open(SB, 0, p, 0, RO, 0);
            s.close(A::V("f"));
            s.pstat(SB, 0, p);
            s.mkdir(&[p.as_slice(), b"x"].concat());
        }
        s.unlink(&name255);
        s.unlink(&name256);
    });

    case(&mut v, "non-utf8", |s| {
        for p in [&b"\xff"[..], b"a\xc3", b"\xfe\xff/x", b"dir/\x80"] {
            s.open(SB, 0, p, CREAT, ALL, 0);
            s.mkdir(p);
            s.rmdir(p);
            s.unlink(p);
            s.pstat(SB, 0, p);
            s.readlink(p, 16);
            s.symlink(b"file.txt", p);
            s.symlink(p, b"s");
            s.link(SB, 0, b"file.txt", SB, p);
            s.rename(SB, p, SB, b"r");
            s.pset_times(0, p, 0, 0, ATIM_NOW);
        }
    });

    // path_filestat_get / set_times over every path.
    case(&mut v, "path_filestat_get", |s| {
        for p in PATHS {
            for look in [0, FOLLOW] {
                s.pstat(SB, look, p);
            }
        }
    });

    case(&mut v, "path_filestat_set_times", |s| {
        for p in PATHS {
            for look in [0, FOLLOW] {
                s.pset_times(look, p, 1_111_111_111, 2_222_222_222, ATIM | MTIM);
                s.pstat(SB, look, p);
            }
        }
        for (a, m, fl) in [
            (0i64, 0i64, 0i64),
            (0, 0, ATIM_NOW | MTIM_NOW),
            (5, 0, ATIM | ATIM_NOW),
            (0, 5, MTIM | MTIM_NOW),
            (-1, -1, ATIM | MTIM),
        ] {
            s.pset_times(0, b"file.txt", a, m, fl);
            s.pstat(SB, 0, b"file.txt");
        }
    });

    case(&mut v, "path_readlink", |s| {
        for p in PATHS {
            s.readlink(p, 64);
        }
        for len in [0usize, 1, 7, 8, 9] {
            s.readlink(b"link_file", len);
        }
    });

    for p in PATHS {
        case(&mut v, format!("create_directory {}", sp(p)), |s| {
            s.mkdir(p);
            s.pstat(SB, 0, p);
        });
        case(&mut v, format!("remove_directory {}", sp(p)), |s| {
            s.rmdir(p);
            s.pstat(SB, 0, p);
        });
        case(&mut v, format!("unlink_file {}", sp(p)), |s| {
            s.unlink(p);
            s.pstat(SB, 0, p);
        });
    }

    case(&mut v, "remove nested", |s| {
        s.mkdir(b"a");
        s.mkdir(b"a/b");
        s.rmdir(b"a");
        s.rmdir(b"a/b/");
        s.rmdir(b"a/.");
        s.rmdir(b"a");
        s.mkdir(b"emptydir/x/");
        s.rmdir(b"emptydir/x/.");
        s.rmdir(b"emptydir/x/..");
        s.rmdir(b"emptydir/x");
    });

    case(&mut v, "symlink", |s| {
        for (t, p) in [
            (&b"file.txt"[..], &b"s1"[..]),
            (b"nowhere", b"s2"),
            (b"../outside.txt", b"s3"),
            (b"/abs/target", b"s4"),
            (b"file.txt", b"file.txt"),
            (b"file.txt", b"dir"),
            (b"file.txt", b"dangling"),
            (b"t", b"s5/"),
            (b"t", b"missing/s"),
            (b"", b"s6"),
            (b"t", b"."),
            (b"t", b"dir/."),
            (b"t", b".."),
            (b"t", b""),
            (b"dir/", b"s7"),
            (b"t", b"link_dir/s8"),
            (b"t", b"escape_dir/s9"),
        ] {
            s.symlink(t, p);
            s.readlink(p, 64);
            s.pstat(SB, 0, p);
        }
        s.open(SB, FOLLOW, b"s1", 0, RO, 0);
        s.read(A::V("f"), &[5]);
        s.open(SB, FOLLOW, b"s3", 0, RO, 0);
        s.open(SB, FOLLOW, b"s7", 0, RO, 0);
        s.fdstat(A::V("f"));
    });

    case(&mut v, "link", |s| {
        for (look, o, n) in [
            (0, &b"file.txt"[..], &b"hl1"[..]),
            (0, b"dir", b"hl2"),
            (0, b"link_file", b"hl3"),
            (FOLLOW, b"link_file", b"hl4"),
            (0, b"dangling", b"hl5"),
            (0, b"missing", b"hl6"),
            (0, b"file.txt", b"empty.txt"),
            (0, b"file.txt", b"dir"),
            (0, b"file.txt", b"new/"),
            (0, b"file.txt", b"dir/"),
            (0, b"file.txt/", b"hl7"),
            (0, b"dir/", b"hl8"),
            (0, b"file.txt", b"."),
            (0, b".", b"hl9"),
            (0, b"file.txt", b""),
            (0, b"", b"hl10"),
            (0, b"escape_file", b"hl11"),
            (0, b"file.txt", b"escape_dir/hl12"),
            (0, b"file.txt", b"link_dir/hl13"),
        ] {
            s.link(SB, look, o, SB, n);
            s.pstat(SB, 0, n);
        }
        s.link(SB, 0, b"file.txt", SB2, b"cross");
        s.pstat(SB2, 0, b"cross");
        s.pstat(SB, 0, b"file.txt");
    });

    case(&mut v, "rename", |s| {
        for (o, n) in [
            (&b"file.txt"[..], &b"renamed.txt"[..]),
            (b"renamed.txt", b"empty.txt"),
            (b"empty.txt", b"dir"),
            (b"emptydir", b"dir"),
            (b"dir", b"file2"),
            (b"dir", b"dir/sub/inside"),
            (b"missing", b"x"),
            (b"empty.txt/", b"x"),
            (b"empty.txt", b"y/"),
            (b".", b"x"),
            (b"dir/sub", b"."),
            (b"..", b"x"),
            (b"", b"x"),
            (b"empty.txt", b""),
            (b"link_dir", b"ld2"),
            (b"ld2/", b"ld3"),
            (b"dangling", b"dang2"),
            (b"loop_a", b"loop_c"),
            (b"escape_file", b"esc2"),
            (b"empty.txt", b"escape_dir/x"),
            (b"dir/sub", b"sub2/"),
            (b"sub2", b"emptydir"),
            (b"dir/inner.txt", b"dir/inner.txt"),
            (b"dir", b"dir"),
        ] {
            s.rename(SB, o, SB, n);
            s.pstat(SB, 0, o);
            s.pstat(SB, 0, n);
        }
        s.mkdir(b"full");
        s.mkdir(b"full/x");
        s.mkdir(b"other");
        s.rename(SB, b"other", SB, b"full");
        s.rename(SB, b"empty.txt", SB2, b"moved");
        s.pstat(SB2, 0, b"moved");
    });

    case(&mut v, "rename open file", |s| {
        s.open(SB, 0, b"file.txt", 0, ALL, 0);
        s.rename(SB, b"file.txt", SB, b"moved.txt");
        s.read(A::V("f"), &[5]);
        s.filestat(A::V("f"));
        s.unlink(b"moved.txt");
        s.filestat(A::V("f"));
        s.write(A::V("f"), &[b"still"]);
        s.pread(A::V("f"), 32, 0);
        s.close(A::V("f"));
    });

    case(&mut v, "poll clocks", |s| {
        s.poll("realtime relative 0", &[clock(0, 0, 0)]);
        s.poll("monotonic relative 0", &[clock(1, 0, 0)]);
        s.poll("monotonic relative 1ms", &[clock(1, 1_000_000, 0)]);
        s.poll("realtime absolute past", &[clock(0, 1, 1)]);
        s.poll("monotonic absolute past", &[clock(1, 1, 1)]);
        s.poll("two clocks", &[clock(1, 5_000_000_000, 0), clock(1, 0, 0)]);
        s.poll("process cputime", &[clock(2, 0, 0)]);
        s.poll("thread cputime", &[clock(3, 0, 0)]);
        s.poll("none", &[]);
    });

    case(&mut v, "poll fds", |s| {
        s.poll("stdin read", &[rd(A::I(0))]);
        s.poll("stdout write", &[wr(A::I(1))]);
        s.poll("stderr write", &[wr(A::I(2))]);
        s.poll("stdout read", &[rd(A::I(1))]);
        s.poll("stdin write", &[wr(A::I(0))]);
        s.poll("closed read", &[rd(A::I(99))]);
        s.poll("closed write", &[wr(A::I(99))]);
        s.poll("dir read", &[rd(SB)]);
        s.poll("dir write", &[wr(SB)]);
        s.open_as(SB, 0, b"dir", DIRECTORY, RO, 0, "d");
        s.poll("opened dir read", &[rd(A::V("d"))]);
        s.open(SB, 0, b"file.txt", 0, ALL, 0);
        s.poll("file read", &[rd(A::V("f"))]);
        s.poll("file write", &[wr(A::V("f"))]);
        s.read(A::V("f"), &[5]);
        s.poll("file read after 5", &[rd(A::V("f"))]);
        s.poll(
            "file read + clock",
            &[rd(A::V("f")), clock(1, 1_000_000_000, 0)],
        );
        s.poll("closed + stdout", &[rd(A::I(99)), wr(A::I(1))]);
        s.read(A::I(0), &[64]);
        s.read(A::I(0), &[64]);
        s.poll("stdin at eof", &[rd(A::I(0))]);
    });

    v
}
