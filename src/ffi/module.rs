//! `wasihost_module_t`: a compiled module.
//!
//! Thread rules: a module is immutable; it may be used from any number of
//! threads at once (for instance to instantiate it on each). Instances keep
//! it alive, so it may be deleted before them.

use super::instance::{
    WASIHOST_VAL_F32, WASIHOST_VAL_F64, WASIHOST_VAL_I32, WASIHOST_VAL_I64, wasihost_valkind_t,
};
use super::{
    FfiError, arg_bytes, arg_mut, arg_ref, arg_str, guard, guard_or, path_arg, wasihost_engine_t,
    wasihost_error_t, write_out,
};
use crate::cache::{CacheStatus, ModuleCache};
use crate::run::Module;

/// A compiled module, ready to instantiate any number of times.
#[allow(non_camel_case_types)]
pub struct wasihost_module_t {
    pub(crate) module: Module,
}

/// Bytes owned by the library (a serialized module), freed with
/// `wasihost_bytes_delete`.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct wasihost_bytes_t {
    /// The bytes; NULL when `len` is 0.
    pub data: *mut u8,
    /// How many bytes.
    pub len: usize,
}

/// What `wasihost_module_new_cached` found in the cache (one of the
/// `WASIHOST_CACHE_*` values).
#[allow(non_camel_case_types)]
pub type wasihost_cache_status_t = u32;

/// A valid cache entry was loaded; nothing was compiled.
pub const WASIHOST_CACHE_HIT: wasihost_cache_status_t = 1;
/// There was no entry: the module was compiled and stored.
pub const WASIHOST_CACHE_MISS: wasihost_cache_status_t = 2;
/// The entry was corrupt or stale: it was ignored, and the module was
/// compiled and stored again.
pub const WASIHOST_CACHE_REBUILT: wasihost_cache_status_t = 3;
/// The module was compiled, but could not be stored (e.g. the directory is
/// not writable); the module is fine.
pub const WASIHOST_CACHE_NOT_STORED: wasihost_cache_status_t = 4;

/// Flags for `wasihost_module_new_cached_flags` (an OR of the
/// `WASIHOST_CACHE_FLAG_*` values, or 0).
#[allow(non_camel_case_types)]
pub type wasihost_cache_flags_t = u32;

/// Flag for `wasihost_module_new_cached_flags`: use an existing cache
/// directory even when its group or everyone may write it, or another
/// user owns it (refused otherwise). Only for a directory whose every
/// writer is trusted: any of them can replace the machine code it holds.
pub const WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR: wasihost_cache_flags_t = 1;

pub(crate) fn new_module(module: Module) -> *mut wasihost_module_t {
    Box::into_raw(Box::new(wasihost_module_t { module }))
}

/// Compiles a module from its binary form or from WAT text (`bytes`,
/// `len`). On success writes a new module to `*module_out`, freed with
/// `wasihost_module_delete`. Invalid wasm gives an error of kind
/// `WASIHOST_ERROR_KIND_MODULE` with wasmtime's message (which says what
/// is wrong and at which offset).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_module_new(
    engine: *const wasihost_engine_t,
    bytes: *const u8,
    len: usize,
    module_out: *mut *mut wasihost_module_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let engine = unsafe { arg_ref(engine, "engine") }?;
        let bytes = unsafe { arg_bytes(bytes, len, "bytes") }?;
        let out = unsafe { arg_mut(module_out, "module_out") }?;
        let module = Module::new(&engine.engine, bytes)?;
        write_out(out, new_module(module));
        Ok(())
    })
}

/// Compiles WAT text (`wat`, `len`, UTF-8). As `wasihost_module_new`, with
/// errors that name the line and column of a syntax error.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_module_from_wat(
    engine: *const wasihost_engine_t,
    wat: *const u8,
    len: usize,
    module_out: *mut *mut wasihost_module_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let engine = unsafe { arg_ref(engine, "engine") }?;
        let wat = unsafe { arg_str(wat, len, "wat") }?;
        let out = unsafe { arg_mut(module_out, "module_out") }?;
        let module = Module::from_wat(&engine.engine, wat)?;
        write_out(out, new_module(module));
        Ok(())
    })
}

