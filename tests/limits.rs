//! Limits: timeouts and interrupts that also end blocking host calls (a
//! sleep, a read of a pipe, a start function that never returns), fuel,
//! the memory and table caps, and the errors for a limit the engine cannot
//! enforce. Bounds on time here only stop a hang; they are not timings.

mod common;

use std::os::fd::OwnedFd;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use wasihost_core::{
    Capture, Engine, ErrorKind, Input, InterruptHandle, Limits, Module, ModuleCache, Outcome,
    Output, WasiHost, WasiHostBuilder,
};
use wasmtime::Val;

/// Generous: a stopped guest ends in milliseconds; this only turns a hang
/// into a failure.
const HANG: Duration = Duration::from_secs(20);

fn interruptible() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::interruptible().unwrap())
}

fn with_fuel() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::builder().fuel(true).build().unwrap())
}

fn limits_guest(engine: &Engine) -> Module {
    Module::from_file(engine, common::guest("limits")).unwrap()
}

fn host(args: &[&str]) -> WasiHostBuilder {
    WasiHost::builder().arg("limits").args(args)
}

/// A pipe whose write end stays open (returned), so reading it blocks.
fn silent_pipe() -> (std::fs::File, OwnedFd) {
    let (r, w) = std::io::pipe().unwrap();
    (std::fs::File::from(OwnedFd::from(r)), OwnedFd::from(w))
}

/// The ways a guest waits or computes forever, each as a host to run the
/// limits guest with.
fn stuck_guests() -> Vec<(&'static str, WasiHostBuilder, Option<OwnedFd>)> {
    let (pipe, keep) = silent_pipe();
    vec![
        ("spin", host(&["spin"]), None),
        ("sleep", host(&["sleep", "100"]), None),
        ("read", host(&["read"]).stdin(Input::File(pipe)), Some(keep)),
    ]
}

#[test]
fn a_timeout_stops_a_loop_a_sleep_and_a_blocked_read() {
    let module = limits_guest(interruptible());
    for (what, builder, _keep) in stuck_guests() {
        let t0 = Instant::now();
        let limits = Limits::new().timeout(Duration::from_millis(100));
        let outcome = module
            .run_with(builder.build().unwrap(), &limits, None)
            .unwrap();
        assert_eq!(outcome, Outcome::TimedOut, "{what}");
        assert!(t0.elapsed() < HANG, "{what}");
    }
}

#[test]
fn an_interrupt_from_another_thread_stops_a_loop_a_sleep_and_a_blocked_read() {
    let module = limits_guest(interruptible());
    for (what, builder, _keep) in stuck_guests() {
        let mut inst = module.instantiate(builder.build().unwrap()).unwrap();
        let handle = inst.interrupt_handle().unwrap();
        let t0 = Instant::now();
        let outcome = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                handle.interrupt();
            });
            inst.run().unwrap()
        });
        assert_eq!(outcome, Outcome::Interrupted, "{what}");
        assert!(t0.elapsed() < HANG, "{what}");
    }
}

#[test]
fn a_start_function_that_never_returns_is_stopped_by_a_timeout_or_an_interrupt() {
    let wat = std::fs::read_to_string(common::guests_src_dir().join("start_loop.wat")).unwrap();
    let module = Module::from_wat(interruptible(), &wat).unwrap();
    let limits = Limits::new().timeout(Duration::from_millis(100));
    let t0 = Instant::now();
    assert_eq!(
        module
            .run_with(WasiHost::builder().build().unwrap(), &limits, None)
            .unwrap(),
        Outcome::TimedOut
    );
    let e = module
        .instantiate_with(WasiHost::builder().build().unwrap(), &limits, None)
        .unwrap_err();
    assert!(e.message().contains("timed out"), "{e}");

    let handle = InterruptHandle::new();
    let outcome = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            handle.interrupt();
        });
        module
            .run_with(
                WasiHost::builder().build().unwrap(),
                &Limits::new(),
                Some(&handle),
            )
            .unwrap()
    });
    assert_eq!(outcome, Outcome::Interrupted);
    assert!(t0.elapsed() < HANG);
}

