//! `wasihost_engine_t`: compiles modules and runs them.
//!
//! Thread rules: an engine may be used from any number of threads at once;
//! modules and instances keep it alive, so it may be deleted before them.

use super::{FfiError, arg_mut, guard, guard_or, wasihost_error_t, write_out};
use crate::run::Engine;

/// An engine: Cranelift, with the wasm features toolchains emit today
/// (exception handling, tail calls, SIMD and relaxed SIMD, bulk memory,
/// multi-value, reference types, multiple memories, extended constant
/// expressions, function references) and interruption enabled.
#[allow(non_camel_case_types)]
pub struct wasihost_engine_t {
    pub(crate) engine: Engine,
}

/// Creates an engine. On success writes a new engine to `*engine_out`,
/// which the caller frees with `wasihost_engine_delete`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_engine_new(
    engine_out: *mut *mut wasihost_engine_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or a writable pointer, by the contract.
        let out = unsafe { arg_mut(engine_out, "engine_out") }?;
        let engine = Engine::new().map_err(FfiError::from)?;
        write_out(out, Box::into_raw(Box::new(wasihost_engine_t { engine })));
        Ok(())
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
