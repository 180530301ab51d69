//! `poll_oneoff` from a guest: clocks, stream readiness, per-subscription
//! errors, bad arguments, and wasi-libc's sleeps on top of it.
//!
//! Only lower bounds of time are asserted. Where a host that waited too
//! long would be wrong, a 10 s fallback clock is subscribed too, so waiting
//! shows up as an extra event rather than as a timing assertion.

mod common;

use std::fs::File;
use std::io::{PipeWriter, Write};
use std::os::fd::OwnedFd;

use common::{module, run_mode, run_with, scratch_dir};
use wasihost_core::{Input, Outcome, Output, WasiHost};

fn poll_with_stdin(mode: &str, stdin: Input) -> String {
    run_with(
        "poll",
        WasiHost::builder().args(["poll", mode]).stdin(stdin),
    )
    .ok()
}

/// One clock event line.
fn clock_ev(userdata: u64) -> String {
    format!("ev userdata={userdata} error=0 type=0 nbytes=0 flags=0\n")
}

#[test]
fn relative_and_absolute_sleeps_wait_at_least_their_time() {
    let expected = [
        "poll errno=0 n=1\n".to_string(),
        clock_ev(0x1234),
        "elapsed_ge_20ms=1\n".to_string(),
        "poll errno=0 n=1\n".to_string(),
        clock_ev(0x5678),
        "elapsed_ge_20ms=1\n".to_string(),
        "poll errno=0 n=1\n".to_string(),
        clock_ev(0x9abc),
        "reached_deadline=1\n".to_string(),
        "poll errno=0 n=1\n".to_string(),
        clock_ev(7),
    ]
    .concat();
    assert_eq!(run_mode("poll", "sleep"), expected);
}

#[test]
fn deadlines_in_the_past_fire_at_once() {
    let mut expected = String::new();
    for userdata in 1..=4 {
        expected += "poll errno=0 n=1\n";
        expected += &clock_ev(userdata);
    }
    assert_eq!(run_mode("poll", "past"), expected);
}

#[test]
fn earliest_clock_fires_alone() {
    assert_eq!(
        run_mode("poll", "two_clocks"),
        format!("poll errno=0 n=1\n{}", clock_ev(20))
    );
}

#[test]
fn stdin_bytes_readiness_counts_remaining_bytes() {
    assert_eq!(
        poll_with_stdin("stdin", Input::bytes("0123456789")),
        "poll errno=0 n=1\n\
         ev userdata=5 error=0 type=1 nbytes=10 flags=0\n\
         read errno=0 n=4\n\
         poll errno=0 n=1\n\
         ev userdata=5 error=0 type=1 nbytes=6 flags=0\n\
         read errno=0 n=6\n\
         poll errno=0 n=1\n\
         ev userdata=5 error=0 type=1 nbytes=0 flags=1\n"
    );
}

#[test]
fn stdin_null_is_ready_with_hangup() {
    let hangup = "poll errno=0 n=1\nev userdata=5 error=0 type=1 nbytes=0 flags=1\n";
    assert_eq!(
        poll_with_stdin("stdin", Input::Null),
        format!("{hangup}read errno=0 n=0\n{hangup}read errno=0 n=0\n{hangup}")
    );
}

/// The event lines of `out` with `nbytes=<n>` removed (what a writable
/// stream reports there is the host's choice).
fn without_nbytes(out: &str) -> String {
    out.lines()
        .map(|l| {
            let words: Vec<&str> = l.split(' ').filter(|w| !w.starts_with("nbytes=")).collect();
            words.join(" ") + "\n"
        })
        .collect()
}

#[test]
fn captured_stdout_and_stderr_are_writable() {
    assert_eq!(
        without_nbytes(&run_mode("poll", "stdout")),
        "poll errno=0 n=2\n\
         ev userdata=1 error=0 type=2 flags=0\n\
         ev userdata=2 error=0 type=2 flags=0\n"
    );
}

#[test]
fn ready_fd_answers_without_waiting_for_the_clock() {
    // Had the host waited for the 10 s clocks, their events would be
    // reported too.
    assert_eq!(
        without_nbytes(&poll_with_stdin("clock_and_fd", Input::bytes("abc"))),
        "poll errno=0 n=1\n\
         ev userdata=2 error=0 type=1 flags=0\n\
         poll errno=0 n=1\n\
         ev userdata=3 error=0 type=2 flags=0\n"
    );
}

#[test]
fn per_subscription_errors_are_events() {
    // (userdata, error, type) of each subscription of the batch; `None`
    // for the undefined values that make the whole call `inval`.
    let batch = [
        (1, Some((8, 1))),  // fd_read on fd 100: badf
        (2, Some((8, 2))),  // fd_write on fd 3: badf
        (3, Some((8, 1))),  // fd_read on fd 0xFFFFFFFF: badf
        (4, Some((58, 0))), // process cputime clock: notsup
        (5, Some((58, 0))), // thread cputime clock: notsup
        (6, None),          // clock id 7: undefined
        (7, None),          // clock id 0xFFFFFFFF, absolute: undefined
        (8, Some((58, 0))), // process cputime, absolute: notsup
    ];
    let ev = |u: u64, (e, t): (u32, u32)| {
        format!("ev userdata={u} error={e} type={t} nbytes=0 flags=0\n")
    };
    const INVAL_CALL: &str = "poll errno=28 n=999\n";
    // The batch holds undefined clock ids: the call is `inval`.
    let mut expected = INVAL_CALL.to_string();
    for (u, want) in batch {
        match want {
            Some(w) => {
                expected += "poll errno=0 n=1\n";
                expected += &ev(u, w);
            }
            None => expected += INVAL_CALL,
        }
    }
    // An unknown subscription type (3), and a clock with undefined flags.
    expected += INVAL_CALL;
    // fd 0 after fd_close(0).
    expected += "poll errno=0 n=1\n";
    expected += &ev(11, (8, 1));
    assert_eq!(run_mode("poll", "errors"), expected);
}

