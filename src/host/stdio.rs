//! Standard streams: where a guest's stdin comes from and where its stdout
//! and stderr go.
//!
//! Stdio streams are streams, not files: they cannot seek (`fd_seek`,
//! `fd_tell`, `fd_pread`, `fd_pwrite` give `spipe`), whatever they are
//! backed by on the host.

use std::fmt;
use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::wasi_snapshot_preview1::types::filetype;

/// Where a guest's standard input comes from.
pub enum Input {
    /// The host process's own stdin, read directly (unbuffered).
    Inherit,
    /// Always at end of file.
    Null,
    /// These bytes, then end of file.
    Bytes(Arc<[u8]>),
    /// A host file opened when the host is built.
    Path(PathBuf),
    /// An open host file (or anything else with a file descriptor).
    File(File),
    /// Any reader, e.g. a pipe or a decompressor; it is read on the guest's
    /// thread, during the guest's `fd_read`.
    Reader(Box<dyn Read + Send>),
}

impl Input {
    /// Input from `bytes`.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Input {
        Input::Bytes(bytes.into().into())
    }

    /// Input from the host file at `path`, opened when the host is built.
    pub fn path(path: impl AsRef<Path>) -> Input {
        Input::Path(path.as_ref().to_path_buf())
    }

    /// Input from any reader.
    pub fn reader(r: impl Read + Send + 'static) -> Input {
        Input::Reader(Box::new(r))
    }
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Inherit => f.write_str("Input::Inherit"),
            Input::Null => f.write_str("Input::Null"),
            Input::Bytes(b) => write!(f, "Input::Bytes({} bytes)", b.len()),
            Input::Path(p) => write!(f, "Input::Path({p:?})"),
            Input::File(file) => write!(f, "Input::File({file:?})"),
            Input::Reader(_) => f.write_str("Input::Reader(..)"),
        }
    }
}

/// Where a guest's stdout or stderr goes.
pub enum Output {
    /// The host process's own stream (stdout for stdout, stderr for
    /// stderr), written directly (unbuffered, one `writev` per call).
    Inherit,
    /// Discarded; every write succeeds.
    Null,
    /// A host file created (or truncated) when the host is built.
    Path(PathBuf),
    /// A host file appended to, created if missing, when the host is built.
    AppendPath(PathBuf),
    /// An open host file; written at its current position.
    File(File),
    /// Kept in memory up to a byte cap; see [`Capture`].
    Capture(Capture),
    /// Any writer, e.g. a callback (see [`Output::callback`]). An error it
    /// returns reaches the guest as the matching errno (usually `io`).
    Writer(Box<dyn Write + Send>),
}

impl Output {
    /// Output to the host file at `path`, created or truncated.
    pub fn path(path: impl AsRef<Path>) -> Output {
        Output::Path(path.as_ref().to_path_buf())
    }

    /// Output appended to the host file at `path`, created if missing.
    pub fn append_path(path: impl AsRef<Path>) -> Output {
        Output::AppendPath(path.as_ref().to_path_buf())
    }

    /// Output to any writer.
    pub fn writer(w: impl Write + Send + 'static) -> Output {
        Output::Writer(Box::new(w))
    }

    /// Output to a callback, called once per guest write with the bytes of
    /// that write (all its iovecs, in order; possibly in several calls when
    /// the guest passed several buffers). Returning an error fails the
    /// guest's write with the matching errno.
    pub fn callback(f: impl FnMut(&[u8]) -> io::Result<()> + Send + 'static) -> Output {
        Output::Writer(Box::new(CallbackWriter(f)))
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Inherit => f.write_str("Output::Inherit"),
            Output::Null => f.write_str("Output::Null"),
            Output::Path(p) => write!(f, "Output::Path({p:?})"),
            Output::AppendPath(p) => write!(f, "Output::AppendPath({p:?})"),
            Output::File(file) => write!(f, "Output::File({file:?})"),
            Output::Capture(c) => write!(f, "Output::Capture({c:?})"),
            Output::Writer(_) => f.write_str("Output::Writer(..)"),
        }
    }
}

