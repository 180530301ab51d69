//! The WASI clocks: the host's own by default, or a [`Clock`] the embedder
//! supplies (a [`VirtualClock`] for deterministic runs).
//!
//! `clock_res_get`, `clock_time_get` and `poll_oneoff` read time only
//! through the host's `Clocks`, and `poll_oneoff` waits for a clock only through
//! it, so a clock that is not the host's governs the guest's whole sense
//! of time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rustix::time::{ClockId, Timespec};

use crate::limits::Cancel;
use crate::wasi_snapshot_preview1::types::{clockid, errno, fstflags, timestamp};

/// A source of time for a guest: the four WASI clocks and a way to wait
/// on the monotonic one.
///
/// Methods run on the guest's thread during its calls and must not panic.
pub trait Clock: Send + Sync + 'static {
    /// The time of clock `id` in nanoseconds; [`errno::inval`] for an
    /// unknown clock.
    fn now(&self, id: clockid) -> Result<timestamp, errno>;

    /// The resolution of clock `id` in nanoseconds (not 0).
    fn resolution(&self, id: clockid) -> Result<timestamp, errno>;

    /// Waits `ns` nanoseconds of the monotonic clock (`poll_oneoff` with a
    /// clock subscription). A wait of real time must end early, with
    /// [`errno::intr`], when `cancel` is set (use [`Cancel::sleep`]); a
    /// virtual clock advances by `ns` and returns at once.
    fn sleep(&self, ns: u64, cancel: Option<&Cancel>) -> Result<(), errno>;

    /// Whether the monotonic clock follows real time, so that a wait for
    /// host fds with a real timeout also waits on this clock. When false,
    /// `poll_oneoff` asks host fds without waiting and then calls
    /// [`Clock::sleep`].
    fn is_real_time(&self) -> bool {
        false
    }
}

/// The host's clocks (`clock_gettime(2)`), waited on with real sleeps.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self, id: clockid) -> Result<timestamp, errno> {
        now(id)
    }

    fn resolution(&self, id: clockid) -> Result<timestamp, errno> {
        resolution(id)
    }

    fn sleep(&self, ns: u64, cancel: Option<&Cancel>) -> Result<(), errno> {
        real_sleep(ns, cancel)
    }

    fn is_real_time(&self) -> bool {
        true
    }
}

/// A clock that only moves when the guest waits: the wall clock stays at
/// a chosen instant, the monotonic clock (and the two CPU-time clocks,
/// which read the same) starts at 0 and advances by exactly what the
/// guest sleeps, at once. Two runs of a guest see the same times.
#[derive(Debug)]
pub struct VirtualClock {
    wall: timestamp,
    monotonic: AtomicU64,
}

impl VirtualClock {
    /// The instant the wall clock shows by default: 2000-01-01T00:00:00Z.
    pub const DEFAULT_WALL: timestamp = 946_684_800_000_000_000;

    /// A clock whose wall time is frozen at `wall` (nanoseconds since the
    /// Unix epoch) and whose monotonic time starts at 0.
    pub fn new(wall: timestamp) -> VirtualClock {
        VirtualClock {
            wall,
            monotonic: AtomicU64::new(0),
        }
    }

    /// The monotonic time so far: the total the guest slept.
    pub fn elapsed(&self) -> timestamp {
        self.monotonic.load(Ordering::Relaxed)
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock::new(VirtualClock::DEFAULT_WALL)
    }
}

impl Clock for VirtualClock {
    fn now(&self, id: clockid) -> Result<timestamp, errno> {
        match id {
            clockid::realtime => Ok(self.wall),
            clockid::monotonic | clockid::process_cputime_id | clockid::thread_cputime_id => {
                Ok(self.elapsed())
            }
            _ => Err(errno::inval),
        }
    }

    fn resolution(&self, id: clockid) -> Result<timestamp, errno> {
        self.now(id).map(|_| 1)
    }

    fn sleep(&self, ns: u64, _cancel: Option<&Cancel>) -> Result<(), errno> {
        // Saturates rather than wraps: a sleep of u64::MAX ns leaves the
        // clock at its end.
        let _ = self
            .monotonic
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                Some(t.saturating_add(ns))
            });
        Ok(())
    }
}

