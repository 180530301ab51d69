//! The programmable host in Rust: call handlers with fall-through to the
//! default, the trace stream, the clock and random seams and the
//! deterministic preset, run on `examples/guests/hostdemo.c` and on WAT
//! guests.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use common::{engine, example_guest, file, fs_tree};
use wasihost_core::host::Clock;
use wasihost_core::host::errno_map::GuestErrno;
use wasihost_core::limits::Cancel;
use wasihost_core::wasi_snapshot_preview1::calls::{CALLS, ParamKind};
use wasihost_core::wasi_snapshot_preview1::{
    Call, CallId, CallSet, Group, HandlerImports, Hooks, JsonLines, TraceEvent, Verdict, clockid,
    errno, timestamp,
};
use wasihost_core::{
    Capture, Limits, Module, Outcome, Output, TrapCode, VirtualClock, WasiHost, WasiHostBuilder,
};

fn hostdemo() -> &'static Module {
    static M: OnceLock<Module> = OnceLock::new();
    M.get_or_init(|| Module::from_file(engine(), example_guest("hostdemo")).expect("hostdemo"))
}

/// Runs hostdemo with `args` under `hooks`; gives the outcome and stdout.
fn run(builder: WasiHostBuilder, args: &[&str], hooks: Option<&Hooks>) -> (Outcome, String) {
    let out = Capture::new(1 << 20);
    let host = builder
        .arg("hostdemo")
        .args(args)
        .stdout(Output::Capture(out.clone()))
        .build()
        .expect("host");
    let outcome = hostdemo()
        .run_with_hooks(host, &Limits::default(), None, hooks)
        .expect("run");
    (
        outcome,
        String::from_utf8_lossy(&out.contents()).into_owned(),
    )
}

fn tree(test: &str) -> std::path::PathBuf {
    fs_tree(
        test,
        &[
            ("notes.txt", file("four")),
            ("key.secret", file("hidden")),
            ("other.secret", file("x")),
        ],
    )
}

/// A handler that denies path_open of names ending in `.secret` with
/// `acces`, and calls the default for the rest.
fn deny_secrets(call: &mut Call) -> Verdict {
    let i = call
        .spec()
        .param_index("path")
        .expect("path_open has a path");
    let denied = call.bytes(i).is_ok_and(|p| p.ends_with(b".secret"));
    if denied {
        Verdict::Return(errno::acces)
    } else {
        Verdict::Return(call.call_default())
    }
}

#[test]
fn a_policy_denies_some_opens_and_falls_through_for_the_rest() {
    let dir = tree("hooks_policy");
    let hooks = Hooks::new().handle(CallSet::of(CallId::path_open), deny_secrets);
    let (outcome, out) = run(
        WasiHost::builder().preopen_dir(&dir, "/d"),
        &[
            "open",
            "/d/notes.txt",
            "/d/key.secret",
            "/d/missing",
            "/d/other.secret",
        ],
        Some(&hooks),
    );
    assert_eq!(outcome, Outcome::Exit(0));
    assert_eq!(
        out,
        "/d/notes.txt: 4 bytes\n\
         /d/key.secret: error Permission denied\n\
         /d/missing: error No such file or directory\n\
         /d/other.secret: error Permission denied\n"
    );
    // Without the hooks the same guest reads every file.
    let (_, out) = run(
        WasiHost::builder().preopen_dir(&dir, "/d"),
        &["open", "/d/key.secret"],
        None,
    );
    assert_eq!(out, "/d/key.secret: 6 bytes\n");
}

const VIRTUAL_FD: u64 = 4000;

