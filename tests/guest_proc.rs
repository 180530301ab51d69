//! Process control from a guest: sched_yield, proc_raise, exit codes,
//! traps, and many guests running at once.

mod common;

use common::{module, run_args, run_mode, run_with};
use wasihost_core::{Capture, Input, Outcome, Output, WasiHost};

#[test]
fn sched_yield_succeeds() {
    assert_eq!(run_mode("proc", "yield"), "sched_yield errno=0\n".repeat(3));
}

#[test]
fn proc_raise() {
    // 0 and the signals ignored by default (chld 16, cont 17, urg 22,
    // winch 27) are no-ops; other valid signals are notsup (58); numbers
    // past sys (30), or too wide for a u8, are inval (28).
    let expected: String = [
        (0, 0),
        (1, 58),
        (9, 58),
        (15, 58),
        (16, 0),
        (17, 0),
        (22, 0),
        (27, 0),
        (30, 58),
        (31, 28),
        (200, 28),
        (255, 28),
        (256, 28),
        (-1, 28),
    ]
    .iter()
    .map(|(sig, errno)| format!("raise {sig} errno={errno}\n"))
    .collect();
    assert_eq!(run_mode("proc", "raise"), expected);
}

#[test]
fn proc_exit_codes() {
    for code in [0u32, 7, 255, 256, 1000, u32::MAX] {
        let ran = run_args("proc", &["exit", &code.to_string()]);
        assert_eq!(ran.outcome, Outcome::Exit(code));
        assert_eq!(ran.outcome.exit_code(), Some(code));
        assert_eq!(ran.out(), "before exit\n", "output before exit is kept");
    }
}

#[test]
fn libc_exit_flushes_and_exits() {
    let ran = run_args("proc", &["libc_exit", "5"]);
    assert_eq!(ran.outcome, Outcome::Exit(5));
    assert_eq!(ran.out(), "buffered before exit\n");
    assert_eq!(ran.err(), "stderr before exit\n");
}

#[test]
fn return_from_main() {
    for code in [0, 3, 42] {
        let ran = run_args("proc", &["return", &code.to_string()]);
        assert_eq!(ran.outcome, Outcome::Exit(code));
        assert_eq!(ran.out(), format!("returning {code}\n"));
    }
}

/// Runs a trapping mode; asserts it trapped after its first line and gives
/// the trap message (lower case).
#[track_caller]
fn trap_message(mode: &str) -> String {
    let ran = run_args("proc", &[mode]);
    assert_eq!(
        ran.out(),
        format!("before {mode}\n"),
        "output before the trap is kept"
    );
    match ran.outcome {
        Outcome::Trap(t) => {
            assert_eq!(Outcome::Trap(t.clone()).exit_code(), None);
            t.message.to_lowercase()
        }
        other => panic!("{mode}: expected a trap, got {other:?}"),
    }
}

#[test]
fn traps_are_outcomes_with_a_message() {
    let msg = trap_message("trap");
    assert!(msg.contains("unreachable"), "{msg}");
    let msg = trap_message("div0");
    assert!(msg.contains("divide by zero"), "{msg}");
    let msg = trap_message("oob");
    assert!(msg.contains("out of bounds"), "{msg}");
    let msg = trap_message("stack");
    assert!(!msg.is_empty());
}

#[test]
fn host_stays_usable_after_traps_and_exits() {
    for mode in ["trap", "div0", "oob"] {
        assert!(matches!(
            run_args("proc", &[mode]).outcome,
            Outcome::Trap(_)
        ));
        assert_eq!(run_mode("proc", "hello"), "hello 0\n");
    }
    assert_eq!(run_args("proc", &["exit", "9"]).outcome, Outcome::Exit(9));
    let ran = run_args("proc", &["hello", "again"]);
    assert_eq!(ran.ok(), "hello again\n");
}

#[test]
fn instance_api_runs_and_keeps_the_host() {
    let out = Capture::new(1024);
    let host = WasiHost::builder()
        .args(["proc", "exit", "12"])
        .stdout(Output::Capture(out.clone()))
        .build()
        .unwrap();
    let mut instance = module("proc").instantiate(host).expect("instantiate");
    assert_eq!(instance.run().unwrap(), Outcome::Exit(12));
    assert_eq!(out.contents(), b"before exit\n");
    let _host: &WasiHost = instance.imports();
}

#[test]
fn four_threads_ten_runs_each() {
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                for r in 0..10 {
                    if (t + r) % 2 == 0 {
                        let input = format!("thread {t} run {r}\nsecond line {t}{r}\n");
                        let ran = run_with(
                            "stdio",
                            WasiHost::builder()
                                .args(["stdio", "filter"])
                                .stdin(Input::bytes(input.clone())),
                        );
                        assert_eq!(ran.ok(), input.to_uppercase());
                        assert_eq!(ran.err(), "");
                    } else {
                        let name = format!("t{t}r{r}");
                        let ran = run_args("proc", &["exit", &(t * 10 + r).to_string()]);
                        assert_eq!(ran.outcome, Outcome::Exit((t * 10 + r) as u32));
                        assert_eq!(ran.out(), "before exit\n");
                        let ran = run_args("proc", &["hello", &name]);
                        assert_eq!(ran.ok(), format!("hello {name}\n"));
                    }
                }
            });
        }
    });
}