/// The clock a host reads: the system's, inline, or an embedder's.
#[derive(Clone, Default)]
pub(crate) enum Clocks {
    #[default]
    System,
    Custom(Arc<dyn Clock>),
}

impl std::fmt::Debug for Clocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Clocks::System => "System",
            Clocks::Custom(_) => "Custom",
        })
    }
}

impl Clocks {
    #[inline]
    pub(crate) fn now(&self, id: clockid) -> Result<timestamp, errno> {
        match self {
            Clocks::System => now(id),
            Clocks::Custom(c) => c.now(id),
        }
    }

    pub(crate) fn resolution(&self, id: clockid) -> Result<timestamp, errno> {
        match self {
            Clocks::System => resolution(id),
            Clocks::Custom(c) => c.resolution(id).map(|r| r.max(1)),
        }
    }

    pub(crate) fn sleep(&self, ns: u64, cancel: Option<&Cancel>) -> Result<(), errno> {
        match self {
            Clocks::System => real_sleep(ns, cancel),
            Clocks::Custom(c) => c.sleep(ns, cancel),
        }
    }

    /// The times of a set-times call with its `*_now` flags read from
    /// this clock's wall time, when it is not the system's (whose "now"
    /// the kernel takes itself). An invalid combination of flags is left
    /// for the call to refuse.
    pub(crate) fn resolve_now(
        &self,
        atim: timestamp,
        mtim: timestamp,
        flags: fstflags,
    ) -> (timestamp, timestamp, fstflags) {
        let Clocks::Custom(c) = self else {
            return (atim, mtim, flags);
        };
        let now = match c.now(clockid::realtime) {
            Ok(t) => t,
            Err(_) => return (atim, mtim, flags),
        };
        let mut out = (atim, mtim, flags);
        for (now_flag, set_flag, time) in [
            (fstflags::atim_now, fstflags::atim, &mut out.0),
            (fstflags::mtim_now, fstflags::mtim, &mut out.1),
        ] {
            if flags.contains(now_flag) && !flags.contains(set_flag) {
                *time = now;
                out.2 = out.2.difference(now_flag).union(set_flag);
            }
        }
        out
    }

    pub(crate) fn is_real_time(&self) -> bool {
        match self {
            Clocks::System => true,
            Clocks::Custom(c) => c.is_real_time(),
        }
    }
}

/// Sleeps `ns` of real time, or until `cancel` is set (`intr`).
fn real_sleep(ns: u64, cancel: Option<&Cancel>) -> Result<(), errno> {
    let d = Duration::from_nanos(ns);
    match cancel {
        Some(c) => c.sleep(d).map_err(|_| errno::intr),
        None => {
            std::thread::sleep(d);
            Ok(())
        }
    }
}

fn host_clock(id: clockid) -> Result<ClockId, errno> {
    Ok(match id {
        clockid::realtime => ClockId::Realtime,
        clockid::monotonic => ClockId::Monotonic,
        clockid::process_cputime_id => ClockId::ProcessCPUTime,
        clockid::thread_cputime_id => ClockId::ThreadCPUTime,
        _ => return Err(errno::inval),
    })
}

fn nanos(ts: Timespec) -> timestamp {
    // A realtime clock set before 1970 reads as 0 rather than wrapping.
    (ts.tv_sec.max(0) as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec.max(0) as u64)
}

/// The resolution of clock `id` in nanoseconds (never 0); `inval` for an
/// unknown clock.
fn resolution(id: clockid) -> Result<timestamp, errno> {
    Ok(nanos(rustix::time::clock_getres(host_clock(id)?)).max(1))
}

/// The current time of clock `id` in nanoseconds; `inval` for an unknown
/// clock. The precision hint is not needed: every read is exact.
#[inline]
fn now(id: clockid) -> Result<timestamp, errno> {
    Ok(nanos(rustix::time::clock_gettime(host_clock(id)?)))
}