/// A virtual `/dev/urandom`: `path_open` of `urandom` under the preopen
/// gives fd 4000, whose reads fill every iovec with 0xA5 and whose close
/// succeeds; every other call goes to the default.
fn virtual_urandom(call: &mut Call) -> Verdict {
    match call.id() {
        CallId::path_open => {
            if call.bytes(2).is_ok_and(|p| p == b"urandom") {
                call.set_result(0, VIRTUAL_FD);
                Verdict::Return(errno::success)
            } else {
                Verdict::Return(call.call_default())
            }
        }
        CallId::fd_read if call.arg(0) == VIRTUAL_FD => {
            let mut total = 0u64;
            for k in 0..call.arg(2) as u32 {
                let (offset, len) = match call.iovec(1, k) {
                    Ok(v) => v,
                    Err(e) => return Verdict::Return(e),
                };
                let Some(buf) = call
                    .memory_mut()
                    .get_mut(offset as usize..offset as usize + len as usize)
                else {
                    return Verdict::Return(errno::fault);
                };
                buf.fill(0xA5);
                total += len as u64;
            }
            call.set_result(0, total);
            Verdict::Return(errno::success)
        }
        CallId::fd_close if call.arg(0) == VIRTUAL_FD => Verdict::Return(errno::success),
        _ => Verdict::Return(call.call_default()),
    }
}

#[test]
fn a_virtual_file_is_answered_by_path_open_and_fd_read_handlers() {
    let dir = fs_tree("hooks_urandom", &[]);
    let calls = CallSet::of(CallId::path_open)
        .with(CallId::fd_read)
        .with(CallId::fd_close);
    let hooks = Hooks::new().handle(calls, virtual_urandom);
    let (outcome, out) = run(
        WasiHost::builder().preopen_dir(&dir, "/dev"),
        &["random", "/dev/urandom", "6"],
        Some(&hooks),
    );
    assert_eq!(outcome, Outcome::Exit(0), "{out}");
    assert_eq!(out, "/dev/urandom: a5a5a5a5a5a5\n");
    // The real directory has no such file: without the handler, noent.
    let (outcome, out) = run(
        WasiHost::builder().preopen_dir(&dir, "/dev"),
        &["random", "/dev/urandom", "6"],
        None,
    );
    assert_eq!(outcome, Outcome::Exit(2));
    assert_eq!(out, "/dev/urandom: error No such file or directory\n");
}

#[test]
fn the_trace_records_each_call_as_json_and_honours_the_filter() {
    let dir = tree("hooks_trace");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let hooks = Hooks::new().trace(
        CallSet::group(Group::Path).with(CallId::fd_read),
        move |e: &TraceEvent| sink.lock().unwrap().push(e.to_json()),
    );
    let (outcome, _) = run(
        WasiHost::builder().preopen_dir(&dir, "/d"),
        &["open", "/d/notes.txt", "/d/missing"],
        Some(&hooks),
    );
    assert_eq!(outcome, Outcome::Exit(0));
    let lines = lines.lock().unwrap();
    let calls: Vec<&str> = lines
        .iter()
        .map(|l| {
            let start = l.find("\"call\":\"").unwrap() + 8;
            &l[start..start + l[start..].find('"').unwrap()]
        })
        .collect();
    assert_eq!(
        calls,
        ["path_open", "fd_read", "fd_read", "path_open"],
        "{lines:#?}"
    );
    assert!(
        lines[0].contains(
            "\"args\":{\"fd\":3,\"dirflags\":[\"symlink_follow\"],\"path\":\"notes.txt\",\
             \"path_len\":9,\"oflags\":[],"
        ),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("\"errno\":\"success\",\"results\":{\"opened_fd\":4}"));
    assert!(
        lines[1].contains("\"results\":{\"nread\":4}"),
        "{}",
        lines[1]
    );
    assert!(lines[3].contains("\"path\":\"missing\""));
    assert!(lines[3].contains("\"errno\":\"noent\",\"results\":{}"));
    let instance = hooks.instance();
    assert_eq!(instance, 0, "the template hooks have no instance number");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("{\"instance\":") && l.ends_with('}') && l.contains(",\"ns\":"))
    );
}

#[test]
fn instances_sharing_hooks_get_their_own_numbers() {
    let seen = Arc::new(Mutex::new(Vec::<u64>::new()));
    let sink = seen.clone();
    let hooks = Hooks::new().trace(
        CallSet::of(CallId::args_sizes_get),
        move |e: &TraceEvent| sink.lock().unwrap().push(e.instance),
    );
    for _ in 0..2 {
        let (outcome, _) = run(WasiHost::builder(), &["open"], Some(&hooks));
        assert_eq!(outcome, Outcome::Exit(0));
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen[0] >= 1 && seen[1] > seen[0], "{seen:?}");
}