/// [`Input`] as a builder keeps it: clonable, so that one builder makes
/// any number of hosts. A file or reader is shared by those hosts (as a
/// duplicated fd would be); a path is opened anew for each.
#[derive(Clone)]
pub(crate) enum InSpec {
    Inherit,
    Null,
    Bytes(Arc<[u8]>),
    Path(PathBuf),
    File(Arc<File>),
    Reader(Arc<Mutex<Box<dyn Read + Send>>>),
}

impl From<Input> for InSpec {
    fn from(input: Input) -> InSpec {
        match input {
            Input::Inherit => InSpec::Inherit,
            Input::Null => InSpec::Null,
            Input::Bytes(b) => InSpec::Bytes(b),
            Input::Path(p) => InSpec::Path(p),
            Input::File(f) => InSpec::File(Arc::new(f)),
            Input::Reader(r) => InSpec::Reader(Arc::new(Mutex::new(r))),
        }
    }
}

impl fmt::Debug for InSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InSpec::Inherit => f.write_str("Input::Inherit"),
            InSpec::Null => f.write_str("Input::Null"),
            InSpec::Bytes(b) => write!(f, "Input::Bytes({} bytes)", b.len()),
            InSpec::Path(p) => write!(f, "Input::Path({p:?})"),
            InSpec::File(file) => write!(f, "Input::File({file:?})"),
            InSpec::Reader(_) => f.write_str("Input::Reader(..)"),
        }
    }
}

/// [`Output`] as a builder keeps it (see [`InSpec`]): a capture or writer
/// is shared by the hosts of one builder.
#[derive(Clone)]
pub(crate) enum OutSpec {
    Inherit,
    Null,
    Path(PathBuf),
    AppendPath(PathBuf),
    File(Arc<File>),
    Capture(Capture),
    Writer(Arc<Mutex<Box<dyn Write + Send>>>),
}

impl From<Output> for OutSpec {
    fn from(output: Output) -> OutSpec {
        match output {
            Output::Inherit => OutSpec::Inherit,
            Output::Null => OutSpec::Null,
            Output::Path(p) => OutSpec::Path(p),
            Output::AppendPath(p) => OutSpec::AppendPath(p),
            Output::File(f) => OutSpec::File(Arc::new(f)),
            Output::Capture(c) => OutSpec::Capture(c),
            Output::Writer(w) => OutSpec::Writer(Arc::new(Mutex::new(w))),
        }
    }
}

impl fmt::Debug for OutSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutSpec::Inherit => f.write_str("Output::Inherit"),
            OutSpec::Null => f.write_str("Output::Null"),
            OutSpec::Path(p) => write!(f, "Output::Path({p:?})"),
            OutSpec::AppendPath(p) => write!(f, "Output::AppendPath({p:?})"),
            OutSpec::File(file) => write!(f, "Output::File({file:?})"),
            OutSpec::Capture(c) => write!(f, "Output::Capture({c:?})"),
            OutSpec::Writer(_) => f.write_str("Output::Writer(..)"),
        }
    }
}

struct CallbackWriter<F>(F);

