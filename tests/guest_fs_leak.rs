//! No host fd outlives its guest: a guest that opens 55 files and
//! directories and exits without closing them leaves the process with as
//! many fds as before once the host is gone.
//!
//! Alone in its own test binary, so no other test opens or closes fds
//! while this one counts them.

mod common;

use std::sync::{Arc, Mutex};

use common::{Node, file, fs_tree, module};
use wasihost_core::{Outcome, Output, WasiHost};

/// How many fds this process has open.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

/// Runs fs_cap.c's "leak" mode; gives its stdout and the number of open
/// fds the process had when the guest said "opened" (all its fds open).
fn run_leak(root: &std::path::Path) -> (String, usize) {
    let seen = Arc::new(Mutex::new((Vec::new(), 0usize)));
    let sink = seen.clone();
    let host = WasiHost::builder()
        .args(["fs_cap", "leak"])
        .preopen_dir(root, "/sandbox")
        .stdout(Output::callback(move |bytes: &[u8]| {
            let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
            if bytes.starts_with(b"opened") {
                s.1 = open_fds();
            }
            s.0.extend_from_slice(bytes);
            Ok(())
        }))
        .build()
        .expect("build host");
    let outcome = module("fs_cap").run(host).expect("run guest");
    assert_eq!(outcome, Outcome::Exit(0));
    let s = seen.lock().unwrap_or_else(|e| e.into_inner());
    (String::from_utf8_lossy(&s.0).into_owned(), s.1)
}

#[test]
fn fds_left_open_by_the_guest_are_closed_with_the_host() {
    let root = fs_tree("leak", &[("hello.txt", file("hello")), ("d", Node::Dir)]);
    // Compiles the guest and lets the engine make whatever it makes once.
    let (out, _) = run_leak(&root);
    assert_eq!(out, "opened files=50 dirs=5\n");

    let before = open_fds();
    let (out, during) = run_leak(&root);
    let after = open_fds();
    assert_eq!(out, "opened files=50 dirs=5\n");
    // The guest's files and directories were real host fds (plus the
    // preopen) ...
    assert!(
        during >= before + 56,
        "{during} fds open during the run, {before} before"
    );
    // ... and all of them are gone with the host.
    assert_eq!(after, before, "host fds leaked");
}
