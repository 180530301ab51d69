//! The high-level API: modules from bytes, files and WAT; many instances of
//! one module, with different WASI implementation types; load and link
//! errors with their kinds.

use std::sync::Arc;

use wasihost_core::{Capture, Engine, ErrorKind, Module, Outcome, Output, WasiHost};

/// Writes its first argument to stdout, then exits with the argument count.
const ECHO_ARG: &str = r#"
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $argc i32) (local $p i32) (local $len i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (local.set $argc (i32.load (i32.const 0)))
    (drop (call $args (i32.const 64) (i32.const 1024)))
    ;; the first argument's length: scan for its NUL
    (local.set $p (i32.load (i32.const 64)))
    (block $end (loop $scan
      (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $len)))))
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (br $scan)))
    (i32.store (i32.const 16) (local.get $p))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
    (call $exit (local.get $argc))))
"#;

fn host(arg: &str, out: &Capture) -> WasiHost {
    WasiHost::builder()
        .args([arg, "x"])
        .stdout(Output::Capture(out.clone()))
        .build()
        .unwrap()
}

#[test]
fn one_module_serves_many_instances_and_implementation_types() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(&engine, ECHO_ARG).unwrap();
    for i in 0..100 {
        let out = Capture::new(64);
        let word = format!("run{i}");
        let outcome = if i % 2 == 0 {
            module.run(host(&word, &out)).unwrap()
        } else {
            module.run(Arc::new(host(&word, &out))).unwrap()
        };
        assert_eq!(outcome, Outcome::Exit(2));
        assert_eq!(out.contents(), word.as_bytes());
    }
}

#[test]
fn instances_run_on_many_threads_from_one_module() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(&engine, ECHO_ARG).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let module = module.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let out = Capture::new(64);
                    let word = format!("t{t}i{i}");
                    assert_eq!(module.run(host(&word, &out)).unwrap(), Outcome::Exit(2));
                    assert_eq!(out.contents(), word.as_bytes());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn modules_load_from_bytes_files_and_wat() {
    let engine = Engine::new().unwrap();
    let binary = wat::parse_str(ECHO_ARG).unwrap();
    assert_eq!(&binary[..4], b"\0asm");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("run_api");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("echo.wasm");
    std::fs::write(&path, &binary).unwrap();
    let wat_path = dir.join("echo.wat");
    std::fs::write(&wat_path, ECHO_ARG).unwrap();
    for module in [
        Module::new(&engine, &binary).unwrap(),
        Module::new(&engine, ECHO_ARG).unwrap(),
        Module::from_file(&engine, &path).unwrap(),
        Module::from_file(&engine, &wat_path).unwrap(),
    ] {
        let out = Capture::new(64);
        assert_eq!(module.run(host("hi", &out)).unwrap(), Outcome::Exit(2));
        assert_eq!(out.contents(), b"hi");
    }
}

#[test]
fn load_and_link_errors_name_what_failed() {
    let engine = Engine::new().unwrap();

    let err = Module::new(&engine, b"\0asm\x01\0\0\0\x99").err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Module);
    assert!(err.message().starts_with("invalid module:"), "{err}");

    let err = Module::new(&engine, b"\0asm").err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Module);

    let err = Module::from_file(&engine, "/nonexistent/prog.wasm")
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.io_kind(), Some(std::io::ErrorKind::NotFound));
    assert!(err.message().contains("/nonexistent/prog.wasm"), "{err}");

    let unknown = Module::from_wat(
        &engine,
        r#"(module (import "wasi_snapshot_preview1" "no_such_call" (func))
                   (func (export "_start")))"#,
    )
    .unwrap();
    for _ in 0..2 {
        let err = unknown
            .run(WasiHost::builder().build().unwrap())
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::Link);
        assert!(err.message().contains("no_such_call"), "{err}");
    }

    let library = Module::from_wat(&engine, r#"(module (memory (export "memory") 1))"#).unwrap();
    let err = library
        .run(WasiHost::builder().build().unwrap())
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Link);
    assert!(err.message().contains("_start"), "{err}");
}

#[test]
fn a_trap_in_the_start_section_is_an_outcome() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module (func $boom unreachable) (start $boom) (func (export "_start")))"#,
    )
    .unwrap();
    match module.run(WasiHost::builder().build().unwrap()).unwrap() {
        Outcome::Trap(t) => assert!(t.message.contains("unreachable"), "{t}"),
        other => panic!("expected a trap, got {other:?}"),
    }
}