impl<F: FnMut(&[u8]) -> io::Result<()>> Write for CallbackWriter<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (self.0)(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An in-memory capture of a guest's output, kept up to a byte cap.
///
/// Clone it, hand one clone to the builder as [`Output::Capture`], and read
/// the other after the run. Writes past the cap still succeed for the guest
/// (it is not told), but the capture records that it dropped bytes:
/// [`Capture::is_truncated`] and [`Capture::total_written`] report it.
#[derive(Clone)]
pub struct Capture {
    inner: Arc<Mutex<CaptureState>>,
}

struct CaptureState {
    data: Vec<u8>,
    cap: usize,
    total: u64,
}

impl Capture {
    /// A capture that keeps at most `cap` bytes.
    pub fn new(cap: usize) -> Capture {
        Capture {
            inner: Arc::new(Mutex::new(CaptureState {
                data: Vec::new(),
                cap,
                total: 0,
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CaptureState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the bytes kept so far.
    pub fn contents(&self) -> Vec<u8> {
        self.state().data.clone()
    }

    /// Takes the bytes kept so far, leaving the capture empty (the cap and
    /// the running total stay).
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.state().data)
    }

    /// The byte cap.
    pub fn cap(&self) -> usize {
        self.state().cap
    }

    /// Whether the guest wrote more than the cap, so bytes were dropped.
    pub fn is_truncated(&self) -> bool {
        let s = self.state();
        s.total > s.cap as u64
    }

    /// Bytes the guest wrote in all, kept or dropped.
    pub fn total_written(&self) -> u64 {
        self.state().total
    }

    fn append(&self, bufs: &[&[u8]]) -> usize {
        let mut s = self.state();
        let mut n = 0;
        for b in bufs {
            let room = s.cap.saturating_sub(s.data.len());
            let keep = room.min(b.len());
            s.data.extend_from_slice(&b[..keep]);
            n += b.len();
        }
        s.total += n as u64;
        n
    }
}

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state();
        f.debug_struct("Capture")
            .field("len", &s.data.len())
            .field("cap", &s.cap)
            .field("total", &s.total)
            .finish()
    }
}

/// Which of the host's own streams an inherited output writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostStream {
    Stdout,
    Stderr,
}

/// The live input side of an fd. Sources that may block are shared
/// (`Arc`), so that a read can go on without the fd table's lock.
pub(crate) enum InputStream {
    Inherit,
    Null,
    Bytes { data: Arc<[u8]>, pos: usize },
    File(Arc<File>),
    Reader(Arc<Mutex<Box<dyn Read + Send>>>),
}

/// A source that may block, held apart from the fd table so that waiting
/// for it holds no lock of the table: the host's stdin, a shared file
/// (a pipe, a FIFO, a terminal), the embedder's reader, or a duplicate of
/// a guest-opened FIFO's or device's fd.
pub(crate) enum Detached {
    Stdin,
    File(Arc<File>),
    Reader(Arc<Mutex<Box<dyn Read + Send>>>),
    Fd(std::os::fd::OwnedFd),
}

impl Detached {
    /// The host fd to wait on, if the source has one (a reader has not).
    pub(crate) fn wait_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        match self {
            Detached::Stdin => Some(rustix::stdio::stdin()),
            Detached::File(f) => Some(f.as_fd()),
            Detached::Fd(fd) => Some(fd.as_fd()),
            Detached::Reader(_) => None,
        }
    }

    /// Reads into `buf`; 0 means end of file.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Detached::Stdin => {
                rustix::io::read(rustix::stdio::stdin(), buf).map_err(io::Error::from)
            }
            Detached::File(f) => (&**f).read(buf),
            Detached::Fd(fd) => rustix::io::read(fd, buf).map_err(io::Error::from),
            Detached::Reader(r) => {
                let mut r = r.lock().unwrap_or_else(PoisonError::into_inner);
                loop {
                    match r.read(buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other,
                    }
                }
            }
        }
    }
}

/// The live output side of an fd.
pub(crate) enum OutputStream {
    Inherit(HostStream, WriteTwin),
    Null,
    File(Arc<File>, WriteTwin),
    Capture(Capture),
    Writer(Arc<Mutex<Box<dyn Write + Send>>>),
}

/// A non-blocking file description of its own for a pipe, FIFO or terminal
/// that an fd writes to, opened on first use by an instance that can be
/// interrupted: a write to a full pipe then waits through the cancel token,
/// without the fd table's lock, instead of blocking in `write(2)`. (A
/// duplicate fd would share the `O_NONBLOCK` flag with the embedder's or
/// the guest's description; a reopen through `/proc/self/fd` does not.)
#[derive(Default)]
pub(crate) struct WriteTwin(std::sync::OnceLock<Option<Arc<std::os::fd::OwnedFd>>>);

