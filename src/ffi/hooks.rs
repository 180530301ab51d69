//! The programmable host in C: per-call handlers with fall-through to the
//! default, the trace stream, and the embedder's clocks and random bytes
//! (or the deterministic preset), all set on a `wasihost_config_t`.
//!
//! A handler and a trace callback get a `wasihost_call_t *`: one WASI call
//! in flight, valid only during the callback. Its accessors read the
//! decoded arguments, borrow guest memory, run the default implementation
//! and set the results.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use super::config::{Userdata, own_userdata, wasihost_finalizer_t, with_config};
use super::{
    FfiError, arg_bytes, arg_mut, arg_str, guard_or, path_arg, wasihost_config_t, wasihost_error_t,
};
use crate::host::Clock;
use crate::limits::Cancel;
use crate::wasi_snapshot_preview1::calls::{
    Call, CallHandler, CallSet, CallSpec, JsonLines, ParamKind, TraceEvent, Tracer, Verdict,
};
use crate::wasi_snapshot_preview1::types::{clockid, errno, timestamp};

/// A handler's return value (instead of a WASI errno): end the guest as if
/// it called `proc_exit` with the code given to `wasihost_call_set_exit`.
pub const WASIHOST_CALL_EXIT: i32 = -1;
/// A handler's return value (instead of a WASI errno): end the guest with
/// a trap (kind `WASIHOST_ERROR_KIND_TRAP`, trap code
/// `WASIHOST_TRAP_HANDLER`) carrying the message given to
/// `wasihost_call_set_trap`.
pub const WASIHOST_CALL_TRAP: i32 = -2;

/// `wasihost_call_arg_kind`: a file descriptor.
pub const WASIHOST_ARG_FD: u32 = 0;
/// `wasihost_call_arg_kind`: an unsigned number (size, offset, timestamp).
pub const WASIHOST_ARG_INT: u32 = 1;
/// `wasihost_call_arg_kind`: a signed number (the value is its two's
/// complement; cast it to `int64_t`).
pub const WASIHOST_ARG_SIGNED: u32 = 2;
/// `wasihost_call_arg_kind`: a set of flags.
pub const WASIHOST_ARG_FLAGS: u32 = 3;
/// `wasihost_call_arg_kind`: an enumeration value.
pub const WASIHOST_ARG_ENUM: u32 = 4;
/// `wasihost_call_arg_kind`: an offset into guest memory (a structure or
/// an array).
pub const WASIHOST_ARG_PTR: u32 = 5;
/// `wasihost_call_arg_kind`: bytes the call reads, such as a path; read
/// them with `wasihost_call_arg_bytes`. The next argument is the length.
pub const WASIHOST_ARG_PATH: u32 = 6;
/// `wasihost_call_arg_kind`: bytes the call fills; fill them through
/// `wasihost_call_arg_bytes`. The next argument is the length.
pub const WASIHOST_ARG_BUF: u32 = 7;
/// `wasihost_call_arg_kind`: an array of iovecs, each read or filled
/// through `wasihost_call_iovec`. The next argument is the count.
pub const WASIHOST_ARG_IOVS: u32 = 8;
/// `wasihost_call_arg_kind`: the length or count of the argument before.
pub const WASIHOST_ARG_LEN: u32 = 9;

/// One WASI call in flight, handed to a `wasihost_call_handler_t` or a
/// `wasihost_trace_callback_t`. It is valid only during that callback, on
/// that thread: do not keep the pointer, nor any pointer into guest memory
/// obtained from it.
#[allow(non_camel_case_types)]
pub struct wasihost_call_t {
    /// The call, its lifetimes erased: it outlives this value, which lives
    /// on the stack of the trampoline that hands it to the callback.
    call: *mut Call<'static, 'static>,
    /// Whether the call is a finished one shown to a tracer: it must not
    /// change (the tracer has a shared reference).
    traced: Option<Traced>,
    exit: Option<u32>,
    trap: Option<String>,
}

struct Traced {
    verdict: Verdict,
    duration: Duration,
    instance: u64,
}