#[test]
fn a_json_lines_file_holds_every_line_after_the_run() {
    let dir = tree("hooks_json_lines");
    let path = dir.join("../hooks_json_lines.trace");
    let file = std::fs::File::create(&path).unwrap();
    let hooks = Hooks::new().trace(CallSet::all(), JsonLines::new(file));
    let (outcome, _) = run(
        WasiHost::builder().preopen_dir(&dir, "/d"),
        &["open", "/d/notes.txt"],
        Some(&hooks),
    );
    assert_eq!(outcome, Outcome::Exit(0));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with("}\n"), "{text}");
    for call in [
        "args_get",
        "fd_prestat_get",
        "path_open",
        "fd_read",
        "fd_close",
        "fd_write",
    ] {
        assert!(
            text.contains(&format!("\"call\":\"{call}\"")),
            "{call} in {text}"
        );
    }
}

fn wat(src: &str) -> Module {
    Module::from_wat(engine(), src).expect("wat")
}

/// Calls clock_time_get(realtime) and exits with its errno; the result is
/// at offset 16.
const CLOCK_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $time (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i64.store (i32.const 16) (i64.const 0x1111111111111111))
    (call $exit (call $time (i32.const 0) (i64.const 1) (i32.const 16)))))"#;

fn result_at_16(instance: &mut wasihost_core::Instance<WasiHost>) -> u64 {
    let mem = instance
        .wasmtime()
        .get_memory(instance.store_mut(), "memory")
        .unwrap();
    let mut b = [0u8; 8];
    mem.read(instance.store_mut(), 16, &mut b).unwrap();
    u64::from_le_bytes(b)
}

fn run_clock_wat(hooks: &Hooks) -> (Outcome, u64) {
    let m = wat(CLOCK_WAT);
    let mut inst = m
        .instantiate_with_hooks(
            WasiHost::builder().build().unwrap(),
            &Limits::default(),
            None,
            Some(hooks),
        )
        .unwrap();
    let outcome = inst.run().unwrap();
    (outcome, result_at_16(&mut inst))
}

#[test]
fn results_reach_the_guest_only_on_success() {
    let set = CallSet::of(CallId::clock_time_get);
    let ok = Hooks::new().handle(set, |c: &mut Call| {
        assert!(c.set_result(0, 42));
        Verdict::Return(errno::success)
    });
    assert_eq!(run_clock_wat(&ok), (Outcome::Exit(0), 42));
    let failing = Hooks::new().handle(set, |c: &mut Call| {
        c.set_result(0, 42);
        Verdict::Return(errno::notsup)
    });
    assert_eq!(
        run_clock_wat(&failing),
        (
            Outcome::Exit(errno::notsup.raw() as u32),
            0x1111111111111111
        )
    );
}

#[test]
fn a_handler_can_rewrite_arguments_and_results_around_the_default() {
    // realtime becomes monotonic, and the answer is shifted by one second.
    let hooks = Hooks::new().handle(CallSet::of(CallId::clock_time_get), |c: &mut Call| {
        assert!(c.set_arg(0, clockid::monotonic.raw() as u64));
        let e = c.call_default();
        assert_eq!(c.default_errno(), Some(e));
        let t = c.result(0);
        c.set_result(0, t + 1_000_000_000);
        Verdict::Return(e)
    });
    let (outcome, t) = run_clock_wat(&hooks);
    assert_eq!(outcome, Outcome::Exit(0));
    let mono = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let mono_now = mono.tv_sec as u64 * 1_000_000_000 + mono.tv_nsec as u64;
    // Monotonic time plus a second: not the wall clock (decades more).
    assert!(t > 1_000_000_000 && t <= mono_now + 1_000_000_000, "{t}");
    // An argument the type cannot hold makes the default answer inval.
    let hooks = Hooks::new().handle(CallSet::of(CallId::clock_time_get), |c: &mut Call| {
        c.set_arg(0, u64::MAX);
        Verdict::Return(c.call_default())
    });
    assert_eq!(
        run_clock_wat(&hooks).0,
        Outcome::Exit(errno::inval.raw() as u32)
    );
}

