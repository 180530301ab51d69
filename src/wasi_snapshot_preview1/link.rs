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
//! The imports are generated from the [table](super::table). When the
//! store's [`WasiView::hooks`] ask for a call, it goes through
//! [`Hooks`] (handler, default, tracer) instead of straight to the trait.
//!
//! `proc_exit` ends the guest with a [`ProcExit`] error carrying the code:
//! the host process never exits. A panic inside a trait method becomes a
//! trap of the guest ([`HostPanic`]), never an unwind through the host.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::limits::{Cancel, Limiter, Limits};
use std::sync::Arc;
use wasmtime::{Caller, Extern, Linker, Memory};

use super::calls::{
    Call, CallId, Group, Hooks, MAX_ARGS, Results, Verdict, WasiArg, dispatch, group_of,
    next_instance_number, sock_accept,
};
use super::memory::{Ctx, GuestType, WasmSlicePtr};
use super::native::NativeWasiImports;
use super::table::wasi_calls;
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

    /// The handlers and tracer that see this store's calls (see
    /// [`Hooks`]); `None` (the default) when nothing does, which costs one
    /// branch per call.
    #[inline]
    fn hooks(&self) -> Option<&Hooks> {
        None
    }
}

/// Ready-made store data: a WASI implementation and the memory cache.
pub struct WasiState<T> {
    imports: T,
    memory: Option<Memory>,
    cancel: Option<Arc<Cancel>>,
    hooks: Option<Hooks>,
    instance: u64,
    pub(crate) limiter: Limiter,
}

impl<T: NativeWasiImports> WasiState<T> {
    /// Store data serving `imports`.
    pub fn new(imports: T) -> Self {
        WasiState {
            imports,
            memory: None,
            cancel: None,
            hooks: None,
            instance: next_instance_number(),
            limiter: Limiter::unlimited(),
        }
    }

    /// Store data for an instance under `limits`, stopped through `cancel`.
    pub(crate) fn limited(
        imports: T,
        limits: &Limits,
        cancel: Option<Arc<Cancel>>,
        hooks: Option<Hooks>,
    ) -> Self {
        WasiState {
            imports,
            memory: None,
            cancel,
            hooks,
            instance: next_instance_number(),
            limiter: Limiter::new(limits),
        }
    }

    /// Routes the calls of this store through `hooks` (numbered as a new
    /// instance), or through nothing with `None`.
    pub fn set_hooks(&mut self, hooks: Option<&Hooks>) {
        self.hooks = hooks
            .filter(|h| !h.is_empty())
            .map(|h| h.for_instance(self.instance));
    }

    /// The number of this store's instance: unique in the process, from 1
    /// (the `instance` of its trace records).
    pub fn instance_number(&self) -> u64 {
        self.instance
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
    #[inline]
    fn hooks(&self) -> Option<&Hooks> {
        self.hooks.as_ref()
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

/// The trap a guest ends with when a [`CallHandler`](super::calls::CallHandler)
/// asked for one ([`Verdict::Trap`]) or panicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerTrap {
    /// The WASI function whose handler asked for the trap.
    pub function: &'static str,
    /// The handler's message.
    pub message: String,
}

impl std::fmt::Display for HandlerTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "handler of {}: {}", self.function, self.message)
    }
}

impl std::error::Error for HandlerTrap {}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
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
    function: CallId,
    f: impl FnOnce(&U, &mut Ctx) -> R,
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
    let r = call(data, &mut Ctx::with_cancel(bytes, cancel), function, f);
    stopped(cancel, r)
}

