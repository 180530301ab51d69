//! The C ABI: opaque handles over [`Engine`](crate::Engine),
//! [`Module`](crate::Module), a reusable configuration and
//! [`Instance`](crate::Instance), declared in `include/wasihost.h`
//! (generated from this module by cbindgen).
//!
//! The contract, stated once (and in the header):
//!
//! * Every fallible function returns an owned `wasihost_error_t *`: NULL on
//!   success, else an error the caller frees with `wasihost_error_delete`.
//! * Out-parameters are written only on success.
//! * Pointer arguments are checked for NULL (an error of kind
//!   `WASIHOST_ERROR_KIND_INVALID_ARGUMENT`, naming the argument). A byte
//!   string is a pointer and a length; the pointer may be NULL only when
//!   the length is 0. Input byte strings are copied: the caller's buffer
//!   may be reused as soon as the call returns.
//! * `_delete(NULL)` is a no-op. Deleting a handle twice, or using it after
//!   deleting it, is undefined behaviour, as in C.
//! * No panic crosses the boundary: every function catches them and
//!   returns an error of kind `WASIHOST_ERROR_KIND_PANIC` (or a neutral
//!   value where the function returns no error).
//!
//! The one file per handle keeps a handle's functions, its ownership and
//! thread rules together.

// The exported functions are called from C, which has no `unsafe`: their
// pointer contract is the header's, stated once above and per function,
// and each dereference is an `unsafe` block that says why it holds.
// Marking them `unsafe fn` would add nothing for their only callers.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod cache;
pub mod config;
pub mod engine;
pub mod error;
pub mod hooks;
pub mod instance;
pub mod module;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

pub use config::*;
pub use engine::*;
pub use error::*;
pub use hooks::*;
pub use instance::*;
pub use module::*;

/// Runs `body`, turning an error or a panic into an owned error pointer
/// (NULL on success). Every `extern "C"` function that can fail is written
/// as `guard(|| { ... })`.
fn guard(body: impl FnOnce() -> Result<(), FfiError>) -> *mut wasihost_error_t {
    // AssertUnwindSafe: after a panic, the only state read again is the
    // handle the caller passed, whose invariants hold between statements
    // (a poisoned lock is recovered explicitly where one is used).
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => std::ptr::null_mut(),
        Ok(Err(e)) => e.into_raw(),
        Err(payload) => FfiError::panic(payload.as_ref()).into_raw(),
    }
}

/// Runs `body`, returning `fallback` if it panics: for the few functions
/// that return no error (getters, deleters).
fn guard_or<R>(fallback: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A shared reference from a handle pointer, or an error naming `what`.
///
/// # Safety
/// `p` is NULL or points to a live `T` that no one mutates during `'a`.
unsafe fn arg_ref<'a, T>(p: *const T, what: &str) -> Result<&'a T, FfiError> {
    // SAFETY: non-NULL pointers are live handles by the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| FfiError::null(what))
}

/// An exclusive reference from a handle pointer, or an error naming
/// `what`.
///
/// # Safety
/// `p` is NULL or points to a live `T` that no one else uses during `'a`.
unsafe fn arg_mut<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, FfiError> {
    // SAFETY: non-NULL pointers are live handles, used from one thread at a
    // time, by the caller's contract.
    unsafe { p.as_mut() }.ok_or_else(|| FfiError::null(what))
}

/// The bytes of a (pointer, length) argument; NULL is allowed only with a
/// length of 0.
///
/// # Safety
/// A non-NULL `p` points to `len` readable bytes that stay unchanged
/// during `'a`.
unsafe fn arg_bytes<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a [u8], FfiError> {
    if p.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(FfiError::null(what));
    }
    if len > isize::MAX as usize {
        return Err(FfiError::invalid(format!(
            "{what}: length {len} is larger than any buffer"
        )));
    }
    // SAFETY: p is non-NULL and points to len readable bytes by the
    // caller's contract; len fits a slice (checked above).
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A (pointer, length) argument that must be UTF-8 text.
///
/// # Safety
/// As for [`arg_bytes`].
unsafe fn arg_str<'a>(p: *const u8, len: usize, what: &str) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { arg_bytes(p, len, what) }?;
    std::str::from_utf8(bytes)
        .map_err(|e| FfiError::invalid(format!("{what} is not valid UTF-8: {e}")))
}

/// The bytes of a NUL-terminated string argument (without the NUL), for
/// the `_str` convenience functions; NULL is an error naming `what`.
///
/// # Safety
/// A non-NULL `p` points to a NUL-terminated string that stays unchanged
/// during `'a`.
unsafe fn arg_cstr<'a>(p: *const std::ffi::c_char, what: &str) -> Result<&'a [u8], FfiError> {
    if p.is_null() {
        return Err(FfiError::null(what));
    }
    // SAFETY: p is non-NULL and NUL-terminated by the caller's contract.
    Ok(unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes())
}

/// Runs `f` on the bytes of NUL-terminated string arguments, or returns
/// the error of the first NULL one: the body of every `_str` function.
fn with_cstrs<const N: usize>(
    args: [(*const std::ffi::c_char, &str); N],
    f: impl FnOnce([&[u8]; N]) -> *mut wasihost_error_t,
) -> *mut wasihost_error_t {
    let mut out: [&[u8]; N] = [&[]; N];
    for (slot, (p, what)) in out.iter_mut().zip(args) {
        // SAFETY: NULL or NUL-terminated, by the contract of each `_str`
        // function.
        match unsafe { arg_cstr(p, what) } {
            Ok(b) => *slot = b,
            Err(e) => return e.into_raw(),
        }
    }
    f(out)
}

/// A host path argument: non-empty, no NUL byte.
fn path_arg(p: *const u8, len: usize, what: &str) -> Result<PathBuf, FfiError> {
    // SAFETY: NULL or live, by the contract.
    let bytes = unsafe { arg_bytes(p, len, what) }?;
    if bytes.is_empty() {
        return Err(FfiError::invalid(format!("{what} is empty")));
    }
    if bytes.contains(&0) {
        return Err(FfiError::invalid(format!("{what} contains a NUL byte")));
    }
    Ok(PathBuf::from(OsStr::from_bytes(bytes)))
}

/// Writes `value` through an out-pointer already checked for NULL.
fn write_out<T>(out: &mut T, value: T) {
    *out = value;
}

/// The library version, `"MAJOR.MINOR.PATCH"`, a static NUL-terminated
/// string.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_version() -> *const std::ffi::c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    /// The committed header is what cbindgen generates from this module
    /// now: changing an exported item without regenerating it (`make
    /// header`) fails here.
    #[test]
    fn committed_header_matches_the_source() {
        let generated = std::fs::read_to_string(env!("WASIHOST_GENERATED_HEADER"))
            .expect("build.rs wrote the generated header");
        let committed =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/wasihost.h"))
                .expect("include/wasihost.h is committed");
        if generated != committed {
            let line = generated
                .lines()
                .zip(committed.lines())
                .position(|(a, b)| a != b)
                .map_or_else(
                    || generated.lines().count().min(committed.lines().count()) + 1,
                    |i| i + 1,
                );
            panic!(
                "include/wasihost.h differs from the header generated from src/ffi \
                 (first difference at line {line}); run `make header` and commit it"
            );
        }
    }
}
