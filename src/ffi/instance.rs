//! `wasihost_instance_t`: a module instantiated with a config; runs
//! `_start` or calls exports. Also `wasihost_interrupt_handle_t`, which
//! stops it from another thread.
//!
//! Thread rules: an instance is used by one thread at a time (it may move
//! between threads); its interrupt handle may be used from any thread, at
//! any time, also after the instance is deleted.

use wasmtime::Val;

use super::{
    FfiError, WASIHOST_STDERR, WASIHOST_STDOUT, arg_mut, arg_ref, arg_str, guard, guard_or,
    wasihost_config_t, wasihost_error_t, wasihost_module_t, wasihost_stream_t, write_out,
};
use crate::ffi::config::Captures;
use crate::ffi::error::{
    WASIHOST_ERROR_KIND_FUEL_EXHAUSTED, WASIHOST_ERROR_KIND_INTERRUPTED,
    WASIHOST_ERROR_KIND_MEMORY_LIMIT, WASIHOST_ERROR_KIND_TIMEOUT,
};
use crate::host::WasiHost;
use crate::limits::InterruptHandle;
use crate::run::{Instance, Outcome};

/// A running (or ready to run) guest: its memory, its WASI state, its
/// captured output.
#[allow(non_camel_case_types)]
pub struct wasihost_instance_t {
    instance: Instance<WasiHost>,
    captures: Captures,
    /// What `wasihost_instance_capture` last returned, per stream: the
    /// pointer given out stays valid while the guest keeps writing.
    snapshots: [Vec<u8>; 2],
}

/// Stops an instance from any thread; see
/// `wasihost_interrupt_handle_interrupt`.
#[allow(non_camel_case_types)]
pub struct wasihost_interrupt_handle_t {
    handle: InterruptHandle,
}

/// The type of a `wasihost_val_t` (one of the `WASIHOST_VAL_*` values).
#[allow(non_camel_case_types)]
pub type wasihost_valkind_t = u32;

/// A 32-bit integer, `of.i32`.
pub const WASIHOST_VAL_I32: wasihost_valkind_t = 0;
/// A 64-bit integer, `of.i64`.
pub const WASIHOST_VAL_I64: wasihost_valkind_t = 1;
/// A 32-bit float, `of.f32`.
pub const WASIHOST_VAL_F32: wasihost_valkind_t = 2;
/// A 64-bit float, `of.f64`.
pub const WASIHOST_VAL_F64: wasihost_valkind_t = 3;

/// The payload of a `wasihost_val_t`, selected by its `kind`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub union wasihost_valunion_t {
    /// For `WASIHOST_VAL_I32`.
    pub i32: i32,
    /// For `WASIHOST_VAL_I64`.
    pub i64: i64,
    /// For `WASIHOST_VAL_F32`.
    pub f32: f32,
    /// For `WASIHOST_VAL_F64`.
    pub f64: f64,
}

/// A wasm value: an argument to or a result of `wasihost_instance_call`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasihost_val_t {
    /// Which member of `of` holds the value.
    pub kind: wasihost_valkind_t,
    /// The value.
    pub of: wasihost_valunion_t,
}

/// What the guest wrote to a captured stream.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wasihost_capture_t {
    /// The bytes kept (at most the cap), owned by the instance; valid until
    /// the next `wasihost_instance_capture` for the same stream or the
    /// instance's deletion. NULL when `len` is 0.
    pub data: *const u8,
    /// How many bytes were kept.
    pub len: usize,
    /// How many bytes the guest wrote in all, kept or dropped.
    pub total_written: u64,
    /// Whether bytes were dropped because the guest wrote more than the
    /// cap.
    pub truncated: bool,
}