/// Compiles the module (binary or WAT) in the host file at `path`
/// (`path_len` bytes, no NUL terminator needed). A missing file gives an
/// error of kind `WASIHOST_ERROR_KIND_IO` with errno 44 (`noent`); an
/// empty path, or one holding a NUL byte, `WASIHOST_ERROR_KIND_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_module_from_file(
    engine: *const wasihost_engine_t,
    path: *const u8,
    path_len: usize,
    module_out: *mut *mut wasihost_module_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let engine = unsafe { arg_ref(engine, "engine") }?;
        let path = path_arg(path, path_len, "path")?;
        let out = unsafe { arg_mut(module_out, "module_out") }?;
        let module = Module::from_file(&engine.engine, path)?;
        write_out(out, new_module(module));
        Ok(())
    })
}

/// `wasihost_module_from_file` with `path` a NUL-terminated string.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_module_from_file_str(
    engine: *const wasihost_engine_t,
    path: *const std::ffi::c_char,
    module_out: *mut *mut wasihost_module_t,
) -> *mut wasihost_error_t {
    super::with_cstrs([(path, "path")], |[p]| {
        wasihost_module_from_file(engine, p.as_ptr(), p.len(), module_out)
    })
}

/// Loads a module through the compiled-module cache in `cache_dir`
/// (`cache_dir_len` bytes; NULL selects the default directory:
/// `$WASIHOST_CACHE_DIR`, else `$XDG_CACHE_HOME/wasihost`, else
/// `$HOME/.cache/wasihost`). The same as `wasihost_module_new_cached_flags`
/// with flags 0.
///
/// Entries are keyed by the SHA-256 of `bytes` and of the engine's
/// settings. A valid entry is loaded without compiling; a missing, corrupt
/// or stale one is (re)compiled and stored. Cache trouble does not fail
/// the call: it is reported in `*status_out` (may be NULL), one of the
/// `WASIHOST_CACHE_*` values; with a NULL `cache_dir` and no default
/// directory (none of the three variables set), the module is compiled
/// and the status is `WASIHOST_CACHE_NOT_STORED`.
///
/// The entries are machine code, so the directory must be private. What
/// the cache creates is: the directory and missing parents get mode 0700,
/// entries 0600, whatever the umask. An existing directory that its group
/// or everyone may write (a sticky `/tmp`-style one included), or that is
/// owned by another user than the effective uid (or root), is refused:
/// an error of kind `WASIHOST_ERROR_KIND_IO` with errno 63 (`perm`) whose
/// message names the directory, its mode and owner, and the fix. The
/// check is made on the directory a symlink leads to, through the
/// descriptor every entry is then read and written by.
/// `WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR` accepts such a directory.
///
/// Errors: invalid wasm, invalid arguments, and a refused directory.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_module_new_cached(
    engine: *const wasihost_engine_t,
    bytes: *const u8,
    len: usize,
    cache_dir: *const u8,
    cache_dir_len: usize,
    status_out: *mut wasihost_cache_status_t,
    module_out: *mut *mut wasihost_module_t,
) -> *mut wasihost_error_t {
    wasihost_module_new_cached_flags(
        engine,
        bytes,
        len,
        cache_dir,
        cache_dir_len,
        0,
        status_out,
        module_out,
    )
}

/// `wasihost_module_new_cached` with `flags`: 0, or
/// `WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR` to use an existing cache
/// directory that others may write or another user owns. Unknown flag bits
/// are `WASIHOST_ERROR_KIND_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn wasihost_module_new_cached_flags(
    engine: *const wasihost_engine_t,
    bytes: *const u8,
    len: usize,
    cache_dir: *const u8,
    cache_dir_len: usize,
    flags: wasihost_cache_flags_t,
    status_out: *mut wasihost_cache_status_t,
    module_out: *mut *mut wasihost_module_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let engine = unsafe { arg_ref(engine, "engine") }?;
        let bytes = unsafe { arg_bytes(bytes, len, "bytes") }?;
        let out = unsafe { arg_mut(module_out, "module_out") }?;
        if flags & !WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR != 0 {
            return Err(FfiError::invalid(format!("unknown cache flags {flags:#x}")));
        }
        let dir = if cache_dir.is_null() {
            ModuleCache::default_dir()
        } else {
            // Empty is refused too: not "the current directory", so a
            // cache of machine code is never written anywhere by accident.
            Some(path_arg(cache_dir, cache_dir_len, "cache_dir")?)
        };
        let (module, status) = match dir {
            Some(dir) => ModuleCache::new(dir)
                .allow_shared_dir(flags & WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR != 0)
                .load(&engine.engine, bytes)?,
            // No default directory (none of the variables is set): the
            // module is compiled, and the status says it was not stored.
            None => (Module::new(&engine.engine, bytes)?, CacheStatus::NotStored),
        };
        // SAFETY: NULL or writable, by the contract.
        if let Some(s) = unsafe { status_out.as_mut() } {
            *s = super::cache::status_code(status);
        }
        write_out(out, new_module(module));
        Ok(())
    })
}