#[test]
fn missing_poll_right_is_notcapable() {
    assert_eq!(
        without_nbytes(&run_mode("poll", "noright")),
        "drop errno=0\n\
         drop errno=0\n\
         poll errno=0 n=3\n\
         ev userdata=1 error=76 type=2 flags=0\n\
         ev userdata=2 error=76 type=1 flags=0\n\
         ev userdata=3 error=0 type=2 flags=0\n"
    );
}

#[test]
fn wrong_direction_subscriptions_are_badf() {
    assert_eq!(
        run_mode("poll", "wrongdir"),
        "poll errno=0 n=2\n\
         ev userdata=1 error=8 type=2 nbytes=0 flags=0\n\
         ev userdata=2 error=8 type=1 nbytes=0 flags=0\n"
    );
}

#[test]
fn bad_arguments_fail_the_call() {
    assert_eq!(
        run_mode("poll", "bad_args"),
        "nsubs0 errno=28 n=999\n\
         in_bad errno=21 n=999\n\
         out_bad errno=21 n=999\n\
         nevents_bad errno=21\n\
         nsubs_huge errno=21 n=999\n\
         in_cross_end errno=21 n=999\n\
         out_cross_end errno=21 n=999 untouched=1\n\
         out_last errno=0 n=1 userdata=1\n\
         in_misaligned errno=28\n\
         out_misaligned errno=28\n"
    );
}

#[test]
fn libc_sleeps() {
    assert_eq!(
        run_mode("poll", "libc_sleep"),
        "nanosleep r=0 elapsed_ge_20ms=1\n\
         usleep r=0 elapsed_ge_20ms=1\n\
         sleep0 r=0\n\
         clock_nanosleep r=0 elapsed_ge_10ms=1\n"
    );
}

#[test]
fn stdin_file_readiness_counts_remaining_bytes() {
    let dir = scratch_dir("poll_stdin_file");
    let path = dir.join("in.txt");
    std::fs::write(&path, "0123456789").unwrap();
    assert_eq!(
        poll_with_stdin("stdin", Input::path(&path)),
        "poll errno=0 n=1\n\
         ev userdata=5 error=0 type=1 nbytes=10 flags=0\n\
         read errno=0 n=4\n\
         poll errno=0 n=1\n\
         ev userdata=5 error=0 type=1 nbytes=6 flags=0\n\
         read errno=0 n=6\n\
         poll errno=0 n=1\n\
         ev userdata=5 error=0 type=1 nbytes=0 flags=1\n"
    );
}

#[test]
fn stdout_to_a_file_is_writable() {
    let dir = scratch_dir("poll_stdout_file");
    let host = WasiHost::builder()
        .args(["poll", "stdout"])
        .stdout(Output::path(dir.join("out.txt")))
        .build()
        .unwrap();
    // The report goes to the file.
    assert_eq!(module("poll").run(host).unwrap(), Outcome::Exit(0));
    let out = std::fs::read_to_string(dir.join("out.txt")).unwrap();
    assert_eq!(
        without_nbytes(&out),
        "poll errno=0 n=2\n\
         ev userdata=1 error=0 type=2 flags=0\n\
         ev userdata=2 error=0 type=2 flags=0\n"
    );
}

fn pipe() -> (File, PipeWriter) {
    let (r, w) = std::io::pipe().expect("pipe");
    (File::from(OwnedFd::from(r)), w)
}

/// Event lines without `nbytes=` and `flags=` (for host pipes these depend
/// on timing), other lines as they are.
fn without_counts(out: &str) -> String {
    out.lines()
        .map(|l| {
            let words: Vec<&str> = l
                .split(' ')
                .filter(|w| !w.starts_with("nbytes=") && !w.starts_with("flags="))
                .collect();
            words.join(" ") + "\n"
        })
        .collect()
}

#[test]
fn poll_waits_for_a_pipe_to_become_readable() {
    let (r, mut w) = pipe();
    let writer = std::thread::spawn(move || {
        // Usually after the guest started waiting; either way the result is
        // the same.
        std::thread::sleep(std::time::Duration::from_millis(30));
        w.write_all(b"hello").unwrap();
    });
    let out = run_with(
        "poll",
        WasiHost::builder()
            .args(["poll", "wait_stdin"])
            .stdin(Input::File(r)),
    )
    .ok();
    writer.join().unwrap();
    assert_eq!(
        without_counts(&out),
        "poll errno=0 n=1\n\
         ev userdata=2 error=0 type=1\n\
         read total 5\n"
    );
}

#[test]
fn idle_pipe_lets_the_clock_fire() {
    let (r, w) = pipe();
    let out = run_with(
        "poll",
        WasiHost::builder()
            .args(["poll", "idle_stdin"])
            .stdin(Input::File(r)),
    )
    .ok();
    drop(w); // kept open, and empty, during the run
    assert_eq!(
        out,
        format!("poll errno=0 n=1\n{}elapsed_ge_20ms=1\n", clock_ev(1))
    );
}

#[test]
fn pipe_at_eof_is_ready_with_hangup() {
    let (r, w) = pipe();
    drop(w);
    let out = run_with(
        "poll",
        WasiHost::builder()
            .args(["poll", "wait_stdin"])
            .stdin(Input::File(r)),
    )
    .ok();
    assert_eq!(
        without_nbytes(&out),
        "poll errno=0 n=1\n\
         ev userdata=2 error=0 type=1 flags=1\n\
         read total 0\n"
    );
}