impl WriteTwin {
    /// The twin of `fd`, or `None` for anything that cannot block a writer
    /// for long (a regular file), or where `/proc` is missing or refuses
    /// (a socket): writes then go to `fd` as they are.
    pub(crate) fn get(&self, fd: std::os::fd::BorrowedFd<'_>) -> Option<Arc<std::os::fd::OwnedFd>> {
        self.0
            .get_or_init(|| {
                let st = rustix::fs::fstat(fd).ok()?;
                match rustix::fs::FileType::from_raw_mode(st.st_mode) {
                    rustix::fs::FileType::Fifo | rustix::fs::FileType::CharacterDevice => {}
                    _ => return None,
                }
                let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
                rustix::fs::open(
                    path.as_str(),
                    rustix::fs::OFlags::WRONLY
                        | rustix::fs::OFlags::NONBLOCK
                        | rustix::fs::OFlags::CLOEXEC
                        | rustix::fs::OFlags::NOCTTY,
                    rustix::fs::Mode::empty(),
                )
                .ok()
                .map(Arc::new)
            })
            .clone()
    }
}

/// Writes `bufs` to a non-blocking `twin`, waiting through `cancel` while
/// it is full; `Err(None)` when the guest was stopped meanwhile.
pub(crate) fn write_cancellable(
    twin: &std::os::fd::OwnedFd,
    bufs: &[&[u8]],
    cancel: &crate::limits::Cancel,
) -> Result<usize, Option<io::Error>> {
    loop {
        match write_fd(twin.as_fd(), bufs) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                cancel.wait_fd(twin.as_fd(), true, None).map_err(|_| None)?;
            }
            other => return other.map_err(Some),
        }
    }
}

impl InputStream {
    pub(crate) fn open(input: &InSpec) -> io::Result<InputStream> {
        Ok(match input {
            InSpec::Inherit => InputStream::Inherit,
            InSpec::Null => InputStream::Null,
            InSpec::Bytes(data) => InputStream::Bytes {
                data: data.clone(),
                pos: 0,
            },
            InSpec::Path(p) => InputStream::File(Arc::new(File::open(p).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot open {:?}: {e}", p.display().to_string()),
                )
            })?)),
            InSpec::File(f) => InputStream::File(f.clone()),
            InSpec::Reader(r) => InputStream::Reader(r.clone()),
        })
    }

    /// The source apart from the table, when a read from it may block.
    pub(crate) fn detach(&self) -> Option<Detached> {
        match self {
            InputStream::Inherit => Some(Detached::Stdin),
            InputStream::File(f) if self.ready_bytes().is_none() => Some(Detached::File(f.clone())),
            InputStream::Reader(r) => Some(Detached::Reader(r.clone())),
            _ => None,
        }
    }

    /// Reads into `buf`; 0 means end of file.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            InputStream::Null => Ok(0),
            InputStream::Bytes { data, pos } => {
                let rest = &data[*pos..];
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                *pos += n;
                Ok(n)
            }
            InputStream::File(f) => (&**f).read(buf),
            InputStream::Inherit | InputStream::Reader(_) => match self.detach() {
                Some(d) => d.read(buf),
                None => Ok(0),
            },
        }
    }

    /// Bytes known to be readable without blocking, if the stream can tell.
    pub(crate) fn ready_bytes(&self) -> Option<u64> {
        match self {
            InputStream::Bytes { data, pos } => Some((data.len() - pos) as u64),
            InputStream::Null => Some(0),
            InputStream::File(f) => {
                let meta = f.metadata().ok()?;
                if meta.is_file() {
                    let pos = rustix::fs::seek(f, rustix::fs::SeekFrom::Current(0)).ok()?;
                    Some(meta.len().saturating_sub(pos))
                } else {
                    None
                }
            }
            InputStream::Inherit | InputStream::Reader(_) => None,
        }
    }

    pub(crate) fn filetype(&self) -> filetype {
        match self {
            InputStream::Inherit => fd_filetype(rustix::stdio::stdin()),
            InputStream::File(f) => fd_filetype(f.as_fd()),
            _ => filetype::unknown,
        }
    }

    pub(crate) fn host_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        match self {
            InputStream::Inherit => Some(rustix::stdio::stdin()),
            InputStream::File(f) => Some(f.as_fd()),
            _ => None,
        }
    }
}

