//! The glue between wasmtime and a [`NativeWasiImports`] implementation.
//!
//! [`add_to_linker`] defines every import of `wasi_snapshot_preview1` (the
//! 45 functions of the trait, plus `sock_accept`) on a [`wasmtime::Linker`].
//! Each import:
//!
//! 1. borrows the calling instance's linear memory (resolved once per store
//!    and cached, see [`WasiView::memory_cache`]);
//! 2. checks every out-pointer of the call *before* running it, so a bad
//!    result pointer gives [`errno::fault`] / [`errno::inval`] without side
//!    effects (no input consumed, no byte written and then lost);
//! 3. narrows integer arguments to their witx types (a flags argument with
//!    bits beyond its type gives [`errno::inval`]);
//! 4. calls the trait method with a [`Ctx`] over the memory;
//! 5. writes the results through the out-pointers only on success, and
//!    returns the errno.
//!
//! `proc_exit` ends the guest with a [`ProcExit`] error carrying the code:
//! the host process never exits. A panic inside a trait method becomes a
//! trap of the guest ([`HostPanic`]), never an unwind through the host.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::limits::{Cancel, Limiter, Limits};
use std::sync::Arc;
use wasmtime::{Caller, Extern, Linker, Memory};

use super::memory::{Ctx, GuestType, WasmSlicePtr};
use super::native::NativeWasiImports;
use super::types::*;

/// The import module name of WASI snapshot preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Store data that carries a WASI implementation.
///
/// Implement this for your store's data type to link WASI into a store that
/// holds more than WASI state; [`WasiState`] is a ready-made one.
pub trait WasiView: 'static {
    /// The WASI implementation.
    type Imports: NativeWasiImports;

    /// The WASI implementation serving this store.
    fn imports(&self) -> &Self::Imports;

    /// A slot where the glue caches the guest's exported `memory`, so that a
    /// call does not look the export up by name each time (that costs about
    /// 50 ns). It must start as `None`. The cache assumes one WASI module
    /// instance per store, as with a process; link a second WASI instance
    /// into its own store.
    fn memory_cache(&mut self) -> &mut Option<Memory>;

    /// The cancel token of the instance, which the host's blocking waits
    /// wake on (see [`Ctx::cancel`]); `None` (the default) when it cannot
    /// be interrupted.
    #[inline]
    fn cancel(&self) -> Option<&Cancel> {
        None
    }
}

/// Ready-made store data: a WASI implementation and the memory cache.
pub struct WasiState<T> {
    imports: T,
    memory: Option<Memory>,
    cancel: Option<Arc<Cancel>>,
    pub(crate) limiter: Limiter,
}

impl<T: NativeWasiImports> WasiState<T> {
    /// Store data serving `imports`.
    pub fn new(imports: T) -> Self {
        WasiState {
            imports,
            memory: None,
            cancel: None,
            limiter: Limiter::unlimited(),
        }
    }

    /// Store data for an instance under `limits`, stopped through `cancel`.
    pub(crate) fn limited(imports: T, limits: &Limits, cancel: Option<Arc<Cancel>>) -> Self {
        WasiState {
            imports,
            memory: None,
            cancel,
            limiter: Limiter::new(limits),
        }
    }

    /// The WASI implementation.
    pub fn imports(&self) -> &T {
        &self.imports
    }

    /// Gives the WASI implementation back.
    pub fn into_imports(self) -> T {
        self.imports
    }
}

impl<T: NativeWasiImports> WasiView for WasiState<T> {
    type Imports = T;
    #[inline]
    fn imports(&self) -> &T {
        &self.imports
    }
    #[inline]
    fn memory_cache(&mut self) -> &mut Option<Memory> {
        &mut self.memory
    }
    #[inline]
    fn cancel(&self) -> Option<&Cancel> {
        self.cancel.as_deref()
    }
}

/// The error a guest's `proc_exit` ends its run with; it carries the exit
/// code. Find it with `error.downcast_ref::<ProcExit>()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcExit(pub exitcode);

impl std::fmt::Display for ProcExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "guest called proc_exit({})", self.0)
    }
}

impl std::error::Error for ProcExit {}

/// The trap a guest ends with when a WASI method of the host panicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPanic {
    /// The WASI function whose implementation panicked.
    pub function: &'static str,
    /// The panic message, when it was a string.
    pub message: String,
}

