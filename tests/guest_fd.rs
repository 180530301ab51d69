//! The fd table as a guest sees it on a host with only stdio: fdstat,
//! flags, rights, close, renumber, and the errno of every fd call on bad
//! fds and on streams.

mod common;

use common::{run_args, run_mode, run_with};
use wasihost_core::{Input, Outcome, WasiHost};

const STDIN_RIGHTS: &str = "fd_read|fd_fdstat_set_flags|fd_filestat_get|poll_fd_readwrite";
const STDOUT_RIGHTS: &str = "fd_fdstat_set_flags|fd_write|fd_filestat_get|poll_fd_readwrite";

#[test]
fn fdstat_and_filestat_of_captured_stdio() {
    let ran = run_with(
        "fds",
        WasiHost::builder()
            .args(["fds", "stat"])
            .stdin(Input::bytes("x")),
    );
    assert_eq!(ran.outcome, Outcome::Exit(0));
    assert_eq!(ran.out(), "hello file\n");
    let report = ran.err();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 7, "{report}");
    assert_eq!(lines[0], "write errno=0");
    // In-memory streams are of unknown type (not character devices, so
    // wasi-libc's isatty says no), with the documented rights.
    for (fd, rights) in [(0, STDIN_RIGHTS), (1, STDOUT_RIGHTS), (2, STDOUT_RIGHTS)] {
        assert_eq!(
            lines[1 + 2 * fd],
            format!("fd {fd} fdstat errno=0 filetype=0 flags=0 rights={rights} inheriting=none")
        );
        assert!(
            lines[2 + 2 * fd].starts_with(&format!("fd {fd} filestat errno=0 filetype=0 ")),
            "{}",
            lines[2 + 2 * fd]
        );
    }
}

#[test]
fn set_flags() {
    assert_eq!(
        run_mode("fds", "flags"),
        "append errno=0\n  fd 1 errno=0 flags=1\n\
         undefined_bit errno=28\n  fd 1 errno=0 flags=1\n\
         high_bit errno=28\n  fd 1 errno=0 flags=1\n\
         clear errno=0\n  fd 1 errno=0 flags=0\n\
         stdin_nonblock errno=0\n  fd 0 errno=0 flags=4\n\
         closed errno=8\n\
         closed_undefined_bit errno=8\n\
         still writes\n\
         write_after errno=0\n"
    );
}

#[test]
fn set_rights_only_drops() {
    let ran = run_args("fds", &["rights"]);
    assert_eq!(ran.outcome, Outcome::Exit(0));
    assert_eq!(ran.out(), "before\n", "no write may pass without fd_write");
    assert_eq!(
        ran.err(),
        "before errno=0\n\
         drop_write errno=0\n\
         write errno=76\n\
         rights errno=0 fd_fdstat_set_flags|fd_filestat_get|poll_fd_readwrite\n\
         add_back errno=76\n\
         add_inheriting errno=76\n\
         same errno=0\n\
         drop_all errno=0\n\
         rights errno=0 none\n\
         seek errno=70\n\
         sync errno=28\n\
         path_open errno=54\n\
         sock_send errno=57\n\
         filestat errno=76\n\
         set_flags errno=76\n\
         add_any errno=76\n\
         write errno=76\n\
         stdin_drop_read errno=0\n\
         read errno=76\n\
         stderr_add_read errno=76\n\
         closed errno=8\n"
    );
}

#[test]
fn close() {
    let ran = run_args("fds", &["close"]);
    assert_eq!(ran.outcome, Outcome::Exit(0));
    assert_eq!(ran.out(), "before\n");
    assert_eq!(
        ran.err(),
        "before errno=0\n\
         close1 errno=0\n\
         write1 errno=8\n\
         close1_again errno=8\n\
         fdstat1 errno=8\n\
         filestat1 errno=8\n\
         set_flags1 errno=8\n\
         close0 errno=0\n\
         read0 errno=8\n\
         close0_again errno=8\n\
         close3 errno=8\n"
    );
}