/// The compiled form of `module`, for `wasihost_module_deserialize` with an
/// engine of the same settings and library version. On success writes the
/// bytes to `*bytes_out`; free them with `wasihost_bytes_delete`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_module_serialize(
    module: *const wasihost_module_t,
    bytes_out: *mut wasihost_bytes_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let module = unsafe { arg_ref(module, "module") }?;
        let out = unsafe { arg_mut(bytes_out, "bytes_out") }?;
        let bytes = module.module.serialize()?.into_boxed_slice();
        let len = bytes.len();
        let data = if len == 0 {
            std::ptr::null_mut()
        } else {
            Box::into_raw(bytes).cast::<u8>()
        };
        write_out(out, wasihost_bytes_t { data, len });
        Ok(())
    })
}

/// A module from the output of `wasihost_module_serialize`. The bytes are
/// checked (header, engine settings, library version, checksum) before
/// any of them is used: anything else, or a changed byte, gives an error
/// of kind `WASIHOST_ERROR_KIND_MODULE`, never code that runs. Still, load
/// only bytes that only trusted users could have written.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_module_deserialize(
    engine: *const wasihost_engine_t,
    bytes: *const u8,
    len: usize,
    module_out: *mut *mut wasihost_module_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let engine = unsafe { arg_ref(engine, "engine") }?;
        let bytes = unsafe { arg_bytes(bytes, len, "bytes") }?;
        let out = unsafe { arg_mut(module_out, "module_out") }?;
        let module = Module::deserialize(&engine.engine, bytes)?;
        write_out(out, new_module(module));
        Ok(())
    })
}

/// Whether the module exports a function named `name` (`name_len` bytes).
/// False when an argument is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_module_has_export(
    module: *const wasihost_module_t,
    name: *const u8,
    name_len: usize,
) -> bool {
    guard_or(false, || {
        // SAFETY: NULL or live pointers, by the contract.
        let (Ok(module), Ok(name)) = (unsafe { arg_ref(module, "module") }, unsafe {
            arg_str(name, name_len, "name")
        }) else {
            return false;
        };
        matches!(
            module.module.wasmtime().get_export(name),
            Some(wasmtime::ExternType::Func(_))
        )
    })
}