/// Handles one WASI call. Return a WASI errno (0 for success, 1 to 76,
/// as in `wasi/api.h`) for the guest, `wasihost_call_set_exit(...)` to end
/// the guest with an exit code, or `wasihost_call_set_trap(...)` to trap
/// it. Any other value traps the guest with a message naming the call and
/// the value. On success the call's results (set with
/// `wasihost_call_set_result`, or filled by `wasihost_call_default`) are
/// written to the guest. Called on the thread running the guest; it must
/// not call into the instance that is running, nor unwind through the
/// library.
#[allow(non_camel_case_types)]
pub type wasihost_call_handler_t =
    Option<unsafe extern "C" fn(userdata: *mut c_void, call: *mut wasihost_call_t) -> i32>;

/// Receives one finished WASI call: `json` is the record as one line of
/// JSON without the newline (`len` bytes, not NUL-terminated), and `call`
/// can be read with the `wasihost_call_*` getters, `wasihost_call_errno`,
/// `wasihost_call_duration_ns` and `wasihost_call_instance` among them
/// (not changed). Both are valid only during the call. Same thread rules
/// as a handler.
#[allow(non_camel_case_types)]
pub type wasihost_trace_callback_t = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        call: *const wasihost_call_t,
        json: *const c_char,
        len: usize,
    ),
>;

/// Reads clock `clock_id` (0 realtime, 1 monotonic, 2 process CPU time,
/// 3 thread CPU time) into `*time_out` in nanoseconds; returns 0 or a
/// WASI errno for the guest (28, `inval`, for a clock it does not have).
#[allow(non_camel_case_types)]
pub type wasihost_clock_now_t =
    Option<unsafe extern "C" fn(userdata: *mut c_void, clock_id: u32, time_out: *mut u64) -> i32>;

/// Waits `ns` nanoseconds of the clock's monotonic time (or makes it pass,
/// for a virtual clock); returns 0 or a WASI errno.
#[allow(non_camel_case_types)]
pub type wasihost_clock_sleep_t =
    Option<unsafe extern "C" fn(userdata: *mut c_void, ns: u64) -> i32>;

/// Fills `len` bytes at `buf` with random bytes; returns 0 or a WASI
/// errno for the guest's `random_get`.
#[allow(non_camel_case_types)]
pub type wasihost_random_callback_t =
    Option<unsafe extern "C" fn(userdata: *mut c_void, buf: *mut u8, len: usize) -> i32>;

/// A WASI errno from a callback's `i32`: `None` when it is not one.
fn errno_of(rc: i32) -> Option<errno> {
    u16::try_from(rc).ok().and_then(errno::from_raw)
}

/// The error of a callback's `i32` that should be an errno: the errno, or
/// `io` for another value.
fn callback_errno(rc: i32) -> errno {
    errno_of(rc).unwrap_or(errno::io)
}

struct CHandler {
    f: unsafe extern "C" fn(*mut c_void, *mut wasihost_call_t) -> i32,
    userdata: Arc<Userdata>,
}

impl CallHandler for CHandler {
    fn handle(&self, call: &mut Call<'_, '_>) -> Verdict {
        let name = call.name();
        let mut c = wasihost_call_t {
            call: (call as *mut Call<'_, '_>).cast::<Call<'static, 'static>>(),
            traced: None,
            exit: None,
            trap: None,
        };
        // SAFETY: the embedder's handler with its own userdata and a call
        // that stays valid (and is used by nothing else) until it returns.
        let rc = unsafe { (self.f)(self.userdata.ptr, &mut c) };
        verdict_of(name, rc, c.exit, c.trap)
    }
}

/// The verdict of a handler that returned `rc`.
fn verdict_of(name: &str, rc: i32, exit: Option<u32>, trap: Option<String>) -> Verdict {
    match rc {
        WASIHOST_CALL_EXIT => match exit {
            Some(code) => Verdict::Exit(code),
            None => Verdict::Trap(format!(
                "the handler of {name} returned WASIHOST_CALL_EXIT without \
                 wasihost_call_set_exit"
            )),
        },
        WASIHOST_CALL_TRAP => {
            Verdict::Trap(trap.unwrap_or_else(|| format!("the handler of {name} asked for a trap")))
        }
        rc => match errno_of(rc) {
            Some(e) => Verdict::Return(e),
            None => Verdict::Trap(format!(
                "the handler of {name} returned {rc}, which is neither a WASI errno (0 to 76) \
                 nor WASIHOST_CALL_EXIT or WASIHOST_CALL_TRAP"
            )),
        },
    }
}

