//! The wasm features of `Engine::new` (`Engine::wasm_features`): each
//! listed feature loads or is refused as listed, as in wasmtime's own
//! defaults; threads (atomics and a shared memory) run on a
//! single-threaded host, from WAT and from C built with `-matomics
//! -Wl,--shared-memory` (tests/guests/atomics.c).

mod common;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use wasihost_core::{Capture, Engine, Module, Outcome, Output, WasiHost};

/// A module that needs the feature, for every name `Engine::wasm_features`
/// lists.
const PROBES: &[(&str, &str)] = &[
    (
        "mutable-global",
        r#"(module (global (export "g") (mut i32) (i32.const 0)))"#,
    ),
    (
        "sign-extension",
        "(module (func (result i32) (i32.extend8_s (i32.const 255))))",
    ),
    (
        "nontrapping-float-to-int",
        "(module (func (result i32) (i32.trunc_sat_f32_s (f32.const 1e20))))",
    ),
    (
        "multi-value",
        "(module (func (result i32 i32) (i32.const 1) (i32.const 2)))",
    ),
    (
        "bulk-memory",
        "(module (memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))",
    ),
    (
        "reference-types",
        "(module (table 2 externref) (func (result externref) (ref.null extern)))",
    ),
    (
        "simd",
        "(module (func (result v128) (v128.const i32x4 1 2 3 4)))",
    ),
    (
        "relaxed-simd",
        "(module (func (result v128) \
           (i32x4.relaxed_trunc_f32x4_s (v128.const f32x4 1 2 3 4))))",
    ),
    ("tail-call", "(module (func $f (return_call $f)))"),
    (
        "extended-const",
        "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
    ),
    (
        "function-references",
        "(module (type $t (func)) (func (param (ref $t)) (call_ref $t (local.get 0))))",
    ),
    (
        "gc",
        "(module (type $s (struct (field i32))) \
           (func (result (ref $s)) (struct.new $s (i32.const 1))))",
    ),
    (
        "exceptions",
        "(module (tag $e) (func (block $h (try_table (catch_all $h) (throw $e)))))",
    ),
    ("multi-memory", "(module (memory 1) (memory 1))"),
    ("memory64", "(module (memory i64 1))"),
    (
        "threads",
        "(module (memory 1 1 shared) \
           (func (result i32) (i32.atomic.rmw.add (i32.const 0) (i32.const 1))))",
    ),
    (
        "legacy-exceptions",
        "(module (tag $e) (func try throw $e catch $e end))",
    ),
    ("custom-page-sizes", "(module (memory 1 (pagesize 1)))"),
    (
        "wide-arithmetic",
        "(module (func (param i64 i64 i64 i64) (result i64 i64) \
           (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3))))",
    ),
    (
        "stack-switching",
        "(module (type $f (func)) (type $c (cont $f)) (func $g) (elem declare func $g) \
           (func (drop (cont.new $c (ref.func $g)))))",
    ),
    (
        "shared-everything-threads",
        "(module (global (shared mut i32) (i32.const 0)))",
    ),
];

fn probe(name: &str) -> &'static str {
    PROBES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, wat)| *wat)
        .unwrap_or_else(|| panic!("no probe module for listed feature {name:?}"))
}

/// An engine with every feature a probe could need, to show that a probe
/// the default engine refuses is valid wasm (refused for its feature only).
fn everything_engine() -> wasmtime::Engine {
    let mut config = wasmtime::Config::new();
    config
        .wasm_custom_page_sizes(true)
        .wasm_wide_arithmetic(true)
        .wasm_stack_switching(true)
        .wasm_shared_everything_threads(true);
    wasmtime::Engine::new(&config).expect("an engine with every feature")
}

#[test]
fn the_feature_list_names_each_feature_once() {
    let names: Vec<&str> = Engine::wasm_features().map(|(n, _)| n).collect();
    let unique: HashSet<&str> = names.iter().copied().collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "a feature listed twice: {names:?}"
    );
    for (name, _) in PROBES {
        assert!(unique.contains(name), "probe {name:?} is not listed");
    }
    for must in ["threads", "exceptions", "gc", "memory64", "multi-memory"] {
        assert!(
            Engine::wasm_features().any(|(n, on)| n == must && on),
            "{must} is not enabled"
        );
    }
}

