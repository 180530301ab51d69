//! `wasihost_error_t`: what went wrong, owned by the caller.
//!
//! Thread rules: an error is a plain value; it may be read from any thread
//! and deleted from any thread, but not while another thread reads it.

use std::any::Any;
use std::ffi::{CString, c_char};

use super::guard_or;
use crate::error::{Error, ErrorKind};
use crate::host::errno_map;

/// The class of a `wasihost_error_t` (one of the `WASIHOST_ERROR_KIND_*`
/// values).
#[allow(non_camel_case_types)]
pub type wasihost_error_kind_t = u32;

/// A NULL pointer where a value is required, a byte string that is not
/// valid UTF-8 where text is required or holds a NUL byte where none may
/// be (arguments, environment variables, paths), an empty path, an unknown
/// constant or flag.
pub const WASIHOST_ERROR_KIND_INVALID_ARGUMENT: wasihost_error_kind_t = 1;
/// The configuration cannot be applied: a preopened directory, a stdio
/// file or a host fd cannot be opened or used.
pub const WASIHOST_ERROR_KIND_CONFIG: wasihost_error_kind_t = 2;
/// A host file (a module file, a cache entry) cannot be read or written.
pub const WASIHOST_ERROR_KIND_IO: wasihost_error_kind_t = 3;
/// The bytes are not a valid module, WAT text that does not parse, or a
/// serialized module that is corrupt or was made by another engine.
pub const WASIHOST_ERROR_KIND_MODULE: wasihost_error_kind_t = 4;
/// The module imports something the host does not provide, or lacks the
/// export a call needs (such as `_start`).
pub const WASIHOST_ERROR_KIND_LINK: wasihost_error_kind_t = 5;
/// The engine cannot be created.
pub const WASIHOST_ERROR_KIND_ENGINE: wasihost_error_kind_t = 6;
/// The guest trapped (the message says why, with a wasm backtrace).
pub const WASIHOST_ERROR_KIND_TRAP: wasihost_error_kind_t = 7;
/// The guest called `proc_exit` during `wasihost_instance_call`;
/// `wasihost_error_exit_code` gives the code.
pub const WASIHOST_ERROR_KIND_EXIT: wasihost_error_kind_t = 8;
/// The guest was stopped by `wasihost_interrupt_handle_interrupt`.
pub const WASIHOST_ERROR_KIND_INTERRUPTED: wasihost_error_kind_t = 9;
/// A bug in wasihost: a panic caught at the C boundary. The handle
/// involved is still safe to delete.
pub const WASIHOST_ERROR_KIND_PANIC: wasihost_error_kind_t = 10;
/// The guest ran past the timeout of `wasihost_config_set_timeout_ns`
/// (also while it waited in a host call: a sleep, a read of a pipe).
pub const WASIHOST_ERROR_KIND_TIMEOUT: wasihost_error_kind_t = 11;
/// The guest used up the fuel of `wasihost_config_set_fuel`.
pub const WASIHOST_ERROR_KIND_FUEL_EXHAUSTED: wasihost_error_kind_t = 12;
/// The module's memories or tables, as declared, need more than the caps
/// of `wasihost_config_set_max_memory` or
/// `wasihost_config_set_max_table_elements`, so it cannot be instantiated.
/// (A `memory.grow` refused later is not an error: the guest sees -1; see
/// `wasihost_instance_memory_limit_reached`.)
pub const WASIHOST_ERROR_KIND_MEMORY_LIMIT: wasihost_error_kind_t = 13;

/// The kind of a trap (one of the `WASIHOST_TRAP_*` values), given by
/// `wasihost_error_trap_code`.
#[allow(non_camel_case_types)]
pub type wasihost_trap_code_t = u32;

