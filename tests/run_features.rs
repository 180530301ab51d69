//! Engine features real toolchains emit, calling exports, interrupting a
//! running guest, and precompiled modules (serialize, deserialize, the
//! on-disk cache).

use std::sync::mpsc;
use std::time::Duration;

use wasihost_core::{CacheStatus, Engine, ErrorKind, Module, ModuleCache, Outcome, WasiHost};
use wasmtime::Val;

fn host() -> WasiHost {
    WasiHost::builder().build().unwrap()
}

/// Throws a tagged exception with a payload and catches it in the caller
/// (the exception-handling proposal, as C++ with -fwasm-exceptions emits
/// it), then exits with the payload.
const EXCEPTIONS: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (tag $e (param i32))
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func (export "_start")
    (block $caught (result i32)
      (try_table (catch $e $caught)
        (call $thrower (i32.const 42)))
      (i32.const 1))
    (call $exit)))
"#;

#[test]
fn exception_handling_modules_load_and_run() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(&engine, EXCEPTIONS).unwrap();
    assert_eq!(module.run(host()).unwrap(), Outcome::Exit(42));
}

/// SIMD, tail calls, bulk memory and multi-value together.
const MODERN: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 1)
  (func $pair (result i32 i32) (i32.const 20) (i32.const 3))
  (func $count (param $n i32) (param $acc i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else (return_call $count (i32.sub (local.get $n) (i32.const 1))
                                (i32.add (local.get $acc) (i32.const 1))))))
  (func (export "_start")
    (local $v v128)
    (memory.fill (i32.const 0) (i32.const 7) (i32.const 16))
    (local.set $v (i8x16.add (v128.load (i32.const 0)) (v128.load (i32.const 0))))
    ;; 14 from SIMD + 20 + 3 from multi-value + 1000000 tail calls
    (call $exit (i32.add
      (i32.add (i8x16.extract_lane_u 5 (local.get $v)) (i32.add (call $pair)))
      (i32.sub (call $count (i32.const 1000000) (i32.const 0)) (i32.const 1000000))))))
"#;

#[test]
fn simd_tail_calls_bulk_memory_and_multi_value_run() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(&engine, MODERN).unwrap();
    assert_eq!(module.run(host()).unwrap(), Outcome::Exit(37));
}

const EXPORTS: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func (export "add_i64") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1)))
  (func (export "scale") (param f32 f64) (result f64 i32)
    (f64.mul (f64.promote_f32 (local.get 0)) (local.get 1))
    (i32.const 9))
  (func (export "quit") (param i32) (call $exit (local.get 0)))
  (func (export "boom") unreachable)
  (func (export "spin") (loop $l (br $l))))
"#;

#[test]
fn exports_are_called_with_typed_values() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(&engine, EXPORTS).unwrap();
    let mut inst = module.instantiate(host()).unwrap();
    let mut r = [Val::I64(0)];
    let done = inst
        .call("add_i64", &[Val::I64(1 << 40), Val::I64(-5)], &mut r)
        .unwrap();
    assert!(done.is_none());
    assert_eq!(r[0].unwrap_i64(), (1 << 40) - 5);

    let mut r = [Val::I32(0), Val::I32(0)];
    let args = [Val::F32(1.5f32.to_bits()), Val::F64(4.0f64.to_bits())];
    assert!(inst.call("scale", &args, &mut r).unwrap().is_none());
    assert_eq!(r[0].unwrap_f64(), 6.0);
    assert_eq!(r[1].unwrap_i32(), 9);

    assert_eq!(
        inst.call("quit", &[Val::I32(7)], &mut []).unwrap(),
        Some(Outcome::Exit(7))
    );
    match inst.call("boom", &[], &mut []).unwrap() {
        Some(Outcome::Trap(t)) => {
            assert_eq!(t.code, wasihost_core::TrapCode::Unreachable);
            assert!(t.message.contains("unreachable"), "{t}")
        }
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn calls_with_the_wrong_signature_or_name_say_what_is_expected() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(&engine, EXPORTS).unwrap();
    let mut inst = module.instantiate(host()).unwrap();
    let mut r = [Val::I64(0)];
    let e = inst
        .call("add_i64", &[Val::I32(1), Val::I64(2)], &mut r)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Link);
    assert!(e.message().contains("(i64, i64) -> (i64)"), "{e}");
    assert!(e.message().contains("(i32, i64)"), "{e}");
    assert_eq!(r[0].unwrap_i64(), 0, "results untouched on error");
    let e = inst
        .call("add_i64", &[Val::I64(1), Val::I64(2)], &mut [])
        .unwrap_err();
    assert!(e.message().contains("room for 0 results"), "{e}");
    let e = inst.call("nope", &[], &mut []).unwrap_err();
    assert!(e.message().contains("\"nope\""), "{e}");
}