impl OutputStream {
    pub(crate) fn open(output: &OutSpec, which: HostStream) -> io::Result<OutputStream> {
        Ok(match output {
            OutSpec::Inherit => {
                // The guest writes to the fd directly; bytes the embedder
                // left in Rust's stdout buffer would otherwise come after
                // the guest's.
                match which {
                    HostStream::Stdout => io::stdout().flush()?,
                    HostStream::Stderr => io::stderr().flush()?,
                }
                OutputStream::Inherit(which, WriteTwin::default())
            }
            OutSpec::Null => OutputStream::Null,
            OutSpec::Path(p) => OutputStream::File(
                Arc::new(File::create(p).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot open {:?}: {e}", p.display().to_string()),
                    )
                })?),
                WriteTwin::default(),
            ),
            OutSpec::AppendPath(p) => OutputStream::File(
                Arc::new(
                    File::options()
                        .append(true)
                        .create(true)
                        .open(p)
                        .map_err(|e| {
                            io::Error::new(
                                e.kind(),
                                format!("cannot open {:?}: {e}", p.display().to_string()),
                            )
                        })?,
                ),
                WriteTwin::default(),
            ),
            OutSpec::File(f) => OutputStream::File(f.clone(), WriteTwin::default()),
            OutSpec::Capture(c) => OutputStream::Capture(c.clone()),
            OutSpec::Writer(w) => OutputStream::Writer(w.clone()),
        })
    }

    /// Writes the buffers in order; returns the bytes written, which may be
    /// fewer than asked (as with `writev`).
    pub(crate) fn write(&mut self, bufs: &[&[u8]]) -> io::Result<usize> {
        match self {
            OutputStream::Inherit(which, _) => {
                let fd = match which {
                    HostStream::Stdout => rustix::stdio::stdout(),
                    HostStream::Stderr => rustix::stdio::stderr(),
                };
                write_fd(fd, bufs)
            }
            OutputStream::Null => Ok(bufs.iter().map(|b| b.len()).sum()),
            OutputStream::File(f, _) => write_fd(f.as_fd(), bufs),
            OutputStream::Capture(c) => Ok(c.append(bufs)),
            OutputStream::Writer(w) => {
                let mut w = w.lock().unwrap_or_else(PoisonError::into_inner);
                let mut n = 0;
                for b in bufs {
                    w.write_all(b)?;
                    n += b.len();
                }
                w.flush()?;
                Ok(n)
            }
        }
    }

    pub(crate) fn filetype(&self) -> filetype {
        match self {
            OutputStream::Inherit(HostStream::Stdout, _) => fd_filetype(rustix::stdio::stdout()),
            OutputStream::Inherit(HostStream::Stderr, _) => fd_filetype(rustix::stdio::stderr()),
            OutputStream::File(f, _) => fd_filetype(f.as_fd()),
            _ => filetype::unknown,
        }
    }

    /// The non-blocking twin to write to, for an fd that may block.
    pub(crate) fn write_twin(&self) -> Option<Arc<std::os::fd::OwnedFd>> {
        match self {
            OutputStream::Inherit(_, twin) | OutputStream::File(_, twin) => {
                twin.get(self.host_fd()?)
            }
            _ => None,
        }
    }

    pub(crate) fn host_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        match self {
            OutputStream::Inherit(HostStream::Stdout, _) => Some(rustix::stdio::stdout()),
            OutputStream::Inherit(HostStream::Stderr, _) => Some(rustix::stdio::stderr()),
            OutputStream::File(f, _) => Some(f.as_fd()),
            _ => None,
        }
    }
}

