//! `wasihost_config_t`: what a guest is granted (arguments, environment,
//! preopened directories, stdio, limits), reusable for any number of
//! instances.
//!
//! A config is a description: host files and directories are opened anew
//! for each instance, callbacks are shared by all instances made from it,
//! and each instance gets its own capture buffers.
//!
//! Thread rules: setters need exclusive access (one thread, no instance
//! being created from the config at the same time); creating instances
//! from a config may happen on many threads at once.

use std::ffi::{OsStr, c_char, c_void};
use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

use super::{
    FfiError, arg_bytes, arg_mut, guard, guard_or, path_arg, wasihost_error_t, with_cstrs,
};
use crate::error::Error;
use crate::host::builder::{
    check_arg, check_env, check_env_name, check_max_open_fds, check_preopen, preopen_name,
};
use crate::host::errno_map::GuestErrno;
use crate::host::{Capture, Input, Output, WasiHost, WasiHostBuilder};
use crate::limits::Limits;
use crate::wasi_snapshot_preview1::calls::Hooks;
use crate::wasi_snapshot_preview1::types::errno;

/// Which standard stream (one of `WASIHOST_STDIN`, `WASIHOST_STDOUT`,
/// `WASIHOST_STDERR`).
#[allow(non_camel_case_types)]
pub type wasihost_stream_t = u32;

/// The guest's standard input (fd 0).
pub const WASIHOST_STDIN: wasihost_stream_t = 0;
/// The guest's standard output (fd 1).
pub const WASIHOST_STDOUT: wasihost_stream_t = 1;
/// The guest's standard error (fd 2).
pub const WASIHOST_STDERR: wasihost_stream_t = 2;

/// Flag for `wasihost_config_preopen_dir`: the guest may read but not
/// change anything under the directory (writes fail with `notcapable`).
pub const WASIHOST_PREOPEN_READONLY: u32 = 1;

/// Flag for `wasihost_config_output_file`: append to the file instead of
/// truncating it.
pub const WASIHOST_OUTPUT_APPEND: u32 = 1;

/// Receives what the guest writes to a stream: `len` bytes at `data`,
/// valid only during the call. Return 0 when the bytes were consumed; a
/// WASI errno (1 to 76, `WASIHOST_ERRNO_*` of wasi/api.h: 51 is `nospc`)
/// fails the guest's write with that errno; any other value fails it with
/// errno `io` (29). The run goes on. Called on the thread running the guest,
/// possibly concurrently when several instances of one config run at
/// once. It must not call back into the instance that is running, and
/// must not unwind (a C++ exception or `longjmp`) through the library.
#[allow(non_camel_case_types)]
pub type wasihost_write_callback_t =
    Option<unsafe extern "C" fn(userdata: *mut c_void, data: *const u8, len: usize) -> i32>;

/// Supplies the guest's stdin: write up to `cap` bytes to `buf`, store how
/// many in `*nread_out` (0 means end of input) and return 0; a WASI errno
/// (1 to 76) fails the guest's read with that errno, any other value with
/// errno `io` (29). The same thread
/// and reentrancy rules as `wasihost_write_callback_t` apply.
#[allow(non_camel_case_types)]
pub type wasihost_read_callback_t = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        buf: *mut u8,
        cap: usize,
        nread_out: *mut usize,
    ) -> i32,
>;

/// Releases a callback's `userdata`. Called exactly once, on some thread,
/// when no instance or config uses the callback any more (or at once, when
/// the call that was given the callback fails).
#[allow(non_camel_case_types)]
pub type wasihost_finalizer_t = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// Userdata plus its finalizer, which runs when the last holder drops it.
pub(crate) struct Userdata {
    pub(crate) ptr: *mut c_void,
    finalizer: wasihost_finalizer_t,
}

// SAFETY: the header tells embedders that callbacks and finalizers may run
// on any thread (the one running a guest, the one deleting the last
// holder), concurrently for instances that run at once; the pointer is
// only handed back to their code, never dereferenced here.
unsafe impl Send for Userdata {}
// SAFETY: as above.
unsafe impl Sync for Userdata {}

impl Drop for Userdata {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer {
            // SAFETY: the embedder's finalizer, called once with the
            // userdata it was registered with.
            unsafe { f(self.ptr) }
        }
    }
}