#[test]
fn an_interrupt_stops_an_endless_loop_from_another_thread() {
    let engine = Engine::interruptible().unwrap();
    let module = Module::from_wat(&engine, EXPORTS).unwrap();
    let mut inst = module.instantiate(host()).unwrap();
    let handle = inst.interrupt_handle().unwrap();
    assert!(!handle.is_interrupted());
    let (tx, rx) = mpsc::channel();
    let runner = std::thread::spawn(move || {
        let outcome = inst.call("spin", &[], &mut []).unwrap();
        tx.send(()).unwrap();
        (outcome, inst)
    });
    // The guest has not finished on its own: it cannot.
    assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
    handle.interrupt();
    let (outcome, mut inst) = runner.join().unwrap();
    assert_eq!(outcome, Some(Outcome::Interrupted));
    // Interrupts stick: later calls end the same way, at once.
    assert_eq!(
        inst.call("add_i64", &[Val::I64(1), Val::I64(1)], &mut [Val::I64(0)])
            .unwrap(),
        Some(Outcome::Interrupted)
    );
}

#[test]
fn an_interrupt_of_one_instance_leaves_the_others_running() {
    let engine = Engine::interruptible().unwrap();
    let module = Module::from_wat(&engine, MODERN).unwrap();
    let spin = Module::from_wat(&engine, EXPORTS).unwrap();
    let victim = spin.instantiate(host()).unwrap();
    // Interrupting bumps the engine's epoch, which every running instance
    // of the engine notices; only the flagged one stops.
    victim.interrupt_handle().unwrap().interrupt();
    for _ in 0..3 {
        let mut inst = module.instantiate(host()).unwrap();
        let other = inst.interrupt_handle().unwrap();
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..50 {
                    victim.interrupt_handle().unwrap().interrupt();
                }
            });
            assert_eq!(inst.run().unwrap(), Outcome::Exit(37));
        });
        assert!(!other.is_interrupted());
    }
}

#[test]
fn an_interrupt_before_the_run_stops_it_at_once() {
    let engine = Engine::interruptible().unwrap();
    let module = Module::from_wat(&engine, MODERN).unwrap();
    let mut inst = module.instantiate(host()).unwrap();
    inst.interrupt_handle().unwrap().interrupt();
    assert_eq!(inst.run().unwrap(), Outcome::Interrupted);
}