struct CTracer {
    f: unsafe extern "C" fn(*mut c_void, *const wasihost_call_t, *const c_char, usize),
    userdata: Arc<Userdata>,
}

impl Tracer for CTracer {
    fn event(&self, event: &TraceEvent<'_, '_, '_>) {
        let json = event.to_json();
        let c = wasihost_call_t {
            // Cast from a shared reference: every accessor that changes
            // the call refuses a traced one (`traced` is set).
            call: (event.call as *const Call<'_, '_>)
                .cast_mut()
                .cast::<Call<'static, 'static>>(),
            traced: Some(Traced {
                verdict: event.verdict.clone(),
                duration: event.duration,
                instance: event.instance,
            }),
            exit: None,
            trap: None,
        };
        // SAFETY: the embedder's callback with its own userdata, a call
        // valid until it returns, and `json.len()` readable bytes.
        unsafe { (self.f)(self.userdata.ptr, &c, json.as_ptr().cast(), json.len()) }
    }
}

struct CClock {
    now: unsafe extern "C" fn(*mut c_void, u32, *mut u64) -> i32,
    sleep: Option<unsafe extern "C" fn(*mut c_void, u64) -> i32>,
    userdata: Arc<Userdata>,
}

impl Clock for CClock {
    fn now(&self, id: clockid) -> Result<timestamp, errno> {
        let mut t = 0u64;
        // SAFETY: the embedder's callback with its userdata and a valid
        // out-pointer.
        match unsafe { (self.now)(self.userdata.ptr, id.raw(), &mut t) } {
            0 => Ok(t),
            rc => Err(callback_errno(rc)),
        }
    }

    fn resolution(&self, id: clockid) -> Result<timestamp, errno> {
        self.now(id).map(|_| 1)
    }

    fn sleep(&self, ns: u64, cancel: Option<&Cancel>) -> Result<(), errno> {
        match self.sleep {
            // SAFETY: the embedder's callback with its userdata.
            Some(f) => match unsafe { f(self.userdata.ptr, ns) } {
                0 => Ok(()),
                rc => Err(callback_errno(rc)),
            },
            None => crate::host::SystemClock.sleep(ns, cancel),
        }
    }

    fn is_real_time(&self) -> bool {
        self.sleep.is_none()
    }
}

/// Handles the calls in `calls` with `handler`: a comma-separated list of
/// call names (`path_open`) and groups (`args`, `clock`, `fd`, `path`,
/// `poll`, `proc`, `random`, `sock`; `fs` for `fd` and `path`; `all`),
/// `calls_len` bytes. It replaces a handler set before for any of them; a
/// NULL `handler` removes theirs. Every instance made from the config
/// afterwards routes those calls through the handler; a call without one
/// costs nothing extra. `finalizer(userdata)` runs once when no config or
/// instance uses the handler any more.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_call_handler(
    config: *mut wasihost_config_t,
    calls: *const u8,
    calls_len: usize,
    handler: wasihost_call_handler_t,
    userdata: *mut c_void,
    finalizer: wasihost_finalizer_t,
) -> *mut wasihost_error_t {
    let userdata = own_userdata(userdata, finalizer);
    with_config(config, |c| {
        // SAFETY: NULL or live for calls_len bytes, by the contract.
        let set = parse_calls(unsafe { arg_str(calls, calls_len, "calls") }?)?;
        let h: Option<Arc<dyn CallHandler>> = match handler {
            Some(f) => Some(Arc::new(CHandler { f, userdata })),
            None => None,
        };
        c.hooks.set_handler(set, h);
        Ok(())
    })
}

fn parse_calls(list: &str) -> Result<CallSet, FfiError> {
    CallSet::parse(list).map_err(|e| FfiError::invalid(format!("calls: {e}")))
}

fn parse_filter(p: *const u8, len: usize) -> Result<CallSet, FfiError> {
    // SAFETY: NULL or live for len bytes, by the contract.
    let text = unsafe { arg_str(p, len, "filter") }?;
    if text.trim().is_empty() {
        return Ok(CallSet::all());
    }
    CallSet::parse(text).map_err(|e| FfiError::invalid(format!("filter: {e}")))
}

