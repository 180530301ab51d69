//! What bounds a guest: [`Limits`] (a timeout per entry into the guest,
//! fuel, a cap on all its memories and on all its tables), the cancel
//! token behind [`InterruptHandle`] that every blocking host wait wakes on,
//! and the timer that fires timeouts.
//!
//! Costs: without an interruptible engine no cancel token exists and no
//! epoch check is compiled into guest code; with one, a run with a timeout
//! adds a map insertion and removal on the shared timer per entry into the
//! guest. The memory and table caps are checked by wasmtime's resource
//! limiter, which runs only when a memory or table grows.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use rustix::event::{EventfdFlags, PollFd, PollFlags};

use crate::error::{Error, ErrorKind};

/// The default cap on the bytes of all of an instance's linear memories
/// together: 4 GiB, the most one 32-bit memory can hold, so that no wasm32
/// program that runs elsewhere is refused, while multiple memories and
/// 64-bit memories cannot take the host's memory (RATIONALE.md, Limits).
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

/// The default cap on the elements of all of an instance's tables
/// together: 10 million (80 MB of host memory at 8 bytes an element); a
/// large C++ program's function table holds some tens of thousands.
pub const DEFAULT_MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// The limits one instance runs under. The default: no timeout, no fuel
/// limit, [`DEFAULT_MAX_MEMORY`] and [`DEFAULT_MAX_TABLE_ELEMENTS`].
///
/// ```
/// use std::time::Duration;
/// use wasihost_core::Limits;
/// let limits = Limits::new()
///     .timeout(Duration::from_secs(5))
///     .max_memory(64 << 20);
/// assert_eq!(limits.get_timeout(), Some(Duration::from_secs(5)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    timeout: Option<Duration>,
    fuel: Option<u64>,
    max_memory: u64,
    max_table_elements: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: None,
            fuel: None,
            max_memory: DEFAULT_MAX_MEMORY,
            max_table_elements: DEFAULT_MAX_TABLE_ELEMENTS,
        }
    }
}

impl Limits {
    /// The default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long each entry into the guest may take: instantiation (the
    /// module's start function), then each run of `_start` and each call
    /// of an export, each with the whole timeout anew. A guest past it ends
    /// with [`Outcome::TimedOut`](crate::Outcome::TimedOut), also while it
    /// waits in a host call (a sleep, a read of a pipe). Needs an
    /// interruptible engine ([`EngineBuilder::interruptible`](crate::EngineBuilder::interruptible)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No timeout (the default).
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// The instruction budget of the instance over its whole life, in
    /// wasmtime's fuel units (about one per wasm instruction). A guest
    /// that uses it up ends with
    /// [`Outcome::FuelExhausted`](crate::Outcome::FuelExhausted). Needs an
    /// engine with fuel metering ([`EngineBuilder::fuel`](crate::EngineBuilder::fuel)).
    pub fn fuel(mut self, fuel: u64) -> Self {
        self.fuel = Some(fuel);
        self
    }

    /// The most bytes all of the instance's linear memories may hold
    /// together (default [`DEFAULT_MAX_MEMORY`]). A `memory.grow` beyond it
    /// returns -1 to the guest, as wasm specifies when memory cannot grow;
    /// a module whose memories start larger cannot be instantiated
    /// ([`Outcome::MemoryLimit`](crate::Outcome::MemoryLimit)).
    pub fn max_memory(mut self, bytes: u64) -> Self {
        self.max_memory = bytes;
        self
    }

    /// The most elements all of the instance's tables may hold together
    /// (default [`DEFAULT_MAX_TABLE_ELEMENTS`]); a `table.grow` beyond it
    /// returns -1.
    pub fn max_table_elements(mut self, n: u64) -> Self {
        self.max_table_elements = n;
        self
    }

    /// The timeout per entry into the guest, if any.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The fuel budget, if any.
    pub fn get_fuel(&self) -> Option<u64> {
        self.fuel
    }

    /// The cap on all memories, in bytes.
    pub fn get_max_memory(&self) -> u64 {
        self.max_memory
    }

    /// The cap on all table elements.
    pub fn get_max_table_elements(&self) -> u64 {
        self.max_table_elements
    }
}