#[test]
fn serialized_modules_round_trip_and_changed_bytes_are_refused() {
    let engine = Engine::new().unwrap();
    let module = Module::from_wat(&engine, MODERN).unwrap();
    let bytes = module.serialize().unwrap();
    let back = Module::deserialize(&engine, &bytes).unwrap();
    assert_eq!(back.run(host()).unwrap(), Outcome::Exit(37));

    // Every region of the envelope is covered: magic, engine hash,
    // checksum, payload.
    for at in [0, 20, 60, 80, bytes.len() / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x40;
        let e = Module::deserialize(&engine, &bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Module, "flip at {at}: {e}");
    }
    for len in [0, 10, 79, 80, bytes.len() - 1] {
        let e = Module::deserialize(&engine, &bytes[..len]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Module, "cut at {len}: {e}");
    }
    let e = Module::deserialize(&engine, b"\0asm\x01\0\0\0").unwrap_err();
    assert!(
        e.message().contains("not a serialized wasihost module"),
        "{e}"
    );

    // Another engine configuration cannot use it.
    let mut config = Engine::default_config();
    config.cranelift_opt_level(wasmtime::OptLevel::None);
    let other = Engine::with_config(&config).unwrap();
    let e = Module::deserialize(&other, &bytes).unwrap_err();
    assert!(e.message().contains("other engine settings"), "{e}");
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("wasihost-cache-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_cache_misses_then_hits_and_rebuilds_corrupt_entries() {
    let engine = Engine::new().unwrap();
    let dir = temp_dir("rebuild");
    let cache = ModuleCache::new(&dir);
    let wasm = wat::parse_str(MODERN).unwrap();
    let entry = cache.entry_path(&engine, &wasm);

    let (m, status) = cache.load(&engine, &wasm).unwrap();
    assert_eq!(status, CacheStatus::Miss);
    assert_eq!(m.run(host()).unwrap(), Outcome::Exit(37));
    assert!(entry.exists());

    let (m, status) = cache.load(&engine, &wasm).unwrap();
    assert_eq!(status, CacheStatus::Hit);
    assert_eq!(m.run(host()).unwrap(), Outcome::Exit(37));

    // A flipped byte in the compiled code.
    let mut bytes = std::fs::read(&entry).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&entry, &bytes).unwrap();
    let (m, status) = cache.load(&engine, &wasm).unwrap();
    assert_eq!(status, CacheStatus::Rebuilt);
    assert_eq!(m.run(host()).unwrap(), Outcome::Exit(37));
    assert_eq!(cache.load(&engine, &wasm).unwrap().1, CacheStatus::Hit);

    // A truncated entry, and an empty one.
    let len = std::fs::metadata(&entry).unwrap().len();
    std::fs::File::options()
        .write(true)
        .open(&entry)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    assert_eq!(cache.load(&engine, &wasm).unwrap().1, CacheStatus::Rebuilt);
    std::fs::write(&entry, b"").unwrap();
    assert_eq!(cache.load(&engine, &wasm).unwrap().1, CacheStatus::Rebuilt);
    assert_eq!(cache.load(&engine, &wasm).unwrap().1, CacheStatus::Hit);

    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![entry.file_name().unwrap().to_owned()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cache_keys_differ_by_module_and_by_engine_settings() {
    let engine = Engine::new().unwrap();
    let cache = ModuleCache::new(temp_dir("keys"));
    let a = wat::parse_str(MODERN).unwrap();
    let b = wat::parse_str(EXCEPTIONS).unwrap();
    let mut config = Engine::default_config();
    config.cranelift_opt_level(wasmtime::OptLevel::None);
    let other = Engine::with_config(&config).unwrap();
    let keys = [
        cache.entry_path(&engine, &a),
        cache.entry_path(&engine, &b),
        cache.entry_path(&other, &a),
    ];
    assert_ne!(keys[0], keys[1]);
    assert_ne!(keys[0], keys[2]);
    assert_eq!(keys[0], cache.entry_path(&Engine::new().unwrap(), &a));
}

#[test]
fn a_cache_that_cannot_store_still_gives_the_module() {
    let engine = Engine::new().unwrap();
    // A directory below a regular file cannot be created.
    let file = temp_dir("file");
    std::fs::write(&file, b"x").unwrap();
    let cache = ModuleCache::new(file.join("sub"));
    let wasm = wat::parse_str(MODERN).unwrap();
    let (m, status) = cache.load(&engine, &wasm).unwrap();
    assert_eq!(status, CacheStatus::NotStored);
    assert_eq!(m.run(host()).unwrap(), Outcome::Exit(37));
    // Invalid modules are errors, cached or not.
    let e = cache.load(&engine, b"\0asm\x02").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Module);
    std::fs::remove_file(&file).unwrap();
}

/// Older LLVM versions emit the legacy exception
/// instructions (`try`/`catch`/`delegate`), which wasmtime does not run:
/// the error says so and how to convert the module.
#[test]
fn legacy_exception_modules_are_refused_with_a_hint() {
    let engine = Engine::new().unwrap();
    let wat = r#"
(module
  (tag $e (param i32))
  (func (export "_start")
    try
      i32.const 1
      throw $e
    catch $e
      drop
    end))
"#;
    let e = Module::from_wat(&engine, wat).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Module);
    assert!(e.message().contains("legacy exception"), "{e}");
    assert!(e.message().contains("--translate-to-exnref"), "{e}");
}