/// The parts of a config made anew for each instance: a capture buffer of
/// its own, or a callback wrapped for it.
#[derive(Clone)]
enum PerInstance<F> {
    /// What the builder says.
    Builder,
    Capture(usize),
    Callback(F, Arc<Userdata>),
}

type ReadFn = unsafe extern "C" fn(*mut c_void, *mut u8, usize, *mut usize) -> i32;
type WriteFn = unsafe extern "C" fn(*mut c_void, *const u8, usize) -> i32;

/// A reusable description of what a guest is granted and the limits it
/// runs under. Nothing is granted by default: no arguments, no
/// environment, no directories, stdin at end of file, stdout and stderr
/// discarded, at most 1024 open fds; no timeout, no fuel limit, at most
/// 4 GiB in all memories and 10 million table elements.
#[allow(non_camel_case_types)]
pub struct wasihost_config_t {
    /// Everything the host is granted: the Rust builder, which checks and
    /// builds it for each instance.
    host: WasiHostBuilder,
    /// How many arguments were pushed (for messages).
    nargs: usize,
    stdin: PerInstance<ReadFn>,
    outputs: [PerInstance<WriteFn>; 2],
    pub(crate) limits: Limits,
    /// Call handlers and the tracer.
    pub(crate) hooks: Hooks,
}

/// The capture buffers of one instance, for stdout and stderr.
pub(crate) type Captures = [Option<Capture>; 2];

impl wasihost_config_t {
    /// Changes the builder.
    pub(crate) fn update(&mut self, f: impl FnOnce(WasiHostBuilder) -> WasiHostBuilder) {
        self.host = f(std::mem::take(&mut self.host));
    }

    /// A host for one instance, and that instance's capture buffers.
    pub(crate) fn build_host(&self) -> Result<(WasiHost, Captures), Error> {
        let mut b = self.host.clone();
        if let PerInstance::Callback(f, ud) = &self.stdin {
            b = b.stdin(Input::reader(ReadCallback {
                f: *f,
                userdata: ud.clone(),
            }));
        }
        let mut captures: Captures = [None, None];
        for (i, slot) in self.outputs.iter().enumerate() {
            let what = if i == 0 { "stdout" } else { "stderr" };
            let out = match slot {
                PerInstance::Builder => continue,
                PerInstance::Capture(cap) => {
                    let c = Capture::new(*cap);
                    captures[i] = Some(c.clone());
                    Output::Capture(c)
                }
                PerInstance::Callback(f, ud) => {
                    let (f, ud) = (*f, ud.clone());
                    Output::callback(move |data| {
                        // SAFETY: the embedder's callback with its own
                        // userdata and a buffer valid for the call.
                        match unsafe { f(ud.ptr, data.as_ptr(), data.len()) } {
                            0 => Ok(()),
                            rc => Err(callback_error(what, rc)),
                        }
                    })
                }
            };
            b = if i == 0 { b.stdout(out) } else { b.stderr(out) };
        }
        Ok((b.build()?, captures))
    }
}

struct ReadCallback {
    f: unsafe extern "C" fn(*mut c_void, *mut u8, usize, *mut usize) -> i32,
    userdata: Arc<Userdata>,
}

impl io::Read for ReadCallback {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0usize;
        // SAFETY: the embedder's callback with its own userdata, a buffer
        // of buf.len() writable bytes and a valid out-pointer.
        let rc = unsafe { (self.f)(self.userdata.ptr, buf.as_mut_ptr(), buf.len(), &mut n) };
        if rc != 0 {
            return Err(callback_error("stdin", rc));
        }
        if n > buf.len() {
            return Err(io::Error::other(format!(
                "stdin callback claimed {n} bytes for a {}-byte buffer",
                buf.len()
            )));
        }
        Ok(n)
    }
}

/// The error of a stdio callback that returned `rc`: the WASI errno `rc`
/// when it is one (1 to 76), else `io`.
fn callback_error(what: &str, rc: i32) -> io::Error {
    match u16::try_from(rc).ok().and_then(errno::from_raw) {
        Some(e) if e != errno::success => GuestErrno(e).into(),
        _ => io::Error::other(format!("{what} callback failed ({rc})")),
    }
}