fn val_in(v: &wasihost_val_t, i: usize) -> Result<Val, FfiError> {
    // SAFETY: reading the union member that `kind` names, which the caller
    // initialised by the contract; every bit pattern of each member is a
    // valid value of its type.
    unsafe {
        Ok(match v.kind {
            WASIHOST_VAL_I32 => Val::I32(v.of.i32),
            WASIHOST_VAL_I64 => Val::I64(v.of.i64),
            WASIHOST_VAL_F32 => Val::F32(v.of.f32.to_bits()),
            WASIHOST_VAL_F64 => Val::F64(v.of.f64.to_bits()),
            k => {
                return Err(FfiError::invalid(format!(
                    "argument {i} has unknown kind {k}"
                )));
            }
        })
    }
}

fn val_out(v: &Val) -> Result<wasihost_val_t, FfiError> {
    Ok(match v {
        Val::I32(x) => wasihost_val_t {
            kind: WASIHOST_VAL_I32,
            of: wasihost_valunion_t { i32: *x },
        },
        Val::I64(x) => wasihost_val_t {
            kind: WASIHOST_VAL_I64,
            of: wasihost_valunion_t { i64: *x },
        },
        Val::F32(x) => wasihost_val_t {
            kind: WASIHOST_VAL_F32,
            of: wasihost_valunion_t {
                f32: f32::from_bits(*x),
            },
        },
        Val::F64(x) => wasihost_val_t {
            kind: WASIHOST_VAL_F64,
            of: wasihost_valunion_t {
                f64: f64::from_bits(*x),
            },
        },
        other => {
            return Err(FfiError::invalid(format!(
                "the function returns a {other:?}, which the C API cannot represent"
            )));
        }
    })
}

/// A guest that ended during a call, as an error.
fn ended(outcome: Outcome) -> FfiError {
    match outcome {
        Outcome::Exit(code) => FfiError::exit(code),
        Outcome::Trap(t) => FfiError::trap(t.code as u32, t.message),
        Outcome::Interrupted => {
            FfiError::new(WASIHOST_ERROR_KIND_INTERRUPTED, "the guest was interrupted")
        }
        Outcome::TimedOut => FfiError::new(
            WASIHOST_ERROR_KIND_TIMEOUT,
            "the guest ran past its timeout",
        ),
        Outcome::FuelExhausted => FfiError::new(
            WASIHOST_ERROR_KIND_FUEL_EXHAUSTED,
            "the guest used up its fuel",
        ),
        Outcome::MemoryLimit => FfiError::new(
            WASIHOST_ERROR_KIND_MEMORY_LIMIT,
            "the module's memories or tables, as declared, exceed the memory or table limit",
        ),
    }
}

/// Instantiates `module` with what `config` grants and under its limits:
/// opens its preopened directories and stdio files, makes fresh capture
/// buffers, and runs the module's start function, if it has one (not
/// `_start`; its ending is an error of the same kinds as in
/// `wasihost_instance_call`: `WASIHOST_ERROR_KIND_TRAP`, `_EXIT`,
/// `_TIMEOUT`, `_FUEL_EXHAUSTED`; and `_MEMORY_LIMIT` when the module's
/// memories exceed the cap). A timeout or fuel limit the engine cannot
/// enforce is an error of kind `WASIHOST_ERROR_KIND_CONFIG`. On success
/// writes a new instance to `*instance_out`, freed with
/// `wasihost_instance_delete`. The config and the module may be deleted
/// afterwards; both may serve any number of instances.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_new(
    module: *const wasihost_module_t,
    config: *const wasihost_config_t,
    instance_out: *mut *mut wasihost_instance_t,
) -> *mut wasihost_error_t {
    wasihost_instance_new_with_handle(module, config, std::ptr::null(), instance_out)
}

