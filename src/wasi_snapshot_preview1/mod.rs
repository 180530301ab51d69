//! The WASI snapshot preview1 layer: ABI types, guest memory access, the
//! [`NativeWasiImports`] trait and the wasmtime
//! glue. Nothing here does I/O; the default implementation lives in
//! [`crate::host`].

pub mod calls;
pub mod link;
pub mod memory;
pub mod native;
pub mod table;
pub mod types;

pub use calls::{
    Call, CallHandler, CallId, CallSet, CallSpec, Group, HandlerImports, Hooks, JsonLines,
    TraceEvent, Tracer, Verdict,
};
pub use link::{HandlerTrap, ProcExit, WasiState, WasiView, add_groups_to_linker, add_to_linker};
pub use memory::{Ctx, GuestType, WasmSlicePtr};
pub use native::NativeWasiImports;
pub use types::*;