/// The cancel token was set: the guest was interrupted or ran past its
/// timeout. A host wait that returns this should return to the guest at
/// once (with any errno: the guest ends at its next function entry or
/// loop iteration, before it can act on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the guest was interrupted or timed out")
    }
}

impl std::error::Error for Cancelled {}

/// The error an interrupted guest stops with.
#[derive(Debug)]
pub(crate) struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// The error a guest past its timeout stops with.
#[derive(Debug)]
pub(crate) struct TimedOut;

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("timed out")
    }
}

impl std::error::Error for TimedOut {}

const INTERRUPTED: u8 = 1;
const TIMED_OUT: u8 = 2;

/// A deadline on the timer: when, and a number that makes it unique.
type TimerKey = (Instant, u64);

/// The cancel token of one instance (or of several, when they share an
/// [`InterruptHandle`]): set by an interrupt or a timeout, read by the
/// epoch check in guest code and by every blocking wait of the host.
///
/// A host implementation reaches it through
/// [`Ctx::cancel`](crate::wasi_snapshot_preview1::Ctx::cancel), to make its
/// own waits end when the guest is stopped.
pub struct Cancel {
    state: AtomicU8,
    /// An eventfd, readable while the token is set; `None` only when the
    /// kernel refused one (then waits poll in slices of [`SLICE`]).
    wake: Option<OwnedFd>,
    /// The engines of the instances that use the token: their epoch moves
    /// on when it is set, so that running guest code checks it.
    engines: Mutex<Vec<wasmtime::Engine>>,
    /// The timeout armed for the current entry into the guest.
    armed: Mutex<Option<TimerKey>>,
    /// How many entries into the guest are in progress (several when
    /// instances share the token).
    running: AtomicUsize,
}

/// How often the epoch moves on again while a stopped guest still runs.
/// One move is not always enough: a guest whose epoch check ran just
/// before the token was set gets its next deadline counted from the epoch
/// that move made, and would never see it.
const RESIGNAL: Duration = Duration::from_millis(10);