/// `wasihost_instance_new`, stopped by `handle` (from
/// `wasihost_interrupt_handle_new`): interrupting it from another thread
/// during this call stops the module's start function (the call fails
/// with `WASIHOST_ERROR_KIND_INTERRUPTED`), and later it stops the
/// instance, as the handle of `wasihost_instance_interrupt_handle` does.
/// NULL `handle` is the same as `wasihost_instance_new`. Needs an engine
/// made with `WASIHOST_ENGINE_INTERRUPTIBLE` when `handle` is not NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_new_with_handle(
    module: *const wasihost_module_t,
    config: *const wasihost_config_t,
    handle: *const wasihost_interrupt_handle_t,
    instance_out: *mut *mut wasihost_instance_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let module = unsafe { arg_ref(module, "module") }?;
        let config = unsafe { arg_ref(config, "config") }?;
        let out = unsafe { arg_mut(instance_out, "instance_out") }?;
        // SAFETY: NULL or a live handle, by the contract.
        let handle = unsafe { handle.as_ref() }.map(|h| &h.handle);
        let (host, captures) = config.build_host()?;
        // A trap, exit or interrupt in the start function is the guest's
        // doing, reported as such (not as a link error).
        let instance = module
            .module
            .instantiate_or_end(host, &config.limits, handle, Some(&config.hooks))?
            .map_err(ended)?;
        write_out(
            out,
            Box::into_raw(Box::new(wasihost_instance_t {
                instance,
                captures,
                snapshots: [Vec::new(), Vec::new()],
            })),
        );
        Ok(())
    })
}

/// Runs the module's `_start` (a WASI command's `main`). On success writes
/// the guest's exit code to `*exit_code_out`: 0 when `_start` returned,
/// else the code it passed to `proc_exit`. A trap gives an error of kind
/// `WASIHOST_ERROR_KIND_TRAP` whose message says why, with a wasm
/// backtrace; an interrupt gives `WASIHOST_ERROR_KIND_INTERRUPTED`; a module
/// without `_start` gives `WASIHOST_ERROR_KIND_LINK`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_run(
    instance: *mut wasihost_instance_t,
    exit_code_out: *mut u32,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let inst = unsafe { arg_mut(instance, "instance") }?;
        let out = unsafe { arg_mut(exit_code_out, "exit_code_out") }?;
        match inst.instance.run()? {
            Outcome::Exit(code) => {
                write_out(out, code);
                Ok(())
            }
            other => Err(ended(other)),
        }
    })
}

/// The type of the instance's exported function `name`, as
/// `wasihost_module_export_func_type` gives it for the module the instance
/// was made from (same arguments, counts and errors); it works after that
/// module was deleted. Bindings call it to learn how many results
/// `wasihost_instance_call` writes and which kinds it takes.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_export_func_type(
    instance: *const wasihost_instance_t,
    name: *const u8,
    name_len: usize,
    params: *mut wasihost_valkind_t,
    params_cap: usize,
    nparams_out: *mut usize,
    results: *mut wasihost_valkind_t,
    results_cap: usize,
    nresults_out: *mut usize,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or a live instance, by the contract.
        let inst = unsafe { arg_ref(instance, "instance") }?;
        // SAFETY: the other pointers are as `export_func_type` needs, by
        // this function's contract.
        unsafe {
            super::module::export_func_type(
                inst.instance.module(),
                name,
                name_len,
                params,
                params_cap,
                nparams_out,
                results,
                results_cap,
                nresults_out,
            )
        }
    })
}

/// Calls the exported function `name` (`name_len` bytes of UTF-8) with
/// `nargs` values at `args`, writing its `nresults` results to `results`.
/// The kinds and counts must match the function's type exactly (an error
/// of kind `WASIHOST_ERROR_KIND_LINK` says what the function takes). A
/// guest that calls `proc_exit` gives an error of kind
/// `WASIHOST_ERROR_KIND_EXIT` (see `wasihost_error_exit_code`); traps and
/// interrupts are as for `wasihost_instance_run`. `args` may be NULL when
/// `nargs` is 0, `results` when `nresults` is 0.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_call(
    instance: *mut wasihost_instance_t,
    name: *const u8,
    name_len: usize,
    args: *const wasihost_val_t,
    nargs: usize,
    results: *mut wasihost_val_t,
    nresults: usize,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let inst = unsafe { arg_mut(instance, "instance") }?;
        let name = unsafe { arg_str(name, name_len, "name") }?;
        let args: &[wasihost_val_t] = if nargs == 0 {
            &[]
        } else if args.is_null() {
            return Err(FfiError::null("args"));
        } else {
            // SAFETY: non-NULL, pointing to nargs values, by the contract.
            unsafe { std::slice::from_raw_parts(args, nargs) }
        };
        let results: &mut [wasihost_val_t] = if nresults == 0 {
            &mut []
        } else if results.is_null() {
            return Err(FfiError::null("results"));
        } else {
            // SAFETY: non-NULL, pointing to nresults writable values that
            // nothing else uses during the call, by the contract.
            unsafe { std::slice::from_raw_parts_mut(results, nresults) }
        };
        let vals = args
            .iter()
            .enumerate()
            .map(|(i, v)| val_in(v, i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rets = vec![Val::I32(0); nresults];
        if let Some(outcome) = inst.instance.call(name, &vals, &mut rets)? {
            return Err(ended(outcome));
        }
        let converted = rets.iter().map(val_out).collect::<Result<Vec<_>, _>>()?;
        results.copy_from_slice(&converted);
        Ok(())
    })
}