/// The type of the exported function `name` (`name_len` bytes): its
/// parameter kinds go to `params` (room for `params_cap`), its result kinds
/// to `results` (room for `results_cap`), as `WASIHOST_VAL_*` values, and
/// their counts to `*nparams_out` and `*nresults_out`, which are written
/// even when the arrays are too small (call once with caps of 0 to size
/// them; `params` and `results` may then be NULL). Errors: no function
/// export of that name (kind `WASIHOST_ERROR_KIND_LINK`, naming it), or a
/// parameter or result that is not i32, i64, f32 or f64 (kind
/// `WASIHOST_ERROR_KIND_LINK`, naming the type: such a function cannot be
/// called through `wasihost_instance_call`).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_module_export_func_type(
    module: *const wasihost_module_t,
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
        // SAFETY: NULL or a live module, by the contract.
        let module = unsafe { arg_ref(module, "module") }?;
        // SAFETY: the other pointers are as `export_func_type` needs, by
        // this function's contract (the same as that one's).
        unsafe {
            export_func_type(
                module.module.wasmtime(),
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

/// `wasihost_module_export_func_type` and
/// `wasihost_instance_export_func_type` over a wasmtime module.
///
/// # Safety
/// `name` is NULL or `name_len` readable bytes; `params` and `results` are
/// NULL or their caps' writable elements; the two counts are NULL or
/// writable.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn export_func_type(
    module: &wasmtime::Module,
    name: *const u8,
    name_len: usize,
    params: *mut wasihost_valkind_t,
    params_cap: usize,
    nparams_out: *mut usize,
    results: *mut wasihost_valkind_t,
    results_cap: usize,
    nresults_out: *mut usize,
) -> Result<(), FfiError> {
    // SAFETY: NULL or live pointers, by this function's contract.
    let name = unsafe { arg_str(name, name_len, "name") }?;
    let nparams_out = unsafe { arg_mut(nparams_out, "nparams_out") }?;
    let nresults_out = unsafe { arg_mut(nresults_out, "nresults_out") }?;
    let ty = match module.get_export(name) {
        Some(wasmtime::ExternType::Func(f)) => f,
        _ => {
            return Err(FfiError::from(crate::Error::new(
                crate::ErrorKind::Link,
                format!("the module exports no function named {name:?}"),
            )));
        }
    };
    let kinds = |types: &mut dyn Iterator<Item = wasmtime::ValType>| {
        types
            .map(|t| valkind_of(&t, name))
            .collect::<Result<Vec<_>, FfiError>>()
    };
    let p = kinds(&mut ty.params())?;
    let r = kinds(&mut ty.results())?;
    // SAFETY: NULL or `cap` writable elements, by this function's contract.
    unsafe {
        copy_kinds(&p, params, params_cap, "params")?;
        copy_kinds(&r, results, results_cap, "results")?;
    }
    write_out(nparams_out, p.len());
    write_out(nresults_out, r.len());
    Ok(())
}

/// The `WASIHOST_VAL_*` kind of a wasm value type, or an error naming the
/// type for one the C API cannot pass.
fn valkind_of(t: &wasmtime::ValType, export: &str) -> Result<wasihost_valkind_t, FfiError> {
    Ok(match t {
        wasmtime::ValType::I32 => WASIHOST_VAL_I32,
        wasmtime::ValType::I64 => WASIHOST_VAL_I64,
        wasmtime::ValType::F32 => WASIHOST_VAL_F32,
        wasmtime::ValType::F64 => WASIHOST_VAL_F64,
        other => {
            return Err(FfiError::from(crate::Error::new(
                crate::ErrorKind::Link,
                format!(
                    "export {export:?} takes or returns a {other}, which the C API does not \
                     pass (only i32, i64, f32 and f64)"
                ),
            )));
        }
    })
}

/// Copies `kinds` to `out` when it has room for all of them.
///
/// # Safety
/// `out` is NULL or points to `cap` writable elements.
unsafe fn copy_kinds(
    kinds: &[wasihost_valkind_t],
    out: *mut wasihost_valkind_t,
    cap: usize,
    what: &str,
) -> Result<(), FfiError> {
    if kinds.is_empty() || cap < kinds.len() {
        return Ok(());
    }
    if out.is_null() {
        return Err(FfiError::null(what));
    }
    // SAFETY: out has cap >= kinds.len() writable elements (contract).
    unsafe { std::ptr::copy_nonoverlapping(kinds.as_ptr(), out, kinds.len()) };
    Ok(())
}

/// Frees bytes from `wasihost_module_serialize` and sets the struct to
/// `{NULL, 0}`. NULL, or a struct already `{NULL, 0}`, is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_bytes_delete(bytes: *mut wasihost_bytes_t) {
    guard_or((), || {
        // SAFETY: NULL or a live struct, by the contract.
        let Some(b) = (unsafe { bytes.as_mut() }) else {
            return;
        };
        if !b.data.is_null() {
            // SAFETY: data and len came from `Box<[u8]>::into_raw` in
            // `wasihost_module_serialize`, unchanged, and are freed once
            // (the struct is cleared below).
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(b.data, b.len)) });
        }
        b.data = std::ptr::null_mut();
        b.len = 0;
    })
}

/// Frees a module. Instances made from it stay valid. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_module_delete(module: *mut wasihost_module_t) {
    guard_or((), || {
        if !module.is_null() {
            // SAFETY: a non-NULL module came from this file (a Box) and is
            // deleted once, by the contract.
            drop(unsafe { Box::from_raw(module) });
        }
    })
}
