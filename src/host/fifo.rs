//! Opening a FIFO without holding the fd table's lock while it blocks, and
//! so that an interrupt or a timeout ends the wait.
//!
//! `open(2)` of a FIFO blocks until the other end is opened: for reading,
//! until a writer comes; for writing, until a reader is there. The host
//! opens it with `O_NONBLOCK` (under the lock; that never blocks), then
//! waits here, outside the lock:
//! * for writing, the non-blocking open fails with `ENXIO` while there is
//!   no reader; the open is retried every [`RETRY`] until one comes;
//! * for reading, the non-blocking open succeeds at once. A helper thread
//!   then opens the same FIFO again, blocking, through `/proc/self/fd`: it
//!   returns when a writer opens. If the guest is stopped first (or a
//!   writer came and went before the helper's open), the host opens the
//!   FIFO for writing itself, which releases the helper.
//!
//! Then the fd's `O_NONBLOCK` is cleared, and the guest has the blocking fd
//! it asked for.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

use rustix::event::{EventfdFlags, PollFd, PollFlags};
use rustix::fs::{Mode, OFlags};

use crate::limits::Cancel;
use crate::wasi_snapshot_preview1::types::errno;

/// How often an open for writing looks for a reader again.
pub(crate) const RETRY: Duration = Duration::from_millis(5);

/// What a FIFO open still has to wait for, outside the lock.
pub(crate) enum FifoWait {
    /// Nothing: not a FIFO, or its open is complete.
    None,
    /// Opened for writing, and no reader yet (the open failed with `nxio`).
    Reader,
    /// Opened for reading (this is a duplicate of the guest's fd), and a
    /// writer is still to come.
    Writer(OwnedFd),
}

/// Sleeps [`RETRY`] before the next attempt to open a FIFO for writing;
/// `intr` when the guest was stopped meanwhile.
pub(crate) fn wait_for_reader(cancel: Option<&Cancel>) -> Result<(), errno> {
    match cancel {
        Some(c) => c.sleep(RETRY).map_err(|_| errno::intr),
        None => {
            std::thread::sleep(RETRY);
            Ok(())
        }
    }
}

/// Waits until the FIFO open for reading at `fd` (non-blocking) has a
/// writer, then makes `fd` blocking. `intr` when the guest was stopped
/// first.
///
/// A writer that came and went before the helper's open leaves data or a
/// hang-up on `fd`, which the wait sees too (Linux reports no hang-up on a
/// FIFO that no writer has opened since `fd` was). Without `/proc` the
/// helper's open fails at once, and the fd is made blocking as it is (a
/// read then sees end of file until a writer comes).
pub(crate) fn wait_for_writer(fd: &OwnedFd, cancel: Option<&Cancel>) -> Result<(), errno> {
    let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
    let done =
        rustix::event::eventfd(0, EventfdFlags::CLOEXEC).map_err(super::errno_map::from_rustix)?;
    let signal = done
        .try_clone()
        .map_err(|e| super::errno_map::from_io_error(&e))?;
    let helper_path = path.clone();
    let helper = std::thread::Builder::new()
        .name("wasihost-fifo".into())
        .spawn(move || {
            drop(rustix::fs::open(
                &helper_path,
                OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            ));
            let _ = rustix::io::write(&signal, &1u64.to_ne_bytes());
        })
        .map_err(|e| super::errno_map::from_io_error(&e))?;
    let mut fds = [
        PollFd::new(&done, PollFlags::IN),
        PollFd::new(fd, PollFlags::IN),
    ];
    let stopped = match cancel {
        Some(c) => c.poll(&mut fds, None).is_err(),
        None => loop {
            match rustix::event::poll(&mut fds, None) {
                Err(rustix::io::Errno::INTR) => continue,
                _ => break false,
            }
        },
    };
    if fds[0].revents().is_empty() {
        // The helper still waits: a writer of the host's own releases its
        // open (there is a reader, `fd`, so this open does not block).
        let writer = rustix::fs::open(
            &path,
            OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        );
        let _ = helper.join();
        drop(writer);
    } else {
        let _ = helper.join();
    }
    if stopped {
        return Err(errno::intr);
    }
    set_blocking(fd.as_fd())
}

/// Clears `O_NONBLOCK` on the open file description behind `fd` (shared
/// with the guest's fd).
pub(crate) fn set_blocking(fd: std::os::fd::BorrowedFd<'_>) -> Result<(), errno> {
    let flags = rustix::fs::fcntl_getfl(fd).map_err(super::errno_map::from_rustix)?;
    rustix::fs::fcntl_setfl(fd, flags - OFlags::NONBLOCK).map_err(super::errno_map::from_rustix)
}
