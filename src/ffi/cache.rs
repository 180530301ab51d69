//! `wasihost_cache_t`: a compiled-module cache directory, with its size
//! limit; loads modules from bytes or files, reports its disk usage, and
//! clears it.
//!
//! Thread rules: a cache handle is immutable once configured; loads may
//! run from any number of threads (and processes) at once. Set its
//! options before sharing it.

use super::module::{
    WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR, WASIHOST_CACHE_HIT, WASIHOST_CACHE_MISS,
    WASIHOST_CACHE_NOT_STORED, WASIHOST_CACHE_REBUILT, wasihost_cache_flags_t,
    wasihost_cache_status_t, wasihost_module_t,
};
use super::{
    FfiError, arg_bytes, arg_mut, arg_ref, guard, guard_or, path_arg, wasihost_engine_t,
    wasihost_error_t, write_out,
};
use crate::cache::{CacheStatus, ModuleCache};
use crate::run::Module;

/// A compiled-module cache: a directory and its options.
#[allow(non_camel_case_types)]
pub struct wasihost_cache_t {
    cache: ModuleCache,
}

/// `wasihost_cache_set_max_size`'s value for a cache without a size limit.
pub const WASIHOST_CACHE_UNBOUNDED: u64 = u64::MAX;

/// The default size limit of a cache: 1 GiB.
pub const WASIHOST_CACHE_DEFAULT_MAX_SIZE: u64 = 1_073_741_824;
const _: () = assert!(WASIHOST_CACHE_DEFAULT_MAX_SIZE == ModuleCache::DEFAULT_MAX_SIZE);

/// The C value of a cache status.
pub(crate) fn status_code(status: CacheStatus) -> wasihost_cache_status_t {
    match status {
        CacheStatus::Hit => WASIHOST_CACHE_HIT,
        CacheStatus::Miss => WASIHOST_CACHE_MISS,
        CacheStatus::Rebuilt => WASIHOST_CACHE_REBUILT,
        CacheStatus::NotStored => WASIHOST_CACHE_NOT_STORED,
    }
}

/// A cache handle for the directory `dir` (`dir_len` bytes; NULL selects
/// the default directory: `$WASIHOST_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/wasihost`, else `$HOME/.cache/wasihost`, and is an
/// error of kind `WASIHOST_ERROR_KIND_INVALID_ARGUMENT` when none of these
/// is set). Nothing is created or checked yet: the directory is created
/// (mode 0700) and checked by the first load. The size limit starts at
/// `WASIHOST_CACHE_DEFAULT_MAX_SIZE`. Free it with `wasihost_cache_delete`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_cache_new(
    dir: *const u8,
    dir_len: usize,
    cache_out: *mut *mut wasihost_cache_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or a live pointer, by the contract.
        let out = unsafe { arg_mut(cache_out, "cache_out") }?;
        let dir = if dir.is_null() {
            ModuleCache::default_dir().ok_or_else(|| {
                FfiError::invalid(
                    "no default cache directory: none of WASIHOST_CACHE_DIR, XDG_CACHE_HOME \
                     and HOME is set"
                        .to_string(),
                )
            })?
        } else {
            path_arg(dir, dir_len, "dir")?
        };
        write_out(
            out,
            Box::into_raw(Box::new(wasihost_cache_t {
                cache: ModuleCache::new(dir),
            })),
        );
        Ok(())
    })
}

/// Frees a cache handle (the directory and its entries stay). NULL is a
/// no-op.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_cache_delete(cache: *mut wasihost_cache_t) {
    guard_or((), || {
        if !cache.is_null() {
            // SAFETY: a handle from `wasihost_cache_new`, freed once, by
            // the contract.
            drop(unsafe { Box::from_raw(cache) });
        }
    })
}

/// Bounds the cache to `max_bytes` of disk: after each store, entries are
/// deleted, least recently used first, until the cache's files take at
/// most that much (the entry just stored is kept even when it alone is
/// larger). `WASIHOST_CACHE_UNBOUNDED` removes the limit.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_cache_set_max_size(
    cache: *mut wasihost_cache_t,
    max_bytes: u64,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or a live handle, by the contract.
        let c = unsafe { arg_mut(cache, "cache") }?;
        let limit = (max_bytes != WASIHOST_CACHE_UNBOUNDED).then_some(max_bytes);
        c.cache = c.cache.clone().max_size(limit);
        Ok(())
    })
}