/// Traces the calls chosen by `filter` (a list as for
/// `wasihost_config_set_call_handler`; empty or NULL for every call) to
/// the file at `path`, created or truncated now: one JSON object per line,
/// `{"instance":N,"call":"path_open","args":{...},"errno":"success",
/// "results":{...},"ns":N}`, with paths as text and flags by name. All
/// instances of the config write to it (their lines tell them apart by
/// `instance`); an instance's lines are in the file when it is deleted.
/// Replaces a trace set before.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_trace_file(
    config: *mut wasihost_config_t,
    path: *const u8,
    path_len: usize,
    filter: *const u8,
    filter_len: usize,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        let path = path_arg(path, path_len, "path")?;
        let set = parse_filter(filter, filter_len)?;
        let file = std::fs::File::create(&path).map_err(|e| {
            FfiError::from(crate::Error::from_io(
                crate::ErrorKind::Config,
                format!("trace file {}: {e}", path.display()),
                &e,
            ))
        })?;
        c.hooks
            .set_tracer(set, Some(Arc::new(JsonLines::new(file))));
        Ok(())
    })
}

/// Traces the calls chosen by `filter` (as for
/// `wasihost_config_set_trace_file`) to `callback`; a NULL callback
/// removes the trace. Replaces a trace set before.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_trace_callback(
    config: *mut wasihost_config_t,
    filter: *const u8,
    filter_len: usize,
    callback: wasihost_trace_callback_t,
    userdata: *mut c_void,
    finalizer: wasihost_finalizer_t,
) -> *mut wasihost_error_t {
    let userdata = own_userdata(userdata, finalizer);
    with_config(config, |c| {
        let set = parse_filter(filter, filter_len)?;
        let t: Option<Arc<dyn Tracer>> = match callback {
            Some(f) => Some(Arc::new(CTracer { f, userdata })),
            None => None,
        };
        c.hooks.set_tracer(set, t);
        Ok(())
    })
}

/// Deterministic time and randomness for every instance of the config:
/// the wall clock frozen at 2000-01-01T00:00:00Z, a monotonic clock that
/// starts at 0 and advances only by what the guest sleeps (at once, without
/// waiting), and random bytes from `seed`. Replaces a clock or random
/// source set before (as they replace this).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_deterministic(
    config: *mut wasihost_config_t,
    seed: u64,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.update(|b| b.deterministic(seed));
        Ok(())
    })
}

/// The guest's clocks come from `now`; `sleep`, when not NULL, makes the
/// guest's waits (`poll_oneoff` clock subscriptions) pass on that clock,
/// else they are real sleeps. Shared by every instance of the config.
/// Replaces the deterministic preset's clock.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_clock(
    config: *mut wasihost_config_t,
    now: wasihost_clock_now_t,
    sleep: wasihost_clock_sleep_t,
    userdata: *mut c_void,
    finalizer: wasihost_finalizer_t,
) -> *mut wasihost_error_t {
    let userdata = own_userdata(userdata, finalizer);
    with_config(config, |c| {
        let now = now.ok_or_else(|| FfiError::null("now"))?;
        let clock: Arc<dyn Clock> = Arc::new(CClock {
            now,
            sleep,
            userdata,
        });
        c.update(|b| b.shared_clock(clock));
        Ok(())
    })
}