#[test]
fn a_timeout_covers_each_call_anew_and_a_later_call_runs() {
    let module = Module::from_wat(
        interruptible(),
        r#"(module
             (memory (export "memory") 1)
             (func (export "spin") (loop $l (br $l)))
             (func (export "one") (result i32) (i32.const 1)))"#,
    )
    .unwrap();
    let limits = Limits::new().timeout(Duration::from_millis(100));
    let mut inst = module
        .instantiate_with(WasiHost::builder().build().unwrap(), &limits, None)
        .unwrap();
    assert_eq!(
        inst.call("spin", &[], &mut []).unwrap(),
        Some(Outcome::TimedOut)
    );
    let mut r = [Val::I32(0)];
    assert_eq!(inst.call("one", &[], &mut r).unwrap(), None);
    assert_eq!(r[0].unwrap_i32(), 1);
    // Without a timeout, only an interrupt would stop it; with a new one it
    // times out again.
    inst.set_timeout(Some(Duration::from_millis(50))).unwrap();
    assert_eq!(
        inst.call("spin", &[], &mut []).unwrap(),
        Some(Outcome::TimedOut)
    );
}

#[test]
fn a_guest_that_finishes_in_time_is_not_stopped() {
    let module = limits_guest(interruptible());
    let out = Capture::new(1024);
    let host = host(&["count", "1000"])
        .stdout(Output::Capture(out.clone()))
        .build()
        .unwrap();
    let limits = Limits::new().timeout(Duration::from_secs(60));
    assert_eq!(
        module.run_with(host, &limits, None).unwrap(),
        Outcome::Exit(0)
    );
    assert_eq!(out.contents(), b"counted 1000\n");
}

#[test]
fn fuel_exhaustion_is_reported_as_such() {
    let module = limits_guest(with_fuel());
    let run = |fuel: u64| {
        let out = Capture::new(1024);
        let host = host(&["count", "100000"])
            .stdout(Output::Capture(out.clone()))
            .build()
            .unwrap();
        let outcome = module
            .run_with(host, &Limits::new().fuel(fuel), None)
            .unwrap();
        (outcome, out.contents())
    };
    assert_eq!(run(10_000).0, Outcome::FuelExhausted);
    assert_eq!(
        run(100_000_000),
        (Outcome::Exit(0), b"counted 100000\n".to_vec())
    );
    // An endless loop ends too, without any timeout.
    let host = host(&["spin"]).build().unwrap();
    assert_eq!(
        module
            .run_with(host, &Limits::new().fuel(1_000_000), None)
            .unwrap(),
        Outcome::FuelExhausted
    );
}

#[test]
fn memory_growth_past_the_cap_fails_in_the_guest_and_stays_bounded() {
    let module = limits_guest(&Engine::new().unwrap());
    let out = Capture::new(1024);
    let builder = host(&["grow", "1000"]).stdout(Output::Capture(out.clone()));
    let limits = Limits::new().max_memory(64 << 20);
    let mut inst = module
        .instantiate_with(builder.build().unwrap(), &limits, None)
        .unwrap();
    assert_eq!(inst.run().unwrap(), Outcome::Exit(3));
    let text = String::from_utf8(out.contents()).unwrap();
    assert!(text.ends_with("MiB, then refused\n"), "{text}");
    let grown: u64 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!((50..64).contains(&grown), "{text}");
    assert!(inst.memory_limit_reached());
    let wasm = inst.wasmtime();
    let memory = wasm.get_memory(inst.store_mut(), "memory").unwrap();
    assert!(memory.data_size(inst.store_mut()) <= 64 << 20);

    // Under the default cap the same guest gets what it asks for.
    let out = Capture::new(1024);
    let host = host(&["grow", "100"])
        .stdout(Output::Capture(out.clone()))
        .build()
        .unwrap();
    assert_eq!(module.run(host).unwrap(), Outcome::Exit(0));
    assert_eq!(out.contents(), b"grew 100 MiB\n");
}

/// Runs `wat` (an export `f` returning i64) under `limits`.
fn call_f(wat: &str, limits: &Limits) -> (i64, bool) {
    let module = Module::from_wat(&Engine::new().unwrap(), wat).unwrap();
    let mut inst = module
        .instantiate_with(WasiHost::builder().build().unwrap(), limits, None)
        .unwrap();
    let mut r = [Val::I64(0)];
    assert_eq!(inst.call("f", &[], &mut r).unwrap(), None);
    (r[0].unwrap_i64(), inst.memory_limit_reached())
}

