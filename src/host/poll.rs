//! `poll_oneoff`: clock subscriptions and fd readiness.
//!
//! Readiness is decided per subscription: an in-memory stream (bytes,
//! capture, callback, null) is always ready; a host-fd-backed stream is
//! asked with `poll(2)`; a clock is ready once its deadline has passed.
//! When nothing is ready the call sleeps until the earliest clock deadline
//! or until a host fd becomes ready, whichever comes first, then reports
//! every subscription that is ready at that moment.

use std::os::fd::OwnedFd;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags};

use super::WasiHost;
use super::errno_map::from_io_error;
use super::fd_table::FdObject;
use crate::limits::Cancel;
use crate::wasi_snapshot_preview1::memory::{Ctx, WasmSlicePtr};
use crate::wasi_snapshot_preview1::types::{
    clockid, errno, event, event_fd_readwrite, eventrwflags, eventtype, rights, size,
    subclockflags, subscription, subscription_u,
};

/// What one subscription is waiting for.
enum Wait {
    /// Ready now with this event.
    Ready(event),
    /// A clock that fires at this time of the host's monotonic clock
    /// (nanoseconds).
    Deadline(u64),
    /// A host fd to ask `poll(2)` about, for reading or writing.
    HostFd { fd: u32, write: bool },
}

/// The host fds one call asks `poll(2)` about: one entry per distinct
/// (fd, direction), however many subscriptions name it, so its size is
/// bounded by the fd table (only stdio-like streams have host fds to
/// poll), never by the guest's subscription count.
struct PollSet {
    /// (guest fd, for writing, what poll(2) reported)
    entries: Vec<(u32, bool, PollFlags)>,
}

impl PollSet {
    fn add(&mut self, fd: u32, write: bool) {
        if !self.entries.iter().any(|e| e.0 == fd && e.1 == write) {
            self.entries.push((fd, write, PollFlags::empty()));
        }
    }

    fn revents(&self, fd: u32, write: bool) -> PollFlags {
        self.entries
            .iter()
            .find(|e| e.0 == fd && e.1 == write)
            .map_or(PollFlags::empty(), |e| e.2)
    }
}

/// `poll_oneoff`. Subscriptions are read from guest memory in passes (one
/// to find what is ready and how long to wait, one to write the events),
/// so the host memory a call uses does not grow with their number.
pub(crate) fn poll_oneoff(
    host: &WasiHost,
    ctx: &mut Ctx,
    subs: WasmSlicePtr<subscription>,
    out: WasmSlicePtr<event>,
    n: size,
) -> Result<size, errno> {
    if n == 0 {
        // Nothing to wait for would block forever; the spec leaves it
        // open and wasmtime answers `inval`, as we do.
        return Err(errno::inval);
    }
    ctx.check_array(subs, n)?;
    ctx.check_array(out, n)?;
    if let Some(count) = clocks_due_now(host, ctx, subs, out, n)? {
        return Ok(count);
    }
    // Undefined values in any subscription make the whole call invalid,
    // as an undefined value in a register argument would.
    for i in 0..n {
        validate(&ctx.read_at(subs, i)?)?;
    }
    let clock = &host.clocks;
    let start = clock.now(clockid::monotonic)?;
    let mut pollset = PollSet {
        entries: Vec::new(),
    };
    loop {
        let now = clock.now(clockid::monotonic)?;
        let mut any_ready = false;
        let mut earliest: Option<u64> = None;
        pollset.entries.clear();
        for i in 0..n {
            match resolve(host, &ctx.read_at(subs, i)?, start) {
                Wait::Ready(_) => any_ready = true,
                Wait::Deadline(d) if d <= now => any_ready = true,
                Wait::Deadline(d) => earliest = Some(earliest.map_or(d, |e| e.min(d))),
                Wait::HostFd { fd, write } => pollset.add(fd, write),
            }
        }
        // Ask the host fds without waiting when something is ready already,
        // else wait up to the earliest deadline (forever if there is none).
        let wait = if any_ready {
            Some(0)
        } else {
            earliest.map(|d| d.saturating_sub(now))
        };
        if !pollset.entries.is_empty() {
            // A clock that is not real time cannot be waited on with a
            // poll(2) timeout: ask the fds at once, then wait on the clock.
            let virtual_wait = wait.filter(|_| !clock.is_real_time());
            let timeout = match virtual_wait {
                Some(_) => Some(Duration::ZERO),
                None => wait.map(Duration::from_nanos),
            };
            poll_host_fds(host, &mut pollset, timeout, ctx.cancel())?;
            if let Some(ns) = virtual_wait
                && !any_ready
                && pollset.entries.iter().all(|e| e.2.is_empty())
            {
                clock.sleep(ns, ctx.cancel())?;
                continue;
            }
        } else if !any_ready {
            match wait {
                // Stopped: the guest ends before it sees the errno.
                Some(ns) => clock.sleep(ns, ctx.cancel())?,
                // Unreachable: without host fds every subscription is either
                // ready or a clock. Answer rather than block forever.
                None => return Err(errno::inval),
            }
            continue;
        }
        // Every subscription ready at this moment, in order.
        let now = clock.now(clockid::monotonic)?;
        let mut count: u32 = 0;
        for i in 0..n {
            let s = ctx.read_at(subs, i)?;
            let ev = match resolve(host, &s, start) {
                Wait::Ready(ev) => ev,
                Wait::Deadline(d) if d <= now => clock_event(&s),
                Wait::Deadline(_) => continue,
                Wait::HostFd { fd, write } => {
                    let got = pollset.revents(fd, write);
                    if got.is_empty() {
                        continue;
                    }
                    let mut ev = fd_ready(&s, 0);
                    if got.intersects(PollFlags::HUP) {
                        ev.fd_readwrite.flags = eventrwflags::fd_readwrite_hangup;
                    }
                    if got.intersects(PollFlags::ERR | PollFlags::NVAL) {
                        ev.error = errno::io;
                    }
                    ev
                }
            };
            ctx.write_at(out, count, ev)?;
            count += 1;
        }
        if count > 0 {
            return Ok(count);
        }
    }
}