/// The guest's `random_get` bytes come from `callback`. Shared by every
/// instance of the config. Replaces the deterministic preset's seed.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_random_callback(
    config: *mut wasihost_config_t,
    callback: wasihost_random_callback_t,
    userdata: *mut c_void,
    finalizer: wasihost_finalizer_t,
) -> *mut wasihost_error_t {
    let userdata = own_userdata(userdata, finalizer);
    with_config(config, |c| {
        let f = callback.ok_or_else(|| FfiError::null("callback"))?;
        let entropy: Arc<dyn crate::host::Entropy> = Arc::new(move |buf: &mut [u8]| {
            // SAFETY: the embedder's callback with its userdata and a
            // buffer of buf.len() writable bytes.
            match unsafe { f(userdata.ptr, buf.as_mut_ptr(), buf.len()) } {
                0 => Ok(()),
                rc => Err(callback_errno(rc)),
            }
        });
        c.update(|b| b.shared_random(entropy));
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// wasihost_call_t accessors
// ---------------------------------------------------------------------------

/// The call behind a `wasihost_call_t` pointer.
///
/// # Safety
/// `c` is NULL or the pointer a handler or trace callback was given, used
/// during that callback.
unsafe fn call_ref<'a>(
    c: *const wasihost_call_t,
) -> Option<(&'a wasihost_call_t, &'a Call<'static, 'static>)> {
    // SAFETY: by the contract, `c` and its call are live during the
    // callback, which outlives every use of these references.
    unsafe {
        let c = c.as_ref()?;
        Some((c, &*c.call))
    }
}

/// The call behind a `wasihost_call_t` pointer, to change it; `None` for a
/// traced call.
///
/// # Safety
/// As for [`call_ref`], and `c` is not used by anything else meanwhile.
unsafe fn call_mut<'a>(c: *mut wasihost_call_t) -> Option<&'a mut Call<'static, 'static>> {
    // SAFETY: as for call_ref; a handler's call is exclusively borrowed by
    // the trampoline for the callback, and a traced one is refused here.
    unsafe {
        let c = c.as_mut()?;
        if c.traced.is_some() {
            return None;
        }
        Some(&mut *c.call)
    }
}

/// The descriptor of the call behind a `wasihost_call_t` pointer (static,
/// so it outlives the callback): what the name, kind and count getters
/// read.
fn spec_of(call: *const wasihost_call_t) -> Option<&'static CallSpec> {
    // SAFETY: the contract of wasihost_call_t; only the call's `'static`
    // descriptor leaves this function.
    unsafe { call_ref(call) }.map(|(_, c)| c.spec())
}

/// A descriptor's NUL-terminated name as a C string, or NULL.
fn c_name(name: Option<&'static str>) -> *const c_char {
    name.map_or(std::ptr::null(), |n| n.as_ptr().cast())
}

/// The call's name, e.g. `"path_open"`: a static NUL-terminated string
/// (NULL for a NULL call).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_name(call: *const wasihost_call_t) -> *const c_char {
    guard_or(std::ptr::null(), || c_name(spec_of(call).map(|s| s.c_name)))
}

/// The number of the call's arguments (the out-pointers are not
/// arguments).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_arg_count(call: *const wasihost_call_t) -> usize {
    guard_or(0, || spec_of(call).map_or(0, |s| s.params.len()))
}

/// The name of argument `index` as the witx spells it (`"path"`), a static
/// NUL-terminated string; NULL past the last.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_arg_name(
    call: *const wasihost_call_t,
    index: usize,
) -> *const c_char {
    guard_or(std::ptr::null(), || {
        c_name(
            spec_of(call)
                .and_then(|s| s.params.get(index))
                .map(|p| p.c_name),
        )
    })
}

/// The index of the argument called `name` (`name_len` bytes), or -1.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_arg_index(
    call: *const wasihost_call_t,
    name: *const u8,
    name_len: usize,
) -> i32 {
    guard_or(-1, || {
        // SAFETY: the contract of wasihost_call_t; name is NULL or live.
        let (Some((_, c)), Ok(name)) = (unsafe { call_ref(call) }, unsafe {
            arg_bytes(name, name_len, "name")
        }) else {
            return -1;
        };
        c.spec()
            .params
            .iter()
            .position(|p| p.name.as_bytes() == name)
            .map_or(-1, |i| i as i32)
    })
}

/// How to read argument `index`: one of `WASIHOST_ARG_*`
/// (`WASIHOST_ARG_INT` past the last).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_arg_kind(call: *const wasihost_call_t, index: usize) -> u32 {
    guard_or(WASIHOST_ARG_INT, || {
        let kind = spec_of(call).and_then(|s| s.params.get(index));
        match kind.map(|p| p.kind) {
            Some(ParamKind::Fd) => WASIHOST_ARG_FD,
            Some(ParamKind::Signed) => WASIHOST_ARG_SIGNED,
            Some(ParamKind::Flags) => WASIHOST_ARG_FLAGS,
            Some(ParamKind::Enum) => WASIHOST_ARG_ENUM,
            Some(ParamKind::Ptr) => WASIHOST_ARG_PTR,
            Some(ParamKind::Path) => WASIHOST_ARG_PATH,
            Some(ParamKind::Buf) => WASIHOST_ARG_BUF,
            Some(ParamKind::Iovs) => WASIHOST_ARG_IOVS,
            Some(ParamKind::Len) => WASIHOST_ARG_LEN,
            Some(ParamKind::Int) | None => WASIHOST_ARG_INT,
        }
    })
}