#[test]
fn the_cap_covers_all_memories_together_64_bit_ones_included() {
    // Two 32-bit memories of 32 MiB each fit in 64 MiB; one more page of
    // either does not, and memory.grow returns -1.
    let two = r#"(module
        (memory $a 512) (memory $b 512)
        (func (export "f") (result i64)
          (i64.extend_i32_s (memory.grow $b (i32.const 1)))))"#;
    assert_eq!(call_f(two, &Limits::new().max_memory(64 << 20)), (-1, true));
    assert_eq!(
        call_f(two, &Limits::new().max_memory(65 << 20)),
        (512, false)
    );
    // A 64-bit memory may not grow past the cap either: 2 GiB asked for.
    let wide = r#"(module
        (memory i64 1)
        (func (export "f") (result i64) (memory.grow (i64.const 32768))))"#;
    assert_eq!(
        call_f(wide, &Limits::new().max_memory(64 << 20)),
        (-1, true)
    );
    // By default the cap is 4 GiB in all: 64-bit memories cannot take the
    // host's memory (this asks for 8 GiB).
    let huge = r#"(module
        (memory i64 1)
        (func (export "f") (result i64) (memory.grow (i64.const 131072))))"#;
    assert_eq!(call_f(huge, &Limits::new()), (-1, true));
}

#[test]
fn the_table_cap_refuses_table_grow() {
    let wat = r#"(module
        (table $t 10 funcref)
        (func (export "f") (result i64)
          (i64.extend_i32_s (table.grow $t (ref.null func) (i32.const 200000000)))))"#;
    assert_eq!(call_f(wat, &Limits::new()), (-1, true));
    let small = r#"(module
        (table $t 10 funcref)
        (func (export "f") (result i64)
          (i64.extend_i32_s (table.grow $t (ref.null func) (i32.const 100)))))"#;
    assert_eq!(call_f(small, &Limits::new()), (10, false));
    assert_eq!(
        call_f(small, &Limits::new().max_table_elements(50)),
        (-1, true)
    );
}

#[test]
fn a_module_whose_memory_starts_above_the_cap_is_not_instantiated() {
    let module = Module::from_wat(
        &Engine::new().unwrap(),
        r#"(module (memory (export "memory") 2048) (func (export "_start")))"#,
    )
    .unwrap();
    let limits = Limits::new().max_memory(64 << 20);
    assert_eq!(
        module
            .run_with(WasiHost::builder().build().unwrap(), &limits, None)
            .unwrap(),
        Outcome::MemoryLimit
    );
    assert_eq!(
        module
            .run_with(WasiHost::builder().build().unwrap(), &Limits::new(), None)
            .unwrap(),
        Outcome::Exit(0)
    );
}

#[test]
fn limits_the_engine_cannot_enforce_are_clear_errors() {
    let plain = Engine::new().unwrap();
    assert!(!plain.is_interruptible() && !plain.has_fuel());
    let module = limits_guest(&plain);
    let e = module
        .run_with(
            host(&["spin"]).build().unwrap(),
            &Limits::new().timeout(Duration::from_secs(1)),
            None,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("interruptible engine"), "{e}");
    let e = module
        .run_with(
            host(&["spin"]).build().unwrap(),
            &Limits::new(),
            Some(&InterruptHandle::new()),
        )
        .unwrap_err();
    assert!(e.message().contains("interruptible engine"), "{e}");
    let e = module
        .run_with(
            host(&["spin"]).build().unwrap(),
            &Limits::new().fuel(10),
            None,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("fuel metering"), "{e}");
    let mut inst = module
        .instantiate(host(&["count", "1"]).build().unwrap())
        .unwrap();
    let e = inst.interrupt_handle().unwrap_err();
    assert!(e.message().contains("cannot be interrupted"), "{e}");
    let e = inst.set_timeout(Some(Duration::from_secs(1))).unwrap_err();
    assert!(e.message().contains("interruptible engine"), "{e}");
    assert_eq!(inst.fuel_left(), None);
}

