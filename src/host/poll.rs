//! `poll_oneoff`: clock subscriptions and fd readiness.
//!
//! Readiness is decided per subscription: an in-memory stream (bytes,
//! capture, callback, null) is always ready; a host-fd-backed stream is
//! asked with `poll(2)`; a clock is ready once its deadline has passed.
//! When nothing is ready the call sleeps until the earliest clock deadline
//! or until a host fd becomes ready, whichever comes first, then reports
//! every subscription that is ready at that moment.

use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};

use super::WasiHost;
use super::clocks;
use super::fd_table::FdObject;
use crate::wasi_snapshot_preview1::memory::{Ctx, WasmSlicePtr};
use crate::wasi_snapshot_preview1::types::{
    clockid, errno, event, event_fd_readwrite, eventrwflags, eventtype, rights, size,
    subclockflags, subscription, subscription_u,
};

/// What one subscription is waiting for, resolved once per call.
enum Wait {
    /// Ready now with this event.
    Ready(event),
    /// A clock that fires at this instant.
    Deadline(Instant),
    /// A host fd to ask `poll(2)` about, for reading or writing.
    HostFd { fd: u32, write: bool },
}

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
    let start = Instant::now();
    let mut waits = Vec::with_capacity(n as usize);
    let mut subscriptions = Vec::with_capacity(n as usize);
    for i in 0..n {
        let s = ctx.read_at(subs, i)?;
        waits.push(resolve(host, &s, start));
        subscriptions.push(s);
    }

    loop {
        let now = Instant::now();
        let mut ready: Vec<event> = Vec::new();
        let mut earliest: Option<Instant> = None;
        let mut host_fds: Vec<(usize, u32, bool)> = Vec::new();
        for (i, w) in waits.iter().enumerate() {
            match w {
                Wait::Ready(ev) => ready.push(*ev),
                Wait::Deadline(d) if *d <= now => ready.push(clock_event(&subscriptions[i])),
                Wait::Deadline(d) => earliest = Some(earliest.map_or(*d, |e| e.min(*d))),
                Wait::HostFd { fd, write } => host_fds.push((i, *fd, *write)),
            }
        }
        // Ask the host fds without waiting when something is ready already,
        // else wait up to the earliest deadline (forever if there is none).
        let timeout = if ready.is_empty() {
            earliest.map(|d| d.saturating_duration_since(now))
        } else {
            Some(Duration::ZERO)
        };
        if !host_fds.is_empty() {
            let fds = host.fds();
            let mut borrowed: Vec<(usize, BorrowedFd<'_>, bool, u32)> = Vec::new();
            for (i, fd, write) in &host_fds {
                match fds.get(*fd).ok().and_then(|e| e.object.host_fd()) {
                    Some(h) => borrowed.push((*i, h, *write, *fd)),
                    // Closed meanwhile (cannot happen within one call, but
                    // answer it rather than assume).
                    None => ready.push(fd_error(&subscriptions[*i], errno::badf)),
                }
            }
            let mut pollfds: Vec<PollFd<'_>> = borrowed
                .iter()
                .map(|(_, h, write, _)| {
                    PollFd::new(
                        h,
                        if *write {
                            PollFlags::OUT
                        } else {
                            PollFlags::IN
                        },
                    )
                })
                .collect();
            let ts = timeout.map(|d| rustix::time::Timespec {
                tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
                tv_nsec: d.subsec_nanos() as _,
            });
            match rustix::event::poll(&mut pollfds, ts.as_ref()) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(super::errno_map::from_rustix(e)),
            }
            for (pfd, (i, _, _, _)) in pollfds.iter().zip(&borrowed) {
                let got = pfd.revents();
                if got.is_empty() {
                    continue;
                }
                let mut ev = fd_ready(&subscriptions[*i], 0);
                if got.intersects(PollFlags::HUP) {
                    ev.fd_readwrite.flags = eventrwflags::fd_readwrite_hangup;
                }
                if got.intersects(PollFlags::ERR | PollFlags::NVAL) {
                    ev.error = errno::io;
                }
                ready.push(ev);
            }
        } else if ready.is_empty() {
            match timeout {
                Some(d) => std::thread::sleep(d),
                // Unreachable: without host fds every subscription is either
                // ready or a clock. Answer rather than block forever.
                None => return Err(errno::inval),
            }
            continue;
        }
        if ready.is_empty() {
            continue;
        }
        for (i, ev) in ready.iter().enumerate() {
            ctx.write_at(out, i as u32, *ev)?;
        }
        return Ok(ready.len() as size);
    }
}

fn resolve(host: &WasiHost, s: &subscription, start: Instant) -> Wait {
    match &s.u {
        subscription_u::clock(c) => {
            if !subclockflags::all().contains(c.flags) {
                return Wait::Ready(clock_error(s, errno::inval));
            }
            let abstime = c.flags.contains(subclockflags::subscription_clock_abstime);
            let relative = if abstime {
                // An absolute deadline on the clock it names: the time left
                // is its distance from that clock's now.
                match c.id {
                    clockid::realtime | clockid::monotonic => match clocks::now(c.id) {
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
            match start.checked_add(Duration::from_nanos(relative)) {
                Some(d) => Wait::Deadline(d),
                // Beyond what Instant can represent: never, in practice.
                None => Wait::Deadline(start + Duration::from_secs(100 * 365 * 86_400)),
            }
        }
        subscription_u::fd_read(f) | subscription_u::fd_write(f) => {
            let write = matches!(s.u, subscription_u::fd_write(_));
            let fds = host.fds();
            let entry = match fds.get(f.file_descriptor) {
                Ok(e) => e,
                Err(e) => return Wait::Ready(fd_error(s, e)),
            };
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
                        let pos = file.seek(0, crate::wasi_snapshot_preview1::types::whence::cur);
                        size.saturating_sub(pos.unwrap_or(size))
                    };
                    Wait::Ready(fd_ready(s, left))
                }
                // Reading a write-only stream or the reverse, or a directory.
                _ => Wait::Ready(fd_error(s, errno::badf)),
            }
        }
        subscription_u::unknown(_) => Wait::Ready(event {
            userdata: s.userdata,
            error: errno::inval,
            r#type: s.u.tag(),
            fd_readwrite: event_fd_readwrite::default(),
        }),
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