/// Argument `index` (a pointer is an offset into guest memory, a signed
/// value its two's complement); 0 past the last.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_arg(call: *const wasihost_call_t, index: usize) -> u64 {
    guard_or(0, || {
        // SAFETY: the contract of wasihost_call_t.
        unsafe { call_ref(call) }.map_or(0, |(_, c)| c.arg(index))
    })
}

/// Sets argument `index` for a later `wasihost_call_default` (a value that
/// does not fit the argument's type makes the default answer `inval`).
/// Returns false past the last argument, and in a trace callback.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_set_arg(
    call: *mut wasihost_call_t,
    index: usize,
    value: u64,
) -> bool {
    guard_or(false, || {
        // SAFETY: the contract of wasihost_call_t.
        unsafe { call_mut(call) }.is_some_and(|c| c.set_arg(index, value))
    })
}

/// The bytes of argument `index` when it is a `WASIHOST_ARG_PATH` or
/// `WASIHOST_ARG_BUF` (its offset and the length after it): `*data` points
/// into guest memory, `*len` bytes, valid during the callback; a
/// `WASIHOST_ARG_BUF` may be written (not in a trace callback). Returns 0,
/// or the errno the default would meet: 21 (`fault`) when they lie
/// outside guest memory, 28 (`inval`) for another kind of argument or a
/// NULL out-pointer.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_arg_bytes(
    call: *const wasihost_call_t,
    index: usize,
    data: *mut *mut u8,
    len: *mut usize,
) -> i32 {
    guard_or(errno::inval.raw() as i32, || {
        // SAFETY: the contract of wasihost_call_t.
        let Some((_, c)) = (unsafe { call_ref(call) }) else {
            return errno::inval.raw() as i32;
        };
        let (offset, n) = match c.bytes(index) {
            Ok(b) => (b.as_ptr() as usize - c.memory().as_ptr() as usize, b.len()),
            Err(e) => return e.raw() as i32,
        };
        // SAFETY: the contract of wasihost_call_t; offset + n lies in
        // guest memory (checked by `bytes`).
        out_span(unsafe { memory_at(call, offset) }, n, data, len)
    })
}

/// A pointer `offset` bytes into the call's guest memory, which must be
/// at most its length: in a handler, derived from the call's exclusive
/// borrow (so the embedder may write through it); in a trace callback,
/// from a shared one (for reading only, as the header says).
///
/// # Safety
/// As for [`call_ref`]; `offset` is at most the memory's length.
unsafe fn memory_at(call: *const wasihost_call_t, offset: usize) -> *mut u8 {
    // SAFETY: the contract of wasihost_call_t; a handler's call is held
    // exclusively by its trampoline during the callback.
    unsafe {
        match call_mut(call.cast_mut()) {
            Some(c) => c.memory_mut().as_mut_ptr().add(offset),
            None => match call_ref(call) {
                Some((_, c)) => c.memory().as_ptr().add(offset).cast_mut(),
                None => std::ptr::null_mut(),
            },
        }
    }
}

/// Writes a span to a pair of out-pointers; `inval` when one is NULL.
fn out_span(p: *mut u8, n: usize, data: *mut *mut u8, len: *mut usize) -> i32 {
    if data.is_null() || len.is_null() {
        return errno::inval.raw() as i32;
    }
    // SAFETY: non-NULL out-pointers of the caller, writable by contract.
    unsafe {
        *data = p;
        *len = n;
    }
    0
}

/// Iovec `k` of argument `index` when it is a `WASIHOST_ARG_IOVS`: its
/// buffer in guest memory (`*data`, `*len` bytes), valid during the
/// callback; the buffers of `fd_read`, `fd_pread` and `sock_recv` may be
/// filled. The count is the argument after `index`. Returns 0, 21
/// (`fault`) when the iovec or its buffer lies outside guest memory, or 28
/// (`inval`) for `k` past the count or another kind of argument.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_iovec(
    call: *const wasihost_call_t,
    index: usize,
    k: u32,
    data: *mut *mut u8,
    len: *mut usize,
) -> i32 {
    guard_or(errno::inval.raw() as i32, || {
        // SAFETY: the contract of wasihost_call_t.
        let Some((_, c)) = (unsafe { call_ref(call) }) else {
            return errno::inval.raw() as i32;
        };
        let (offset, n) = match c.iovec(index, k) {
            Ok(v) => v,
            Err(e) => return e.raw() as i32,
        };
        match (offset as usize).checked_add(n as usize) {
            // SAFETY: the contract of wasihost_call_t; the buffer lies in
            // guest memory (checked here).
            Some(end) if end <= c.memory().len() => out_span(
                unsafe { memory_at(call, offset as usize) },
                n as usize,
                data,
                len,
            ),
            _ => errno::fault.raw() as i32,
        }
    })
}