/// [`with_ctx`] for a module that defines and exports a shared memory (the
/// threads proposal; `-matomics -Wl,--shared-memory`). It is looked up on
/// every call: the cache holds a `Memory`, and the lookup is ~50 ns.
#[cold]
fn with_shared<U: WasiView, R>(
    caller: &mut Caller<'_, U>,
    memory: &wasmtime::SharedMemory,
    function: CallId,
    f: impl FnOnce(&U, &mut Ctx) -> R,
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
    let r = call(data, &mut Ctx::with_cancel(bytes, cancel), function, f);
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
fn call<U, R>(
    data: &U,
    ctx: &mut Ctx,
    function: CallId,
    f: impl FnOnce(&U, &mut Ctx) -> R,
) -> wasmtime::Result<R> {
    catch_unwind(AssertUnwindSafe(|| f(data, ctx))).map_err(|payload| {
        wasmtime::Error::new(HostPanic {
            function: function.name(),
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

/// Early return of an errno from inside a `with_ctx` closure.
/// Early return of an errno from inside a `with_ctx` closure (`ok`: one
/// that returns a `Result`).
macro_rules! check {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return code(e),
        }
    };
    (ok $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Ok(code(e)),
        }
    };
}

/// Narrows a wasm argument to its witx type; an undefined bit gives
/// [`errno::inval`].
macro_rules! narrow {
    ($p:ident: $t:ty) => {
        let Some($p) = <$t as WasiArg>::from_wasm($p) else {
            return code(errno::inval);
        };
    };
    (ok $p:ident: $t:ty) => {
        let Some($p) = <$t as WasiArg>::from_wasm($p) else {
            return Ok(code(errno::inval));
        };
    };
}

/// Writes result `index` of `results` (a `R`) to the out-pointer `ptr`.
type WriteResult = fn(&mut Ctx, u32, &Results, usize) -> Result<(), errno>;

fn write_result<R: GuestType>(
    ctx: &mut Ctx,
    ptr: u32,
    results: &Results,
    index: usize,
) -> Result<(), errno> {
    ctx.write(WasmSlicePtr::<R>::new(ptr), results.get::<R>(index))
}

/// Routes a call through the [`Hooks`]: its handler (or the default
/// implementation, [`dispatch`]) and the tracer; then writes the results
/// to the out-pointers `outs` when the verdict is success, or ends the
/// guest. Out of line and cold (see [`hooked`]).
#[cold]
#[inline(never)]
fn intercept<I: NativeWasiImports + ?Sized>(
    imp: &I,
    ctx: &mut Ctx,
    hooks: &Hooks,
    id: CallId,
    args: [u64; MAX_ARGS],
    outs: &[(u32, WriteResult)],
) -> wasmtime::Result<i32> {
    let mut default =
        |ctx: &mut Ctx, a: &[u64; MAX_ARGS], r: &mut Results| dispatch(imp, ctx, id, a, r);
    let mut call = Call::new(id, args, ctx, &mut default);
    let verdict = hooks.run(&mut call);
    let results = *call.results();
    match verdict {
        Verdict::Return(e) => {
            if e == errno::success {
                for (i, (ptr, write)) in outs.iter().enumerate() {
                    if let Err(err) = write(ctx, *ptr, &results, i) {
                        return Ok(code(err));
                    }
                }
            }
            Ok(code(e))
        }
        Verdict::Exit(code) => Err(wasmtime::Error::new(ProcExit(code))),
        Verdict::Trap(message) => Err(wasmtime::Error::new(HandlerTrap {
            function: id.name(),
            message,
        })),
    }
}

/// Packs the arguments of a call into the `u64`s a [`Call`] carries.
macro_rules! pack {
    ($($p:ident),*) => {{
        #[allow(unused_mut)]
        let mut args = [0u64; MAX_ARGS];
        #[allow(unused_mut, unused_variables)]
        let mut slots = args.iter_mut();
        $(if let Some(s) = slots.next() {
            *s = WasiArg::to_raw($p);
        })*
        args
    }};
}

/// Whether the store's hooks ask for call `id`: the one test an unhooked
/// call pays, before it enters [`with_ctx`]. Everything a hooked call needs
/// is out of line, in a cold function of its own per import, and the fast
/// path's closure returns a plain `i32`. (Measured on `clock_time_get`,
/// about 35 ns a call: the hooked path inlined into the glue cost 5 ns
/// more, and a closure returning `wasmtime::Result` 2 ns more.)
#[inline(always)]
fn hooked<U: WasiView>(caller: &Caller<'_, U>, id: CallId) -> bool {
    caller.data().hooks().is_some_and(|h| h.wants(id))
}

/// The hooks of a store that [`hooked`] said has them.
fn hooks_of<U: WasiView>(data: &U) -> wasmtime::Result<&Hooks> {
    data.hooks()
        .ok_or_else(|| wasmtime::Error::msg("internal error: the store's hooks went away"))
}

/// Defines one import; the arms differ by the number of out-pointers.
/// Each import checks its out-pointers, then narrows its arguments, then
/// calls the trait method, or, when the store's hooks ask for it, its
/// `slow` twin, which goes through [`intercept`].
macro_rules! glue_one {
    ($linker:ident, $U:ident, $name:ident, ($($p:ident: $pty:ty),*), ()) => {
        $linker.func_wrap(
            MODULE,
            stringify!($name),
            |mut c: Caller<'_, $U>, $($p: <$pty as WasiArg>::Wasm),*| {
                #[cold]
                #[inline(never)]
                #[allow(clippy::too_many_arguments)]
                fn slow<V: WasiView>(
                    c: &mut Caller<'_, V>,
                    $($p: <$pty as WasiArg>::Wasm),*
                ) -> wasmtime::Result<i32> {
                    with_ctx(c, CallId::$name, |data, ctx| -> wasmtime::Result<i32> {
                        $(narrow!(ok $p: $pty);)*
                        let h = hooks_of(data)?;
                        intercept(data.imports(), ctx, h, CallId::$name, pack!($($p),*), &[])
                    })
                    .and_then(|r| r)
                }
                if hooked(&c, CallId::$name) {
                    return slow(&mut c, $($p),*);
                }
                with_ctx(&mut c, CallId::$name, |data, ctx| {
                    $(narrow!($p: $pty);)*
                    code(data.imports().$name(ctx, $($p),*))
                })
            },
        )?;
    };
    ($linker:ident, $U:ident, $name:ident, ($($p:ident: $pty:ty),*), ($a:ty)) => {
        $linker.func_wrap(
            MODULE,
            stringify!($name),
            |mut c: Caller<'_, $U>, $($p: <$pty as WasiArg>::Wasm,)* out: i32| {
                #[cold]
                #[inline(never)]
                #[allow(clippy::too_many_arguments)]
                fn slow<V: WasiView>(
                    c: &mut Caller<'_, V>,
                    $($p: <$pty as WasiArg>::Wasm,)*
                    out: i32,
                ) -> wasmtime::Result<i32> {
                    with_ctx(c, CallId::$name, |data, ctx| -> wasmtime::Result<i32> {
                        let out = ptr::<$a>(out);
                        check!(ok out_ok(ctx, out));
                        $(narrow!(ok $p: $pty);)*
                        let h = hooks_of(data)?;
                        let outs = [(out.offset(), write_result::<$a> as WriteResult)];
                        intercept(data.imports(), ctx, h, CallId::$name, pack!($($p),*), &outs)
                    })
                    .and_then(|r| r)
                }
                if hooked(&c, CallId::$name) {
                    return slow(&mut c, $($p,)* out);
                }
                with_ctx(&mut c, CallId::$name, |data, ctx| {
                    let out = ptr::<$a>(out);
                    check!(out_ok(ctx, out));
                    $(narrow!($p: $pty);)*
                    let (e, a) = data.imports().$name(ctx, $($p),*);
                    finish1(ctx, e, out, a)
                })
            },
        )?;
    };
    ($linker:ident, $U:ident, $name:ident, ($($p:ident: $pty:ty),*), ($a:ty, $b:ty)) => {
        $linker.func_wrap(
            MODULE,
            stringify!($name),
            |mut c: Caller<'_, $U>, $($p: <$pty as WasiArg>::Wasm,)* out_a: i32, out_b: i32| {
                #[cold]
                #[inline(never)]
                #[allow(clippy::too_many_arguments)]
                fn slow<V: WasiView>(
                    c: &mut Caller<'_, V>,
                    $($p: <$pty as WasiArg>::Wasm,)*
                    out_a: i32,
                    out_b: i32,
                ) -> wasmtime::Result<i32> {
                    with_ctx(c, CallId::$name, |data, ctx| -> wasmtime::Result<i32> {
                        let (out_a, out_b) = (ptr::<$a>(out_a), ptr::<$b>(out_b));
                        check!(ok out_ok(ctx, out_a).and_then(|_| out_ok(ctx, out_b)));
                        $(narrow!(ok $p: $pty);)*
                        let h = hooks_of(data)?;
                        let outs = [
                            (out_a.offset(), write_result::<$a> as WriteResult),
                            (out_b.offset(), write_result::<$b> as WriteResult),
                        ];
                        intercept(data.imports(), ctx, h, CallId::$name, pack!($($p),*), &outs)
                    })
                    .and_then(|r| r)
                }
                if hooked(&c, CallId::$name) {
                    return slow(&mut c, $($p,)* out_a, out_b);
                }
                with_ctx(&mut c, CallId::$name, |data, ctx| {
                    let (out_a, out_b) = (ptr::<$a>(out_a), ptr::<$b>(out_b));
                    check!(out_ok(ctx, out_a).and_then(|_| out_ok(ctx, out_b)));
                    $(narrow!($p: $pty);)*
                    let (e, a, b) = data.imports().$name(ctx, $($p),*);
                    finish2(ctx, e, out_a, a, out_b, b)
                })
            },
        )?;
    };
}