/// Writes `bufs` to a host fd in one syscall: `write` for one buffer (on
/// Linux it costs about 60% of a one-element `writev`), else `writev` of
/// at most [`IOV_MAX`](super::IOV_MAX) buffers, gathered on the stack.
pub(crate) fn write_fd(fd: std::os::fd::BorrowedFd<'_>, bufs: &[&[u8]]) -> io::Result<usize> {
    let r = match bufs {
        [] => Ok(0),
        [one] => rustix::io::write(fd, one),
        _ if bufs.len() <= STACK_IOVS => {
            let mut a = [IoSlice::new(&[]); STACK_IOVS];
            rustix::io::writev(fd, io_slices(bufs, &mut a))
        }
        _ => return writev_many(fd, bufs),
    };
    r.map_err(io::Error::from)
}

/// Up to this many buffers go to `writev` from the inlined fast path.
const STACK_IOVS: usize = 16;

/// [`write_fd`] at `offset`, leaving the fd's own offset alone: `pwrite`
/// for one buffer, else `pwritev` (at most [`IOV_MAX`](super::IOV_MAX)
/// buffers, on the stack).
pub(crate) fn pwrite_fd(
    fd: std::os::fd::BorrowedFd<'_>,
    bufs: &[&[u8]],
    offset: u64,
) -> io::Result<usize> {
    let r = match bufs {
        [] => Ok(0),
        [one] => rustix::io::pwrite(fd, one, offset),
        _ if bufs.len() <= STACK_IOVS => {
            let mut a = [IoSlice::new(&[]); STACK_IOVS];
            rustix::io::pwritev(fd, io_slices(bufs, &mut a), offset)
        }
        _ => return pwritev_many(fd, bufs, offset),
    };
    r.map_err(io::Error::from)
}

/// [`pwrite_fd`] for more than [`STACK_IOVS`] buffers.
#[inline(never)]
fn pwritev_many(fd: std::os::fd::BorrowedFd<'_>, bufs: &[&[u8]], offset: u64) -> io::Result<usize> {
    let mut a = [IoSlice::new(&[]); super::IOV_MAX as usize];
    rustix::io::pwritev(fd, io_slices(bufs, &mut a), offset).map_err(io::Error::from)
}

/// [`write_fd`] for more than [`STACK_IOVS`] buffers.
#[inline(never)]
fn writev_many(fd: std::os::fd::BorrowedFd<'_>, bufs: &[&[u8]]) -> io::Result<usize> {
    let mut a = [IoSlice::new(&[]); super::IOV_MAX as usize];
    rustix::io::writev(fd, io_slices(bufs, &mut a)).map_err(io::Error::from)
}

/// `bufs` as `IoSlice`s in `slots`: as many as fit.
fn io_slices<'s, 'a>(bufs: &[&'a [u8]], slots: &'s mut [IoSlice<'a>]) -> &'s [IoSlice<'a>] {
    let n = bufs.len().min(slots.len());
    for (slot, b) in slots.iter_mut().zip(bufs) {
        *slot = IoSlice::new(b);
    }
    &slots[..n]
}

/// What a host fd is, as a WASI file type: only a terminal is a character
/// device (wasi-libc's `isatty` checks for that, so `/dev/null` must not be
/// one); a regular file is a regular file; pipes, sockets and the rest are
/// `unknown`.
fn fd_filetype(fd: std::os::fd::BorrowedFd<'_>) -> filetype {
    if rustix::termios::isatty(fd) {
        return filetype::character_device;
    }
    match rustix::fs::fstat(fd) {
        Ok(st) => match rustix::fs::FileType::from_raw_mode(st.st_mode) {
            rustix::fs::FileType::RegularFile => filetype::regular_file,
            rustix::fs::FileType::BlockDevice => filetype::block_device,
            _ => filetype::unknown,
        },
        Err(_) => filetype::unknown,
    }
}