/// The answer without waiting, reading a clock or making a syscall, when
/// every subscription is a realtime or monotonic clock and at least one is
/// due already: a relative timeout of 0 (due at once, whatever the clock),
/// or an absolute one not after its clock's now (read once per clock).
/// Reports the due ones, in order, as the general path would at this
/// instant. `None` sends anything else (an fd, a CPU-time clock, an
/// undefined value, nothing due yet) to the general path.
#[inline]
fn clocks_due_now(
    host: &WasiHost,
    ctx: &mut Ctx,
    subs: WasmSlicePtr<subscription>,
    out: WasmSlicePtr<event>,
    n: size,
) -> Result<Option<size>, errno> {
    // The now of realtime and monotonic, read when an absolute timeout
    // first asks.
    let mut nows: [Option<u64>; 2] = [None, None];
    let mut due = |s: &subscription| -> Option<bool> {
        let subscription_u::clock(c) = &s.u else {
            return None;
        };
        let slot = match c.id {
            clockid::realtime => 0,
            clockid::monotonic => 1,
            _ => return None,
        };
        if !subclockflags::all().contains(c.flags) {
            return None;
        }
        if !c.flags.contains(subclockflags::subscription_clock_abstime) {
            return Some(c.timeout == 0);
        }
        let now = match nows[slot] {
            Some(t) => t,
            None => {
                // A clock that cannot say: the general path reports it.
                let Ok(t) = host.clocks.now(c.id) else {
                    return None;
                };
                nows[slot] = Some(t);
                t
            }
        };
        Some(c.timeout <= now)
    };
    let mut count: u32 = 0;
    for i in 0..n {
        match due(&ctx.read_at(subs, i)?) {
            None => return Ok(None),
            Some(true) => count += 1,
            Some(false) => {}
        }
    }
    if count == 0 {
        return Ok(None);
    }
    let mut written = 0;
    for i in 0..n {
        let s = ctx.read_at(subs, i)?;
        if due(&s) == Some(true) {
            ctx.write_at(out, written, clock_event(&s))?;
            written += 1;
        }
    }
    Ok(Some(written))
}