/// How long a wait sleeps between checks of a token without an eventfd.
const SLICE: Duration = Duration::from_millis(5);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cancel {
    fn new() -> Arc<Cancel> {
        let wake = rustix::event::eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).ok();
        Arc::new(Cancel {
            state: AtomicU8::new(0),
            wake,
            engines: Mutex::new(Vec::new()),
            armed: Mutex::new(None),
            running: AtomicUsize::new(0),
        })
    }

    /// Whether the guest was interrupted or timed out.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::SeqCst) != 0
    }

    /// Whether the guest was interrupted (it stays so).
    pub fn is_interrupted(&self) -> bool {
        self.state.load(Ordering::SeqCst) & INTERRUPTED != 0
    }

    /// Whether the current entry into the guest ran past its timeout.
    pub fn is_timed_out(&self) -> bool {
        self.state.load(Ordering::SeqCst) & TIMED_OUT != 0
    }

    /// The error that ends the guest, once the token is set.
    #[inline]
    pub(crate) fn stop_error(&self) -> Option<wasmtime::Error> {
        let state = self.state.load(Ordering::SeqCst);
        if state & INTERRUPTED != 0 {
            Some(wasmtime::Error::new(Interrupted))
        } else if state & TIMED_OUT != 0 {
            Some(wasmtime::Error::new(TimedOut))
        } else {
            None
        }
    }

    /// An fd that is readable while the token is set, to add to a
    /// `poll(2)` set of one's own.
    pub fn wake_fd(&self) -> Option<BorrowedFd<'_>> {
        self.wake.as_ref().map(|fd| fd.as_fd())
    }

    /// Sleeps for `duration`, or until the token is set.
    pub fn sleep(&self, duration: Duration) -> Result<(), Cancelled> {
        self.poll(&mut [], Some(duration)).map(|_| ())
    }

    /// Waits until `fd` is readable (or writable, with `write`), the
    /// `timeout` passes (`Ok(false)`), or the token is set.
    pub fn wait_fd<'a>(
        &'a self,
        fd: BorrowedFd<'a>,
        write: bool,
        timeout: Option<Duration>,
    ) -> Result<bool, Cancelled> {
        let want = if write { PollFlags::OUT } else { PollFlags::IN };
        let mut fds = [PollFd::from_borrowed_fd(fd, want)];
        self.poll(&mut fds, timeout)
            .map(|_| !fds[0].revents().is_empty())
    }

    /// `poll(2)` on `fds` and the token together: returns when one of
    /// `fds` is ready (`Ok(true)`), when `timeout` passes (`Ok(false)`), or
    /// when the token is set (`Err`). An error of `poll(2)` itself counts
    /// as ready, so that the caller's next syscall reports it.
    pub fn poll<'a>(
        &'a self,
        fds: &mut [PollFd<'a>],
        timeout: Option<Duration>,
    ) -> Result<bool, Cancelled> {
        let until = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            if self.is_cancelled() {
                return Err(Cancelled);
            }
            let left = until.map(|u| u.saturating_duration_since(Instant::now()));
            let (slice, sliced) = match (&self.wake, left) {
                (Some(_), left) => (left, false),
                (None, Some(l)) if l <= SLICE => (Some(l), false),
                (None, _) => (Some(SLICE), true),
            };
            let ready = poll_with(fds, self.wake_fd(), slice);
            if self.is_cancelled() {
                return Err(Cancelled);
            }
            match ready {
                Ok(true) | Err(_) => return Ok(true),
                Ok(false) if sliced => continue,
                Ok(false) => {
                    if until.is_some_and(|u| Instant::now() >= u) {
                        return Ok(false);
                    }
                    // EINTR, or the eventfd left readable by a timeout that
                    // was cleared meanwhile: empty it, or the next poll
                    // returns at once again.
                    self.drain();
                }
            }
        }
    }

    /// Sets `bit` and wakes every wait and every running guest.
    fn set(self: &Arc<Cancel>, bit: u8) {
        self.state.fetch_or(bit, Ordering::SeqCst);
        self.signal();
        self.resignal_later();
    }

    /// While an entry into the guest is in progress, moves the epoch on
    /// again in `RESIGNAL` (and so on, from `fire`, until the entry ends).
    fn resignal_later(self: &Arc<Cancel>) {
        if self.running.load(Ordering::SeqCst) > 0
            && let Ok(t) = timer()
        {
            t.add(Instant::now() + RESIGNAL, Arc::downgrade(self));
        }
    }

    fn signal(&self) {
        if let Some(fd) = &self.wake {
            // Fails only when the counter would overflow: it is readable
            // then anyway.
            let _ = rustix::io::write(fd, &1u64.to_ne_bytes());
        }
        for engine in lock(&self.engines).iter() {
            engine.increment_epoch();
        }
    }

    /// Records that an instance of `engine` uses the token.
    pub(crate) fn attach(&self, engine: &wasmtime::Engine) {
        let mut engines = lock(&self.engines);
        if !engines.iter().any(|e| wasmtime::Engine::same(e, engine)) {
            engines.push(engine.clone());
        }
    }

    /// Starts an entry into the guest: clears a timeout of the previous
    /// one, and arms `timeout` (if any) until the guard is dropped.
    pub(crate) fn enter(self: &Arc<Cancel>, timeout: Option<Duration>) -> Result<Entry, Error> {
        if self.state.fetch_and(!TIMED_OUT, Ordering::SeqCst) == TIMED_OUT {
            self.drain();
        }
        self.running.fetch_add(1, Ordering::SeqCst);
        // An interrupt that came before this entry counted as running:
        // keep signalling it for this entry too.
        if self.is_cancelled() {
            self.resignal_later();
        }
        let running = Running(self.clone());
        let Some(timeout) = timeout else {
            return Ok(Entry {
                cancel: None,
                _running: running,
            });
        };
        let at = Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 86_400));
        let key = timer()?.add(at, Arc::downgrade(self));
        *lock(&self.armed) = Some(key);
        Ok(Entry {
            cancel: Some((self.clone(), key)),
            _running: running,
        })
    }

    /// Empties the eventfd after a timeout was cleared; if an interrupt
    /// came meanwhile, signals it again.
    fn drain(&self) {
        if let Some(fd) = &self.wake {
            let mut buf = [0u8; 8];
            let _ = rustix::io::read(fd, &mut buf);
        }
        if self.is_cancelled() {
            self.signal();
        }
    }

    /// The timer reached `key`: a timeout, if it is still the armed one;
    /// else the next move of the epoch for a stopped guest that still runs.
    fn fire(self: &Arc<Cancel>, key: TimerKey) {
        let armed = lock(&self.armed);
        if *armed == Some(key) {
            drop(armed);
            self.set(TIMED_OUT);
        } else if self.is_cancelled() {
            drop(armed);
            self.signal();
            self.resignal_later();
        }
    }
}

