//! Differential test: every C test guest (`tests/guests/*.c`) and the
//! bundled `examples/guests/wordfreq.c` run in-process under wasihost
//! (`wasihost_core::WasiHost`) and under wasmtime-wasi 48's preview1
//! (`wasmtime_wasi::p1`, linked with `add_to_linker_sync`), with the same
//! args, env and stdin, and each host with its own fresh copy of the same
//! fixture directories. Compared: the exit code (or "trap"), stdout,
//! stderr, and the files left in the fixture afterwards (names, types,
//! contents and symlink targets; not times, modes or inodes).
//!
//! ```text
//! cargo test -p wasihost-bench --release --test differential   # make test-differential
//! ```
//!
//! Both hosts instantiate the very same compiled module (one
//! `wasihost_core::Module`, whose `wasmtime::Module` wasmtime-wasi links).
//!
//! Every difference must be listed:
//! * [`ALLOWED`]: intended differences, each with its reason and the
//!   RATIONALE.md topic that argues it. An entry that no longer differs
//!   fails the test (the list stays exact).
//! * [`EXPECTED_BUGS`]: differences that are bugs in wasihost, each with a
//!   minimal reproduction. They fail the test when they stop differing, so
//!   the entry is removed with the fix.
//!
//! Outputs are compared after a normalization that is the same for both
//! hosts: inode numbers of fixture entries become `ino(<path>)` (each host
//! has its own copy, so the numbers differ), and per case, values that are
//! not deterministic (times, random bytes, the host filesystem's listing
//! order) are replaced, each with its reason at the case.
//!
//! The guests are compiled with `clang --target=wasm32-wasi -O2` (as
//! `tests/common/mod.rs` does) into `<target>/differential/guests/`, again
//! only when a source is newer than the wasm. `CLANG` and `WASI_SYSROOT`
//! are honoured; `make deps` installs the toolchain.

mod common;
use common::{fnv, tree_lines};

use std::collections::HashMap;
use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasihost_core::{Capture, Engine, Input, Module, Outcome, Output, WasiHost};
use wasmtime::{Linker, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// Byte cap of both hosts' stdout/stderr captures: far above any case.
const CAP: usize = 16 << 20;

// ---------------------------------------------------------------------------
// Known differences

/// Which part of a run a known difference is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    /// wasmtime-wasi traps where wasihost returns an errno: `lines[0]` is
    /// the prefix of wasihost's first stdout line that wasmtime-wasi no
    /// longer prints. wasihost's stdout before that line must equal all
    /// of wasmtime-wasi's; the exit, the rest of stdout and the files are
    /// not compared (the guest stopped half-way on one side).
    Trap,
    Exit,
    Stdout,
    Stderr,
    Tree,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Trap => "trap",
            Field::Exit => "exit",
            Field::Stdout => "stdout",
            Field::Stderr => "stderr",
            Field::Tree => "files",
        }
    }
}

/// One known difference: in case `case` (its name, see [`cases`]), the
/// lines of `field` that start with one of `lines` (all of the field when
/// `lines` is empty) differ between the hosts.
struct Known {
    case: &'static str,
    field: Field,
    lines: &'static [&'static str],
    /// One line: what differs and why.
    why: &'static str,
    /// For [`ALLOWED`]: the RATIONALE.md topic. For [`EXPECTED_BUGS`]: a
    /// minimal reproduction (call, arguments, our errno vs wasmtime's).
    see: &'static str,
}

