//! `Input::Inherit` / `Output::Inherit`: the guest uses the host process's
//! own stdio. The test re-runs its own binary as a child with piped stdio,
//! so the streams under test are real pipes and files.

use std::io::Write;
use std::process::{Command, Stdio};

use wasihost_core::{Engine, Module, Outcome, WasiHost};

/// Echoes stdin to stdout in 7-byte reads, writes "err\n" to stderr, and
/// exits with the filetype fd_fdstat_get reports for stdout (so the
/// parent sees it in the exit code).
const ECHO: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "err\n")
  (func (export "_start")
    (block $done
      (loop $more
        ;; iovec at 0: buf 100, len 7; nread at 8
        (i32.store (i32.const 0) (i32.const 100))
        (i32.store (i32.const 4) (i32.const 7))
        (br_if $done (i32.ne (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)) (i32.const 0)))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (i32.store (i32.const 4) (i32.load (i32.const 8)))
        (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
        (br $more)))
    (i32.store (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 12)))
    (drop (call $fdstat (i32.const 1) (i32.const 16)))
    (call $exit (i32.add (i32.const 100) (i32.load8_u (i32.const 16))))))
"#;

const CHILD_ENV: &str = "WASIHOST_INHERIT_CHILD";
const MARKER: &str = "--guest-output-follows--\n";

/// What the guest wrote, without the harness's lines before it.
fn guest_part(stdout: &[u8]) -> &[u8] {
    let m = MARKER.as_bytes();
    let at = stdout
        .windows(m.len())
        .position(|w| w == m)
        .expect("child printed no marker");
    &stdout[at + m.len()..]
}

/// In the child: run the guest with inherited stdio and exit with its code.
/// Not a test of its own: the tests below start it in a child process.
#[test]
#[ignore = "entry point of the child process that the inherit tests start"]
fn child_runs_guest_with_inherited_stdio() {
    assert!(
        std::env::var_os(CHILD_ENV).is_some(),
        "run by the inherit tests only"
    );
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(&engine, ECHO).unwrap();
    let host = WasiHost::builder().inherit_stdio().build().unwrap();
    // The test harness prints its own lines on stdout first; the parent
    // keeps only what follows this marker.
    print!("{MARKER}");
    std::io::stdout().flush().unwrap();
    match module.run(host).unwrap() {
        Outcome::Exit(code) => std::process::exit(code as i32),
        other => panic!("the guest did not exit: {other:?}"),
    }
}

fn run_child(stdin: &[u8], stdout: Stdio) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "child_runs_guest_with_inherited_stdio",
            "--ignored",
            "--nocapture",
            "-q",
        ])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

#[test]
fn inherited_stdio_passes_bytes_through_pipes() {
    let input: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let out = run_child(&input, Stdio::piped());
    // Exit code 100 + filetype: a pipe is `unknown` (0).
    assert_eq!(
        out.status.code(),
        Some(100),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let echoed = guest_part(&out.stdout);
    assert_eq!(echoed.len(), input.len());
    assert!(echoed == input, "stdout differs from stdin");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("err\n"),
        "stderr: {:?}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn inherited_stdout_to_a_file_is_a_regular_file_and_dev_null_is_not_a_tty() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("inherit");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("stdout.txt");
    let file = std::fs::File::create(&path).unwrap();
    let out = run_child(b"to a file\n", Stdio::from(file));
    // regular_file is 4.
    assert_eq!(
        out.status.code(),
        Some(104),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(guest_part(&std::fs::read(&path).unwrap()), b"to a file\n");

    let null = std::fs::File::options()
        .write(true)
        .open("/dev/null")
        .unwrap();
    let out = run_child(b"gone\n", Stdio::from(null));
    // /dev/null is a character device but not a terminal: `unknown` (0),
    // so wasi-libc's isatty() is false.
    assert_eq!(
        out.status.code(),
        Some(100),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