/// Sets the cache's flags: 0, or `WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR`
/// (see `wasihost_module_new_cached_flags`). Unknown bits are
/// `WASIHOST_ERROR_KIND_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_cache_set_flags(
    cache: *mut wasihost_cache_t,
    flags: wasihost_cache_flags_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or a live handle, by the contract.
        let c = unsafe { arg_mut(cache, "cache") }?;
        if flags & !WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR != 0 {
            return Err(FfiError::invalid(format!("unknown cache flags {flags:#x}")));
        }
        c.cache = c
            .cache
            .clone()
            .allow_shared_dir(flags & WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR != 0);
        Ok(())
    })
}

/// Writes the outcome of a load.
fn finish(
    loaded: (Module, CacheStatus),
    status_out: *mut wasihost_cache_status_t,
    out: &mut *mut wasihost_module_t,
) {
    // SAFETY: NULL or writable, by the contract of the callers.
    if let Some(s) = unsafe { status_out.as_mut() } {
        *s = status_code(loaded.1);
    }
    write_out(out, super::module::new_module(loaded.0));
}

/// Loads the module in `bytes` (`len` bytes, binary or WAT) through the
/// cache, as `wasihost_module_new_cached` does: `*status_out` (may be
/// NULL) gets a `WASIHOST_CACHE_*` value; errors are invalid wasm,
/// invalid arguments and a refused directory.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_cache_load(
    cache: *const wasihost_cache_t,
    engine: *const wasihost_engine_t,
    bytes: *const u8,
    len: usize,
    status_out: *mut wasihost_cache_status_t,
    module_out: *mut *mut wasihost_module_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let c = unsafe { arg_ref(cache, "cache") }?;
        let engine = unsafe { arg_ref(engine, "engine") }?;
        let bytes = unsafe { arg_bytes(bytes, len, "bytes") }?;
        let out = unsafe { arg_mut(module_out, "module_out") }?;
        finish(c.cache.load(&engine.engine, bytes)?, status_out, out);
        Ok(())
    })
}

/// Loads the module in the file `path` (`path_len` bytes; binary or WAT)
/// through the cache. The cache remembers the SHA-256 of a file against
/// its device, inode, size, mtime and ctime, so a hit for a file seen
/// before and unchanged since neither reads nor hashes it: the fast way to
/// start a large module. A file that cannot be read is an error of kind
/// `WASIHOST_ERROR_KIND_IO` naming it; the rest is as for
/// `wasihost_cache_load`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_cache_load_file(
    cache: *const wasihost_cache_t,
    engine: *const wasihost_engine_t,
    path: *const u8,
    path_len: usize,
    status_out: *mut wasihost_cache_status_t,
    module_out: *mut *mut wasihost_module_t,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let c = unsafe { arg_ref(cache, "cache") }?;
        let engine = unsafe { arg_ref(engine, "engine") }?;
        let path = path_arg(path, path_len, "path")?;
        let out = unsafe { arg_mut(module_out, "module_out") }?;
        finish(c.cache.load_file(&engine.engine, path)?, status_out, out);
        Ok(())
    })
}

/// Writes to `*bytes_out` how many bytes of disk the cache's files take
/// (0 when the directory does not exist). Files in the directory that are
/// not the cache's are not counted.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_cache_disk_usage(
    cache: *const wasihost_cache_t,
    bytes_out: *mut u64,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or live pointers, by the contract.
        let c = unsafe { arg_ref(cache, "cache") }?;
        let out = unsafe { arg_mut(bytes_out, "bytes_out") }?;
        write_out(out, c.cache.disk_usage()?);
        Ok(())
    })
}

/// Deletes every file of the cache, and writes how many bytes of disk they
/// took to `*freed_out` (may be NULL). Files in the directory that are not
/// the cache's are left alone; modules already loaded, in this or another
/// process, stay valid. A directory that others may write is refused as
/// for a load (unless `WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR`).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_cache_clear(
    cache: *const wasihost_cache_t,
    freed_out: *mut u64,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or a live handle, by the contract.
        let c = unsafe { arg_ref(cache, "cache") }?;
        let freed = c.cache.clear()?;
        // SAFETY: NULL or writable, by the contract.
        if let Some(out) = unsafe { freed_out.as_mut() } {
            *out = freed;
        }
        Ok(())
    })
}