/// What the guest has written so far to `stream` (`WASIHOST_STDOUT` or
/// `WASIHOST_STDERR`), which the config captured with
/// `wasihost_config_output_capture`; written to `*capture_out`. Fails for a
/// stream that is not captured.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_capture(
    instance: *mut wasihost_instance_t,
    stream: wasihost_stream_t,
    capture_out: *mut wasihost_capture_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let inst = unsafe { arg_mut(instance, "instance") }?;
        let out = unsafe { arg_mut(capture_out, "capture_out") }?;
        let (i, what) = match stream {
            WASIHOST_STDOUT => (0, "stdout"),
            WASIHOST_STDERR => (1, "stderr"),
            other => {
                return Err(FfiError::invalid(format!(
                    "stream {other} is not WASIHOST_STDOUT (1) or WASIHOST_STDERR (2)"
                )));
            }
        };
        let capture = inst.captures[i].as_ref().ok_or_else(|| {
            FfiError::invalid(format!(
                "{what} is not captured (configure it with wasihost_config_output_capture)"
            ))
        })?;
        inst.snapshots[i] = capture.contents();
        let snap = &inst.snapshots[i];
        write_out(
            out,
            wasihost_capture_t {
                data: if snap.is_empty() {
                    std::ptr::null()
                } else {
                    snap.as_ptr()
                },
                len: snap.len(),
                total_written: capture.total_written(),
                truncated: capture.is_truncated(),
            },
        );
        Ok(())
    })
}

/// A handle that stops this instance from any thread (the one given to
/// `wasihost_instance_new_with_handle`, or the instance's own). On success
/// writes it to `*handle_out`; free it with
/// `wasihost_interrupt_handle_delete` (it may outlive the instance). Fails
/// with `WASIHOST_ERROR_KIND_CONFIG` when the engine was made without
/// `WASIHOST_ENGINE_INTERRUPTIBLE`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_interrupt_handle(
    instance: *const wasihost_instance_t,
    handle_out: *mut *mut wasihost_interrupt_handle_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let inst = unsafe { arg_ref(instance, "instance") }?;
        let out = unsafe { arg_mut(handle_out, "handle_out") }?;
        let handle = inst.instance.interrupt_handle()?;
        write_out(
            out,
            Box::into_raw(Box::new(wasihost_interrupt_handle_t { handle })),
        );
        Ok(())
    })
}

/// A new interrupt handle not yet tied to an instance, for
/// `wasihost_instance_new_with_handle` (one handle may serve several
/// instances, and stops them all). Free it with
/// `wasihost_interrupt_handle_delete`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_interrupt_handle_new(
    handle_out: *mut *mut wasihost_interrupt_handle_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or a writable pointer, by the contract.
        let out = unsafe { arg_mut(handle_out, "handle_out") }?;
        write_out(
            out,
            Box::into_raw(Box::new(wasihost_interrupt_handle_t {
                handle: InterruptHandle::new(),
            })),
        );
        Ok(())
    })
}