/// One `poll(2)` on `fds`, up to `timeout` (forever for `None`): how many
/// are ready; an interrupted poll (`EINTR`) reports none.
pub(crate) fn poll_once(
    fds: &mut [PollFd<'_>],
    timeout: Option<Duration>,
) -> Result<usize, rustix::io::Errno> {
    let ts = timeout.map(|d| rustix::time::Timespec {
        tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: d.subsec_nanos() as _,
    });
    match rustix::event::poll(fds, ts.as_ref()) {
        Err(rustix::io::Errno::INTR) => Ok(0),
        other => other,
    }
}

/// `poll(2)` on `fds` plus `wake`: whether one of `fds` (not `wake`) is
/// ready. Returns at once if `wake` is readable.
fn poll_with<'a>(
    fds: &mut [PollFd<'a>],
    wake: Option<BorrowedFd<'a>>,
    timeout: Option<Duration>,
) -> io::Result<bool> {
    let run = |set: &mut [PollFd<'_>]| poll_once(set, timeout).map_err(io::Error::from);
    let Some(wake) = wake else {
        return run(fds).map(|n| n > 0);
    };
    // The caller's fds and the wake fd in one set (its size is the
    // caller's, bounded by the fd table).
    let mut set: Vec<PollFd<'a>> = Vec::with_capacity(fds.len() + 1);
    set.extend_from_slice(fds);
    set.push(PollFd::from_borrowed_fd(wake, PollFlags::IN));
    run(&mut set)?;
    let mut any = false;
    for (dst, src) in fds.iter_mut().zip(&set) {
        any |= !src.revents().is_empty();
        *dst = src.clone();
    }
    Ok(any)
}

/// An entry into the guest; dropping it disarms its timeout.
pub(crate) struct Entry {
    cancel: Option<(Arc<Cancel>, TimerKey)>,
    /// Counts the entry as running until it is dropped.
    _running: Running,
}

/// An entry counted in its token's `running`.
struct Running(Arc<Cancel>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        if let Some((cancel, key)) = self.cancel.take() {
            let mut armed = lock(&cancel.armed);
            if *armed == Some(key) {
                *armed = None;
            }
            drop(armed);
            if let Ok(t) = timer() {
                t.remove(key);
            }
        }
    }
}

/// Stops a guest from any thread: an interrupt, and the token a timeout
/// sets. Get one from [`Instance::interrupt_handle`](crate::Instance::interrupt_handle),
/// or make one with [`InterruptHandle::new`] and pass it to
/// [`Module::instantiate_with`](crate::Module::instantiate_with) to be able
/// to stop the module's start function too. One handle may serve several
/// instances: an interrupt stops them all, and so does a timeout of any of
/// them, so share a handle only among instances that share a fate.
#[derive(Clone)]
pub struct InterruptHandle {
    pub(crate) cancel: Arc<Cancel>,
}

impl Default for InterruptHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl InterruptHandle {
    /// A handle not yet tied to an instance.
    pub fn new() -> InterruptHandle {
        InterruptHandle {
            cancel: Cancel::new(),
        }
    }

    /// Stops the instances that use this handle: the call running in them
    /// (or, if none is running, the next one) ends with
    /// [`Outcome::Interrupted`](crate::Outcome::Interrupted) at its next
    /// loop iteration or function entry, or, when it waits in a host call
    /// (a sleep, a read of a pipe or of stdin), as soon as that wait wakes;
    /// and so does every later call. Safe from any thread, any number of
    /// times.
    pub fn interrupt(&self) {
        self.cancel.set(INTERRUPTED);
    }

    /// Whether [`interrupt`](Self::interrupt) was called.
    pub fn is_interrupted(&self) -> bool {
        self.cancel.is_interrupted()
    }
}

impl std::fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterruptHandle")
            .field("interrupted", &self.is_interrupted())
            .finish()
    }
}

