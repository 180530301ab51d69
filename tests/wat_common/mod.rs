//! Shared harness for the WAT integration tests (`wat_glue`, `wat_hostile`,
//! `wat_poison`): one WAT module that imports every WASI function and
//! re-exports it, an instance wrapper to call those forwarders and read and
//! write guest memory, a byte-exact memory comparison, and the errno codes
//! the tests expect.
#![allow(dead_code)]

use std::sync::{LazyLock, OnceLock};

use wasihost_core::wasi_snapshot_preview1::NativeWasiImports;
use wasihost_core::wasi_snapshot_preview1::calls::CALLS;
use wasihost_core::{Engine, Instance, Module};
use wasmtime::Val;

// ---------------------------------------------------------------------------
// Guest: one WAT module that imports every WASI function and re-exports it
// ---------------------------------------------------------------------------

/// Every import of `wasi_snapshot_preview1`: name, wasm parameter types,
/// whether it returns an errno; derived from the crate's call table (the
/// battery links the same forwarder against wasmtime-wasi, which checks
/// these signatures independently).
pub static SIGS: LazyLock<Vec<(&'static str, String, bool)>> = LazyLock::new(|| {
    CALLS
        .iter()
        .map(|c| (c.name, c.wasm_params(), c.returns_errno()))
        .collect()
});

pub const PAGE: usize = 65536;

/// A module importing all of `SIGS`, exporting `memory` (one page), a
/// forwarder named like each import, and `grow`.
pub fn forwarder_wat() -> String {
    let mut imports = String::new();
    let mut funcs = String::new();
    for (name, params, has_result) in SIGS.iter() {
        let params = if params.is_empty() {
            String::new()
        } else {
            format!("(param {params})")
        };
        let result = if *has_result { "(result i32)" } else { "" };
        imports.push_str(&format!(
            "  (import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} {params} {result}))\n"
        ));
        let n = SIGS
            .iter()
            .find(|s| s.0 == *name)
            .map_or(0, |s| s.1.split_whitespace().count());
        let gets: Vec<String> = (0..n).map(|i| format!("(local.get {i})")).collect();
        funcs.push_str(&format!(
            "  (func (export \"{name}\") {params} {result} (call ${name} {}))\n",
            gets.join(" ")
        ));
    }
    format!(
        "(module\n{imports}  (memory (export \"memory\") 1)\n  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))\n{funcs})"
    )
}

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new().expect("engine"))
}

fn forwarder() -> &'static Module {
    static MODULE: OnceLock<Module> = OnceLock::new();
    MODULE.get_or_init(|| Module::from_wat(engine(), &forwarder_wat()).expect("forwarder module"))
}

/// An instance of the forwarder module and helpers to call it and look at
/// its memory.
pub struct Guest<T: NativeWasiImports> {
    pub inst: Instance<T>,
}

impl<T: NativeWasiImports> Guest<T> {
    pub fn new(imports: T) -> Self {
        Guest {
            inst: forwarder().instantiate(imports).expect("instantiate"),
        }
    }

    /// Calls the forwarder of `name` with raw arguments (each converted to
    /// the wasm type of its parameter: i32 truncates).
    pub fn try_call(&mut self, name: &str, args: &[i64]) -> wasmtime::Result<i32> {
        let (_, params, has_result) = SIGS
            .iter()
            .find(|s| s.0 == name)
            .unwrap_or_else(|| panic!("unknown function {name}"));
        let types: Vec<&str> = params.split_whitespace().collect();
        assert_eq!(types.len(), args.len(), "{name}: argument count");
        let vals: Vec<Val> = types
            .iter()
            .zip(args)
            .map(|(t, &a)| {
                if *t == "i64" {
                    Val::I64(a)
                } else {
                    Val::I32(a as i32)
                }
            })
            .collect();
        let inst = self.inst.wasmtime();
        let f = inst
            .get_func(self.inst.store_mut(), name)
            .expect("forwarder export");
        let mut out = vec![Val::I32(-1); usize::from(*has_result)];
        f.call(self.inst.store_mut(), &vals, &mut out)?;
        Ok(out.first().map_or(0, Val::unwrap_i32))
    }

    pub fn call(&mut self, name: &str, args: &[i64]) -> i32 {
        match self.try_call(name, args) {
            Ok(r) => r,
            Err(e) => panic!("{name}{args:?} trapped: {e:?}"),
        }
    }

    pub fn memory(&mut self) -> wasmtime::Memory {
        let inst = self.inst.wasmtime();
        inst.get_memory(self.inst.store_mut(), "memory")
            .expect("memory export")
    }

    pub fn snapshot(&mut self) -> Vec<u8> {
        let m = self.memory();
        m.data(self.inst.store_mut()).to_vec()
    }

    pub fn fill(&mut self, byte: u8) {
        let m = self.memory();
        m.data_mut(self.inst.store_mut()).fill(byte);
    }
}

/// Asserts that `after` is `before` with exactly the patches `expected`
/// (offset, bytes) applied, and no other byte changed.
pub fn assert_patched(what: &str, before: &[u8], after: &[u8], expected: &[(usize, &[u8])]) {
    let mut want = before.to_vec();
    for (off, bytes) in expected {
        want[*off..*off + bytes.len()].copy_from_slice(bytes);
    }
    assert_eq!(want.len(), after.len(), "{what}: memory size");
    let diff: Vec<(usize, u8, u8)> = want
        .iter()
        .zip(after)
        .enumerate()
        .filter(|(_, (w, a))| w != a)
        .map(|(i, (w, a))| (i, *w, *a))
        .take(16)
        .collect();
    assert!(
        diff.is_empty(),
        "{what}: bytes differ from expectation (offset, want, got): {diff:x?}"
    );
}

impl<T: NativeWasiImports> Guest<T> {
    pub fn poke(&mut self, off: usize, bytes: &[u8]) {
        let m = self.memory();
        m.data_mut(self.inst.store_mut())[off..off + bytes.len()].copy_from_slice(bytes);
    }

    pub fn peek(&mut self, off: usize, len: usize) -> Vec<u8> {
        let m = self.memory();
        m.data(self.inst.store_mut())[off..off + len].to_vec()
    }

    pub fn poke_u32(&mut self, off: usize, v: u32) {
        self.poke(off, &v.to_le_bytes());
    }

    pub fn peek_u32(&mut self, off: usize) -> u32 {
        u32::from_le_bytes(self.peek(off, 4).try_into().unwrap())
    }

    pub fn poke_u64(&mut self, off: usize, v: u64) {
        self.poke(off, &v.to_le_bytes());
    }

    /// Writes an iovec (buffer offset, length) at `off`.
    pub fn iovec(&mut self, off: usize, buf: u32, len: u32) {
        self.poke_u32(off, buf);
        self.poke_u32(off + 4, len);
    }
}

// ---------------------------------------------------------------------------
// Errno values as the guest sees them
// ---------------------------------------------------------------------------

pub const SUCCESS: i32 = 0;
pub const BADF: i32 = 8;
pub const FAULT: i32 = 21;
pub const INVAL: i32 = 28;
pub const IO: i32 = 29;
pub const NOTDIR: i32 = 54;
pub const NOTSOCK: i32 = 57;
pub const NOTSUP: i32 = 58;
pub const SPIPE: i32 = 70;