/// Intended differences. Each is the host's choice where preview1 leaves
/// one, argued in RATIONALE.md.
const ALLOWED: &[Known] = &[
    Known {
        case: "stdio readv",
        field: Field::Stdout,
        lines: &["bad_buf "],
        why: "wasmtime-wasi's fd_read fills only the first non-empty iovec, so it never sees the bad second buffer; wasihost checks every iovec first (fault)",
        see: "RATIONALE.md Guest memory: Result pointers are checked before the call runs",
    },
    Known {
        case: "stdio nonblock",
        field: Field::Stdout,
        lines: &["set errno="],
        why: "wasmtime-wasi answers badf to fd_fdstat_set_flags(nonblock) on stdin; wasihost sets it on the stream",
        see: "RATIONALE.md Filesystem: append and nonblock change the host fd",
    },
    Known {
        case: "stdio writes",
        field: Field::Stdout,
        lines: &[],
        why: "wasmtime-wasi's fd_write writes only the first non-empty iovec (a short write the raw-call guest does not retry); wasihost writes every iovec",
        see: "RATIONALE.md stdio: fd_write and fd_read use every iovec",
    },
    Known {
        case: "stdio writes",
        field: Field::Stderr,
        lines: &[],
        why: "wasmtime-wasi's fd_write writes only the first non-empty iovec (a short write the raw-call guest does not retry); wasihost writes every iovec",
        see: "RATIONALE.md stdio: fd_write and fd_read use every iovec",
    },
    Known {
        case: "stdio readv",
        field: Field::Trap,
        lines: &["bad_iovs "],
        why: "wasmtime-wasi traps on an out-of-bounds read buffer; wasihost returns fault and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "stdio iovecs",
        field: Field::Exit,
        lines: &[],
        why: "wasmtime-wasi's fd_write writes only the first non-empty iovec (a short write) and then traps on the bad buffers; wasihost writes every iovec and returns fault",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps; stdio: fd_write and fd_read use every iovec",
    },
    Known {
        case: "stdio iovecs",
        field: Field::Stdout,
        lines: &[],
        why: "wasmtime-wasi's fd_write writes only the first non-empty iovec (a short write) and then traps on the bad buffers; wasihost writes every iovec and returns fault",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps; stdio: fd_write and fd_read use every iovec",
    },
    Known {
        case: "stdio iovecs",
        field: Field::Stderr,
        lines: &[],
        why: "wasmtime-wasi's fd_write writes only the first non-empty iovec (a short write) and then traps on the bad buffers; wasihost writes every iovec and returns fault",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps; stdio: fd_write and fd_read use every iovec",
    },
    Known {
        case: "fds flags",
        field: Field::Stdout,
        lines: &["  fd 1 errno="],
        why: "wasmtime-wasi accepts fd_fdstat_set_flags(append) on stdout but does not report it in fd_fdstat_get; wasihost records it",
        see: "RATIONALE.md Filesystem: append and nonblock change the host fd (stdio: fdflags set on stdio are recorded and reported)",
    },
    Known {
        case: "clocks basic",
        field: Field::Stdout,
        lines: &["clock 2 ", "clock 3 "],
        why: "wasmtime-wasi has no process/thread CPU-time clocks (badf); wasihost reads them",
        see: "RATIONALE.md Clocks",
    },
    Known {
        case: "fds flags",
        field: Field::Stdout,
        lines: &["append errno="],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fds renumber",
        field: Field::Stdout,
        lines: &["fdstat2 errno=", "fdstat0 errno="],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fds rights",
        field: Field::Stderr,
        lines: &[
            "drop_write errno=",
            "write errno=",
            "rights errno=",
            "add_back errno=",
            "add_inheriting errno=",
            "same errno=",
            "drop_all errno=",
            "sync errno=",
            "path_open errno=",
            "filestat errno=",
            "set_flags errno=",
            "add_any errno=",
            "stdin_drop_read errno=",
            "read errno=",
            "stderr_add_read errno=",
        ],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fds rights",
        field: Field::Stdout,
        lines: &["after"],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fds stat",
        field: Field::Stderr,
        lines: &[
            "fd 0 fdstat errno=",
            "fd 1 fdstat errno=",
            "fd 2 fdstat errno=",
        ],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fds streams",
        field: Field::Stdout,
        lines: &[],
        why: "wasmtime-wasi answers badf for a call on the wrong kind of object; wasihost the errno POSIX gives (isdir, spipe, notdir, inval)",
        see: "RATIONALE.md Error order; Filesystem: File-data calls on a directory",
    },
    Known {
        case: "fs_io dir",
        field: Field::Tree,
        lines: &["sandbox/data.txt "],
        why: "wasmtime-wasi answers badf for a call on the wrong kind of object; wasihost the errno POSIX gives (isdir, spipe, notdir, inval)",
        see: "RATIONALE.md Error order; Filesystem: File-data calls on a directory",
    },
    Known {
        case: "fs_io dir",
        field: Field::Stdout,
        lines: &[
            "dir read errno=",
            "dir write errno=",
            "dir pread errno=",
            "dir pwrite errno=",
            "dir seek errno=",
            "dir seek_cur0 errno=",
            "dir tell errno=",
            "dir advise errno=",
            "dir allocate errno=",
            "dir set_size errno=",
            "preopen read errno=",
            "preopen write errno=",
            "preopen pread errno=",
            "preopen pwrite errno=",
            "preopen seek errno=",
            "preopen seek_cur0 errno=",
            "preopen tell errno=",
            "preopen advise errno=",
            "preopen allocate errno=",
            "preopen set_size errno=",
        ],
        why: "wasmtime-wasi answers badf for a call on the wrong kind of object; wasihost the errno POSIX gives (isdir, spipe, notdir, inval)",
        see: "RATIONALE.md Error order; Filesystem: File-data calls on a directory",
    },
    Known {
        case: "fs_io dir",
        field: Field::Stdout,
        lines: &[
            "read_only write errno=",
            "read_only pread errno=",
            "read_only pwrite errno=",
            "read_only seek errno=",
            "read_only seek_cur0 errno=",
            "read_only tell errno=",
            "read_only advise errno=",
            "read_only allocate errno=",
            "read_only set_size errno=",
            "write_only read errno=",
            "write_only pread errno=",
            "write_only seek_cur0 errno=",
            "write_only tell errno=",
            "write_only advise errno=",
            "write_only allocate errno=",
            "write_only set_size errno=",
        ],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fs_io libc",
        field: Field::Stdout,
        lines: &["read_dir=-1 errno="],
        why: "wasmtime-wasi answers badf for a call on the wrong kind of object; wasihost the errno POSIX gives (isdir, spipe, notdir, inval)",
        see: "RATIONALE.md Error order; Filesystem: File-data calls on a directory",
    },
    Known {
        case: "fs_open fdflags",
        field: Field::Tree,
        lines: &[
            "sandbox/allsync.txt ",
            "sandbox/dsync.txt ",
            "sandbox/rsync.txt ",
            "sandbox/sync.txt ",
        ],
        why: "wasmtime-wasi refuses dsync/rsync/sync at path_open with notsup; wasihost opens with O_DSYNC/O_RSYNC/O_SYNC",
        see: "RATIONALE.md Filesystem: dsync, rsync and sync at open",
    },
    Known {
        case: "fs_open fdflags",
        field: Field::Stdout,
        lines: &[
            "dsync errno=",
            "dsync fdstat errno=",
            "dsync write errno=",
            "dsync same_flags errno=",
            "dsync clear errno=",
            "sync errno=",
            "sync fdstat errno=",
            "sync write errno=",
            "sync same_flags errno=",
            "sync clear errno=",
            "rsync errno=",
            "rsync fdstat errno=",
            "rsync write errno=",
            "rsync same_flags errno=",
            "rsync clear errno=",
            "all_sync errno=",
            "all_sync fdstat errno=",
            "all_sync write errno=",
            "all_sync same_flags errno=",
            "all_sync clear errno=",
            "add_sync errno=",
            "add_sync set errno=",
            "add_sync fdstat errno=",
        ],
        why: "wasmtime-wasi refuses dsync/rsync/sync at path_open with notsup; wasihost opens with O_DSYNC/O_RSYNC/O_SYNC",
        see: "RATIONALE.md Filesystem: dsync, rsync and sync at open",
    },
    Known {
        case: "fs_open oflags",
        field: Field::Stdout,
        lines: &[
            "dir_without_flag rights errno=",
            "dir_without_flag rights ",
            "dir_without_flag read errno=",
        ],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fs_open rights",
        field: Field::Tree,
        lines: &[
            "sandbox/sub/c.txt ",
            "sandbox/sub/inner.txt ",
            "sandbox/sub/new.txt ",
        ],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fs_open rights",
        field: Field::Stdout,
        lines: &[],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fs_path allocate",
        field: Field::Tree,
        lines: &["sandbox/f.txt "],
        why: "wasmtime-wasi's fd_allocate is always notsup; wasihost implements it (posix_fallocate semantics)",
        see: "RATIONALE.md Filesystem: fd_allocate",
    },
    Known {
        case: "fs_path allocate",
        field: Field::Stdout,
        lines: &[
            "grow errno=",
            "inside errno=",
            "len0 errno=",
            "overflow errno=",
            "past_i64 errno=",
            "after_errors errno=",
            "no_right errno=",
            "dir errno=",
            "stdout errno=",
            "libc_fallocate ret=0",
            "final errno=",
            "libc_fallocate ret=58",
        ],
        why: "wasmtime-wasi's fd_allocate is always notsup; wasihost implements it (posix_fallocate semantics)",
        see: "RATIONALE.md Filesystem: fd_allocate",
    },
    Known {
        case: "fs_path dirfd",
        field: Field::Stdout,
        lines: &[
            "preopen sync errno=",
            "preopen datasync errno=",
            "preopen set_times errno=",
            "preopen errno=",
            "preopen set_flags_same errno=",
            "preopen set_flags_nonblock errno=",
            "preopen fdstat errno=",
            "flag sync errno=",
            "flag datasync errno=",
            "flag set_flags_same errno=",
            "flag set_flags_nonblock errno=",
            "flag fdstat errno=",
            "no_flag sync errno=",
            "no_flag datasync errno=",
            "no_flag set_flags_same errno=",
            "no_flag set_flags_nonblock errno=",
            "no_flag fdstat errno=",
        ],
        why: "directory fds are plain read-only fds: fd_sync, fd_datasync, fd_filestat_set_times and fd_fdstat_set_flags work on them; wasmtime-wasi refuses",
        see: "RATIONALE.md Filesystem: Directory fds are plain read-only fds",
    },
    Known {
        case: "fs_path filestat",
        field: Field::Stdout,
        lines: &[
            "file errno=",
            "file_nofollow errno=",
            "symlink_nofollow errno=",
            "symlink_follow errno=",
            "dirlink_nofollow errno=",
            "dirlink_follow errno=",
            "dangling_nofollow errno=",
            "dir errno=",
            "dir_file errno=",
            "dot errno=",
            "stdout errno=",
        ],
        why: "wasmtime-wasi reports a hash as the inode number (so `..` of a subdirectory is not its parent's); wasihost the host's st_ino",
        see: "RATIONALE.md Filesystem: Inode numbers are the host's",
    },
    Known {
        case: "fs_path rename",
        field: Field::Tree,
        lines: &[
            "sandbox/libc_renamed.txt ",
            "sandbox/sub/c.txt ",
            "sandbox/sub/t.txt ",
            "sandbox/t_out.txt ",
        ],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fs_path rename",
        field: Field::Stdout,
        lines: &[
            "drop_rename_target errno=",
            "no_rename_target errno=",
            "drop_rename_source errno=",
            "no_rename_source errno=",
            "new_fd_stdout errno=",
            "libc_rename ret=0 errno=",
            "libc_rename ret=-1 errno=",
        ],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fs_path size",
        field: Field::Stdout,
        lines: &[
            "no_right errno=",
            "dir errno=",
            "preopen errno=",
            "stdout errno=",
        ],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fs_path slash",
        field: Field::Stdout,
        lines: &["filestat_nofollow errno="],
        why: "a trailing slash means directory, as in POSIX (notdir on a file, rmdir dir/ works); wasmtime-wasi drops it or answers inval",
        see: "RATIONALE.md Filesystem: A trailing slash means \"directory\"",
    },
    Known {
        case: "fs_path sync",
        field: Field::Stdout,
        lines: &[
            "no_right_sync errno=",
            "no_right_datasync errno=",
            "stdout_sync errno=",
            "stdout_datasync errno=",
        ],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "fs_prestat names",
        field: Field::Stdout,
        lines: &[
            "stdio0 dir_name len=64 errno=",
            "stdio1 dir_name len=64 errno=",
            "stdio2 dir_name len=64 errno=",
            "sub dir_name len=64 errno=",
            "file dir_name len=64 errno=",
        ],
        why: "fd_prestat_dir_name on an fd that is no preopen is badf, as fd_prestat_get; wasmtime-wasi answers notdir for non-directories",
        see: "RATIONALE.md Filesystem: fd_prestat_dir_name on an fd that is not a preopen is badf",
    },
    Known {
        case: "fs_readdir list",
        field: Field::Stdout,
        lines: &["sub dotdot_is_parent="],
        why: "wasmtime-wasi reports a hash as the inode number (so `..` of a subdirectory is not its parent's); wasihost the host's st_ino",
        see: "RATIONALE.md Filesystem: Inode numbers are the host's",
    },
    Known {
        case: "fs_readdir list",
        field: Field::Stdout,
        lines: &["file_fd errno=", "stdout errno="],
        why: "wasmtime-wasi answers badf for a call on the wrong kind of object; wasihost the errno POSIX gives (isdir, spipe, notdir, inval)",
        see: "RATIONALE.md Error order; Filesystem: File-data calls on a directory",
    },
    Known {
        case: "fs_ro libc",
        field: Field::Stdout,
        lines: &[
            "fopen_w ok=0 errno=",
            "fopen_a ok=0 errno=",
            "fopen_r+ ok=1 errno=",
            "fopen_r+ fflush=-1 errno=",
            "fopen_w+ ok=0 errno=",
            "fopen_new ok=0 errno=",
            "open_rdwr ok=1 errno=",
            "open_rdwr write=-1 errno=",
            "open_wronly ok=1 errno=",
            "open_wronly write=-1 errno=",
            "open_append ok=0 errno=",
            "open_creat ret=-1 errno=",
            "open_trunc ret=-1 errno=",
            "mkdir ret=-1 errno=",
            "rmdir ret=-1 errno=",
            "unlink ret=-1 errno=",
            "rename ret=-1 errno=",
            "rename_out ret=-1 errno=",
            "rename_in ret=-1 errno=",
            "link ret=-1 errno=",
            "symlink ret=-1 errno=",
            "truncate ret=-1 errno=",
            "utimensat ret=-1 errno=",
            "fopen_r+ ok=0 errno=",
            "open_rdwr ok=0 errno=",
            "open_wronly ok=0 errno=",
            "ftruncate ret=-1 errno=",
            "futimens ret=-1 errno=",
            "posix_fallocate ret=76",
            "posix_fallocate ret=58",
        ],
        why: "through a read-only preopen every change is notcapable; wasmtime-wasi answers perm/badf/notsup, or lets the guest open for writing and fails the write",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights",
    },
    Known {
        case: "fs_ro raw",
        field: Field::Stdout,
        lines: &[
            "preopen rights errno=",
            "preopen rights ",
            "open_creat_new errno=",
            "open_creat_existing errno=",
            "open_creat_excl errno=",
            "open_trunc errno=",
            "open_write errno=",
            "open_append errno=",
            "open_write_follow errno=",
            "file rights errno=",
            "file rights ",
            "file write errno=",
            "file pwrite errno=",
            "file allocate errno=",
            "file set_size errno=",
            "file set_times errno=",
            "file set_times_now errno=",
            "file add_write errno=",
            "file write_after_append errno=",
            "dir rights errno=",
            "dir rights ",
            "dir creat errno=",
            "dir open_write errno=",
            "dir mkdir errno=",
            "dir unlink errno=",
            "dir rename errno=",
            "dir set_times errno=",
            "dir add_rights errno=",
            "dir_no_flag set_times errno=",
            "dir_no_flag unlink errno=",
            "mkdir errno=",
            "rmdir errno=",
            "unlink errno=",
            "unlink_symlink errno=",
            "rename errno=",
            "rename_dir errno=",
            "rename_ro_to_rw errno=",
            "rename_rw_to_ro errno=",
            "link errno=",
            "link_ro_to_rw errno=",
            "link_rw_to_ro errno=",
            "symlink errno=",
            "set_times errno=",
            "set_times_now errno=",
            "set_times_nofollow errno=",
            "set_times_dir errno=",
            "preopen set_times errno=",
            "preopen add_rights errno=",
        ],
        why: "through a read-only preopen every change is notcapable; wasmtime-wasi answers perm/badf/notsup, or lets the guest open for writing and fails the write",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights",
    },
    Known {
        case: "poll clock_and_fd",
        field: Field::Stdout,
        lines: &["ev userdata=2 ", "ev userdata=3 "],
        why: "wasmtime-wasi reports nbytes=1 without hangup for every event (clocks too); wasihost the bytes left, fd_readwrite_hangup at end of input, 0 for clocks",
        see: "RATIONALE.md poll_oneoff: Readiness",
    },
    Known {
        case: "poll errors",
        field: Field::Stdout,
        lines: &[
            "poll errno=",
            "ev userdata=1 ",
            "ev userdata=2 ",
            "ev userdata=3 ",
            "ev userdata=4 ",
            "ev userdata=5 ",
            "ev userdata=8 ",
            "ev userdata=11 ",
        ],
        why: "wasmtime-wasi fails the whole poll_oneoff for a bad or wrong-direction fd subscription; wasihost reports per-subscription events (and nsubscriptions 0 is inval)",
        see: "RATIONALE.md poll_oneoff: Per-subscription problems are events; No subscriptions is inval",
    },
    Known {
        case: "poll noright",
        field: Field::Stdout,
        lines: &[
            "drop errno=",
            "ev userdata=1 ",
            "ev userdata=2 ",
            "ev userdata=3 ",
        ],
        why: "wasmtime-wasi preview1 neither narrows nor enforces rights (fixed rights sets, fd_fdstat_set_rights ignored or notsup, no notcapable); wasihost does",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights; path_open refuses a write it cannot grant, and narrows the rest",
    },
    Known {
        case: "poll sleep",
        field: Field::Stdout,
        lines: &["ev userdata=4660 ", "ev userdata=22136 ", "ev userdata=7 "],
        why: "wasmtime-wasi reports nbytes=1 without hangup for every event (clocks too); wasihost the bytes left, fd_readwrite_hangup at end of input, 0 for clocks",
        see: "RATIONALE.md poll_oneoff: Readiness",
    },
    Known {
        case: "poll stdin",
        field: Field::Stdout,
        lines: &["ev userdata=5 "],
        why: "wasmtime-wasi reports nbytes=1 without hangup for every event (clocks too); wasihost the bytes left, fd_readwrite_hangup at end of input, 0 for clocks",
        see: "RATIONALE.md poll_oneoff: Readiness",
    },
    Known {
        case: "poll stdin (empty)",
        field: Field::Stdout,
        lines: &["ev userdata=5 "],
        why: "wasmtime-wasi reports nbytes=1 without hangup for every event (clocks too); wasihost the bytes left, fd_readwrite_hangup at end of input, 0 for clocks",
        see: "RATIONALE.md poll_oneoff: Readiness",
    },
    Known {
        case: "poll stdout",
        field: Field::Stdout,
        lines: &["ev userdata=1 ", "ev userdata=2 "],
        why: "wasmtime-wasi reports nbytes=1 without hangup for every event (clocks too); wasihost the bytes left, fd_readwrite_hangup at end of input, 0 for clocks",
        see: "RATIONALE.md poll_oneoff: Readiness",
    },
    Known {
        case: "poll wait_stdin",
        field: Field::Stdout,
        lines: &["ev userdata=2 "],
        why: "wasmtime-wasi reports nbytes=1 without hangup for every event (clocks too); wasihost the bytes left, fd_readwrite_hangup at end of input, 0 for clocks",
        see: "RATIONALE.md poll_oneoff: Readiness",
    },
    Known {
        case: "poll wrongdir",
        field: Field::Stdout,
        lines: &["poll errno=", "ev userdata=1 ", "ev userdata=2 "],
        why: "wasmtime-wasi fails the whole poll_oneoff for a bad or wrong-direction fd subscription; wasihost reports per-subscription events (and nsubscriptions 0 is inval)",
        see: "RATIONALE.md poll_oneoff: Per-subscription problems are events; No subscriptions is inval",
    },
    Known {
        case: "proc raise",
        field: Field::Stdout,
        lines: &[
            "raise 0 errno=",
            "raise 16 errno=",
            "raise 17 errno=",
            "raise 22 errno=",
            "raise 27 errno=",
        ],
        why: "wasmtime-wasi answers notsup to every signal, 0 included; wasihost: 0 and the default-ignored signals succeed",
        see: "RATIONALE.md proc_raise",
    },
    Known {
        case: "sandbox long",
        field: Field::Stdout,
        lines: &["dirs4100 mkdir errno=", "dirs4100 rename errno="],
        why: "paths of 4096 bytes or more are nametoolong before any other check; wasmtime-wasi resolves them (noent)",
        see: "RATIONALE.md Filesystem: A trailing slash means \"directory\" (last sentence)",
    },
    Known {
        case: "sandbox ops all dir/",
        field: Field::Stdout,
        lines: &["rmdir dir/ errno="],
        why: "a trailing slash means directory, as in POSIX (notdir on a file, rmdir dir/ works); wasmtime-wasi drops it or answers inval",
        see: "RATIONALE.md Filesystem: A trailing slash means \"directory\"",
    },
    Known {
        case: "sandbox ops all emptydir/",
        field: Field::Tree,
        lines: &["t/root/jail/emptydir "],
        why: "a trailing slash means directory, as in POSIX (notdir on a file, rmdir dir/ works); wasmtime-wasi drops it or answers inval",
        see: "RATIONALE.md Filesystem: A trailing slash means \"directory\"",
    },
    Known {
        case: "sandbox ops all emptydir/",
        field: Field::Stdout,
        lines: &[
            "rmdir emptydir/ errno=",
            "rename_from emptydir/ errno=",
            "  undo errno=",
            "link_from emptydir/ errno=",
            "link_to emptydir/ errno=",
            "symlink_at emptydir/ errno=",
            "unlink emptydir/ errno=",
        ],
        why: "a trailing slash means directory, as in POSIX (notdir on a file, rmdir dir/ works); wasmtime-wasi drops it or answers inval",
        see: "RATIONALE.md Filesystem: A trailing slash means \"directory\"",
    },
    Known {
        case: "sandbox ops all file/",
        field: Field::Stdout,
        lines: &["lstat file/ errno=", "  ", "link_to file/ errno="],
        why: "a trailing slash means directory, as in POSIX (notdir on a file, rmdir dir/ works); wasmtime-wasi drops it or answers inval",
        see: "RATIONALE.md Filesystem: A trailing slash means \"directory\"",
    },
    Known {
        case: "sandbox readonly",
        field: Field::Stdout,
        lines: &[
            "fdstat errno=",
            "  ",
            "open_all_rights errno=",
            "fd_write errno=",
            "fd_pwrite errno=",
            "fd_filestat_set_size errno=",
            "fd_filestat_set_times errno=",
            "fd_allocate errno=",
            "fd_fdstat_set_rights_add errno=",
            "preopen_set_rights_add errno=",
            "fd_filestat_set_times_dir errno=",
            "rename_3_to_D errno=",
            "rename_D_to_3 errno=",
            "link_3_to_D errno=",
            "link_D_to_3 errno=",
        ],
        why: "through a read-only preopen every change is notcapable; wasmtime-wasi answers perm/badf/notsup, or lets the guest open for writing and fails the write",
        see: "RATIONALE.md Filesystem: Read-only is a matter of rights",
    },
    Known {
        case: "sandbox renumber",
        field: Field::Stdout,
        lines: &[
            "file3 path_filestat_get errno=",
            "file3 path_filestat_set_times errno=",
            "file3 path_create_directory errno=",
            "file3 path_remove_directory errno=",
            "file3 path_unlink_file errno=",
            "file3 path_rename_from errno=",
            "file3 path_rename_to errno=",
            "file3 path_link_from errno=",
            "file3 path_link_to errno=",
            "file3 path_symlink errno=",
            "file3 path_readlink errno=",
            "file3 fd_readdir errno=",
        ],
        why: "wasmtime-wasi answers badf for a call on the wrong kind of object; wasihost the errno POSIX gives (isdir, spipe, notdir, inval)",
        see: "RATIONALE.md Error order; Filesystem: File-data calls on a directory",
    },
    Known {
        case: "args_fault args second third",
        field: Field::Trap,
        lines: &["ptrs_cross_end "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "args_fault env",
        field: Field::Trap,
        lines: &["ptrs_cross_end "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "clocks fault",
        field: Field::Trap,
        lines: &["time_bad_ptr "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "clocks invalid",
        field: Field::Trap,
        lines: &["id 4 "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fds flags",
        field: Field::Trap,
        lines: &["undefined_bit "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_io io",
        field: Field::Trap,
        lines: &["seek_whence3 "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_open hostile",
        field: Field::Trap,
        lines: &["path_oob "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_open lookupflags",
        field: Field::Trap,
        lines: &["path_open "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_open oflags",
        field: Field::Trap,
        lines: &["undefined_oflag "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_path advise",
        field: Field::Trap,
        lines: &["advice6 "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_path filestat",
        field: Field::Trap,
        lines: &["out_oob "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_path mkdir",
        field: Field::Trap,
        lines: &["path_oob "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_path symlink",
        field: Field::Trap,
        lines: &["readlink_buf_oob "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_path times",
        field: Field::Trap,
        lines: &["undefined_bit "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_prestat names",
        field: Field::Trap,
        lines: &["out_oob "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "fs_readdir list",
        field: Field::Trap,
        lines: &["buf_oob "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "poll bad_args",
        field: Field::Trap,
        lines: &["in_bad "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "proc exit 126",
        field: Field::Exit,
        lines: &[],
        why: "wasmtime-wasi traps on proc_exit codes >= 126; wasihost gives any u32 code to the embedder",
        see: "RATIONALE.md: proc_exit",
    },
    Known {
        case: "proc exit 255",
        field: Field::Exit,
        lines: &[],
        why: "wasmtime-wasi traps on proc_exit codes >= 126; wasihost gives any u32 code to the embedder",
        see: "RATIONALE.md: proc_exit",
    },
    Known {
        case: "proc exit 256",
        field: Field::Exit,
        lines: &[],
        why: "wasmtime-wasi traps on proc_exit codes >= 126; wasihost gives any u32 code to the embedder",
        see: "RATIONALE.md: proc_exit",
    },
    Known {
        case: "proc exit 4294967295",
        field: Field::Exit,
        lines: &[],
        why: "wasmtime-wasi traps on proc_exit codes >= 126; wasihost gives any u32 code to the embedder",
        see: "RATIONALE.md: proc_exit",
    },
    Known {
        case: "proc raise",
        field: Field::Trap,
        lines: &["raise 31 "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "random edge",
        field: Field::Trap,
        lines: &["cross_end "],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
    Known {
        case: "sandbox fault",
        field: Field::Trap,
        lines: &["bad_ptr path_open"],
        why: "wasmtime-wasi traps on an out-of-bounds or misaligned pointer or an undefined enum/flag value; wasihost returns fault/inval and the guest goes on",
        see: "RATIONALE.md Guest memory; Bad arguments are errnos, never traps",
    },
];

/// Differences that are bugs in wasihost (the witx docs, then POSIX, or,
/// where the spec is silent, wasmtime decide). The lead removes an entry
/// with its fix; an entry whose lines no longer differ fails the test.
const EXPECTED_BUGS: &[Known] = &[];

// ---------------------------------------------------------------------------
// Fixtures

/// One node of a fixture tree.
#[derive(Clone, Copy)]
enum N {
    /// A regular file with these contents.
    F(&'static str),
    /// A directory.
    D,
    /// A symlink with this target.
    L(&'static str),
}

/// Creates `entries` (paths relative to `root`, `/`-separated) in order;
/// missing parents are created.
fn make_tree(root: &Path, entries: &[(&str, N)]) {
    std::fs::create_dir_all(root).expect("create fixture root");
    for (rel, node) in entries {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        match node {
            N::F(s) => std::fs::write(&path, s).expect("write file"),
            N::D => std::fs::create_dir_all(&path).expect("create dir"),
            N::L(t) => std::os::unix::fs::symlink(t, &path).expect("create symlink"),
        }
    }
}

fn ts(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// Sets the access and modification times of the host file `path`.
fn set_times(path: &Path, atime: u64, mtime: u64) {
    let f = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open to set times");
    f.set_times(
        std::fs::FileTimes::new()
            .set_accessed(ts(atime))
            .set_modified(ts(mtime)),
    )
    .expect("set times");
}

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                make_writable(&e.path());
            }
        }
    }
}

/// A fresh, empty directory.
fn fresh_dir(dir: &Path) {
    if dir.exists() {
        make_writable(dir);
        std::fs::remove_dir_all(dir).expect("remove old fixture");
    }
    std::fs::create_dir_all(dir).expect("create fixture dir");
}

/// Inode number -> `/`-joined path relative to `root` ("." for `root`),
/// for `root` and everything under it (symlinks not followed).
fn inodes(root: &Path, out: &mut HashMap<u64, String>) {
    fn walk(root: &Path, dir: &Path, out: &mut HashMap<u64, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            out.entry(meta.ino()).or_insert(rel);
            if meta.is_dir() {
                walk(root, &path, out);
            }
        }
    }
    if let Ok(meta) = std::fs::metadata(root) {
        out.entry(meta.ino()).or_insert_with(|| ".".to_string());
    }
    walk(root, root, out);
}

/// `text` with every decimal number (a maximal run of digits, 100 or more)
/// that is an inode number in `inos` replaced by `ino(<path>)`.
fn replace_inodes(text: &str, inos: &HashMap<u64, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        match digits.parse::<u64>().ok().filter(|n| *n >= 100) {
            Some(n) if inos.contains_key(&n) => {
                let _ = write!(out, "ino({})", inos[&n]);
            }
            _ => out.push_str(digits),
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

// ---------------------------------------------------------------------------
// Guests

fn repo_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ has a parent")
}

fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo_dir().join("target"))
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The C source of guest `name`: `tests/guests/<name>.c`, or
/// `examples/guests/<name>.c`.
fn guest_source(name: &str) -> PathBuf {
    let test = repo_dir().join("tests/guests").join(format!("{name}.c"));
    if test.exists() {
        return test;
    }
    let example = repo_dir().join("examples/guests").join(format!("{name}.c"));
    assert!(example.exists(), "no guest source for {name}");
    example
}

/// The newest modification time of the `.c` files next to `src` (the
/// guests include util.c and fs_util.c).
fn newest_source(src: &Path) -> SystemTime {
    let dir = src.parent().expect("source dir");
    let mut newest = UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).expect("read guest dir").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "c")
            && let Some(t) = mtime(&path)
        {
            newest = newest.max(t);
        }
    }
    newest
}

/// Compiles guest `name` into `<target>/differential/guests/<name>.wasm`
/// unless that is newer than the sources; gives its path. Written under a
/// temporary name and renamed, so concurrent builds never see half a file.
fn compile_guest(name: &str) -> PathBuf {
    let src = guest_source(name);
    let out_dir = target_dir().join("differential").join("guests");
    std::fs::create_dir_all(&out_dir).expect("create guest dir");
    let wasm = out_dir.join(format!("{name}.wasm"));
    if mtime(&wasm).is_some_and(|built| built >= newest_source(&src)) {
        return wasm;
    }
    let tmp = out_dir.join(format!("{name}.wasm.{}.tmp", std::process::id()));
    let clang = std::env::var("CLANG").unwrap_or_else(|_| "clang".to_string());
    let mut cmd = Command::new(&clang);
    cmd.args([
        "--target=wasm32-wasi",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
    ]);
    if let Ok(sysroot) = std::env::var("WASI_SYSROOT") {
        cmd.arg(format!("--sysroot={sysroot}"));
    }
    if name == "atomics" {
        // As tests/wasm_features.rs and tests/cli/check.py build it.
        cmd.args([
            "-matomics",
            "-mbulk-memory",
            "-Wl,--shared-memory",
            "-Wl,--max-memory=1048576",
            "-Wl,--no-check-features",
        ]);
    }
    let output = cmd.arg(&src).arg("-o").arg(&tmp).output();
    let output = output.unwrap_or_else(|e| {
        panic!(
            "cannot run {clang}: {e}\nclang with wasm32-wasi support is needed: run `make deps` \
             (or apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)"
        )
    });
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        panic!(
            "compiling {} failed (is the wasm32-wasi toolchain installed? `make deps`):\n{}",
            src.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::rename(&tmp, &wasm).expect("rename compiled guest into place");
    wasm
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new().expect("create engine"))
}

/// The compiled module of guest `name`, once per process.
fn module(name: &str) -> Module {
    static MODULES: OnceLock<Mutex<HashMap<String, Arc<OnceLock<Module>>>>> = OnceLock::new();
    let cell = MODULES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(name.to_string())
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let path = {
            static BUILD: Mutex<()> = Mutex::new(());
            let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
            compile_guest(name)
        };
        Module::from_file(engine(), &path)
            .unwrap_or_else(|e| panic!("loading {}: {e}", path.display()))
    })
    .clone()
}

// ---------------------------------------------------------------------------
// Cases

/// A preopened directory: `host` relative to a side's fixture root.
struct Preopen {
    host: &'static str,
    guest: &'static str,
    readonly: bool,
}

/// A per-case normalization of stdout and stderr (the same for both
/// hosts), for what is not deterministic.
type Normalize = fn(&str) -> String;

/// Builds a fixture under a side's root.
type Setup = Box<dyn Fn(&Path) + Send + Sync>;

/// One run of a guest on both hosts.
struct Case {
    /// `"<guest> <args...>"` unless given otherwise; unique.
    name: String,
    guest: &'static str,
    /// The whole argv (argv[0] included); empty for no args at all.
    argv: Vec<String>,
    env: Vec<(&'static str, &'static str)>,
    stdin: Vec<u8>,
    /// Builds the fixture under a side's root (run once per host).
    setup: Option<Setup>,
    preopens: Vec<Preopen>,
    normalize: Option<Normalize>,
}

impl Case {
    /// `guest` with argv `[guest, args...]` and nothing else.
    fn new(guest: &'static str, args: &[&str]) -> Case {
        let argv: Vec<String> = std::iter::once(guest)
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        Case {
            name: argv.join(" "),
            guest,
            argv,
            env: Vec::new(),
            stdin: Vec::new(),
            setup: None,
            preopens: Vec::new(),
            normalize: None,
        }
    }

    fn named(mut self, name: &str) -> Case {
        self.name = name.to_string();
        self
    }

    fn env(mut self, k: &'static str, v: &'static str) -> Case {
        self.env.push((k, v));
        self
    }

    fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Case {
        self.stdin = bytes.into();
        self
    }

    /// The fixture: `entries` under `dir` (relative to the side's root).
    fn tree(self, dir: &'static str, entries: &'static [(&'static str, N)]) -> Case {
        self.setup(move |root| make_tree(&root.join(dir), entries))
    }

    /// Adds `f` to the fixture setup (after what is there).
    fn setup(mut self, f: impl Fn(&Path) + Send + Sync + 'static) -> Case {
        let before = self.setup.take();
        self.setup = Some(Box::new(move |root: &Path| {
            if let Some(b) = &before {
                b(root);
            }
            f(root);
        }));
        self
    }

    fn preopen(mut self, host: &'static str, guest: &'static str) -> Case {
        self.preopens.push(Preopen {
            host,
            guest,
            readonly: false,
        });
        self
    }

    fn preopen_ro(mut self, host: &'static str, guest: &'static str) -> Case {
        self.preopens.push(Preopen {
            host,
            guest,
            readonly: true,
        });
        self
    }

    fn normalize(mut self, f: Normalize) -> Case {
        self.normalize = Some(f);
        self
    }
}

/// How a run ended, stdout, stderr, and the fixture afterwards, normalized.
#[derive(Debug, PartialEq)]
struct Ran {
    exit: String,
    /// The trap message, shown (not compared) when the exits differ.
    trap: String,
    stdout: String,
    stderr: String,
    tree: Vec<String>,
}

impl Ran {
    fn field(&self, f: Field) -> Vec<String> {
        match f {
            Field::Exit | Field::Trap => vec![self.exit.clone()],
            Field::Stdout => lines(&self.stdout),
            Field::Stderr => lines(&self.stderr),
            Field::Tree => self.tree.clone(),
        }
    }
}

fn lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.split('\n').map(String::from).collect();
    // A final newline gives no extra line; a missing one shows as "\ no
    // newline".
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    } else if let Some(l) = v.last_mut() {
        l.push_str("\\ (no newline at end)");
    }
    v
}

/// Where the fixture of `case` for `side` lives.
fn side_root(case: &Case, side: &str) -> PathBuf {
    let slug: String = case
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(60)
        .collect();
    let hash = fnv(case.name.as_bytes());
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("differential")
        .join(format!("{}", std::process::id()))
        .join(format!("{slug}-{hash:08x}"))
        .join(side)
}

/// Runs `case` on `side` ("wasihost" or "wasmtime-wasi") in a fresh
/// fixture and gives the normalized result.
fn run_side(case: &Case, side: &str) -> Ran {
    let root = side_root(case, side);
    fresh_dir(&root);
    if let Some(setup) = &case.setup {
        setup(&root);
    }
    let mut inos = HashMap::new();
    inodes(&root, &mut inos);
    let module = module(case.guest);
    let ((exit, trap), stdout, stderr) = if side == "wasihost" {
        run_wasihost(case, &module, &root)
    } else {
        run_wasmtime_wasi(case, &module, &root)
    };
    inodes(&root, &mut inos);
    let case_dir = root.parent().expect("case dir");
    std::fs::write(case_dir.join(format!("{side}.stdout")), &stdout).expect("save stdout");
    std::fs::write(case_dir.join(format!("{side}.stderr")), &stderr).expect("save stderr");
    let norm = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let text = replace_inodes(&text, &inos);
        match case.normalize {
            Some(f) => f(&text),
            None => text,
        }
    };
    Ran {
        exit,
        trap,
        stdout: norm(&stdout),
        stderr: norm(&stderr),
        tree: tree_lines(&root),
    }
}

/// ((exit, trap message), stdout, stderr) of one run.
type Raw = ((String, String), Vec<u8>, Vec<u8>);

fn run_wasihost(case: &Case, module: &Module, root: &Path) -> Raw {
    let out = Capture::new(CAP);
    let err = Capture::new(CAP);
    let mut b = WasiHost::builder()
        .args(&case.argv)
        .stdin(Input::bytes(case.stdin.clone()))
        .stdout(Output::Capture(out.clone()))
        .stderr(Output::Capture(err.clone()));
    for (k, v) in &case.env {
        b = b.env(k, v);
    }
    for p in &case.preopens {
        let host = root.join(p.host);
        b = if p.readonly {
            b.preopen_dir_readonly(host, p.guest)
        } else {
            b.preopen_dir(host, p.guest)
        };
    }
    let host = b.build().expect("wasihost: build host");
    let exit = match module.run(host).expect("wasihost: run guest") {
        Outcome::Exit(code) => (format!("exit {code}"), String::new()),
        Outcome::Trap(t) => ("trap".to_string(), t.message),
        other => panic!("wasihost: unexpected outcome {other:?}"),
    };
    let mut exit = exit;
    if out.is_truncated() || err.is_truncated() {
        exit.0 += " (wasihost capture truncated)";
    }
    (exit, out.contents(), err.contents())
}

fn run_wasmtime_wasi(case: &Case, module: &Module, root: &Path) -> Raw {
    let wt_module = module.wasmtime();
    let engine = wt_module.engine();
    let mut linker: Linker<WasiP1Ctx> = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx).expect("link wasmtime-wasi");
    let out = MemoryOutputPipe::new(CAP);
    let err = MemoryOutputPipe::new(CAP);
    let mut b = WasiCtxBuilder::new();
    b.args(&case.argv)
        .stdin(MemoryInputPipe::new(case.stdin.clone()))
        .stdout(out.clone())
        .stderr(err.clone())
        // File calls on the calling thread, as wasihost does them (and as
        // `wasmtime run` does); the results are the same either way.
        .allow_blocking_current_thread(true);
    for (k, v) in &case.env {
        b.env(k, v);
    }
    for p in &case.preopens {
        let perms = if p.readonly {
            FsPerms::ReadOnly
        } else {
            FsPerms::ReadWrite
        };
        b.preopened_dir(root.join(p.host), p.guest, perms)
            .expect("wasmtime-wasi: preopen");
    }
    let mut store = Store::new(engine, b.build_p1());
    // The engine has epoch interruption on (wasihost's default).
    store.set_epoch_deadline(u64::MAX);
    let instance = linker
        .instantiate(&mut store, wt_module)
        .expect("wasmtime-wasi: instantiate");
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .expect("wasmtime-wasi: no _start");
    let exit = match start.call(&mut store, ()) {
        Ok(()) => ("exit 0".to_string(), String::new()),
        Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(code) => (format!("exit {}", code.0 as u32), String::new()),
            None => ("trap".to_string(), format!("{e:#}")),
        },
    };
    drop(store);
    (exit, out.contents().to_vec(), err.contents().to_vec())
}

// ---------------------------------------------------------------------------
// Comparing

/// Lines of `v` that start with one of `prefixes` (all when empty).
fn matching(v: &[String], prefixes: &[&str]) -> Vec<String> {
    v.iter()
        .filter(|l| prefixes.is_empty() || prefixes.iter().any(|p| l.starts_with(p)))
        .cloned()
        .collect()
}

/// A readable diff of two line lists: `-` ours only, `+` theirs only.
fn diff(ours: &[String], theirs: &[String]) -> String {
    let (n, m) = (ours.len(), theirs.len());
    let mut out = String::new();
    if n * m > 4_000_000 {
        let at = ours.iter().zip(theirs).position(|(a, b)| a != b);
        let at = at.unwrap_or(n.min(m));
        let _ = writeln!(
            out,
            "  first difference at line {}:\n  - {}\n  + {}",
            at + 1,
            ours.get(at).map_or("<end>", String::as_str),
            theirs.get(at).map_or("<end>", String::as_str)
        );
        return out;
    }
    // Longest common subsequence, then walk it.
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if ours[i] == theirs[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut shown) = (0, 0, 0);
    while (i < n || j < m) && shown < 80 {
        if i < n && j < m && ours[i] == theirs[j] {
            i += 1;
            j += 1;
        } else if j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "  - {:>4}: {}", i + 1, ours[i]);
            i += 1;
            shown += 1;
        } else {
            let _ = writeln!(out, "  + {:>4}: {}", j + 1, theirs[j]);
            j += 1;
            shown += 1;
        }
    }
    if shown == 80 {
        out.push_str("  ... (more)\n");
    }
    out
}

/// Compares one case's results against the known differences; gives the
/// problems found (empty when all is as listed).
fn compare(case: &Case, ours_full: &Ran, theirs: &Ran) -> Vec<String> {
    let mut problems = Vec::new();
    let cut_ours;
    let mut ours = ours_full;
    let trap = ALLOWED
        .iter()
        .chain(EXPECTED_BUGS)
        .find(|k| k.case == case.name && k.field == Field::Trap);
    let mut fields = vec![Field::Exit, Field::Stdout, Field::Stderr, Field::Tree];
    if let Some(k) = trap {
        if theirs.exit != "trap" {
            problems.push(format!(
                "[trap] {}: wasmtime-wasi no longer traps ({}): remove the Trap entry \"{}\"",
                case.name, theirs.exit, k.why
            ));
        } else {
            let o = lines(&ours.stdout);
            let cut = o
                .iter()
                .position(|l| l.starts_with(k.lines[0]))
                .unwrap_or(o.len());
            cut_ours = Ran {
                exit: ours.exit.clone(),
                trap: String::new(),
                stdout: o[..cut].iter().map(|l| format!("{l}\n")).collect(),
                stderr: ours.stderr.clone(),
                tree: Vec::new(),
            };
            ours = &cut_ours;
            fields = vec![Field::Stdout, Field::Stderr];
        }
    }
    for field in fields {
        let (o, t) = (ours.field(field), theirs.field(field));
        let allowed: Vec<&Known> = ALLOWED
            .iter()
            .filter(|k| k.case == case.name && k.field == field)
            .collect();
        let bugs: Vec<&Known> = EXPECTED_BUGS
            .iter()
            .filter(|k| k.case == case.name && k.field == field)
            .collect();
        // Each known difference must still differ.
        for (k, kind) in allowed
            .iter()
            .map(|k| (k, "ALLOWED"))
            .chain(bugs.iter().map(|k| (k, "EXPECTED_BUGS")))
        {
            if matching(&o, k.lines) == matching(&t, k.lines) {
                let what = if kind == "EXPECTED_BUGS" {
                    "is fixed (or no longer shows): remove it from EXPECTED_BUGS"
                } else {
                    "no longer differs: remove it from ALLOWED"
                };
                problems.push(format!(
                    "[{}] {}{:?}: {kind} entry \"{}\" {what}",
                    field.name(),
                    case.name,
                    k.lines,
                    k.why
                ));
            }
        }
        // Everything else must be equal.
        let known: Vec<&Known> = allowed.iter().chain(&bugs).copied().collect();
        if known.iter().any(|k| k.lines.is_empty()) {
            continue;
        }
        let keep = |v: &[String]| -> Vec<String> {
            v.iter()
                .filter(|l| {
                    !known
                        .iter()
                        .any(|k| k.lines.iter().any(|p| l.starts_with(p)))
                })
                .cloned()
                .collect()
        };
        let (o, t) = (keep(&o), keep(&t));
        if o != t {
            let mut traps = String::new();
            if field == Field::Exit {
                for (side, r) in [("wasihost", ours), ("wasmtime-wasi", theirs)] {
                    if !r.trap.is_empty() {
                        let first: String = r.trap.replace('\n', " | ").chars().take(400).collect();
                        let _ = writeln!(traps, "  {side} trap: {first}");
                    }
                }
            }
            problems.push(format!(
                "[{}] {}: wasihost (-) and wasmtime-wasi (+) differ:\n{}{traps}",
                field.name(),
                case.name,
                diff(&o, &t)
            ));
        }
    }
    problems
}

/// Runs every case of `guest` on both hosts; panics with every problem.
fn check_guest(guest: &str) {
    let cases: Vec<Case> = cases().into_iter().filter(|c| c.guest == guest).collect();
    assert!(!cases.is_empty(), "no cases for {guest}");
    let mut problems = Vec::new();
    for case in &cases {
        let ours = run_side(case, "wasihost");
        let theirs = run_side(case, "wasmtime-wasi");
        let p = compare(case, &ours, &theirs);
        if p.is_empty() {
            for side in ["wasihost", "wasmtime-wasi"] {
                let root = side_root(case, side);
                make_writable(&root);
                let _ = std::fs::remove_dir_all(root.parent().expect("case dir"));
            }
        } else {
            problems.extend(p);
        }
    }
    if !problems.is_empty() {
        panic!(
            "{} difference(s) for guest {guest} not as listed in ALLOWED / EXPECTED_BUGS \
             (fixtures kept under {}):\n\n{}",
            problems.len(),
            Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join("differential")
                .join(std::process::id().to_string())
                .display(),
            problems.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------
// The cases

/// Normalizations, each with its reason.
mod norm {
    /// Replaces the decimal number after each `key` with `N`.
    pub fn number_after(text: &str, key: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find(key) {
            let (head, tail) = rest.split_at(i + key.len());
            out.push_str(head);
            let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                out.push('N');
            }
            rest = &tail[digits..];
        }
        out.push_str(rest);
        out
    }

    /// clocks realtime: the guest prints the wall clock it read.
    pub fn realtime(text: &str) -> String {
        number_after(text, "realtime_ns=")
    }

    /// fs_path slash: the times of files the guest made during the run.
    pub fn times(text: &str) -> String {
        number_after(&number_after(text, "atim="), "mtim=")
    }

    /// random dump: the bytes are random on both hosts; keep their count.
    pub fn random_hex(text: &str) -> String {
        text.lines()
            .map(|l| match l.strip_prefix("random ") {
                Some(hex) => format!("random <{} hex digits>\n", hex.len()),
                None => format!("{l}\n"),
            })
            .collect()
    }

    /// wordfreq: stderr says how long the counting took.
    pub fn wordfreq(text: &str) -> String {
        number_after(text, "counted in ")
    }

    /// fs_readdir many: the order of a listing is the host filesystem's,
    /// and each host lists its own copy; sort the names of each section
    /// after "." and "..".
    pub fn sort_sections(text: &str) -> String {
        let mut out = String::new();
        let mut section: Vec<&str> = Vec::new();
        let flush = |section: &mut Vec<&str>, out: &mut String| {
            let dots = section
                .iter()
                .take(2)
                .take_while(|l| **l == "." || **l == "..")
                .count();
            section[dots..].sort_unstable();
            for l in section.drain(..) {
                out.push_str(l);
                out.push('\n');
            }
        };
        for l in text.lines() {
            if l.starts_with("== ") || l.starts_with("open_") || l.contains(" grew=") {
                flush(&mut section, &mut out);
                out.push_str(l);
                out.push('\n');
            } else {
                section.push(l);
            }
        }
        flush(&mut section, &mut out);
        out
    }
}

const OPEN_TREE: &[(&str, N)] = &[
    ("hello.txt", N::F("hello")),
    ("app.txt", N::F("hello")),
    ("trunc.txt", N::F("0123456789")),
    ("trunc2.txt", N::F("abcdef")),
    ("app2.txt", N::F("12")),
    ("sub/inner.txt", N::F("inner")),
    ("link", N::L("hello.txt")),
    ("dirlink", N::L("sub")),
    ("out", N::L("..")),
    ("dangling", N::L("nowhere")),
    ("loop1", N::L("loop2")),
    ("loop2", N::L("loop1")),
];

const IO_TREE: &[(&str, N)] = &[("data.txt", N::F("0123456789")), ("d", N::D)];

/// fs_path.c's modes and the trees tests/guest_fs.rs gives them.
const PATH_TREES: &[(&str, &[(&str, N)])] = &[
    (
        "mkdir",
        &[
            ("f.txt", N::F("file")),
            ("lnk", N::L("f.txt")),
            ("dangling", N::L("nowhere")),
            ("out", N::L("..")),
        ],
    ),
    (
        "rmdir",
        &[
            ("f.txt", N::F("file")),
            ("d/x", N::F("x")),
            ("d/inner", N::D),
            ("empty", N::D),
            ("lnk", N::L("f.txt")),
            ("dlnk", N::L("d")),
        ],
    ),
    (
        "unlink",
        &[
            ("f.txt", N::F("file")),
            ("g.txt", N::F("gee")),
            ("h.txt", N::F("hhh")),
            ("d/x", N::F("x")),
            ("empty", N::D),
            ("lnk", N::L("f.txt")),
            ("dlnk", N::L("d")),
            ("dangling", N::L("nowhere")),
            ("out", N::L("..")),
        ],
    ),
    (
        "rename",
        &[
            ("a.txt", N::F("A")),
            ("c.txt", N::F("C")),
            ("d/x", N::F("x")),
            ("empty", N::D),
            ("full/y", N::F("y")),
            ("m.txt", N::F("M")),
            ("n.txt", N::F("N")),
            ("sub/s.txt", N::F("S")),
            ("sub/t.txt", N::F("T")),
            ("lnk", N::L("c.txt")),
        ],
    ),
    (
        "link",
        &[("f.txt", N::F("file")), ("d", N::D), ("lnk", N::L("f.txt"))],
    ),
    ("symlink", &[("f.txt", N::F("file")), ("d/x", N::F("x"))]),
    (
        "filestat",
        &[
            ("f.txt", N::F("file")),
            ("d/x", N::F("x")),
            ("lnk", N::L("f.txt")),
            ("dlnk", N::L("d")),
            ("dangling", N::L("nowhere")),
            ("out", N::L("..")),
        ],
    ),
    (
        "times",
        &[
            ("f.txt", N::F("file")),
            ("g.txt", N::F("gee")),
            ("h.txt", N::F("h")),
            ("i.txt", N::F("i")),
            ("j.txt", N::F("j")),
            ("k.txt", N::F("k")),
            ("lnk", N::L("f.txt")),
            ("lnk2", N::L("h.txt")),
            ("d", N::D),
            ("e", N::D),
        ],
    ),
    ("size", &[("f.txt", N::F("file")), ("d", N::D)]),
    ("advise", &[("f.txt", N::F("file")), ("d", N::D)]),
    ("allocate", &[("f.txt", N::F("file")), ("d", N::D)]),
    ("sync", &[("f.txt", N::F("file")), ("d", N::D)]),
    ("dirfd", &[("d", N::D), ("e", N::D)]),
    ("slash", &[("f.txt", N::F("file")), ("d", N::D)]),
];

/// fs_path.c's "filestat" mode expects these times on f.txt.
const F_ATIME: u64 = 1_234_567_890_111_111_111;
const F_MTIME: u64 = 1_333_333_333_222_222_222;

const LIST_TREE: &[(&str, N)] = &[
    ("file", N::F("abc")),
    ("dir/inner", N::F("i")),
    ("sym", N::L("file")),
    ("dangling", N::L("nowhere")),
];

const RO_TREE: &[(&str, N)] = &[
    ("f.txt", N::F("data")),
    ("d/inner", N::F("in")),
    ("empty", N::D),
    ("lnk", N::L("f.txt")),
];

/// The sandbox guest's jail (`root/jail`, preopened as "/jail") and what
/// lies outside it, as tests/sandbox_fixture builds them, without the
/// symlinks with absolute targets (their targets differ per host copy).
const SANDBOX_TREE: &[(&str, N)] = &[
    ("above.txt", N::F("ABOVE")),
    ("root/near.txt", N::F("NEAR")),
    ("root/outside/secret.txt", N::F("SECRET")),
    ("root/outside/shared.txt", N::F("SHARED")),
    ("root/outside/odir/ofile.txt", N::F("OFILE")),
    ("root/outside/oempty", N::D),
    ("root/outside/olink", N::L("secret.txt")),
    ("root/jail/dir/sub/subfile", N::F("SUBFILE")),
    ("root/jail/dir/dfile", N::F("DFILE")),
    ("root/jail/a/b/c", N::D),
    ("root/jail/emptydir", N::D),
    ("root/jail/file", N::F("INSIDE-FILE")),
    ("root/jail/esc_rel", N::L("../outside")),
    ("root/jail/esc_file", N::L("../outside/secret.txt")),
    (
        "root/jail/esc_dangling",
        N::L("../outside/dangling_created"),
    ),
    ("root/jail/esc_up2", N::L("../../above.txt")),
    ("root/jail/chain1", N::L("chain2")),
    ("root/jail/chain2", N::L("a/chain3")),
    ("root/jail/a/chain3", N::L("../../outside/secret.txt")),
    ("root/jail/loop_a", N::L("loop_b")),
    ("root/jail/loop_b", N::L("loop_a")),
    ("root/jail/to_loop", N::L("loop_a")),
    ("root/jail/outin", N::L("../jail/file")),
    ("root/jail/ok_link", N::L("file")),
    ("root/jail/ok_dir_link", N::L("dir")),
    ("root/jail/a/ok_up", N::L("../file")),
];

/// Sandbox items (paths relative to the jail) for the `ops all` runs.
const SANDBOX_ESCAPES: &[&str] = &[
    "..",
    "../outside",
    "../outside/secret.txt",
    "../outside/newfile",
    "../outside/",
    "../near.txt",
    "../../above.txt",
    "a/../../outside",
    "a/b/c/../../../../outside/secret.txt",
    "dir/sub/../../../outside/secret.txt",
    "../jail/file",
    "esc_rel/secret.txt",
    "esc_rel/newfile",
    "esc_rel/../near.txt",
    "esc_file/x",
    "chain1/x",
    "outin/x",
    "esc_dangling/x",
    "ok_dir_link/../../outside/secret.txt",
];

const SANDBOX_LINKS: &[&str] = &[
    "esc_rel",
    "esc_file",
    "esc_dangling",
    "esc_up2",
    "chain1",
    "a/chain3",
    "outin",
    "loop_a",
    "to_loop",
    "loop_a/x",
];

const SANDBOX_INSIDE: &[&str] = &[
    "file",
    "dir",
    "dir/",
    "dir/.",
    "emptydir",
    "emptydir/",
    "ok_link",
    "ok_dir_link",
    "ok_dir_link/dfile",
    "a/ok_up",
    "a/../file",
    "dir/sub/../dfile",
    ".",
    "",
    "missing",
    "file/",
    "file/x",
];

fn cases() -> Vec<Case> {
    let mut v = Vec::new();

    // args.c: the raw args and environment, and wasi-libc's view of them.
    v.push(Case::new("args", &[]).named("args (no argv)"));
    v.last_mut().expect("case").argv.clear();
    v.push(Case::new("args", &["a", "bc", "--flag=x y", ""]));
    v.push(
        Case::new("args", &["h\u{e9}llo", "\u{65e5}\u{672c}"])
            .env("GUEST_VAR", "second")
            .env("EMPTY", "")
            .env("UTF", "\u{fc}"),
    );
    let many: Vec<String> = (0..300).map(|i| format!("arg-{i:04}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    v.push(Case::new("args", &many).named("args (300 args)"));

    // args_fault.c: hostile pointers to args_get / environ_get.
    v.push(Case::new("args_fault", &["args", "second", "third"]));
    v.push(
        Case::new("args_fault", &["env"])
            .env("ONE", "1")
            .env("TWO", "22")
            .env("THREE", "333"),
    );

    // atomics.c: C11 atomics on a shared memory.
    v.push(Case::new("atomics", &["1000"]));

    // limits.c: the modes that end on their own (the others wait for a
    // limit, which the limits tests and the CLI table cover).
    v.push(Case::new("limits", &["count", "1000"]));
    v.push(Case::new("limits", &["grow", "40"]));
    v.push(Case::new("limits", &["sleep", "0"]));
    v.push(Case::new("limits", &["read"]).stdin(vec![7u8; 10_000]));
    v.push(Case::new("limits", &["nonsense"]));

    // clocks.c
    for mode in ["basic", "mono", "invalid", "fault"] {
        v.push(Case::new("clocks", &[mode]));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos()
        .to_string();
    v.push(
        Case::new("clocks", &["realtime", &now])
            .named("clocks realtime NOW")
            .normalize(norm::realtime),
    );

    // fds.c: the fd table with stdio only.
    v.push(Case::new("fds", &["stat"]).stdin("x"));
    for mode in [
        "flags", "rights", "close", "renumber", "streams", "wrongdir",
    ] {
        v.push(Case::new("fds", &[mode]));
    }
    v.push(Case::new("fds", &["sweep"]).stdin("untouched"));

    // fs_cap.c: "leak" (the "mfile" mode needs wasihost's max_open_fds,
    // which wasmtime-wasi does not have).
    v.push(
        Case::new("fs_cap", &["leak"])
            .tree("sandbox", &[("hello.txt", N::F("hello")), ("d", N::D)])
            .preopen("sandbox", "/sandbox"),
    );

    // fs_io.c
    for mode in ["io", "dir", "libc"] {
        v.push(
            Case::new("fs_io", &[mode])
                .tree("sandbox", IO_TREE)
                .preopen("sandbox", "/sandbox"),
        );
    }

    // fs_open.c: the preopen is a subdirectory, so an escape through
    // `out -> ..` would show in the compared tree.
    for mode in [
        "oflags",
        "fdflags",
        "rights",
        "hostile",
        "lookupflags",
        "libc",
    ] {
        v.push(
            Case::new("fs_open", &[mode])
                .tree("sandbox", OPEN_TREE)
                .preopen("sandbox", "/sandbox"),
        );
    }

    // fs_path.c, with an empty second preopen at "/other".
    for (mode, tree) in PATH_TREES {
        let mut c = Case::new("fs_path", &[mode])
            .tree("sandbox", tree)
            .tree("other", &[])
            .preopen("sandbox", "/sandbox")
            .preopen("other", "/other");
        if *mode == "slash" {
            c = c.normalize(norm::times);
        }
        if *mode == "filestat" {
            c = c.setup(|root| set_times(&root.join("sandbox/f.txt"), F_ATIME, F_MTIME));
        }
        v.push(c);
    }

    // fs_prestat.c
    v.push(
        Case::new("fs_prestat", &["names"])
            .tree("a", &[("sub/f", N::F("f"))])
            .tree("b", &[])
            .preopen("a", "/sandbox")
            .preopen("b", "/other/dir"),
    );
    v.push(
        Case::new("fs_prestat", &["nested"])
            .tree("a", &[("b", N::D), ("b2", N::D)])
            .tree("b", &[])
            .preopen("a", "/a")
            .preopen("b", "/a/b"),
    );
    v.push(
        Case::new("fs_prestat", &["nested"])
            .named("fs_prestat nested (b first)")
            .tree("a", &[("b", N::D), ("b2", N::D)])
            .tree("b", &[])
            .preopen("b", "/a/b")
            .preopen("a", "/a"),
    );

    // fs_readdir.c; "many" with 500 files instead of 10,000: wasmtime-wasi
    // lists and stats the whole directory on every fd_readdir call.
    v.push(
        Case::new("fs_readdir", &["list"])
            .tree("sandbox", LIST_TREE)
            .preopen("sandbox", "/sandbox"),
    );
    v.push(
        Case::new("fs_readdir", &["many"])
            .setup(|root| {
                let many = root.join("sandbox/many");
                std::fs::create_dir_all(&many).expect("mkdir many");
                for i in 0..500 {
                    std::fs::File::create(many.join(format!("f{i:05}"))).expect("create");
                }
                std::fs::File::create(many.join("L".repeat(200))).expect("create long");
            })
            .preopen("sandbox", "/sandbox")
            .normalize(norm::sort_sections),
    );

    // fs_ro.c: a read-only preopen next to a read-write one.
    for mode in ["raw", "libc"] {
        v.push(
            Case::new("fs_ro", &[mode])
                .tree("ro", RO_TREE)
                .tree("rw", &[("w.txt", N::F("w"))])
                .preopen_ro("ro", "/ro")
                .preopen("rw", "/rw"),
        );
    }

    // poll.c (the modes that wait for a pipe need a writer thread, which
    // the stdin bytes cannot give; they are left out).
    for mode in [
        "sleep",
        "past",
        "two_clocks",
        "stdout",
        "errors",
        "noright",
        "wrongdir",
        "bad_args",
        "libc_sleep",
    ] {
        v.push(Case::new("poll", &[mode]));
    }
    v.push(Case::new("poll", &["stdin"]).stdin("0123456789"));
    v.push(
        Case::new("poll", &["stdin"])
            .named("poll stdin (empty)")
            .stdin(""),
    );
    v.push(Case::new("poll", &["clock_and_fd"]).stdin("abc"));
    v.push(Case::new("poll", &["wait_stdin"]).stdin("some input\n"));

    // proc.c
    v.push(Case::new("proc", &["yield"]));
    v.push(Case::new("proc", &["raise"]));
    for code in ["0", "7", "125", "126", "255", "256", "4294967295"] {
        v.push(Case::new("proc", &["exit", code]));
    }
    v.push(Case::new("proc", &["libc_exit", "5"]));
    for code in ["0", "3", "42"] {
        v.push(Case::new("proc", &["return", code]));
    }
    for mode in ["trap", "div0", "oob", "stack"] {
        v.push(Case::new("proc", &[mode]));
    }
    v.push(Case::new("proc", &["hello", "differential"]));

    // random.c: the bytes are random on both hosts (see norm::random_hex).
    for n in ["0", "16", "4096"] {
        v.push(Case::new("random", &["dump", n]).normalize(norm::random_hex));
    }
    v.push(Case::new("random", &["edge"]));

    // sandbox.c
    let sandbox = |args: &[&str]| {
        Case::new("sandbox", args)
            .tree("t", SANDBOX_TREE)
            .preopen("t/root/jail", "/jail")
    };
    let mut escapes = vec!["ops", "all"];
    escapes.extend(SANDBOX_ESCAPES);
    v.push(sandbox(&escapes).named("sandbox ops all <escapes>"));
    let mut links = vec!["ops", "all"];
    links.extend(SANDBOX_LINKS);
    v.push(sandbox(&links).named("sandbox ops all <symlinks out and loops>"));
    for item in SANDBOX_INSIDE {
        let mut args = vec!["ops", "all"];
        let item = if item.is_empty() { "3:" } else { item };
        args.push(item);
        v.push(sandbox(&args));
    }
    for mode in ["closed", "renumber", "long", "fault"] {
        v.push(sandbox(&[mode]));
    }
    v.push(
        Case::new("sandbox", &["readonly"])
            .tree("t", SANDBOX_TREE)
            .preopen_ro("t/root/jail", "/jail"),
    );

    // stdio.c
    for mode in ["iovecs", "writes", "libc"] {
        v.push(Case::new("stdio", &[mode]));
    }
    v.push(Case::new(
        "stdio",
        &["chunks", "1", "10", "100", "5000", "70000"],
    ));
    v.push(Case::new("stdio", &["echo", "7"]).stdin("0123456789abcdefg"));
    v.push(Case::new("stdio", &["echo", "16"]).named("stdio echo 16 (empty stdin)"));
    v.push(Case::new("stdio", &["readv"]).stdin("abcdefghij"));
    let big: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    v.push(Case::new("stdio", &["copy"]).stdin(big));
    v.push(Case::new("stdio", &["filter"]).stdin("ab\ncd\n\nlast line without newline"));
    v.push(Case::new("stdio", &["nonblock"]).stdin("xyz"));

    // wordfreq.c, as `make run` runs it.
    v.push(
        Case::new("wordfreq", &["10", "/data/sample.txt", "/out/wordfreq.txt"])
            .env("LANG", "C")
            .setup(|root| {
                std::fs::create_dir_all(root.join("data")).expect("mkdir data");
                std::fs::create_dir_all(root.join("out")).expect("mkdir out");
                std::fs::copy(
                    repo_dir().join("examples/data/sample.txt"),
                    root.join("data/sample.txt"),
                )
                .expect("copy sample.txt");
            })
            .preopen_ro("data", "/data")
            .preopen("out", "/out")
            .normalize(norm::wordfreq),
    );
    v.push(
        Case::new("wordfreq", &["3"])
            .stdin("the cat and the hat and the bat\n")
            .normalize(norm::wordfreq),
    );
    v.push(Case::new("wordfreq", &["x"]));
    v.push(
        Case::new("wordfreq", &["5", "/data/missing.txt"])
            .tree("data", &[])
            .preopen_ro("data", "/data"),
    );
    v
}

// ---------------------------------------------------------------------------
// Tests: one per guest

macro_rules! guest_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_guest(stringify!($name));
            }
        )*

        /// Every guest with cases has a test above.
        const TESTED: &[&str] = &[$(stringify!($name)),*];
    };
}

guest_tests!(
    args, args_fault, atomics, clocks, fds, fs_cap, fs_io, fs_open, fs_path, fs_prestat,
    fs_readdir, fs_ro, limits, poll, proc, random, sandbox, stdio, wordfreq,
);

#[test]
fn case_list_is_consistent() {
    let cases = cases();
    let mut names = std::collections::BTreeSet::new();
    for c in &cases {
        assert!(names.insert(c.name.as_str()), "case name twice: {}", c.name);
        assert!(TESTED.contains(&c.guest), "no test runs guest {}", c.guest);
    }
    // Every C guest with a main is run.
    for entry in std::fs::read_dir(repo_dir().join("tests/guests")).expect("tests/guests") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read guest");
        let stem = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        if text.contains("int main(") {
            assert!(
                cases.iter().any(|c| c.guest == stem),
                "guest {stem} has no case"
            );
        }
    }
    for (list, k) in ALLOWED
        .iter()
        .map(|k| ("ALLOWED", k))
        .chain(EXPECTED_BUGS.iter().map(|k| ("EXPECTED_BUGS", k)))
    {
        assert!(
            names.contains(k.case),
            "{list} names a case that does not exist: {:?}",
            k.case
        );
        assert!(
            !k.why.is_empty() && !k.see.is_empty(),
            "{list} entry for {:?} needs a reason and a pointer",
            k.case
        );
    }
}