#[test]
fn each_listed_feature_loads_or_is_refused_as_listed() {
    let engine = Engine::new().unwrap();
    let everything = everything_engine();
    let defaults = wasmtime::Engine::default();
    let mut wrong = Vec::new();
    for (name, enabled) in Engine::wasm_features() {
        let wat = probe(name);
        let bytes = wat::parse_str(wat).unwrap_or_else(|e| panic!("probe {name}: {e}"));
        let loaded = Module::new(&engine, &bytes);
        match (enabled, &loaded) {
            (true, Err(e)) => wrong.push(format!("{name} is listed on, but: {e}")),
            (false, Ok(_)) => wrong.push(format!("{name} is listed off, but loads")),
            // Cranelift has no legacy exceptions to validate them with.
            (false, Err(_)) if name == "legacy-exceptions" => {}
            (false, Err(_)) => {
                if let Err(e) = wasmtime::Module::validate(&everything, &bytes) {
                    wrong.push(format!("{name}: the probe is not valid wasm: {e:#}"));
                }
            }
            (true, Ok(_)) => {}
        }
        // On and off exactly as in wasmtime's own defaults.
        if wasmtime::Module::validate(&defaults, &bytes).is_ok() != enabled {
            wrong.push(format!(
                "{name}: wasmtime's default differs (listed {enabled})"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A WAT module that defines and exports a shared memory, counts with
/// atomic instructions, waits with a timeout, and prints the result with
/// fd_write through the shared memory.
const SHARED_WAT: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 1 shared)
  (data (i32.const 16) "atomics ok: ")
  (func (export "_start")
    (local $i i32)
    ;; 1 + 2 + ... + 100 into the counter at 0, atomically.
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (drop (i32.atomic.rmw.add (i32.const 0) (local.get $i)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100))))
    ;; 5050 -> 7 by compare-exchange; the old value must be 5050.
    (if (i32.ne (i32.atomic.rmw.cmpxchg (i32.const 0) (i32.const 5050) (i32.const 7))
                (i32.const 5050))
      (then (call $exit (i32.const 10))))
    ;; wait32 on the right value with a 0 ns timeout: 2 (timed out).
    (if (i32.ne (memory.atomic.wait32 (i32.const 0) (i32.const 7) (i64.const 0))
                (i32.const 2))
      (then (call $exit (i32.const 11))))
    ;; Nobody waits: notify wakes 0.
    (if (i32.ne (memory.atomic.notify (i32.const 0) (i32.const 1)) (i32.const 0))
      (then (call $exit (i32.const 12))))
    ;; "atomics ok: " then the counter as a digit and a newline.
    (i32.atomic.store8 (i32.const 28)
      (i32.add (i32.const 48) (i32.atomic.load (i32.const 0))))
    (i32.store8 (i32.const 29) (i32.const 10))
    (i32.store (i32.const 32) (i32.const 16))
    (i32.store (i32.const 36) (i32.const 14))
    (call $exit (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40)))))
"#;

fn run_captured(module: &Module, args: &[&str]) -> (Outcome, String, String) {
    let out = Capture::new(1 << 20);
    let err = Capture::new(1 << 20);
    let host = WasiHost::builder()
        .args(args.iter().copied())
        .stdout(Output::Capture(out.clone()))
        .stderr(Output::Capture(err.clone()))
        .build()
        .unwrap();
    let outcome = module.run(host).expect("run");
    let text = |c: &Capture| String::from_utf8_lossy(&c.contents()).into_owned();
    (outcome, text(&out), text(&err))
}

#[test]
fn a_wat_module_with_a_shared_memory_and_atomics_runs() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(&engine, SHARED_WAT).unwrap();
    let (outcome, out, err) = run_captured(&module, &["shared"]);
    assert_eq!(
        (outcome, out.as_str()),
        (Outcome::Exit(0), "atomics ok: 7\n"),
        "stderr: {err}"
    );
}