#[test]
fn a_handler_can_end_the_guest_with_an_exit_or_a_trap() {
    let set = CallSet::of(CallId::clock_time_get);
    let exit = Hooks::new().handle(set, |_: &mut Call| Verdict::Exit(77));
    assert_eq!(run_clock_wat(&exit).0, Outcome::Exit(77));
    let trap = Hooks::new().handle(set, |_: &mut Call| Verdict::Trap("no clocks here".into()));
    match run_clock_wat(&trap).0 {
        Outcome::Trap(t) => {
            assert_eq!(t.code, TrapCode::Handler);
            assert!(t.message.contains("clock_time_get"), "{}", t.message);
            assert!(t.message.contains("no clocks here"), "{}", t.message);
        }
        other => panic!("{other:?}"),
    }
    let panics = Hooks::new().handle(set, |_: &mut Call| -> Verdict { panic!("handler bug") });
    match run_clock_wat(&panics).0 {
        Outcome::Trap(t) => {
            assert_eq!(t.code, TrapCode::Handler);
            assert!(t.message.contains("handler bug"), "{}", t.message);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn proc_exit_can_be_audited_and_its_code_changed() {
    let codes = Arc::new(AtomicU32::new(0));
    let seen = codes.clone();
    let audit = Hooks::new().handle(CallSet::of(CallId::proc_exit), move |c: &mut Call| {
        seen.store(c.arg(0) as u32, Ordering::SeqCst);
        Verdict::Return(c.call_default())
    });
    let (outcome, out) = run(WasiHost::builder(), &["random", "/nope", "4"], Some(&audit));
    assert_eq!(outcome, Outcome::Exit(2), "{out}");
    assert_eq!(codes.load(Ordering::SeqCst), 2);
    // A handler that only returns an errno cannot keep proc_exit from
    // ending the guest, with its own code.
    let ignore = Hooks::new().handle(CallSet::of(CallId::proc_exit), |_: &mut Call| {
        Verdict::Return(errno::success)
    });
    assert_eq!(
        run(
            WasiHost::builder(),
            &["random", "/nope", "4"],
            Some(&ignore)
        )
        .0,
        Outcome::Exit(2)
    );
    let change = Hooks::new().handle(CallSet::of(CallId::proc_exit), |_: &mut Call| {
        Verdict::Exit(9)
    });
    assert_eq!(
        run(
            WasiHost::builder(),
            &["random", "/nope", "4"],
            Some(&change)
        )
        .0,
        Outcome::Exit(9)
    );
}

#[test]
fn deterministic_runs_print_the_same_bytes() {
    let dir = tree("hooks_deterministic");
    let once = || {
        run(
            WasiHost::builder().preopen_dir(&dir, "/d").deterministic(7),
            &["time", "/d"],
            None,
        )
    };
    let (a_outcome, a) = once();
    let (_, b) = once();
    assert_eq!(a_outcome, Outcome::Exit(0));
    assert_eq!(a, b);
    let lines: Vec<&str> = a.lines().collect();
    assert_eq!(lines[0], "wall: 946684800 s");
    assert_eq!(lines[1], "monotonic: 0 ns");
    assert_eq!(
        lines[2],
        "monotonic after sleeping 1.5 s: 1500000000 ns (+1500000000)"
    );
    assert!(
        lines[3].starts_with("random: ") && lines[3].len() == 8 + 16,
        "{}",
        lines[3]
    );
    // Another seed, other random bytes; the same times.
    let (_, c) = run(
        WasiHost::builder().preopen_dir(&dir, "/d").deterministic(8),
        &["time", "/d"],
        None,
    );
    assert_eq!(c.lines().take(3).collect::<Vec<_>>(), lines[..3]);
    assert_ne!(c.lines().nth(3), Some(lines[3]));
}

/// A clock of the embedder's: fixed times, sleeps counted.
struct TestClock {
    slept: Mutex<Vec<u64>>,
}

impl Clock for TestClock {
    fn now(&self, id: clockid) -> Result<timestamp, errno> {
        match id {
            clockid::realtime => Ok(1_234_000_000_000),
            clockid::monotonic => Ok(self.slept.lock().unwrap().iter().sum::<u64>() + 5),
            _ => Err(errno::inval),
        }
    }
    fn resolution(&self, _: clockid) -> Result<timestamp, errno> {
        Ok(1)
    }
    fn sleep(&self, ns: u64, _: Option<&Cancel>) -> Result<(), errno> {
        self.slept.lock().unwrap().push(ns);
        Ok(())
    }
}

#[test]
fn an_embedder_clock_and_random_source_govern_the_guest() {
    let clock = Arc::new(TestClock {
        slept: Mutex::new(Vec::new()),
    });
    let dir = tree("hooks_clock");
    let (outcome, out) = run(
        WasiHost::builder()
            .preopen_dir(&dir, "/d")
            .shared_clock(clock.clone())
            .random_fn(|buf: &mut [u8]| {
                buf.fill(0x3C);
                Ok(())
            }),
        &["time", "/d"],
        None,
    );
    assert_eq!(outcome, Outcome::Exit(0));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "wall: 1234 s");
    assert_eq!(lines[1], "monotonic: 5 ns");
    assert_eq!(
        lines[2],
        "monotonic after sleeping 1.5 s: 1500000005 ns (+1500000000)"
    );
    assert_eq!(lines[3], "random: 3c3c3c3c3c3c3c3c");
    assert_eq!(*clock.slept.lock().unwrap(), [1_500_000_000]);
    // A random source that fails gives the guest its errno.
    let (_, out) = run(
        WasiHost::builder().random_fn(|_: &mut [u8]| Err(errno::nosys)),
        &["time", "/nowhere"],
        None,
    );
    assert!(out.contains("random: error "), "{out}");
}

#[test]
fn a_virtual_clock_wakes_an_absolute_realtime_deadline_at_once() {
    // poll_oneoff on realtime, absolute, 10 s after the frozen wall time:
    // the monotonic clock advances by the 10 s and the event comes back.
    let src = r#"(module
      (import "wasi_snapshot_preview1" "poll_oneoff"
        (func $poll (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start")
        ;; subscription at 0: userdata 7, tag clock, id realtime,
        ;; timeout, precision 0, flags abstime
        (i64.store (i32.const 0) (i64.const 7))
        (i32.store8 (i32.const 8) (i32.const 0))
        (i32.store (i32.const 16) (i32.const 0))
        (i64.store (i32.const 24) (i64.const 946684810000000000))
        (i64.store (i32.const 32) (i64.const 0))
        (i32.store16 (i32.const 40) (i32.const 1))
        (call $exit (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))"#;
    let clock = Arc::new(VirtualClock::default());
    let host = WasiHost::builder()
        .shared_clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(wat(src).run(host).unwrap(), Outcome::Exit(0));
    assert_eq!(clock.elapsed(), 10_000_000_000);
}

/// Writes "hi" to stdout and exits with fd_write's errno.
const WRITE_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hi")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 2))
    (call $exit (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))"#;

#[test]
fn a_stdio_callback_chooses_the_errno_of_a_failed_write() {
    let host = WasiHost::builder()
        .stdout(Output::callback(|_| Err(GuestErrno(errno::nospc).into())))
        .build()
        .unwrap();
    assert_eq!(
        wat(WRITE_WAT).run(host).unwrap(),
        Outcome::Exit(errno::nospc.raw() as u32)
    );
    // Any other error is still io.
    let host = WasiHost::builder()
        .stdout(Output::callback(|_| Err(std::io::Error::other("full"))))
        .build()
        .unwrap();
    assert_eq!(
        wat(WRITE_WAT).run(host).unwrap(),
        Outcome::Exit(errno::io.raw() as u32)
    );
}

#[test]
fn an_fd_write_handler_sees_the_bytes_through_the_iovecs() {
    let seen = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = seen.clone();
    let hooks = Hooks::new().handle(CallSet::of(CallId::fd_write), move |c: &mut Call| {
        for k in 0..c.arg(2) as u32 {
            let (off, len) = c.iovec(1, k).expect("iovec");
            sink.lock()
                .unwrap()
                .extend_from_slice(&c.memory()[off as usize..(off + len) as usize]);
        }
        assert_eq!(c.iovec(1, 99), Err(errno::inval));
        assert_eq!(c.bytes(0), Err(errno::inval), "fd is not a byte range");
        Verdict::Return(c.call_default())
    });
    let out = Capture::new(64);
    let host = WasiHost::builder()
        .stdout(Output::Capture(out.clone()))
        .build()
        .unwrap();
    let outcome = wat(WRITE_WAT)
        .run_with_hooks(host, &Limits::default(), None, Some(&hooks))
        .unwrap();
    assert_eq!(outcome, Outcome::Exit(0));
    assert_eq!(*seen.lock().unwrap(), b"hi");
    assert_eq!(out.contents(), b"hi");
}

#[test]
fn handler_imports_make_a_whole_host_of_one_function() {
    // Every call answers nosys but the clock, which gives 99.
    let imports = HandlerImports::new(|c: &mut Call| {
        if c.id() == CallId::clock_time_get {
            c.set_result(0, 99);
            return Verdict::Return(errno::success);
        }
        Verdict::Return(c.call_default())
    });
    let m = wat(CLOCK_WAT);
    let mut inst = m.instantiate(imports).unwrap();
    assert_eq!(inst.run().unwrap(), Outcome::Exit(0));
    let mem = inst
        .wasmtime()
        .get_memory(inst.store_mut(), "memory")
        .unwrap();
    let mut b = [0u8; 8];
    mem.read(inst.store_mut(), 16, &mut b).unwrap();
    assert_eq!(u64::from_le_bytes(b), 99);
}

#[test]
fn call_sets_parse_names_and_groups_and_name_what_they_do_not_know() {
    assert_eq!(CallSet::parse("all").unwrap(), CallSet::all());
    let fs = CallSet::parse("fs").unwrap();
    assert!(fs.contains(CallId::path_open) && fs.contains(CallId::fd_read));
    assert!(!fs.contains(CallId::clock_time_get));
    let some = CallSet::parse(" clock , path_open ").unwrap();
    assert_eq!(
        some.iter().collect::<Vec<_>>(),
        [
            CallId::clock_res_get,
            CallId::clock_time_get,
            CallId::path_open
        ]
    );
    assert!(CallSet::parse("fs,bogus").unwrap_err().contains("`bogus`"));
    assert!(CallSet::parse("").is_err());
    assert_eq!(CallSet::all().iter().count(), 46);
    // Every import is described once, with its parameters in order.
    assert_eq!(CALLS.len(), 46);
    for (i, spec) in CALLS.iter().enumerate() {
        assert_eq!(spec.id as usize, i);
        assert_eq!(CallId::from_name(spec.name), Some(spec.id));
        for (k, p) in spec.params.iter().enumerate() {
            if matches!(p.kind, ParamKind::Path | ParamKind::Buf | ParamKind::Iovs) {
                assert_eq!(spec.params[k + 1].kind, ParamKind::Len, "{}", spec.name);
            }
        }
    }
    assert_eq!(CallId::poll_oneoff.spec().params[0].name, "in");
}

#[test]
fn removing_a_handler_restores_the_default() {
    let mut hooks = Hooks::new().handle(CallSet::of(CallId::clock_time_get), |_: &mut Call| {
        Verdict::Return(errno::perm)
    });
    assert_eq!(
        run_clock_wat(&hooks).0,
        Outcome::Exit(errno::perm.raw() as u32)
    );
    hooks.set_handler(CallSet::of(CallId::clock_time_get), None);
    assert!(hooks.is_empty());
    assert_eq!(run_clock_wat(&hooks).0, Outcome::Exit(0));
}

#[test]
fn one_builder_builds_any_number_of_hosts() {
    // The builder is a reusable description: each host gets its own
    // deterministic clock and random stream, and its own preopen fd.
    let dir = tree("hooks_reusable");
    let builder = WasiHost::builder()
        .arg("hostdemo")
        .args(["time", "/d"])
        .preopen_dir(&dir, "/d")
        .deterministic(3);
    let variant = builder.clone().env("EXTRA", "1");
    let mut outputs = Vec::new();
    for b in [&builder, &builder, &variant] {
        let out = Capture::new(1 << 16);
        let host = b
            .clone()
            .stdout(Output::Capture(out.clone()))
            .build()
            .expect("host");
        assert_eq!(hostdemo().run(host).unwrap(), Outcome::Exit(0));
        outputs.push(out.contents());
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    assert!(String::from_utf8_lossy(&outputs[0]).contains("monotonic: 0 ns"));
    // Building from a shared reference leaves the builder usable, and a
    // bad setting is reported by every build.
    let bad = WasiHost::builder().env("A=B", "1");
    for _ in 0..2 {
        let e = bad.build().unwrap_err();
        assert!(e.to_string().contains("contains '='"), "{e}");
    }
}

#[test]
fn an_instance_number_ties_trace_records_and_handlers_to_the_instance() {
    let seen = Arc::new(Mutex::new(Vec::<u64>::new()));
    let (traced, handled) = (seen.clone(), seen.clone());
    let hooks = Hooks::new()
        .trace(
            CallSet::of(CallId::clock_time_get),
            move |e: &TraceEvent| traced.lock().unwrap().push(e.instance),
        )
        .handle(CallSet::of(CallId::clock_time_get), move |c: &mut Call| {
            handled.lock().unwrap().push(c.instance());
            Verdict::Return(c.call_default())
        });
    let m = wat(CLOCK_WAT);
    let mut inst = m
        .instantiate_with_hooks(
            WasiHost::builder().build().unwrap(),
            &Limits::default(),
            None,
            Some(&hooks),
        )
        .unwrap();
    assert_eq!(inst.run().unwrap(), Outcome::Exit(0));
    let n = inst.number();
    assert!(n >= 1);
    assert_eq!(*seen.lock().unwrap(), [n, n]);
    // Every instance has a number, with hooks or without.
    let other = m.instantiate(WasiHost::builder().build().unwrap()).unwrap();
    assert!(other.number() > n);
}

#[test]
fn a_linker_can_get_some_groups_only() {
    use wasihost_core::wasi_snapshot_preview1::{ProcExit, WasiState, add_groups_to_linker};
    let mut linker = wasmtime::Linker::<WasiState<WasiHost>>::new(engine().wasmtime());
    add_groups_to_linker(&mut linker, &[Group::Fd, Group::Proc]).unwrap();
    // The clock is not linked: a module that imports it fails, naming it.
    let err = linker
        .instantiate_pre(wat(CLOCK_WAT).wasmtime())
        .err()
        .expect("clock_time_get is not linked");
    assert!(format!("{err:#}").contains("clock_time_get"), "{err:#}");
    // fd_write and proc_exit are.
    let out = Capture::new(64);
    let host = WasiHost::builder()
        .stdout(Output::Capture(out.clone()))
        .build()
        .unwrap();
    let m = wat(WRITE_WAT);
    let pre = linker.instantiate_pre(m.wasmtime()).unwrap();
    let mut store = wasmtime::Store::new(engine().wasmtime(), WasiState::new(host));
    let inst = pre.instantiate(&mut store).unwrap();
    let start = inst.get_typed_func::<(), ()>(&mut store, "_start").unwrap();
    let err = start.call(&mut store, ()).unwrap_err();
    assert_eq!(err.downcast_ref::<ProcExit>(), Some(&ProcExit(0)));
    assert_eq!(out.contents(), b"hi");
}

#[test]
fn a_virtual_clock_is_the_now_of_set_times() {
    // path_filestat_set_times(3, 0, "f", mtim_now|atim_now) in a preopen:
    // under the deterministic clock, "now" is its frozen wall time.
    let src = r#"(module
      (import "wasi_snapshot_preview1" "path_filestat_set_times"
        (func $times (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (data (i32.const 0) "f")
      (func (export "_start")
        (call $exit (call $times (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1)
          (i64.const 0) (i64.const 0) (i32.const 10)))))"#;
    let dir = fs_tree("hooks_set_times_now", &[("f", file("x"))]);
    let host = WasiHost::builder()
        .preopen_dir(&dir, "/d")
        .deterministic(0)
        .build()
        .unwrap();
    assert_eq!(wat(src).run(host).unwrap(), Outcome::Exit(0));
    let meta = std::fs::metadata(dir.join("f")).unwrap();
    let secs =
        |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(secs(meta.modified().unwrap()), 946_684_800);
    assert_eq!(secs(meta.accessed().unwrap()), 946_684_800);
}