impl std::fmt::Display for HostPanic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "host implementation of {} panicked: {}",
            self.function, self.message
        )
    }
}

impl std::error::Error for HostPanic {}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Runs `f` with the WASI implementation and a [`Ctx`] over the caller's
/// memory. A module without an exported memory gets an empty one, so calls
/// that take no pointer (`proc_exit`, `sched_yield`) still work and the rest
/// fail with [`errno::fault`].
#[inline(always)]
fn with_ctx<U: WasiView, R>(
    caller: &mut Caller<'_, U>,
    function: &'static str,
    f: impl FnOnce(&U::Imports, &mut Ctx) -> R,
) -> wasmtime::Result<R> {
    let memory = match *caller.data_mut().memory_cache() {
        Some(m) => Some(m),
        None => match caller.get_export("memory") {
            Some(Extern::Memory(m)) => {
                *caller.data_mut().memory_cache() = Some(m);
                Some(m)
            }
            Some(Extern::SharedMemory(m)) => return with_shared(caller, &m, function, f),
            _ => None,
        },
    };
    let (bytes, data): (&mut [u8], &mut U) = match memory {
        Some(m) => m.data_and_store_mut(caller),
        None => (&mut [], caller.data_mut()),
    };
    let data: &U = data;
    let cancel = data.cancel();
    let r = call(
        data.imports(),
        &mut Ctx::with_cancel(bytes, cancel),
        function,
        f,
    );
    stopped(cancel, r)
}

/// [`with_ctx`] for a module that defines and exports a shared memory (the
/// threads proposal; `-matomics -Wl,--shared-memory`). It is looked up on
/// every call: the cache holds a `Memory`, and the lookup is ~50 ns.
#[cold]
fn with_shared<U: WasiView, R>(
    caller: &mut Caller<'_, U>,
    memory: &wasmtime::SharedMemory,
    function: &'static str,
    f: impl FnOnce(&U::Imports, &mut Ctx) -> R,
) -> wasmtime::Result<R> {
    let cells = memory.data();
    // SAFETY: the base pointer of a shared memory never changes and `cells`
    // stays valid while `memory` lives (this call). The only code that can
    // touch the memory is wasm of this store, which is suspended in this
    // host call on this thread: WASI preview1 cannot start threads, and no
    // part of this crate hands the memory to another thread. An embedder
    // that does (through `Instance::wasmtime`) must not run wasm on the
    // same memory from another thread during a WASI call.
    let bytes = unsafe { std::slice::from_raw_parts_mut(cells.as_ptr() as *mut u8, cells.len()) };
    let data = caller.data();
    let cancel = data.cancel();
    let r = call(
        data.imports(),
        &mut Ctx::with_cancel(bytes, cancel),
        function,
        f,
    );
    stopped(cancel, r)
}

/// Ends the guest as soon as a host call returns when the instance was
/// interrupted or timed out meanwhile (a wait the host cut short returns
/// some errno, which the guest must not get to act on).
#[inline(always)]
fn stopped<R>(cancel: Option<&Cancel>, r: wasmtime::Result<R>) -> wasmtime::Result<R> {
    match cancel.and_then(Cancel::stop_error) {
        Some(e) => Err(e),
        None => r,
    }
}

/// Calls `f`, turning a panic into a [`HostPanic`] trap.
#[inline(always)]
fn call<I, R>(
    imports: &I,
    ctx: &mut Ctx,
    function: &'static str,
    f: impl FnOnce(&I, &mut Ctx) -> R,
) -> wasmtime::Result<R> {
    catch_unwind(AssertUnwindSafe(|| f(imports, ctx))).map_err(|payload| {
        wasmtime::Error::new(HostPanic {
            function,
            message: panic_message(&*payload),
        })
    })
}

#[inline(always)]
fn ptr<T>(offset: i32) -> WasmSlicePtr<T> {
    WasmSlicePtr::new(offset as u32)
}

#[inline(always)]
fn code(e: errno) -> i32 {
    e.raw() as i32
}

/// Checks that an out-pointer can take a `T`.
#[inline(always)]
fn out_ok<T: GuestType>(ctx: &Ctx, out: WasmSlicePtr<T>) -> Result<(), errno> {
    ctx.check_array(out, 1)
}