/// `inval` for a subscription with an undefined event type, clock id or
/// clock flag bit.
fn validate(s: &subscription) -> Result<(), errno> {
    match &s.u {
        subscription_u::clock(c) => {
            if !subclockflags::all().contains(c.flags)
                || c.id.raw() > clockid::thread_cputime_id.raw()
            {
                return Err(errno::inval);
            }
            Ok(())
        }
        subscription_u::fd_read(_) | subscription_u::fd_write(_) => Ok(()),
        subscription_u::unknown(_) => Err(errno::inval),
    }
}

/// Asks `poll(2)` about every host fd of `set`, waiting up to `timeout`
/// (forever for `None`), and records what each reported. A guest fd
/// closed meanwhile (impossible within one call) reports `NVAL`.
///
/// A poll that may wait holds no lock of the fd table: it polls
/// duplicates of the host fds, and also wakes when the instance's cancel
/// token is set (an interrupt or a timeout), giving `intr` then (the guest
/// ends before it sees it).
fn poll_host_fds(
    host: &WasiHost,
    set: &mut PollSet,
    timeout: Option<Duration>,
    cancel: Option<&Cancel>,
) -> Result<(), errno> {
    let fds = host.fds();
    let blocking = timeout != Some(Duration::ZERO);
    let mut owned: Vec<OwnedFd> = Vec::new();
    let mut polled: Vec<(usize, PollFlags)> = Vec::with_capacity(set.entries.len());
    let mut borrowed: Vec<PollFd<'_>> = Vec::new();
    for (k, (fd, write, revents)) in set.entries.iter_mut().enumerate() {
        let want = if *write {
            PollFlags::OUT
        } else {
            PollFlags::IN
        };
        match fds.get(*fd).ok().and_then(|e| e.object.host_fd()) {
            Some(h) if blocking => {
                owned.push(h.try_clone_to_owned().map_err(|e| from_io_error(&e))?);
                polled.push((k, want));
            }
            Some(h) => {
                borrowed.push(PollFd::from_borrowed_fd(h, want));
                polled.push((k, want));
            }
            None => *revents = PollFlags::NVAL,
        }
    }
    if !blocking {
        // Returns at once: the lock may stay.
        poll_now(&mut borrowed, timeout)?;
        for (pfd, (k, _)) in borrowed.iter().zip(&polled) {
            set.entries[*k].2 = pfd.revents();
        }
        return Ok(());
    }
    drop(borrowed);
    drop(fds);
    let mut pollfds: Vec<PollFd<'_>> = owned
        .iter()
        .zip(&polled)
        .map(|(fd, (_, want))| PollFd::new(fd, *want))
        .collect();
    match cancel {
        Some(c) => {
            if c.poll(&mut pollfds, timeout).is_err() {
                return Err(errno::intr);
            }
        }
        None => poll_now(&mut pollfds, timeout)?,
    }
    for (pfd, (k, _)) in pollfds.iter().zip(&polled) {
        set.entries[*k].2 = pfd.revents();
    }
    Ok(())
}