/// Any other cause: a host error that aborted the guest, or a trap kind
/// this list does not name.
pub const WASIHOST_TRAP_OTHER: wasihost_trap_code_t = 0;
/// The `unreachable` instruction (C's `abort()`, Rust's panic).
pub const WASIHOST_TRAP_UNREACHABLE: wasihost_trap_code_t = 1;
/// A memory access out of bounds.
pub const WASIHOST_TRAP_MEMORY_OUT_OF_BOUNDS: wasihost_trap_code_t = 2;
/// Integer division by zero.
pub const WASIHOST_TRAP_INTEGER_DIVISION_BY_ZERO: wasihost_trap_code_t = 3;
/// Integer overflow (`INT_MIN / -1`).
pub const WASIHOST_TRAP_INTEGER_OVERFLOW: wasihost_trap_code_t = 4;
/// A float to integer conversion out of range.
pub const WASIHOST_TRAP_BAD_CONVERSION_TO_INTEGER: wasihost_trap_code_t = 5;
/// The call stack is exhausted.
pub const WASIHOST_TRAP_STACK_OVERFLOW: wasihost_trap_code_t = 6;
/// An indirect call to a null table entry.
pub const WASIHOST_TRAP_INDIRECT_CALL_TO_NULL: wasihost_trap_code_t = 7;
/// An indirect call with the wrong signature.
pub const WASIHOST_TRAP_BAD_SIGNATURE: wasihost_trap_code_t = 8;
/// A table access out of bounds.
pub const WASIHOST_TRAP_TABLE_OUT_OF_BOUNDS: wasihost_trap_code_t = 9;
/// A null reference was used.
pub const WASIHOST_TRAP_NULL_REFERENCE: wasihost_trap_code_t = 10;
/// A misaligned atomic access.
pub const WASIHOST_TRAP_HEAP_MISALIGNED: wasihost_trap_code_t = 11;
/// A WASI method of the host panicked (a bug in wasihost).
pub const WASIHOST_TRAP_HOST_PANIC: wasihost_trap_code_t = 12;
/// A call handler trapped the guest (`WASIHOST_CALL_TRAP`, an invalid
/// return value, a failure in a binding's handler).
pub const WASIHOST_TRAP_HANDLER: wasihost_trap_code_t = 13;

/// An error: kind, message, WASI errno and exit code. Created by the
/// library, owned by the caller, freed with `wasihost_error_delete`.
#[allow(non_camel_case_types)]
pub struct wasihost_error_t {
    kind: wasihost_error_kind_t,
    message: CString,
    errno: u16,
    exit_code: Option<u32>,
    trap_code: Option<u32>,
}

/// An error on its way to becoming a `wasihost_error_t`.
#[derive(Debug)]
pub(crate) struct FfiError {
    kind: wasihost_error_kind_t,
    message: String,
    errno: u16,
    exit_code: Option<u32>,
    trap_code: Option<u32>,
}

impl FfiError {
    pub(crate) fn new(kind: wasihost_error_kind_t, message: impl Into<String>) -> FfiError {
        FfiError {
            kind,
            message: message.into(),
            errno: 0,
            exit_code: None,
            trap_code: None,
        }
    }

    pub(crate) fn trap(code: u32, message: impl Into<String>) -> FfiError {
        FfiError {
            trap_code: Some(code),
            ..FfiError::new(WASIHOST_ERROR_KIND_TRAP, message)
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> FfiError {
        FfiError::new(WASIHOST_ERROR_KIND_INVALID_ARGUMENT, message)
    }

    pub(crate) fn null(what: &str) -> FfiError {
        FfiError::invalid(format!("{what} is NULL"))
    }

    pub(crate) fn exit(code: u32) -> FfiError {
        FfiError {
            exit_code: Some(code),
            ..FfiError::new(
                WASIHOST_ERROR_KIND_EXIT,
                format!("the guest exited with code {code}"),
            )
        }
    }

    pub(crate) fn panic(payload: &(dyn Any + Send)) -> FfiError {
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        FfiError::new(
            WASIHOST_ERROR_KIND_PANIC,
            format!("internal error in wasihost (please report it): {what}"),
        )
    }

    pub(crate) fn into_raw(self) -> *mut wasihost_error_t {
        // Interior NULs (from a path or a guest's trap text) would cut the
        // message short in C; show them instead.
        let text = self.message.replace('\0', "\\0");
        let message = CString::new(text).unwrap_or_default();
        Box::into_raw(Box::new(wasihost_error_t {
            kind: self.kind,
            message,
            errno: self.errno,
            exit_code: self.exit_code,
            trap_code: self.trap_code,
        }))
    }
}

impl From<Error> for FfiError {
    fn from(e: Error) -> FfiError {
        let kind = match e.kind() {
            ErrorKind::Config => WASIHOST_ERROR_KIND_CONFIG,
            ErrorKind::Io => WASIHOST_ERROR_KIND_IO,
            ErrorKind::Module => WASIHOST_ERROR_KIND_MODULE,
            ErrorKind::Link => WASIHOST_ERROR_KIND_LINK,
            ErrorKind::Engine => WASIHOST_ERROR_KIND_ENGINE,
        };
        FfiError {
            errno: match (e.raw_os_error(), e.io_kind()) {
                (Some(code), _) => errno_map::from_os_code(code) as u16,
                (None, Some(kind)) => errno_map::from_kind(kind) as u16,
                (None, None) => 0,
            },
            ..FfiError::new(kind, e.message())
        }
    }
}

/// The class of the error: one of the `WASIHOST_ERROR_KIND_*` values, or 0
/// when `error` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_error_kind(error: *const wasihost_error_t) -> wasihost_error_kind_t {
    // SAFETY: NULL or a live error, by the contract.
    guard_or(0, || unsafe { error.as_ref() }.map_or(0, |e| e.kind))
}

/// The message, with the context to act on it (e.g. `preopen "/data" ->
/// "./srv": No such file or directory (os error 2)`): a NUL-terminated
/// UTF-8 string owned by the error, valid until it is deleted. An empty
/// string when `error` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_error_message(error: *const wasihost_error_t) -> *const c_char {
    static EMPTY: &[u8] = b"\0";
    guard_or(EMPTY.as_ptr().cast(), || {
        // SAFETY: NULL or a live error, by the contract.
        match unsafe { error.as_ref() } {
            Some(e) => e.message.as_ptr(),
            None => EMPTY.as_ptr().cast(),
        }
    })
}