#[test]
fn the_module_cache_keeps_interruptible_and_plain_code_apart() {
    let dir = common::scratch_dir("limits-cache");
    let cache = ModuleCache::new(&dir);
    let bytes = std::fs::read(common::guest("limits")).unwrap();
    let engines = [
        Engine::new().unwrap(),
        Engine::interruptible().unwrap(),
        Engine::builder().fuel(true).build().unwrap(),
        Engine::builder()
            .interruptible(true)
            .fuel(true)
            .build()
            .unwrap(),
    ];
    let paths: Vec<_> = engines
        .iter()
        .map(|e| cache.entry_path(e, &bytes))
        .collect();
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            assert_ne!(a, b);
        }
    }
    // Each variant loads from its own entry and runs as it should.
    for e in &engines {
        for _ in 0..2 {
            let (module, _) = cache.load(e, &bytes).unwrap();
            let host = host(&["count", "10"]).build().unwrap();
            assert_eq!(module.run(host).unwrap(), Outcome::Exit(0));
        }
    }
}

#[test]
fn one_handle_stops_every_instance_that_shares_it() {
    let module = limits_guest(interruptible());
    let handle = InterruptHandle::new();
    let t0 = Instant::now();
    std::thread::scope(|s| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let h = handle.clone();
                let m = module.clone();
                s.spawn(move || {
                    m.run_with(host(&["spin"]).build().unwrap(), &Limits::new(), Some(&h))
                        .unwrap()
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100));
        handle.interrupt();
        for r in runs {
            assert_eq!(r.join().unwrap(), Outcome::Interrupted);
        }
    });
    assert!(t0.elapsed() < HANG);
}

/// A preopened directory holding a FIFO named `fifo`.
fn fifo_dir(test: &str) -> std::path::PathBuf {
    let dir = common::scratch_dir(test);
    let status = std::process::Command::new("mkfifo")
        .arg(dir.join("fifo"))
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

#[test]
fn opening_a_fifo_whose_other_end_never_comes_is_stopped() {
    let module = limits_guest(interruptible());
    for mode in ["open_read", "open_write"] {
        let dir = fifo_dir(&format!("limits-fifo-stuck-{mode}"));
        let builder = || {
            host(&[mode, "/d/fifo"])
                .preopen_dir(&dir, "/d")
                .build()
                .unwrap()
        };
        let t0 = Instant::now();
        let limits = Limits::new().timeout(Duration::from_millis(100));
        assert_eq!(
            module.run_with(builder(), &limits, None).unwrap(),
            Outcome::TimedOut,
            "{mode}"
        );
        let mut inst = module.instantiate(builder()).unwrap();
        let handle = inst.interrupt_handle().unwrap();
        let outcome = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(100));
                handle.interrupt();
            });
            inst.run().unwrap()
        });
        assert_eq!(outcome, Outcome::Interrupted, "{mode}");
        assert!(t0.elapsed() < HANG, "{mode}");
    }
}

#[test]
fn a_fifo_open_still_waits_for_the_other_end_as_open_does() {
    // On both kinds of engine: the wait happens outside the fd table's
    // lock either way, through the cancel token only when there is one.
    // A peer that comes at once is often there and gone again before the
    // host's wait starts; one that comes later finds the guest waiting.
    let delays = [0, 0, 0, 0, 0, 50];
    let plain = Engine::new().unwrap();
    for (engine, delay, mode) in [interruptible(), &plain]
        .into_iter()
        .flat_map(|e| delays.iter().map(move |d| (e, *d)))
        .flat_map(|(e, d)| ["open_read", "open_write"].map(|m| (e, d, m)))
    {
        let module = limits_guest(engine);
        {
            let dir = fifo_dir(&format!("limits-fifo-{mode}-{delay}"));
            let fifo = dir.join("fifo");
            let out = Capture::new(1024);
            let host = host(&[mode, "/d/fifo"])
                .preopen_dir(&dir, "/d")
                .stdout(Output::Capture(out.clone()))
                .build()
                .unwrap();
            let outcome = std::thread::scope(|s| {
                let peer = s.spawn(|| {
                    std::thread::sleep(Duration::from_millis(delay));
                    if mode == "open_read" {
                        std::fs::write(&fifo, b"hello").unwrap();
                        Vec::new()
                    } else {
                        std::fs::read(&fifo).unwrap()
                    }
                });
                let outcome = module.run(host).unwrap();
                (outcome, peer.join().unwrap())
            });
            let (want_out, want_peer): (&[u8], &[u8]) = if mode == "open_read" {
                (b"read 5 bytes\n", b"")
            } else {
                (b"wrote\n", b"hello")
            };
            assert_eq!(outcome, (Outcome::Exit(0), want_peer.to_vec()), "{mode}");
            assert_eq!(out.contents(), want_out, "{mode}");
        }
    }
}