#[test]
fn renumber() {
    let ran = run_args("fds", &["renumber"]);
    assert_eq!(ran.outcome, Outcome::Exit(0));
    // After renumber(1, 2), fd 2 is the old stdout (with its append flag)
    // and the old stderr is gone; after renumber(2, 0), fd 0 is.
    assert_eq!(ran.err(), "stderr before\n");
    assert_eq!(
        ran.out(),
        format!(
            "stderr errno=0\n\
             renumber_1_2 errno=0\n\
             fdstat2 errno=0 flags=1 rights={STDOUT_RIGHTS}\n\
             write1 errno=8\n\
             fdstat1 errno=8\n\
             same_fd errno=0\n\
             closed_source errno=8\n\
             closed_target errno=8\n\
             target_100 errno=8\n\
             source_100 errno=8\n\
             source_max errno=8\n\
             target_max errno=8\n\
             renumber_2_0 errno=0\n\
             fdstat2 errno=8\n\
             fdstat0 errno=0 flags=1 rights={STDOUT_RIGHTS}\n"
        )
    );
}

/// Every fd-taking call `fds.c` makes in `every_call`, in order.
const EVERY_CALL: &[&str] = &[
    "fd_advise",
    "fd_allocate",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber_from",
    "fd_renumber_to",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link_old",
    "path_link_new",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename_old",
    "path_rename_new",
    "path_symlink",
    "path_unlink_file",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
    "fd_close",
];

#[test]
fn every_fd_call_on_never_opened_fds_is_badf() {
    let ran = run_with(
        "fds",
        WasiHost::builder()
            .args(["fds", "sweep"])
            .stdin(Input::bytes("untouched")),
    );
    let mut expected = String::new();
    for fd in [3u32, 4, 100, 1024, 0x7FFF_FFFF, 0xFFFF_FFFF] {
        for call in EVERY_CALL {
            expected += &format!("fd={fd} {call} errno=8\n");
        }
    }
    assert_eq!(ran.ok(), expected);
}

#[test]
fn stream_only_errnos_on_stdio() {
    let out = run_mode("fds", "streams");
    let expected_errno = |call: &str| match call {
        "fd_advise" | "fd_allocate" | "fd_seek" | "fd_seek_end" | "fd_tell" | "fd_pread"
        | "fd_pwrite" => 70, // spipe
        "fd_datasync" | "fd_sync" | "fd_filestat_set_size" => 28,
        // Not a file of the guest's: badf, as wasmtime (RATIONALE.md).
        "fd_filestat_set_times" => 8,
        "fd_filestat_get" => 0,
        "fd_prestat_get" | "fd_prestat_dir_name" => 8, // no preopens
        c if c == "fd_readdir" || c.starts_with("path_") => 54, // notdir
        c if c.starts_with("sock_") => 57,             // notsock
        c => panic!("unexpected call {c}"),
    };
    let calls = [
        "fd_advise",
        "fd_allocate",
        "fd_seek",
        "fd_seek_end",
        "fd_tell",
        "fd_pread",
        "fd_pwrite",
        "fd_datasync",
        "fd_sync",
        "fd_filestat_set_size",
        "fd_filestat_set_times",
        "fd_filestat_get",
        "fd_prestat_get",
        "fd_prestat_dir_name",
        "fd_readdir",
        "path_create_directory",
        "path_filestat_get",
        "path_filestat_set_times",
        "path_link",
        "path_open",
        "path_readlink",
        "path_remove_directory",
        "path_rename",
        "path_symlink",
        "path_unlink_file",
        "sock_accept",
        "sock_recv",
        "sock_send",
        "sock_shutdown",
    ];
    let mut expected = String::new();
    for fd in 0..3 {
        for call in calls {
            expected += &format!("fd={fd} {call} errno={}\n", expected_errno(call));
        }
    }
    assert_eq!(out, expected);
    assert!(!out.contains("XX"), "fd_pwrite must not write");
}

#[test]
fn reading_stdout_or_writing_stdin_is_badf() {
    assert_eq!(
        run_mode("fds", "wrongdir"),
        "fd=1 fd_read errno=8\nfd=2 fd_read errno=8\nfd=0 fd_write errno=8\n"
    );
}

#[test]
fn max_open_fds_counts_stdio() {
    let e = WasiHost::builder().max_open_fds(2).build().unwrap_err();
    assert_eq!(e.kind(), wasihost_core::ErrorKind::Config);
    let ran = run_with(
        "fds",
        WasiHost::builder().args(["fds", "close"]).max_open_fds(3),
    );
    assert_eq!(ran.outcome, Outcome::Exit(0));
    assert_eq!(ran.out(), "before\n");
}
