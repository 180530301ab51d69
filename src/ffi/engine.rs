//! `wasihost_engine_t`: compiles modules and runs them.
//!
//! Thread rules: an engine may be used from any number of threads at once;
//! modules and instances keep it alive, so it may be deleted before them.

use super::{FfiError, arg_mut, guard, guard_or, wasihost_error_t, write_out};
use crate::run::Engine;

/// An engine: Cranelift, with the wasm features toolchains emit today
/// (exception handling, tail calls, SIMD and relaxed SIMD, bulk memory,
/// multi-value, reference types, multiple memories, 64-bit memories,
/// threads, extended constant expressions, function references, GC), and
/// interruption and fuel metering as its flags ask.
#[allow(non_camel_case_types)]
pub struct wasihost_engine_t {
    pub(crate) engine: Engine,
}

/// Flags for `wasihost_engine_new_with_flags` (an OR of `WASIHOST_ENGINE_*`).
#[allow(non_camel_case_types)]
pub type wasihost_engine_flags_t = u32;

/// Guests can be stopped: by an interrupt handle, by a timeout
/// (`wasihost_config_set_timeout_ns`). Every loop iteration and function
/// entry of guest code then checks a counter (wasmtime's epoch
/// interruption; the wasmtime CLI's `-W timeout` costs the same). Without
/// it, guest code carries no check and runs at full speed.
pub const WASIHOST_ENGINE_INTERRUPTIBLE: wasihost_engine_flags_t = 1;
/// Guest code meters fuel, so that `wasihost_config_set_fuel` can bound the
/// instructions it runs. It updates a counter in every basic block, which
/// costs more than interruption.
pub const WASIHOST_ENGINE_FUEL: wasihost_engine_flags_t = 2;

/// Creates an engine without interruption or fuel metering (flags 0). On
/// success writes a new engine to `*engine_out`, which the caller frees
/// with `wasihost_engine_delete`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_engine_new(
    engine_out: *mut *mut wasihost_engine_t,
) -> *mut wasihost_error_t {
    wasihost_engine_new_with_flags(0, engine_out)
}

/// Creates an engine with the `WASIHOST_ENGINE_*` flags in `flags` (an
/// unknown flag is an error of kind `WASIHOST_ERROR_KIND_INVALID_ARGUMENT`).
/// Modules compiled with different flags are different code; the module
/// cache keeps them apart.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_engine_new_with_flags(
    flags: wasihost_engine_flags_t,
    engine_out: *mut *mut wasihost_engine_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or a writable pointer, by the contract.
        let out = unsafe { arg_mut(engine_out, "engine_out") }?;
        let known = WASIHOST_ENGINE_INTERRUPTIBLE | WASIHOST_ENGINE_FUEL;
        if flags & !known != 0 {
            return Err(FfiError::invalid(format!(
                "unknown engine flags {:#x}",
                flags & !known
            )));
        }
        let engine = Engine::builder()
            .interruptible(flags & WASIHOST_ENGINE_INTERRUPTIBLE != 0)
            .fuel(flags & WASIHOST_ENGINE_FUEL != 0)
            .build()
            .map_err(FfiError::from)?;
        write_out(out, Box::into_raw(Box::new(wasihost_engine_t { engine })));
        Ok(())
    })
}

/// The `WASIHOST_ENGINE_*` flags the engine was created with; 0 for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_engine_flags(
    engine: *const wasihost_engine_t,
) -> wasihost_engine_flags_t {
    guard_or(0, || {
        // SAFETY: NULL or a live engine, by the contract.
        unsafe { engine.as_ref() }.map_or(0, |e| {
            let mut flags = 0;
            if e.engine.is_interruptible() {
                flags |= WASIHOST_ENGINE_INTERRUPTIBLE;
            }
            if e.engine.has_fuel() {
                flags |= WASIHOST_ENGINE_FUEL;
            }
            flags
        })
    })
}

/// Frees an engine. Modules and instances made with it stay valid. NULL is
/// a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_engine_delete(engine: *mut wasihost_engine_t) {
    guard_or((), || {
        if !engine.is_null() {
            // SAFETY: a non-NULL engine came from `wasihost_engine_new` (a
            // Box) and is deleted once, by the contract.
            drop(unsafe { Box::from_raw(engine) });
        }
    })
}