/// Whether `wasihost_interrupt_handle_interrupt` was called on the handle
/// (or another handle of the same instance); false for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_interrupt_handle_is_interrupted(
    handle: *const wasihost_interrupt_handle_t,
) -> bool {
    guard_or(false, || {
        // SAFETY: NULL or a live handle, by the contract.
        unsafe { handle.as_ref() }.is_some_and(|h| h.handle.is_interrupted())
    })
}

/// Stops the instances of the handle: the run or call in progress (also
/// the start function in `wasihost_instance_new_with_handle`) ends with an
/// error of kind `WASIHOST_ERROR_KIND_INTERRUPTED` at the guest's next
/// loop iteration or function entry, or at once when it waits in a host
/// call (a sleep, a read of stdin or of a pipe; a stdin callback of the
/// embedder is not interrupted). Later runs and calls fail the same way.
/// Safe from any thread, any number of times. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_interrupt_handle_interrupt(handle: *const wasihost_interrupt_handle_t) {
    guard_or((), || {
        // SAFETY: NULL or a live handle, by the contract.
        if let Some(h) = unsafe { handle.as_ref() } {
            h.handle.interrupt();
        }
    })
}

/// Changes the timeout of the instance's later runs and calls, in
/// nanoseconds (0: none); the config's timeout is the one it starts with.
/// Fails with `WASIHOST_ERROR_KIND_CONFIG` for a timeout on an engine made
/// without `WASIHOST_ENGINE_INTERRUPTIBLE`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_set_timeout_ns(
    instance: *mut wasihost_instance_t,
    timeout_ns: u64,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or a live instance, by the contract.
        let inst = unsafe { arg_mut(instance, "instance") }?;
        let timeout = (timeout_ns > 0).then(|| std::time::Duration::from_nanos(timeout_ns));
        inst.instance.set_timeout(timeout)?;
        Ok(())
    })
}

/// Whether a `memory.grow` or `table.grow` of the guest was refused
/// because of the config's memory or table cap (the guest saw -1 and may
/// have gone on); false for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_memory_limit_reached(
    instance: *const wasihost_instance_t,
) -> bool {
    guard_or(false, || {
        // SAFETY: NULL or a live instance, by the contract.
        unsafe { instance.as_ref() }.is_some_and(|i| i.instance.memory_limit_reached())
    })
}

/// The instance's number: unique in the process, from 1. Its trace
/// records (`"instance"`) and its calls (`wasihost_call_instance`) carry
/// it. 0 for a NULL instance.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_number(instance: *const wasihost_instance_t) -> u64 {
    guard_or(0, || {
        // SAFETY: NULL or a live instance, by the contract.
        unsafe { instance.as_ref() }.map_or(0, |i| i.instance.number())
    })
}

/// On an engine made with `WASIHOST_ENGINE_FUEL`: writes the fuel the
/// instance has left to `*fuel_out` and returns true. Returns false,
/// writing nothing, on another engine or when an argument is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_fuel_left(
    instance: *const wasihost_instance_t,
    fuel_out: *mut u64,
) -> bool {
    guard_or(false, || {
        // SAFETY: NULL or live pointers, by the contract.
        let (Some(inst), Some(out)) = (unsafe { instance.as_ref() }, unsafe { fuel_out.as_mut() })
        else {
            return false;
        };
        match inst.instance.fuel_left() {
            Some(f) => {
                *out = f;
                true
            }
            None => false,
        }
    })
}

/// Frees an interrupt handle. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_interrupt_handle_delete(handle: *mut wasihost_interrupt_handle_t) {
    guard_or((), || {
        if !handle.is_null() {
            // SAFETY: a non-NULL handle came from
            // `wasihost_instance_interrupt_handle` (a Box) and is deleted
            // once, by the contract.
            drop(unsafe { Box::from_raw(handle) });
        }
    })
}

/// Frees an instance: its memory, its open files and directories, its
/// captures. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_instance_delete(instance: *mut wasihost_instance_t) {
    guard_or((), || {
        if !instance.is_null() {
            // SAFETY: a non-NULL instance came from `wasihost_instance_new`
            // (a Box) and is deleted once, by the contract.
            drop(unsafe { Box::from_raw(instance) });
        }
    })
}