/// The guest's linear memory (`*len` bytes), valid during the callback;
/// writable in a handler. NULL for a NULL call.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_memory(call: *const wasihost_call_t, len: *mut usize) -> *mut u8 {
    guard_or(std::ptr::null_mut(), || {
        // SAFETY: the contract of wasihost_call_t.
        let Some((_, c)) = (unsafe { call_ref(call) }) else {
            return std::ptr::null_mut();
        };
        if !len.is_null() {
            // SAFETY: a non-NULL out-pointer of the caller.
            unsafe { *len = c.memory().len() };
        }
        // SAFETY: the contract of wasihost_call_t; offset 0.
        unsafe { memory_at(call, 0) }
    })
}

/// Runs the default implementation of the call with its current arguments
/// (any number of times), which fills its results. Returns its errno, or
/// 52 (`nosys`) in a trace callback. For `proc_exit` it records the exit,
/// which happens when the handler returns.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_default(call: *mut wasihost_call_t) -> i32 {
    guard_or(errno::nosys.raw() as i32, || {
        // SAFETY: the contract of wasihost_call_t.
        match unsafe { call_mut(call) } {
            Some(c) => c.call_default().raw() as i32,
            None => errno::nosys.raw() as i32,
        }
    })
}

/// The number of the call's results (written through the guest's
/// out-pointers on success).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_result_count(call: *const wasihost_call_t) -> usize {
    guard_or(0, || spec_of(call).map_or(0, |s| s.results.len()))
}

/// The name of result `index` (`"opened_fd"`, `"nread"`), a static
/// NUL-terminated string; NULL past the last.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_result_name(
    call: *const wasihost_call_t,
    index: usize,
) -> *const c_char {
    guard_or(std::ptr::null(), || {
        c_name(
            spec_of(call)
                .and_then(|s| s.results.get(index))
                .map(|r| r.c_name),
        )
    })
}

/// Whether result `index` is a structure (`fdstat`, `filestat`,
/// `prestat`), read and set through `wasihost_call_result_bytes`, rather
/// than a number; false past the last.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_result_is_struct(
    call: *const wasihost_call_t,
    index: usize,
) -> bool {
    guard_or(false, || {
        spec_of(call)
            .and_then(|s| s.results.get(index))
            .is_some_and(|r| r.is_struct)
    })
}

/// Result `index` as a number (a structure result gives its first 8
/// bytes; read it with `wasihost_call_result_bytes`); 0 past the last.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_result(call: *const wasihost_call_t, index: usize) -> u64 {
    guard_or(0, || {
        // SAFETY: the contract of wasihost_call_t.
        unsafe { call_ref(call) }.map_or(0, |(_, c)| c.result(index))
    })
}

/// Sets result `index` to a number. Returns false for a structure result
/// (`fdstat`, `filestat`, `prestat`: write them through
/// `wasihost_call_result_bytes`), past the last result, and in a trace
/// callback.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_set_result(
    call: *mut wasihost_call_t,
    index: usize,
    value: u64,
) -> bool {
    guard_or(false, || {
        // SAFETY: the contract of wasihost_call_t.
        unsafe { call_mut(call) }.is_some_and(|c| c.set_result(index, value))
    })
}