macro_rules! define_glue {
    ([] $(
        $(#[$doc:meta])*
        [$group:ident]
        $name:ident($($p:ident: $pty:ty = $pk:ident),* $(,)?) -> ($($r:ident: $rty:ty),* $(,)?);
    )*) => {
        /// Defines every `wasi_snapshot_preview1` import on `linker`, served
        /// by the store data's [`WasiView::imports`] and routed through its
        /// [`WasiView::hooks`] when they ask for the call.
        pub fn add_to_linker<U: WasiView>(linker: &mut Linker<U>) -> wasmtime::Result<()> {
            add_groups_to_linker(linker, &Group::ALL)
        }

        /// Defines the imports of `groups` only (see [`Group`]): a module
        /// that imports a function of another group then fails to link,
        /// naming it, instead of getting a host that answers it.
        pub fn add_groups_to_linker<U: WasiView>(
            linker: &mut Linker<U>,
            groups: &[Group],
        ) -> wasmtime::Result<()> {
            $(if groups.contains(&group_of(stringify!($group))) {
                glue_one!(linker, U, $name, ($($p: $pty),*), ($($rty),*));
            })*
            add_proc_exit_and_sock_accept(linker, groups)
        }
    };
}

wasi_calls!(define_glue);

/// The two imports outside the table: `proc_exit`, which ends the guest
/// with [`ProcExit`], and `sock_accept`, answered by [`sock_accept`]. They
/// are rare: their hooked path is inline.
fn add_proc_exit_and_sock_accept<U: WasiView>(
    linker: &mut Linker<U>,
    groups: &[Group],
) -> wasmtime::Result<()> {
    if !groups.contains(&Group::Proc) {
        return add_sock_accept(linker, groups);
    }
    linker.func_wrap(
        MODULE,
        "proc_exit",
        |mut c: Caller<'_, U>, rval: i32| -> wasmtime::Result<()> {
            let rval = rval as u32;
            let exit = with_ctx(
                &mut c,
                CallId::proc_exit,
                |data, ctx| -> wasmtime::Result<u32> {
                    if let Some(h) = data.hooks()
                        && h.wants(CallId::proc_exit)
                    {
                        // proc_exit cannot return: a handler that returns an
                        // errno lets the exit go ahead with the guest's code.
                        intercept(data.imports(), ctx, h, CallId::proc_exit, pack!(rval), &[])?;
                        return Ok(rval);
                    }
                    match data.imports().proc_exit(ctx, rval) {
                        Ok(never) => match never {},
                        Err(exit) => Ok(exit),
                    }
                },
            )??;
            Err(wasmtime::Error::new(ProcExit(exit)))
        },
    )?;
    add_sock_accept(linker, groups)
}

fn add_sock_accept<U: WasiView>(linker: &mut Linker<U>, groups: &[Group]) -> wasmtime::Result<()> {
    if !groups.contains(&Group::Sock) {
        return Ok(());
    }
    linker.func_wrap(
        MODULE,
        "sock_accept",
        |mut c: Caller<'_, U>, fd: i32, flags: i32, out: i32| {
            with_ctx(
                &mut c,
                CallId::sock_accept,
                |data, ctx| -> wasmtime::Result<i32> {
                    let out = ptr::<fd>(out);
                    check!(ok out_ok(ctx, out));
                    narrow!(ok fd: fd);
                    narrow!(ok flags: fdflags);
                    let imp = data.imports();
                    if let Some(h) = data.hooks()
                        && h.wants(CallId::sock_accept)
                    {
                        let outs = [(out.offset(), write_result::<fd> as WriteResult)];
                        return intercept(
                            imp,
                            ctx,
                            h,
                            CallId::sock_accept,
                            pack!(fd, flags),
                            &outs,
                        );
                    }
                    let (e, accepted) = sock_accept(imp, ctx, fd, flags);
                    Ok(finish1(ctx, e, out, accepted))
                },
            )
            .and_then(|r| r)
        },
    )?;
    Ok(())
}