/// The WASI errno that best describes the error (e.g. 44, `noent`, when a
/// preopened directory does not exist), or 0 when the error has none
/// (invalid wasm, a trap, ...) or `error` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_error_errno(error: *const wasihost_error_t) -> u16 {
    // SAFETY: NULL or a live error, by the contract.
    guard_or(0, || unsafe { error.as_ref() }.map_or(0, |e| e.errno))
}

/// For an error of kind `WASIHOST_ERROR_KIND_EXIT`: writes the guest's exit
/// code to `*code_out` and returns true. Returns false, writing nothing,
/// for any other error, or when an argument is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_error_exit_code(
    error: *const wasihost_error_t,
    code_out: *mut u32,
) -> bool {
    guard_or(false, || {
        // SAFETY: NULL or live pointers, by the contract.
        let (Some(e), Some(out)) = (unsafe { error.as_ref() }, unsafe { code_out.as_mut() }) else {
            return false;
        };
        match e.exit_code {
            Some(code) => {
                *out = code;
                true
            }
            None => false,
        }
    })
}

/// For an error of kind `WASIHOST_ERROR_KIND_TRAP`: writes the kind of
/// trap (a `WASIHOST_TRAP_*` value) to `*code_out` and returns true.
/// Returns false, writing nothing, for any other error, or when an
/// argument is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_error_trap_code(
    error: *const wasihost_error_t,
    code_out: *mut wasihost_trap_code_t,
) -> bool {
    guard_or(false, || {
        // SAFETY: NULL or live pointers, by the contract.
        let (Some(e), Some(out)) = (unsafe { error.as_ref() }, unsafe { code_out.as_mut() }) else {
            return false;
        };
        match e.trap_code {
            Some(code) => {
                *out = code;
                true
            }
            None => false,
        }
    })
}

/// A static, NUL-terminated name for an error kind (`"config"`, `"trap"`,
/// ...), or `"unknown"`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_error_kind_name(kind: wasihost_error_kind_t) -> *const c_char {
    let name: &'static [u8] = match kind {
        WASIHOST_ERROR_KIND_INVALID_ARGUMENT => b"invalid argument\0",
        WASIHOST_ERROR_KIND_CONFIG => b"config\0",
        WASIHOST_ERROR_KIND_IO => b"io\0",
        WASIHOST_ERROR_KIND_MODULE => b"module\0",
        WASIHOST_ERROR_KIND_LINK => b"link\0",
        WASIHOST_ERROR_KIND_ENGINE => b"engine\0",
        WASIHOST_ERROR_KIND_TRAP => b"trap\0",
        WASIHOST_ERROR_KIND_EXIT => b"exit\0",
        WASIHOST_ERROR_KIND_INTERRUPTED => b"interrupted\0",
        WASIHOST_ERROR_KIND_PANIC => b"panic\0",
        WASIHOST_ERROR_KIND_TIMEOUT => b"timeout\0",
        WASIHOST_ERROR_KIND_FUEL_EXHAUSTED => b"fuel exhausted\0",
        WASIHOST_ERROR_KIND_MEMORY_LIMIT => b"memory limit\0",
        _ => b"unknown\0",
    };
    name.as_ptr().cast()
}

/// Frees an error. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_error_delete(error: *mut wasihost_error_t) {
    guard_or((), || {
        if !error.is_null() {
            // SAFETY: a non-NULL error came from `FfiError::into_raw` (a
            // Box) and is deleted once, by the contract.
            drop(unsafe { Box::from_raw(error) });
        }
    })
}