/// Result `index` in the layout of guest memory (a `filestat` as
/// `__wasi_filestat_t` of wasi/api.h), `*len` bytes, valid during the
/// callback and writable in a handler; NULL past the last.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_result_bytes(
    call: *mut wasihost_call_t,
    index: usize,
    len: *mut usize,
) -> *mut u8 {
    guard_or(std::ptr::null_mut(), || {
        // SAFETY: the contract of wasihost_call_t. In a handler the
        // pointer comes from the call's exclusive borrow (writable); in a
        // trace callback from a shared one, for reading only.
        let (p, n) = match unsafe { call_mut(call) } {
            Some(c) => {
                let b = c.result_bytes_mut(index);
                (b.as_mut_ptr(), b.len())
            }
            None => match unsafe { call_ref(call) } {
                Some((_, c)) => {
                    let b = c.result_bytes(index);
                    (b.as_ptr().cast_mut(), b.len())
                }
                None => return std::ptr::null_mut(),
            },
        };
        if n == 0 {
            return std::ptr::null_mut();
        }
        if !len.is_null() {
            // SAFETY: a non-NULL out-pointer of the caller.
            unsafe { *len = n };
        }
        p
    })
}

/// Records the exit code for a handler that ends the guest; returns
/// `WASIHOST_CALL_EXIT`, so a handler can `return
/// wasihost_call_set_exit(call, 3);`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_set_exit(call: *mut wasihost_call_t, code: u32) -> i32 {
    guard_or(WASIHOST_CALL_EXIT, || {
        // SAFETY: NULL or the live call of this callback, by the contract.
        if let Ok(c) = unsafe { arg_mut(call, "call") } {
            c.exit = Some(code);
        }
        WASIHOST_CALL_EXIT
    })
}

/// Records the message (`len` bytes of UTF-8; invalid bytes are replaced)
/// for a handler that traps the guest; returns `WASIHOST_CALL_TRAP`, so a
/// handler can `return wasihost_call_set_trap(call, msg, strlen(msg));`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_set_trap(
    call: *mut wasihost_call_t,
    message: *const u8,
    len: usize,
) -> i32 {
    guard_or(WASIHOST_CALL_TRAP, || {
        // SAFETY: NULL or the live call of this callback; message NULL or
        // live for len bytes, by the contract.
        if let (Ok(c), Ok(m)) = (unsafe { arg_mut(call, "call") }, unsafe {
            arg_bytes(message, len, "message")
        }) {
            c.trap = Some(String::from_utf8_lossy(m).into_owned());
        }
        WASIHOST_CALL_TRAP
    })
}

/// In a trace callback, how the call ended: its WASI errno,
/// `WASIHOST_CALL_EXIT` or `WASIHOST_CALL_TRAP`. In a handler, the errno
/// of the last `wasihost_call_default`, or -3 before one ran.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_errno(call: *const wasihost_call_t) -> i32 {
    guard_or(-3, || {
        // SAFETY: the contract of wasihost_call_t.
        let Some((w, c)) = (unsafe { call_ref(call) }) else {
            return -3;
        };
        match &w.traced {
            Some(t) => match t.verdict {
                Verdict::Return(e) => e.raw() as i32,
                Verdict::Exit(_) => WASIHOST_CALL_EXIT,
                Verdict::Trap(_) => WASIHOST_CALL_TRAP,
            },
            None => c.default_errno().map_or(-3, |e| e.raw() as i32),
        }
    })
}

/// In a trace callback, the exit code of a call that ended the guest
/// (`proc_exit`, or a handler's exit); 0 otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_exit_code(call: *const wasihost_call_t) -> u32 {
    guard_or(0, || {
        // SAFETY: the contract of wasihost_call_t.
        match unsafe { call_ref(call) }.and_then(|(w, _)| w.traced.as_ref()) {
            Some(Traced {
                verdict: Verdict::Exit(code),
                ..
            }) => *code,
            _ => 0,
        }
    })
}

/// In a trace callback, how long the host took over the call, in
/// nanoseconds (the handler included); 0 in a handler.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_duration_ns(call: *const wasihost_call_t) -> u64 {
    guard_or(0, || {
        // SAFETY: the contract of wasihost_call_t.
        unsafe { call_ref(call) }
            .and_then(|(w, _)| w.traced.as_ref())
            .map_or(0, |t| t.duration.as_nanos().min(u64::MAX as u128) as u64)
    })
}

/// The number of the instance that made the call (unique in the process,
/// from 1; `wasihost_instance_number`).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_call_instance(call: *const wasihost_call_t) -> u64 {
    guard_or(0, || {
        // SAFETY: the contract of wasihost_call_t.
        unsafe { call_ref(call) }.map_or(0, |(w, c)| match &w.traced {
            Some(t) => t.instance,
            None => c.instance(),
        })
    })
}
