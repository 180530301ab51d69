//! The four WASI clocks, read from the host's clocks of the same kind.

use rustix::time::{ClockId, Timespec};

use crate::wasi_snapshot_preview1::types::{clockid, errno, timestamp};

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
pub(crate) fn resolution(id: clockid) -> Result<timestamp, errno> {
    Ok(nanos(rustix::time::clock_getres(host_clock(id)?)).max(1))
}

/// The current time of clock `id` in nanoseconds; `inval` for an unknown
/// clock. The precision hint is not needed: every read is exact.
#[inline]
pub(crate) fn now(id: clockid) -> Result<timestamp, errno> {
    Ok(nanos(rustix::time::clock_gettime(host_clock(id)?)))
}