/// Writes one result (already checked) when the call succeeded.
#[inline(always)]
fn finish1<A: GuestType>(ctx: &mut Ctx, e: errno, out: WasmSlicePtr<A>, a: A) -> i32 {
    if e == errno::success
        && let Err(err) = ctx.write(out, a)
    {
        return code(err);
    }
    code(e)
}

/// Writes two results (already checked) when the call succeeded.
#[inline(always)]
fn finish2<A: GuestType, B: GuestType>(
    ctx: &mut Ctx,
    e: errno,
    out_a: WasmSlicePtr<A>,
    a: A,
    out_b: WasmSlicePtr<B>,
    b: B,
) -> i32 {
    if e == errno::success
        && let Err(err) = ctx.write(out_a, a).and_then(|_| ctx.write(out_b, b))
    {
        return code(err);
    }
    code(e)
}

/// Narrows an i32 argument to a 16-bit flags type; `None` when bits beyond
/// 16 are set.
#[inline(always)]
fn u16_arg(v: i32) -> Option<u16> {
    u16::try_from(v as u32).ok()
}

#[inline(always)]
fn u8_arg(v: i32) -> Option<u8> {
    u8::try_from(v as u32).ok()
}

/// Early return of an errno from inside a `with_ctx` closure.
macro_rules! check {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return code(e),
        }
    };
}

macro_rules! narrow {
    ($f:ident($v:expr)) => {
        match $f($v) {
            Some(v) => v,
            None => return code(errno::inval),
        }
    };
}