/// `poll(2)` on `fds` up to `timeout`; an interrupted poll reports
/// nothing ready.
fn poll_now(fds: &mut [PollFd<'_>], timeout: Option<Duration>) -> Result<(), errno> {
    crate::limits::poll_once(fds, timeout)
        .map(|_| ())
        .map_err(super::errno_map::from_rustix)
}

fn resolve(host: &WasiHost, s: &subscription, start: u64) -> Wait {
    match &s.u {
        subscription_u::clock(c) => {
            let abstime = c.flags.contains(subclockflags::subscription_clock_abstime);
            let relative = if abstime {
                // An absolute deadline on the clock it names: the time left
                // is its distance from that clock's now.
                match c.id {
                    clockid::realtime | clockid::monotonic => match host.clocks.now(c.id) {
                        Ok(now) => c.timeout.saturating_sub(now),
                        Err(e) => return Wait::Ready(clock_error(s, e)),
                    },
                    clockid::process_cputime_id | clockid::thread_cputime_id => {
                        return Wait::Ready(clock_error(s, errno::notsup));
                    }
                    _ => return Wait::Ready(clock_error(s, errno::inval)),
                }
            } else {
                match c.id {
                    clockid::realtime | clockid::monotonic => c.timeout,
                    clockid::process_cputime_id | clockid::thread_cputime_id => {
                        return Wait::Ready(clock_error(s, errno::notsup));
                    }
                    _ => return Wait::Ready(clock_error(s, errno::inval)),
                }
            };
            // Past the end of the clock: never, in practice.
            Wait::Deadline(start.saturating_add(relative))
        }
        subscription_u::fd_read(f) | subscription_u::fd_write(f) => {
            let write = matches!(s.u, subscription_u::fd_write(_));
            let fds = host.fds();
            let entry = match fds.get(f.file_descriptor) {
                Ok(e) => e,
                Err(e) => return Wait::Ready(fd_error(s, e)),
            };
            // The kind of object before rights (RATIONALE.md, Error order):
            // a directory cannot be polled.
            if let FdObject::Dir(_) = entry.object {
                return Wait::Ready(fd_error(s, errno::badf));
            }
            if entry.require(rights::poll_fd_readwrite).is_err() {
                return Wait::Ready(fd_error(s, errno::notcapable));
            }
            match (&entry.object, write) {
                (FdObject::Input(stream), false) => match stream.ready_bytes() {
                    Some(avail) => {
                        let mut ev = fd_ready(s, avail);
                        if avail == 0 {
                            ev.fd_readwrite.flags = eventrwflags::fd_readwrite_hangup;
                        }
                        Wait::Ready(ev)
                    }
                    None if stream.host_fd().is_some() => Wait::HostFd {
                        fd: f.file_descriptor,
                        write,
                    },
                    // A reader cannot say; report it readable so the guest
                    // reads (and maybe blocks there) rather than spins.
                    None => Wait::Ready(fd_ready(s, 0)),
                },
                (FdObject::Output(stream), true) => {
                    if stream.host_fd().is_some() {
                        Wait::HostFd {
                            fd: f.file_descriptor,
                            write,
                        }
                    } else {
                        Wait::Ready(fd_ready(s, 0))
                    }
                }
                // A file is always ready: for reading, with the bytes left
                // before its end.
                (FdObject::File(file), _) => {
                    let left = if write {
                        0
                    } else {
                        let size = file.file.metadata().map(|m| m.len()).unwrap_or(0);
                        let pos = file.peek_position();
                        size.saturating_sub(pos.unwrap_or(size))
                    };
                    Wait::Ready(fd_ready(s, left))
                }
                // Reading a write-only stream or the reverse, or a directory.
                _ => Wait::Ready(fd_error(s, errno::badf)),
            }
        }
        // Refused by `validate` before any subscription is resolved.
        subscription_u::unknown(_) => Wait::Ready(fd_error(s, errno::inval)),
    }
}

fn clock_event(s: &subscription) -> event {
    clock_error(s, errno::success)
}

fn clock_error(s: &subscription, e: errno) -> event {
    event {
        userdata: s.userdata,
        error: e,
        r#type: eventtype::clock,
        fd_readwrite: event_fd_readwrite::default(),
    }
}

fn fd_ready(s: &subscription, nbytes: u64) -> event {
    event {
        userdata: s.userdata,
        error: errno::success,
        r#type: s.u.tag(),
        fd_readwrite: event_fd_readwrite {
            nbytes,
            flags: eventrwflags::empty(),
        },
    }
}

fn fd_error(s: &subscription, e: errno) -> event {
    let mut ev = fd_ready(s, 0);
    ev.error = e;
    ev
}

/// Whether a read from `stream` would return at once (data or end of
/// file), for `fdflags::nonblock`. Streams that cannot tell (a reader)
/// count as readable.
pub(crate) fn readable_now(stream: &super::stdio::InputStream) -> bool {
    if stream.ready_bytes().is_some() {
        return true;
    }
    let Some(fd) = stream.host_fd() else {
        return true;
    };
    let mut pfd = [PollFd::new(&fd, PollFlags::IN)];
    let zero = rustix::time::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    match rustix::event::poll(&mut pfd, Some(&zero)) {
        Ok(n) => n > 0,
        // Let the read itself report the problem.
        Err(_) => true,
    }
}