/// Takes ownership of a callback's userdata: from here on, every path
/// (success or error) ends with the finalizer running once.
pub(crate) fn own_userdata(
    userdata: *mut c_void,
    finalizer: wasihost_finalizer_t,
) -> Arc<Userdata> {
    Arc::new(Userdata {
        ptr: userdata,
        finalizer,
    })
}

/// A duplicate of the caller's fd (close-on-exec), so the caller may close
/// its own at once.
fn dup_fd(fd: i32, what: &str) -> Result<File, FfiError> {
    if fd < 0 {
        return Err(FfiError::invalid(format!("{what}: fd {fd} is negative")));
    }
    // SAFETY: fcntl(F_DUPFD_CLOEXEC) reads no memory; on a closed or
    // invalid fd it fails with EBADF.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if new < 0 {
        let e = io::Error::last_os_error();
        return Err(FfiError::from(Error::from_io(
            crate::ErrorKind::Config,
            format!("{what}: cannot use host fd {fd}: {e}"),
            &e,
        )));
    }
    // SAFETY: `new` is a fresh fd that nothing else owns.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(new) }))
}

/// Runs a setter body on the config.
pub(crate) fn with_config(
    config: *mut wasihost_config_t,
    body: impl FnOnce(&mut wasihost_config_t) -> Result<(), FfiError>,
) -> *mut wasihost_error_t {
    guard(|| {
        // SAFETY: NULL or a live config used by this thread alone, by the
        // contract.
        let config = unsafe { arg_mut(config, "config") }?;
        body(config)
    })
}

impl wasihost_config_t {
    fn set_stdin(&mut self, input: Input) {
        self.stdin = PerInstance::Builder;
        self.update(|b| b.stdin(input));
    }

    fn set_output(&mut self, stream: wasihost_stream_t, output: Output) -> Result<(), FfiError> {
        let i = output_index(stream)?;
        self.outputs[i] = PerInstance::Builder;
        self.update(|b| {
            if i == 0 {
                b.stdout(output)
            } else {
                b.stderr(output)
            }
        });
        Ok(())
    }
}

/// 0 for stdout, 1 for stderr.
fn output_index(stream: wasihost_stream_t) -> Result<usize, FfiError> {
    match stream {
        WASIHOST_STDOUT => Ok(0),
        WASIHOST_STDERR => Ok(1),
        WASIHOST_STDIN => Err(FfiError::invalid(
            "stream is WASIHOST_STDIN, which is not an output (use the wasihost_config_stdin_* functions)",
        )),
        other => Err(FfiError::invalid(format!(
            "stream {other} is not WASIHOST_STDOUT (1) or WASIHOST_STDERR (2)"
        ))),
    }
}

/// A new config that grants nothing, freed with `wasihost_config_delete`.
/// Returns NULL only if the library failed internally.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_new() -> *mut wasihost_config_t {
    guard_or(std::ptr::null_mut(), || {
        Box::into_raw(Box::new(wasihost_config_t {
            host: WasiHostBuilder::new(),
            nargs: 0,
            stdin: PerInstance::Builder,
            outputs: [PerInstance::Builder, PerInstance::Builder],
            limits: Limits::default(),
            hooks: Hooks::new(),
        }))
    })
}

/// Frees a config. Instances made from it stay valid (callbacks they use
/// are finalized when the last of them is deleted). NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_delete(config: *mut wasihost_config_t) {
    guard_or((), || {
        if !config.is_null() {
            // SAFETY: a non-NULL config came from `wasihost_config_new` (a
            // Box) and is deleted once, by the contract.
            drop(unsafe { Box::from_raw(config) });
        }
    })
}

/// Appends an argument (`arg`, `len` bytes; the first argument is the
/// program name, `argv[0]`). Fails if it contains a NUL byte.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_push_arg(
    config: *mut wasihost_config_t,
    arg: *const u8,
    len: usize,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        // SAFETY: NULL or live, by the contract.
        let arg = unsafe { arg_bytes(arg, len, "arg") }?;
        check_arg(c.nargs, arg).map_err(FfiError::invalid)?;
        c.nargs += 1;
        c.update(|b| b.arg(arg));
        Ok(())
    })
}

