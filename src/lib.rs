//! # wasihost_core
//!
//! A complete, sandboxed, programmable WASI snapshot preview1 host on
//! wasmtime.
//!
//! * [`wasi_snapshot_preview1`]: the ABI types, bounds-checked guest
//!   memory ([`Ctx`](wasi_snapshot_preview1::Ctx),
//!   [`WasmSlicePtr`](wasi_snapshot_preview1::WasmSlicePtr)), the trait
//!   [`NativeWasiImports`](wasi_snapshot_preview1::NativeWasiImports) with
//!   one method per WASI function, and the glue that links any
//!   implementation of it into a [`wasmtime::Linker`].
//! * [`host`]: [`WasiHost`], the default implementation, configured with a
//!   [`WasiHostBuilder`].
//! * [`Engine`], [`Module`], [`Instance`]: load a module (binary or WAT),
//!   run it with a host, get its exit code or trap.
//!
//! ```
//! use wasihost_core::{Capture, Engine, Module, Outcome, Output, WasiHost};
//!
//! let engine = Engine::new().unwrap();
//! let module = Module::from_wat(&engine, r#"
//!     (module
//!       (import "wasi_snapshot_preview1" "fd_write"
//!         (func $fd_write (param i32 i32 i32 i32) (result i32)))
//!       (memory (export "memory") 1)
//!       (data (i32.const 16) "hello\n")
//!       (func (export "_start")
//!         (i32.store (i32.const 0) (i32.const 16))
//!         (i32.store (i32.const 4) (i32.const 6))
//!         (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
//! "#).unwrap();
//! let out = Capture::new(1024);
//! let host = WasiHost::builder().stdout(Output::Capture(out.clone())).build().unwrap();
//! assert_eq!(module.run(host).unwrap(), Outcome::Exit(0));
//! assert_eq!(out.contents(), b"hello\n");
//! ```

#![warn(missing_docs)]

pub mod cache;
pub mod error;
pub mod ffi;
pub mod host;
pub mod limits;
pub mod run;
pub mod wasi_snapshot_preview1;

pub use cache::{CacheStatus, ModuleCache};
pub use error::{Error, ErrorKind};
pub use host::{
    Capture, Clock, Input, Output, RandomSource, VirtualClock, WasiHost, WasiHostBuilder,
};
pub use limits::{InterruptHandle, Limits};
pub use run::{Engine, EngineBuilder, Instance, Module, Outcome, Trap, TrapCode};