#[test]
fn an_interruptible_engine_refuses_shared_memories_whose_waits_it_could_not_stop() {
    let wat = r#"(module
         (memory (export "memory") 1 1 shared)
         (func (export "_start")
           (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))))"#;
    let module = Module::from_wat(interruptible(), wat).unwrap();
    let limits = Limits::new().timeout(Duration::from_millis(100));
    let e = module
        .run_with(WasiHost::builder().build().unwrap(), &limits, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("shared memory"), "{e}");
    // Without interruption the module is accepted (and would wait forever,
    // as nothing can notify it: not run here).
    let plain = Module::from_wat(&Engine::new().unwrap(), wat).unwrap();
    assert!(
        plain
            .instantiate(WasiHost::builder().build().unwrap())
            .is_ok()
    );
}

#[test]
fn a_write_to_a_pipe_nobody_reads_is_stopped() {
    let module = limits_guest(interruptible());
    // stdout a pipe whose read end is kept and never read; and a FIFO the
    // guest opens, whose reader opens it and never reads.
    let dir = fifo_dir("limits-flood");
    for target in ["stdout", "fifo"] {
        let (read_end, write_end) = std::io::pipe().unwrap();
        let builder = || match target {
            "stdout" => host(&["flood"])
                .stdout(Output::File(std::fs::File::from(OwnedFd::from(
                    write_end.try_clone().unwrap(),
                ))))
                .build()
                .unwrap(),
            _ => host(&["flood", "/d/fifo"])
                .preopen_dir(&dir, "/d")
                .build()
                .unwrap(),
        };
        let t0 = Instant::now();
        // The FIFO's silent reader, for as long as the guests run.
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            let reader = (target == "fifo").then(|| {
                s.spawn(|| {
                    let f = std::fs::File::open(dir.join("fifo")).unwrap();
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    drop(f);
                })
            });
            let limits = Limits::new().timeout(Duration::from_millis(100));
            assert_eq!(
                module.run_with(builder(), &limits, None).unwrap(),
                Outcome::TimedOut,
                "{target}"
            );
            if target == "stdout" {
                // The same through an interrupt.
                let mut inst = module.instantiate(builder()).unwrap();
                let handle = inst.interrupt_handle().unwrap();
                s.spawn(move || {
                    std::thread::sleep(Duration::from_millis(100));
                    handle.interrupt();
                });
                assert_eq!(inst.run().unwrap(), Outcome::Interrupted);
            }
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            if let Some(r) = reader {
                r.join().unwrap();
            }
        });
        drop(read_end);
        assert!(t0.elapsed() < HANG, "{target}");
    }
}

/// Interrupts that come close together, as when a supervisor stops many
/// guests of one engine at once: each interrupt moves the shared epoch on,
/// and a guest whose epoch check ran just before its own token was set
/// must still stop (the token is signalled again while the guest runs).
#[test]
fn many_guests_interrupted_at_once_all_stop() {
    let module = limits_guest(interruptible());
    for round in 0..200 {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut handles = Vec::new();
        for k in 0..4 {
            let mut inst = module
                .instantiate(host(&["spin"]).build().unwrap())
                .unwrap();
            handles.push(inst.interrupt_handle().unwrap());
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = tx.send((k, inst.run().unwrap()));
            });
        }
        std::thread::sleep(Duration::from_millis(20 + (round % 5) as u64));
        for h in &handles {
            h.interrupt();
        }
        for _ in 0..4 {
            match rx.recv_timeout(HANG) {
                Ok((_, outcome)) => assert_eq!(outcome, Outcome::Interrupted),
                Err(_) => panic!("round {round}: a guest was not stopped by its interrupt"),
            }
        }
    }
}