/// `wasihost_config_push_arg` with `arg` a NUL-terminated string.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_push_arg_str(
    config: *mut wasihost_config_t,
    arg: *const c_char,
) -> *mut wasihost_error_t {
    with_cstrs([(arg, "arg")], |[a]| {
        wasihost_config_push_arg(config, a.as_ptr(), a.len())
    })
}

/// `wasihost_config_set_env` with `name` and `value` NUL-terminated
/// strings.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_env_str(
    config: *mut wasihost_config_t,
    name: *const c_char,
    value: *const c_char,
) -> *mut wasihost_error_t {
    with_cstrs([(name, "name"), (value, "value")], |[n, v]| {
        wasihost_config_set_env(config, n.as_ptr(), n.len(), v.as_ptr(), v.len())
    })
}

/// `wasihost_config_preopen_dir` with `host_path` and `guest_path`
/// NUL-terminated strings.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_preopen_dir_str(
    config: *mut wasihost_config_t,
    host_path: *const c_char,
    guest_path: *const c_char,
    flags: u32,
) -> *mut wasihost_error_t {
    with_cstrs(
        [(host_path, "host_path"), (guest_path, "guest_path")],
        |[h, g]| {
            wasihost_config_preopen_dir(config, h.as_ptr(), h.len(), g.as_ptr(), g.len(), flags)
        },
    )
}

/// Sets the guest environment variable `name` to `value`, replacing an
/// earlier setting of the same name. Fails if the name is empty or holds
/// `=` or NUL, or the value holds NUL.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_env(
    config: *mut wasihost_config_t,
    name: *const u8,
    name_len: usize,
    value: *const u8,
    value_len: usize,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        // SAFETY: NULL or live, by the contract.
        let name = unsafe { arg_bytes(name, name_len, "name") }?;
        let value = unsafe { arg_bytes(value, value_len, "value") }?;
        set_env(c, name, value)
    })
}

fn set_env(c: &mut wasihost_config_t, name: &[u8], value: &[u8]) -> Result<(), FfiError> {
    check_env(name, value).map_err(FfiError::invalid)?;
    c.update(|b| b.env(name, value));
    Ok(())
}

/// Copies the host process's whole environment, as it is at this call,
/// into the guest's (later `wasihost_config_set_env` calls override it).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_inherit_env(
    config: *mut wasihost_config_t,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        for (n, v) in std::env::vars_os() {
            set_env(c, n.as_bytes(), v.as_bytes())?;
        }
        Ok(())
    })
}

/// Copies the host environment variable `name` (as it is at this call)
/// into the guest's; nothing happens if the host does not have it.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_inherit_env_var(
    config: *mut wasihost_config_t,
    name: *const u8,
    name_len: usize,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        // SAFETY: NULL or live, by the contract.
        let name = unsafe { arg_bytes(name, name_len, "name") }?;
        check_env_name(name).map_err(FfiError::invalid)?;
        match std::env::var_os(OsStr::from_bytes(name)) {
            Some(v) => set_env(c, name, v.as_bytes()),
            None => Ok(()),
        }
    })
}

/// Grants the guest the host directory `host_path`, mounted at the guest
/// path `guest_path` (e.g. `/data`). `flags` is 0 or
/// `WASIHOST_PREOPEN_READONLY`. Preopens get guest fds 3, 4, ... in the
/// order they are added. The directory is checked now (a missing one fails
/// with errno `noent`) and opened anew for each instance; the guest
/// reaches nothing outside it (`..`, absolute paths and symlinks that
/// lead out fail with `perm`).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_preopen_dir(
    config: *mut wasihost_config_t,
    host_path: *const u8,
    host_path_len: usize,
    guest_path: *const u8,
    guest_path_len: usize,
    flags: u32,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        let host = path_arg(host_path, host_path_len, "host_path")?;
        // SAFETY: NULL or live, by the contract.
        let guest = unsafe { arg_bytes(guest_path, guest_path_len, "guest_path") }?;
        let shown = preopen_name(&host, guest);
        check_preopen(&host, guest).map_err(FfiError::invalid)?;
        if flags & !WASIHOST_PREOPEN_READONLY != 0 {
            return Err(FfiError::invalid(format!(
                "{shown}: unknown flags {flags:#x}"
            )));
        }
        match std::fs::metadata(&host) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                let e = io::Error::from_raw_os_error(libc::ENOTDIR);
                return Err(FfiError::from(Error::from_io(
                    crate::ErrorKind::Config,
                    format!("{shown}: {e}"),
                    &e,
                )));
            }
            Err(e) => {
                return Err(FfiError::from(Error::from_io(
                    crate::ErrorKind::Config,
                    format!("{shown}: {e}"),
                    &e,
                )));
            }
        }
        if flags & WASIHOST_PREOPEN_READONLY != 0 {
            c.update(|b| b.preopen_dir_readonly(&host, guest));
        } else {
            c.update(|b| b.preopen_dir(&host, guest));
        }
        Ok(())
    })
}