/// Defines every `wasi_snapshot_preview1` import on `linker`, served by the
/// store data's [`WasiView::imports`].
pub fn add_to_linker<U: WasiView>(linker: &mut Linker<U>) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "args_get",
        |mut c: Caller<'_, U>, argv: i32, argv_buf: i32| {
            with_ctx(&mut c, "args_get", |imp, ctx| {
                code(imp.args_get(ctx, ptr(argv), ptr(argv_buf)))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "args_sizes_get",
        |mut c: Caller<'_, U>, argc: i32, buf_size: i32| {
            with_ctx(&mut c, "args_sizes_get", |imp, ctx| {
                let (pa, pb) = (ptr::<size>(argc), ptr::<size>(buf_size));
                check!(out_ok(ctx, pa).and_then(|_| out_ok(ctx, pb)));
                let (e, a, b) = imp.args_sizes_get(ctx);
                finish2(ctx, e, pa, a, pb, b)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "environ_get",
        |mut c: Caller<'_, U>, environ: i32, environ_buf: i32| {
            with_ctx(&mut c, "environ_get", |imp, ctx| {
                code(imp.environ_get(ctx, ptr(environ), ptr(environ_buf)))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "environ_sizes_get",
        |mut c: Caller<'_, U>, count: i32, buf_size: i32| {
            with_ctx(&mut c, "environ_sizes_get", |imp, ctx| {
                let (pa, pb) = (ptr::<size>(count), ptr::<size>(buf_size));
                check!(out_ok(ctx, pa).and_then(|_| out_ok(ctx, pb)));
                let (e, a, b) = imp.environ_sizes_get(ctx);
                finish2(ctx, e, pa, a, pb, b)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "clock_res_get",
        |mut c: Caller<'_, U>, id: i32, out: i32| {
            with_ctx(&mut c, "clock_res_get", |imp, ctx| {
                let out = ptr::<timestamp>(out);
                check!(out_ok(ctx, out));
                let (e, t) = imp.clock_res_get(ctx, clockid::from_raw(id as u32));
                finish1(ctx, e, out, t)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "clock_time_get",
        |mut c: Caller<'_, U>, id: i32, precision: i64, out: i32| {
            with_ctx(&mut c, "clock_time_get", |imp, ctx| {
                let out = ptr::<timestamp>(out);
                check!(out_ok(ctx, out));
                let (e, t) =
                    imp.clock_time_get(ctx, clockid::from_raw(id as u32), precision as u64);
                finish1(ctx, e, out, t)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_advise",
        |mut c: Caller<'_, U>, fd: i32, offset: i64, len: i64, adv: i32| {
            with_ctx(&mut c, "fd_advise", |imp, ctx| {
                let adv = narrow!(u8_arg(adv));
                code(imp.fd_advise(
                    ctx,
                    fd as u32,
                    offset as u64,
                    len as u64,
                    advice::from_raw(adv),
                ))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_allocate",
        |mut c: Caller<'_, U>, fd: i32, offset: i64, len: i64| {
            with_ctx(&mut c, "fd_allocate", |imp, ctx| {
                code(imp.fd_allocate(ctx, fd as u32, offset as u64, len as u64))
            })
        },
    )?;
    linker.func_wrap(MODULE, "fd_close", |mut c: Caller<'_, U>, fd: i32| {
        with_ctx(&mut c, "fd_close", |imp, ctx| {
            code(imp.fd_close(ctx, fd as u32))
        })
    })?;
    linker.func_wrap(MODULE, "fd_datasync", |mut c: Caller<'_, U>, fd: i32| {
        with_ctx(&mut c, "fd_datasync", |imp, ctx| {
            code(imp.fd_datasync(ctx, fd as u32))
        })
    })?;
    linker.func_wrap(
        MODULE,
        "fd_fdstat_get",
        |mut c: Caller<'_, U>, fd: i32, out: i32| {
            with_ctx(&mut c, "fd_fdstat_get", |imp, ctx| {
                let out = ptr::<fdstat>(out);
                check!(out_ok(ctx, out));
                let (e, st) = imp.fd_fdstat_get(ctx, fd as u32);
                finish1(ctx, e, out, st)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_fdstat_set_flags",
        |mut c: Caller<'_, U>, fd: i32, flags: i32| {
            with_ctx(&mut c, "fd_fdstat_set_flags", |imp, ctx| {
                let flags = narrow!(u16_arg(flags));
                code(imp.fd_fdstat_set_flags(ctx, fd as u32, fdflags::from_raw(flags)))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_fdstat_set_rights",
        |mut c: Caller<'_, U>, fd: i32, base: i64, inheriting: i64| {
            with_ctx(&mut c, "fd_fdstat_set_rights", |imp, ctx| {
                code(imp.fd_fdstat_set_rights(
                    ctx,
                    fd as u32,
                    rights::from_raw(base as u64),
                    rights::from_raw(inheriting as u64),
                ))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_get",
        |mut c: Caller<'_, U>, fd: i32, out: i32| {
            with_ctx(&mut c, "fd_filestat_get", |imp, ctx| {
                let out = ptr::<filestat>(out);
                check!(out_ok(ctx, out));
                let (e, st) = imp.fd_filestat_get(ctx, fd as u32);
                finish1(ctx, e, out, st)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_set_size",
        |mut c: Caller<'_, U>, fd: i32, new_size: i64| {
            with_ctx(&mut c, "fd_filestat_set_size", |imp, ctx| {
                code(imp.fd_filestat_set_size(ctx, fd as u32, new_size as u64))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_filestat_set_times",
        |mut c: Caller<'_, U>, fd: i32, atim: i64, mtim: i64, flags: i32| {
            with_ctx(&mut c, "fd_filestat_set_times", |imp, ctx| {
                let flags = narrow!(u16_arg(flags));
                code(imp.fd_filestat_set_times(
                    ctx,
                    fd as u32,
                    atim as u64,
                    mtim as u64,
                    fstflags::from_raw(flags),
                ))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_pread",
        |mut c: Caller<'_, U>, fd: i32, iovs: i32, iovs_len: i32, offset: i64, out: i32| {
            with_ctx(&mut c, "fd_pread", |imp, ctx| {
                let out = ptr::<size>(out);
                check!(out_ok(ctx, out));
                let (e, n) =
                    imp.fd_pread(ctx, fd as u32, ptr(iovs), iovs_len as u32, offset as u64);
                finish1(ctx, e, out, n)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_get",
        |mut c: Caller<'_, U>, fd: i32, out: i32| {
            with_ctx(&mut c, "fd_prestat_get", |imp, ctx| {
                let out = ptr::<prestat>(out);
                check!(out_ok(ctx, out));
                let (e, st) = imp.fd_prestat_get(ctx, fd as u32);
                finish1(ctx, e, out, st)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_prestat_dir_name",
        |mut c: Caller<'_, U>, fd: i32, path: i32, path_len: i32| {
            with_ctx(&mut c, "fd_prestat_dir_name", |imp, ctx| {
                code(imp.fd_prestat_dir_name(ctx, fd as u32, ptr(path), path_len as u32))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_pwrite",
        |mut c: Caller<'_, U>, fd: i32, iovs: i32, iovs_len: i32, offset: i64, out: i32| {
            with_ctx(&mut c, "fd_pwrite", |imp, ctx| {
                let out = ptr::<size>(out);
                check!(out_ok(ctx, out));
                let (e, n) =
                    imp.fd_pwrite(ctx, fd as u32, ptr(iovs), iovs_len as u32, offset as u64);
                finish1(ctx, e, out, n)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_read",
        |mut c: Caller<'_, U>, fd: i32, iovs: i32, iovs_len: i32, out: i32| {
            with_ctx(&mut c, "fd_read", |imp, ctx| {
                let out = ptr::<size>(out);
                check!(out_ok(ctx, out));
                let (e, n) = imp.fd_read(ctx, fd as u32, ptr(iovs), iovs_len as u32);
                finish1(ctx, e, out, n)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_readdir",
        |mut c: Caller<'_, U>, fd: i32, buf: i32, buf_len: i32, cookie: i64, out: i32| {
            with_ctx(&mut c, "fd_readdir", |imp, ctx| {
                let out = ptr::<size>(out);
                check!(out_ok(ctx, out));
                let (e, n) =
                    imp.fd_readdir(ctx, fd as u32, ptr(buf), buf_len as u32, cookie as u64);
                finish1(ctx, e, out, n)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_renumber",
        |mut c: Caller<'_, U>, fd: i32, to: i32| {
            with_ctx(&mut c, "fd_renumber", |imp, ctx| {
                code(imp.fd_renumber(ctx, fd as u32, to as u32))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_seek",
        |mut c: Caller<'_, U>, fd: i32, offset: i64, wh: i32, out: i32| {
            with_ctx(&mut c, "fd_seek", |imp, ctx| {
                let out = ptr::<filesize>(out);
                check!(out_ok(ctx, out));
                let wh = narrow!(u8_arg(wh));
                let (e, pos) = imp.fd_seek(ctx, fd as u32, offset, whence::from_raw(wh));
                finish1(ctx, e, out, pos)
            })
        },
    )?;
    linker.func_wrap(MODULE, "fd_sync", |mut c: Caller<'_, U>, fd: i32| {
        with_ctx(&mut c, "fd_sync", |imp, ctx| {
            code(imp.fd_sync(ctx, fd as u32))
        })
    })?;
    linker.func_wrap(
        MODULE,
        "fd_tell",
        |mut c: Caller<'_, U>, fd: i32, out: i32| {
            with_ctx(&mut c, "fd_tell", |imp, ctx| {
                let out = ptr::<filesize>(out);
                check!(out_ok(ctx, out));
                let (e, pos) = imp.fd_tell(ctx, fd as u32);
                finish1(ctx, e, out, pos)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_write",
        |mut c: Caller<'_, U>, fd: i32, iovs: i32, iovs_len: i32, out: i32| {
            with_ctx(&mut c, "fd_write", |imp, ctx| {
                let out = ptr::<size>(out);
                check!(out_ok(ctx, out));
                let (e, n) = imp.fd_write(ctx, fd as u32, ptr(iovs), iovs_len as u32);
                finish1(ctx, e, out, n)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_create_directory",
        |mut c: Caller<'_, U>, fd: i32, path: i32, path_len: i32| {
            with_ctx(&mut c, "path_create_directory", |imp, ctx| {
                code(imp.path_create_directory(ctx, fd as u32, ptr(path), path_len as u32))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_filestat_get",
        |mut c: Caller<'_, U>, fd: i32, flags: i32, path: i32, path_len: i32, out: i32| {
            with_ctx(&mut c, "path_filestat_get", |imp, ctx| {
                let out = ptr::<filestat>(out);
                check!(out_ok(ctx, out));
                let (e, st) = imp.path_filestat_get(
                    ctx,
                    fd as u32,
                    lookupflags::from_raw(flags as u32),
                    ptr(path),
                    path_len as u32,
                );
                finish1(ctx, e, out, st)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_filestat_set_times",
        |mut c: Caller<'_, U>,
         fd: i32,
         flags: i32,
         path: i32,
         path_len: i32,
         atim: i64,
         mtim: i64,
         fst: i32| {
            with_ctx(&mut c, "path_filestat_set_times", |imp, ctx| {
                let fst = narrow!(u16_arg(fst));
                code(imp.path_filestat_set_times(
                    ctx,
                    fd as u32,
                    lookupflags::from_raw(flags as u32),
                    ptr(path),
                    path_len as u32,
                    atim as u64,
                    mtim as u64,
                    fstflags::from_raw(fst),
                ))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_link",
        |mut c: Caller<'_, U>,
         old_fd: i32,
         old_flags: i32,
         old_path: i32,
         old_path_len: i32,
         new_fd: i32,
         new_path: i32,
         new_path_len: i32| {
            with_ctx(&mut c, "path_link", |imp, ctx| {
                code(imp.path_link(
                    ctx,
                    old_fd as u32,
                    lookupflags::from_raw(old_flags as u32),
                    ptr(old_path),
                    old_path_len as u32,
                    new_fd as u32,
                    ptr(new_path),
                    new_path_len as u32,
                ))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_open",
        |mut c: Caller<'_, U>,
         fd: i32,
         dirflags: i32,
         path: i32,
         path_len: i32,
         of: i32,
         base: i64,
         inheriting: i64,
         fdfl: i32,
         out: i32| {
            with_ctx(&mut c, "path_open", |imp, ctx| {
                let out = ptr::<fd>(out);
                check!(out_ok(ctx, out));
                let of = narrow!(u16_arg(of));
                let fdfl = narrow!(u16_arg(fdfl));
                let (e, opened) = imp.path_open(
                    ctx,
                    fd as u32,
                    lookupflags::from_raw(dirflags as u32),
                    ptr(path),
                    path_len as u32,
                    oflags::from_raw(of),
                    rights::from_raw(base as u64),
                    rights::from_raw(inheriting as u64),
                    fdflags::from_raw(fdfl),
                );
                finish1(ctx, e, out, opened)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_readlink",
        |mut c: Caller<'_, U>,
         fd: i32,
         path: i32,
         path_len: i32,
         buf: i32,
         buf_len: i32,
         out: i32| {
            with_ctx(&mut c, "path_readlink", |imp, ctx| {
                let out = ptr::<size>(out);
                check!(out_ok(ctx, out));
                let (e, n) = imp.path_readlink(
                    ctx,
                    fd as u32,
                    ptr(path),
                    path_len as u32,
                    ptr(buf),
                    buf_len as u32,
                );
                finish1(ctx, e, out, n)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_remove_directory",
        |mut c: Caller<'_, U>, fd: i32, path: i32, path_len: i32| {
            with_ctx(&mut c, "path_remove_directory", |imp, ctx| {
                code(imp.path_remove_directory(ctx, fd as u32, ptr(path), path_len as u32))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_rename",
        |mut c: Caller<'_, U>,
         fd: i32,
         old_path: i32,
         old_path_len: i32,
         new_fd: i32,
         new_path: i32,
         new_path_len: i32| {
            with_ctx(&mut c, "path_rename", |imp, ctx| {
                code(imp.path_rename(
                    ctx,
                    fd as u32,
                    ptr(old_path),
                    old_path_len as u32,
                    new_fd as u32,
                    ptr(new_path),
                    new_path_len as u32,
                ))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_symlink",
        |mut c: Caller<'_, U>,
         old_path: i32,
         old_path_len: i32,
         fd: i32,
         new_path: i32,
         new_path_len: i32| {
            with_ctx(&mut c, "path_symlink", |imp, ctx| {
                code(imp.path_symlink(
                    ctx,
                    ptr(old_path),
                    old_path_len as u32,
                    fd as u32,
                    ptr(new_path),
                    new_path_len as u32,
                ))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "path_unlink_file",
        |mut c: Caller<'_, U>, fd: i32, path: i32, path_len: i32| {
            with_ctx(&mut c, "path_unlink_file", |imp, ctx| {
                code(imp.path_unlink_file(ctx, fd as u32, ptr(path), path_len as u32))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "poll_oneoff",
        |mut c: Caller<'_, U>, subs: i32, events: i32, nsubs: i32, out: i32| {
            with_ctx(&mut c, "poll_oneoff", |imp, ctx| {
                let out = ptr::<size>(out);
                check!(out_ok(ctx, out));
                let (e, n) = imp.poll_oneoff(ctx, ptr(subs), ptr(events), nsubs as u32);
                finish1(ctx, e, out, n)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "proc_exit",
        |mut c: Caller<'_, U>, rval: i32| -> wasmtime::Result<()> {
            match with_ctx(&mut c, "proc_exit", |imp, ctx| {
                imp.proc_exit(ctx, rval as u32)
            })? {
                Ok(never) => match never {},
                Err(exit) => Err(wasmtime::Error::new(ProcExit(exit))),
            }
        },
    )?;
    linker.func_wrap(MODULE, "proc_raise", |mut c: Caller<'_, U>, sig: i32| {
        with_ctx(&mut c, "proc_raise", |imp, ctx| {
            let sig = narrow!(u8_arg(sig));
            code(imp.proc_raise(ctx, signal::from_raw(sig)))
        })
    })?;
    linker.func_wrap(MODULE, "sched_yield", |mut c: Caller<'_, U>| {
        with_ctx(&mut c, "sched_yield", |imp, ctx| code(imp.sched_yield(ctx)))
    })?;
    linker.func_wrap(
        MODULE,
        "random_get",
        |mut c: Caller<'_, U>, buf: i32, buf_len: i32| {
            with_ctx(&mut c, "random_get", |imp, ctx| {
                code(imp.random_get(ctx, ptr(buf), buf_len as u32))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "sock_accept",
        |mut c: Caller<'_, U>, fd: i32, flags: i32, out: i32| {
            with_ctx(&mut c, "sock_accept", |imp, ctx| {
                check!(out_ok(ctx, ptr::<fd>(out)));
                let flags = narrow!(u16_arg(flags));
                code(sock_accept(imp, ctx, fd as u32, fdflags::from_raw(flags)))
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "sock_recv",
        |mut c: Caller<'_, U>,
         fd: i32,
         ri_data: i32,
         ri_data_len: i32,
         ri_flags: i32,
         out_len: i32,
         out_flags: i32| {
            with_ctx(&mut c, "sock_recv", |imp, ctx| {
                let (pa, pb) = (ptr::<size>(out_len), ptr::<roflags>(out_flags));
                check!(out_ok(ctx, pa).and_then(|_| out_ok(ctx, pb)));
                let ri_flags = narrow!(u16_arg(ri_flags));
                let (e, n, ro) = imp.sock_recv(
                    ctx,
                    fd as u32,
                    ptr(ri_data),
                    ri_data_len as u32,
                    riflags::from_raw(ri_flags),
                );
                finish2(ctx, e, pa, n, pb, ro)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "sock_send",
        |mut c: Caller<'_, U>, fd: i32, si_data: i32, si_data_len: i32, si_flags: i32, out: i32| {
            with_ctx(&mut c, "sock_send", |imp, ctx| {
                let out = ptr::<size>(out);
                check!(out_ok(ctx, out));
                let si_flags = narrow!(u16_arg(si_flags));
                let (e, n) = imp.sock_send(
                    ctx,
                    fd as u32,
                    ptr(si_data),
                    si_data_len as u32,
                    siflags::from_raw(si_flags),
                );
                finish1(ctx, e, out, n)
            })
        },
    )?;
    linker.func_wrap(
        MODULE,
        "sock_shutdown",
        |mut c: Caller<'_, U>, fd: i32, how: i32| {
            with_ctx(&mut c, "sock_shutdown", |imp, ctx| {
                let how = narrow!(u8_arg(how));
                code(imp.sock_shutdown(ctx, fd as u32, sdflags::from_raw(how)))
            })
        },
    )?;
    Ok(())
}

/// `sock_accept` is not a method of the seed trait: answer it from what the
/// trait can tell. A bad fd gives the errno of `fd_fdstat_get` (`badf`); a
/// socket gives `notsup` (the trait has no way to accept); anything else
/// gives `notsock`.
fn sock_accept<T: NativeWasiImports>(imp: &T, ctx: &mut Ctx, fd: fd, _flags: fdflags) -> errno {
    let (e, st) = imp.fd_fdstat_get(ctx, fd);
    if e != errno::success {
        return e;
    }
    if st.fs_filetype == filetype::socket_stream || st.fs_filetype == filetype::socket_dgram {
        errno::notsup
    } else {
        errno::notsock
    }
}