/// The one thread that fires every timeout of the process, started on
/// first use.
struct Timer {
    queue: Mutex<BTreeMap<TimerKey, Weak<Cancel>>>,
    changed: Condvar,
    next: AtomicU64,
}

fn timer() -> Result<&'static Timer, Error> {
    static TIMER: OnceLock<Result<&'static Timer, String>> = OnceLock::new();
    TIMER
        .get_or_init(|| {
            let t: &'static Timer = Box::leak(Box::new(Timer {
                queue: Mutex::new(BTreeMap::new()),
                changed: Condvar::new(),
                next: AtomicU64::new(0),
            }));
            std::thread::Builder::new()
                .name("wasihost-timer".into())
                .spawn(move || t.run())
                .map(|_| t)
                .map_err(|e| format!("cannot start the timeout thread: {e}"))
        })
        .clone()
        .map_err(|msg| Error::new(ErrorKind::Engine, msg))
}

impl Timer {
    fn add(&self, at: Instant, cancel: Weak<Cancel>) -> TimerKey {
        let key = (at, self.next.fetch_add(1, Ordering::Relaxed));
        let mut q = lock(&self.queue);
        let first = q.first_key_value().is_none_or(|(k, _)| key < *k);
        q.insert(key, cancel);
        drop(q);
        if first {
            self.changed.notify_one();
        }
        key
    }

    fn remove(&self, key: TimerKey) {
        lock(&self.queue).remove(&key);
    }

    fn run(&self) {
        let mut q = lock(&self.queue);
        loop {
            let now = Instant::now();
            let Some((&key, _)) = q.first_key_value() else {
                q = self.changed.wait(q).unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            if key.0 > now {
                q = self
                    .changed
                    .wait_timeout(q, key.0 - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                continue;
            }
            let due = q.remove(&key);
            drop(q);
            if let Some(cancel) = due.and_then(|w| w.upgrade()) {
                cancel.fire(key);
            }
            q = lock(&self.queue);
        }
    }
}

/// wasmtime's resource limiter for one instance: the caps of [`Limits`]
/// over the sum of all its memories and of all its tables.
pub(crate) struct Limiter {
    max_memory: u64,
    max_table: u64,
    memory: u64,
    tables: u64,
    /// The last growth allowed, taken back if wasmtime then fails it.
    last_memory: u64,
    last_table: u64,
    reached: bool,
}

impl Limiter {
    pub(crate) fn new(limits: &Limits) -> Limiter {
        Limiter {
            max_memory: limits.max_memory,
            max_table: limits.max_table_elements,
            memory: 0,
            tables: 0,
            last_memory: 0,
            last_table: 0,
            reached: false,
        }
    }

    /// Unlimited: for a store whose embedder set no limits.
    pub(crate) fn unlimited() -> Limiter {
        Limiter::new(&Limits {
            max_memory: u64::MAX,
            max_table_elements: u64::MAX,
            ..Limits::default()
        })
    }

    /// Whether a growth was refused.
    pub(crate) fn reached(&self) -> bool {
        self.reached
    }
}

/// `total - current + desired` if that stays within `max`.
fn grow(total: u64, current: usize, desired: usize, max: u64) -> Option<u64> {
    total
        .checked_sub(current as u64)?
        .checked_add(desired as u64)
        .filter(|&t| t <= max)
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        match grow(self.memory, current, desired, self.max_memory) {
            Some(total) => {
                self.last_memory = total - self.memory;
                self.memory = total;
                Ok(true)
            }
            None => {
                self.reached = true;
                Ok(false)
            }
        }
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory -= std::mem::take(&mut self.last_memory);
        Ok(())
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        match grow(self.tables, current, desired, self.max_table) {
            Some(total) => {
                self.last_table = total - self.tables;
                self.tables = total;
                Ok(true)
            }
            None => {
                self.reached = true;
                Ok(false)
            }
        }
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.tables -= std::mem::take(&mut self.last_table);
        Ok(())
    }
}