/// The most fds the guest may hold open at once, stdio and preopens
/// included (default 1024); opening more fails with `mfile`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_max_open_fds(
    config: *mut wasihost_config_t,
    max: usize,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        check_max_open_fds(max, 0).map_err(FfiError::invalid)?;
        c.update(|b| b.max_open_fds(max));
        Ok(())
    })
}

/// How long each entry into the guest may take, in nanoseconds:
/// instantiation (the module's start function), then each
/// `wasihost_instance_run` and each `wasihost_instance_call`, each with the
/// whole timeout anew (0: no timeout, the default). A guest past it ends
/// with an error of kind `WASIHOST_ERROR_KIND_TIMEOUT`, also while it
/// waits in a host call (a sleep, a read of stdin or of a pipe). Needs an
/// engine made with `WASIHOST_ENGINE_INTERRUPTIBLE`: instantiating with
/// another fails with `WASIHOST_ERROR_KIND_CONFIG`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_timeout_ns(
    config: *mut wasihost_config_t,
    timeout_ns: u64,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.limits = c.limits.clone().no_timeout();
        if timeout_ns > 0 {
            c.limits = c
                .limits
                .clone()
                .timeout(std::time::Duration::from_nanos(timeout_ns));
        }
        Ok(())
    })
}

/// The instruction budget of each instance over its whole life, in
/// wasmtime's fuel units (about one per wasm instruction); a guest that
/// uses it up ends with an error of kind
/// `WASIHOST_ERROR_KIND_FUEL_EXHAUSTED`. Needs an engine made with
/// `WASIHOST_ENGINE_FUEL`: instantiating with another fails with
/// `WASIHOST_ERROR_KIND_CONFIG`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_fuel(
    config: *mut wasihost_config_t,
    fuel: u64,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.limits = c.limits.clone().fuel(fuel);
        Ok(())
    })
}

/// The most bytes all of an instance's linear memories may hold together
/// (default 4 GiB). A `memory.grow` beyond it returns -1 to the guest, as
/// wasm specifies when memory cannot grow (see
/// `wasihost_instance_memory_limit_reached`); a module whose memories start
/// larger fails to instantiate with `WASIHOST_ERROR_KIND_MEMORY_LIMIT`.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_max_memory(
    config: *mut wasihost_config_t,
    bytes: u64,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.limits = c.limits.clone().max_memory(bytes);
        Ok(())
    })
}

/// The most elements all of an instance's tables may hold together
/// (default 10 million); a `table.grow` beyond it returns -1.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_set_max_table_elements(
    config: *mut wasihost_config_t,
    elements: u64,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.limits = c.limits.clone().max_table_elements(elements);
        Ok(())
    })
}

/// The guest reads the host process's own stdin.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_stdin_inherit(
    config: *mut wasihost_config_t,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.set_stdin(Input::Inherit);
        Ok(())
    })
}

/// The guest's stdin is at end of file (the default).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_stdin_null(
    config: *mut wasihost_config_t,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.set_stdin(Input::Null);
        Ok(())
    })
}

/// The guest reads these bytes (copied now), then end of file; every
/// instance reads them from the start.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_stdin_bytes(
    config: *mut wasihost_config_t,
    bytes: *const u8,
    len: usize,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        // SAFETY: NULL or live, by the contract.
        let bytes = unsafe { arg_bytes(bytes, len, "bytes") }?;
        c.set_stdin(Input::Bytes(Arc::from(bytes)));
        Ok(())
    })
}

/// The guest reads the host file at `path`, opened for each instance (a
/// missing file fails the instance's creation with errno `noent`).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_stdin_file(
    config: *mut wasihost_config_t,
    path: *const u8,
    path_len: usize,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.set_stdin(Input::Path(path_arg(path, path_len, "path")?));
        Ok(())
    })
}