/// Atomic instructions on an unshared memory are valid under the threads
/// proposal (nextpnr-ice40.wasm of yowasp has such a memory and needs
/// threads); waiting on one traps.
#[test]
fn atomics_on_an_unshared_memory_run_and_wait_traps() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory (export "memory") 1)
             (func (export "_start")
               (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 40)))
               (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 2)))
               (call $exit (i32.atomic.load (i32.const 0)))))"#,
    )
    .unwrap();
    assert_eq!(
        module.run(WasiHost::builder().build().unwrap()).unwrap(),
        Outcome::Exit(42)
    );

    let waits = Module::from_wat(
        &engine,
        r#"(module (memory (export "memory") 1)
             (func (export "_start")
               (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))))"#,
    )
    .unwrap();
    match waits.run(WasiHost::builder().build().unwrap()).unwrap() {
        Outcome::Trap(t) => assert!(t.message.contains("non-shared memory"), "{t}"),
        other => panic!("want a trap, got {other:?}"),
    }
}

/// A module that imports its shared memory (what `-pthread` builds for
/// wasm32-wasi-threads do) needs the host to create that memory; the
/// default host does not, and the load names the missing import.
#[test]
fn an_imported_shared_memory_is_a_link_error_that_names_it() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module (import "env" "memory" (memory 1 16 shared)) (func (export "_start")))"#,
    )
    .unwrap();
    let err = module
        .run(WasiHost::builder().build().unwrap())
        .expect_err("an unprovided import must not link");
    assert_eq!(err.kind(), wasihost_core::ErrorKind::Link, "{err}");
    assert!(err.to_string().contains("env"), "{err}");
    assert!(err.to_string().contains("memory"), "{err}");
}

/// Compiles tests/guests/atomics.c with atomics and a shared memory into
/// `<target>/guests/atomics.wasm` (when older than the source).
fn atomics_guest() -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = common::guests_src_dir().join("atomics.c");
    let out_dir = common::target_dir().join("guests");
    std::fs::create_dir_all(&out_dir).unwrap();
    let wasm = out_dir.join("atomics.wasm");
    let mtime = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if mtime(&wasm).is_some_and(|w| mtime(&src).is_some_and(|s| w >= s)) {
        return wasm;
    }
    let tmp = out_dir.join(format!("atomics.wasm.{}.tmp", std::process::id()));
    let mut cmd = Command::new(std::env::var("CLANG").unwrap_or_else(|_| "clang".into()));
    cmd.args(["--target=wasm32-wasi", "-O2"]);
    if let Ok(sysroot) = std::env::var("WASI_SYSROOT") {
        cmd.arg(format!("--sysroot={sysroot}"));
    }
    cmd.args(ATOMICS_FLAGS)
        .args(["-Wall", "-Wextra", "-Wno-unused-parameter"])
        .arg(&src)
        .arg("-o")
        .arg(&tmp);
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("running clang (`make deps` installs it): {e}"));
    assert!(
        output.status.success(),
        "compiling {} failed (`make deps` installs clang for wasm32-wasi):\n{}",
        src.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::rename(&tmp, &wasm).unwrap();
    wasm
}

/// The flags of tests/cli/check.py for the atomics guest.
const ATOMICS_FLAGS: &[&str] = &[
    "-matomics",
    "-mbulk-memory",
    "-Wl,--shared-memory",
    "-Wl,--max-memory=1048576",
    "-Wl,--no-check-features",
];

#[test]
fn a_c_guest_built_with_atomics_and_a_shared_memory_runs() {
    let path = atomics_guest();
    // The module defines (not imports) a shared memory and exports it.
    let engine = Engine::new().unwrap();
    let module = Module::from_file(&engine, &path).unwrap();
    let export = module
        .wasmtime()
        .exports()
        .find(|e| e.name() == "memory")
        .expect("memory export");
    match export.ty() {
        wasmtime::ExternType::Memory(m) => assert!(m.is_shared(), "{m:?}"),
        other => panic!("memory export is {other:?}"),
    }
    assert!(
        module
            .wasmtime()
            .imports()
            .all(|i| i.module() == "wasi_snapshot_preview1")
    );

    let (outcome, out, err) = run_captured(&module, &["atomics", "100"]);
    assert_eq!(outcome, Outcome::Exit(0), "stdout: {out}\nstderr: {err}");
    assert_eq!(
        out,
        "sum 5050\n\
         cas ok=1 now=7\n\
         cas ok=0 seen=7\n\
         xchg old=7 now=100\n\
         bits 0xfff0 -> 0x0ff0\n\
         u64 4294967296000\n\
         notify woken=0\n\
         wait not_equal=1 timed_out=2\n"
    );
}