/// The guest reads the host fd `fd`. The library duplicates it now, so the
/// caller may close its own; all instances share the duplicate's file
/// position.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_stdin_fd(
    config: *mut wasihost_config_t,
    fd: i32,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.set_stdin(Input::File(dup_fd(fd, "stdin")?));
        Ok(())
    })
}

/// The guest's stdin comes from `read` (see `wasihost_read_callback_t`).
/// The library owns `userdata` from this call on: `finalizer` (may be
/// NULL) runs once when no config or instance uses it any more, or before
/// this function returns if it fails.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_stdin_callback(
    config: *mut wasihost_config_t,
    read: wasihost_read_callback_t,
    userdata: *mut c_void,
    finalizer: wasihost_finalizer_t,
) -> *mut wasihost_error_t {
    let ud = own_userdata(userdata, finalizer);
    with_config(config, move |c| {
        let read = read.ok_or_else(|| FfiError::null("read"))?;
        c.stdin = PerInstance::Callback(read, ud);
        Ok(())
    })
}

/// `stream` (`WASIHOST_STDOUT` or `WASIHOST_STDERR`) goes to the host
/// process's own stdout or stderr, unbuffered.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_output_inherit(
    config: *mut wasihost_config_t,
    stream: wasihost_stream_t,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.set_output(stream, Output::Inherit)?;
        Ok(())
    })
}

/// `stream` is discarded (the default); the guest's writes succeed.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_output_null(
    config: *mut wasihost_config_t,
    stream: wasihost_stream_t,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.set_output(stream, Output::Null)?;
        Ok(())
    })
}

/// `stream` goes to the host file at `path`, created (mode 0666 minus the
/// umask) or truncated for each instance; with `WASIHOST_OUTPUT_APPEND` in
/// `flags` it is appended to instead.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_output_file(
    config: *mut wasihost_config_t,
    stream: wasihost_stream_t,
    path: *const u8,
    path_len: usize,
    flags: u32,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        let path = path_arg(path, path_len, "path")?;
        if flags & !WASIHOST_OUTPUT_APPEND != 0 {
            return Err(FfiError::invalid(format!("unknown flags {flags:#x}")));
        }
        let out = if flags & WASIHOST_OUTPUT_APPEND != 0 {
            Output::AppendPath(path)
        } else {
            Output::Path(path)
        };
        c.set_output(stream, out)?;
        Ok(())
    })
}

/// `stream` goes to the host fd `fd`, duplicated now (the caller may close
/// its own).
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_output_fd(
    config: *mut wasihost_config_t,
    stream: wasihost_stream_t,
    fd: i32,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        output_index(stream)?;
        c.set_output(stream, Output::File(dup_fd(fd, "output")?))?;
        Ok(())
    })
}

/// `stream` is kept in memory, up to `cap` bytes per instance; read it
/// with `wasihost_instance_capture`. Writes past the cap still succeed for
/// the guest, and the capture reports that it was truncated.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_output_capture(
    config: *mut wasihost_config_t,
    stream: wasihost_stream_t,
    cap: usize,
) -> *mut wasihost_error_t {
    with_config(config, |c| {
        c.outputs[output_index(stream)?] = PerInstance::Capture(cap);
        Ok(())
    })
}

/// `stream` goes to `write` (see `wasihost_write_callback_t`), called once
/// per buffer the guest writes, in order. The library owns `userdata` from
/// this call on: `finalizer` (may be NULL) runs once when no config or
/// instance uses it any more, or before this function returns if it
/// fails.
#[unsafe(no_mangle)]
pub extern "C" fn wasihost_config_output_callback(
    config: *mut wasihost_config_t,
    stream: wasihost_stream_t,
    write: wasihost_write_callback_t,
    userdata: *mut c_void,
    finalizer: wasihost_finalizer_t,
) -> *mut wasihost_error_t {
    let ud = own_userdata(userdata, finalizer);
    with_config(config, move |c| {
        let write = write.ok_or_else(|| FfiError::null("write"))?;
        c.outputs[output_index(stream)?] = PerInstance::Callback(write, ud);
        Ok(())
    })
}
