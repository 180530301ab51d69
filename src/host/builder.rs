//! [`WasiHostBuilder`]: everything a guest is granted, set up before it runs.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::clocks::{Clock, Clocks, VirtualClock};
use super::fd_table::{FdEntry, FdObject, FdTable, STDIN_RIGHTS, STDOUT_RIGHTS};
use super::fs::{DirFd, preopen_rights};
use super::random::{Entropy, Random, RandomSource};
use super::stdio::{HostStream, InSpec, Input, InputStream, OutSpec, Output, OutputStream};
use super::{StringTable, WasiHost};
use crate::error::{Error, ErrorKind};
use crate::wasi_snapshot_preview1::types::{fdflags, rights};
use std::sync::Arc;

/// The default cap on open fds per instance.
pub const DEFAULT_MAX_OPEN_FDS: usize = 1024;

/// Builds a [`WasiHost`]. Nothing is granted unless asked for: no
/// arguments, no environment, stdin at end of file, stdout and stderr
/// discarded.
///
/// A builder is a reusable description: [`build`](Self::build) makes any
/// number of hosts from it, and it can be cloned to make variants. Paths
/// (preopens, stdio files) are opened anew for each host; what was handed
/// over already open or live (a [`File`](std::fs::File), a reader, a
/// writer, a [`Capture`](super::Capture), a [`Clock`]) is shared by the
/// hosts of one builder, as a duplicated fd would be; the deterministic
/// clock and a seeded random source start afresh in each host.
///
/// ```
/// use wasihost_core::{Capture, Output, WasiHost};
/// let out = Capture::new(1 << 20);
/// let host = WasiHost::builder()
///     .arg("prog")
///     .arg("--verbose")
///     .env("LANG", "C")
///     .stdout(Output::Capture(out.clone()))
///     .build()
///     .unwrap();
/// # drop(host);
/// ```
#[derive(Debug, Clone)]
pub struct WasiHostBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<(Vec<u8>, Vec<u8>)>,
    stdin: InSpec,
    stdout: OutSpec,
    stderr: OutSpec,
    random: RandomSource,
    entropy: Option<Arc<dyn Entropy>>,
    clocks: ClockSpec,
    max_open_fds: usize,
    preopens: Vec<Preopen>,
}

impl std::fmt::Debug for dyn Entropy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Entropy")
    }
}

/// A host directory granted to the guest.
#[derive(Debug, Clone)]
struct Preopen {
    host: PathBuf,
    guest: Vec<u8>,
    readonly: bool,
}

impl Default for WasiHostBuilder {
    fn default() -> Self {
        WasiHostBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdin: InSpec::Null,
            stdout: OutSpec::Null,
            stderr: OutSpec::Null,
            random: RandomSource::default(),
            entropy: None,
            clocks: ClockSpec::System,
            max_open_fds: DEFAULT_MAX_OPEN_FDS,
            preopens: Vec::new(),
        }
    }
}

impl WasiHostBuilder {
    /// A builder that grants nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one argument (the first is the program name, `argv[0]`).
    pub fn arg(mut self, arg: impl AsRef<[u8]>) -> Self {
        self.args.push(arg.as_ref().to_vec());
        self
    }

    /// Appends arguments.
    pub fn args<I>(mut self, args: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_vec()));
        self
    }

    /// Sets environment variable `name` to `value`, replacing an earlier
    /// setting of the same name.
    pub fn env(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        let name = name.as_ref().to_vec();
        let value = value.as_ref().to_vec();
        match self.env.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.env.push((name, value)),
        }
        self
    }

    /// Copies the host process's whole environment (as it is now) into the
    /// guest's.
    pub fn inherit_env(mut self) -> Self {
        use std::os::unix::ffi::OsStrExt;
        for (n, v) in std::env::vars_os() {
            self = self.env(n.as_bytes(), v.as_bytes());
        }
        self
    }

    /// Copies one host environment variable, if it is set.
    pub fn inherit_env_var(self, name: impl AsRef<std::ffi::OsStr>) -> Self {
        use std::os::unix::ffi::OsStrExt;
        let name = name.as_ref();
        match std::env::var_os(name) {
            Some(v) => self.env(name.as_bytes(), v.as_bytes()),
            None => self,
        }
    }

    /// Where stdin comes from (default: [`Input::Null`]).
    pub fn stdin(mut self, input: Input) -> Self {
        self.stdin = input.into();
        self
    }

    /// Where stdout goes (default: [`Output::Null`]).
    pub fn stdout(mut self, output: Output) -> Self {
        self.stdout = output.into();
        self
    }

    /// Where stderr goes (default: [`Output::Null`]).
    pub fn stderr(mut self, output: Output) -> Self {
        self.stderr = output.into();
        self
    }

    /// All three stdio streams of the host process, as a command-line
    /// runner wants.
    pub fn inherit_stdio(self) -> Self {
        self.stdin(Input::Inherit)
            .stdout(Output::Inherit)
            .stderr(Output::Inherit)
    }

    /// Where `random_get` takes its bytes from (default:
    /// [`RandomSource::OsSeeded`]).
    pub fn random(mut self, source: RandomSource) -> Self {
        self.random = source;
        self.entropy = None;
        self
    }

    /// Takes `random_get`'s bytes from `source`, a function of the
    /// embedder (replacing [`WasiHostBuilder::random`]).
    pub fn random_fn(mut self, source: impl Entropy) -> Self {
        self.entropy = Some(Arc::new(source));
        self
    }

    /// [`WasiHostBuilder::random_fn`] with a source shared with the
    /// embedder or with other hosts.
    pub fn shared_random(mut self, source: Arc<dyn Entropy>) -> Self {
        self.entropy = Some(source);
        self
    }

    /// Reads time from `clock` for `clock_res_get`, `clock_time_get` and
    /// the clock subscriptions of `poll_oneoff`, and waits through it
    /// (default: the host's clocks, [`SystemClock`](super::SystemClock)).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clocks = ClockSpec::Custom(Arc::new(clock));
        self
    }

    /// [`WasiHostBuilder::clock`] with a clock shared with the embedder
    /// (to read a [`VirtualClock`]'s elapsed time after the run, say).
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clocks = ClockSpec::Custom(clock);
        self
    }

    /// Deterministic time and randomness: a [`VirtualClock`] (wall clock
    /// frozen at 2000-01-01T00:00:00Z, monotonic clock advancing only by
    /// what the guest sleeps, at once) and random bytes from `seed`
    /// ([`RandomSource::Seeded`]). Two runs of a guest with the same
    /// inputs see the same times and the same random bytes.
    pub fn deterministic(mut self, seed: u64) -> Self {
        self.clocks = ClockSpec::Virtual(VirtualClock::DEFAULT_WALL);
        self.random(RandomSource::Seeded(seed))
    }

    /// Grants the guest the host directory `host`, read-write, mounted at
    /// the guest path `guest` (wasi-libc resolves the guest's paths
    /// against these names). Preopens get fds 3, 4, ... in the order they
    /// are added; the same host directory may be granted more than once,
    /// and guest paths may nest.
    pub fn preopen_dir(self, host: impl AsRef<Path>, guest: impl AsRef<[u8]>) -> Self {
        self.add_preopen(host, guest, false)
    }

    /// Like [`preopen_dir`](Self::preopen_dir), read-only: nothing through
    /// this directory, or opened from it, can create, write, truncate,
    /// rename, unlink, link, symlink, resize or re-time; such calls fail
    /// with `notcapable`.
    pub fn preopen_dir_readonly(self, host: impl AsRef<Path>, guest: impl AsRef<[u8]>) -> Self {
        self.add_preopen(host, guest, true)
    }

    fn add_preopen(
        mut self,
        host: impl AsRef<Path>,
        guest: impl AsRef<[u8]>,
        readonly: bool,
    ) -> Self {
        self.preopens.push(Preopen {
            host: host.as_ref().to_path_buf(),
            guest: guest.as_ref().to_vec(),
            readonly,
        });
        self
    }

    /// The most fds the guest may hold open at once, stdio included
    /// (default [`DEFAULT_MAX_OPEN_FDS`]); opening more gives `mfile`.
    pub fn max_open_fds(mut self, n: usize) -> Self {
        self.max_open_fds = n;
        self
    }

    /// Checks the configuration, opens the host files it names, and gives
    /// the host. Errors say which setting is wrong.
    pub fn build(&self) -> Result<WasiHost, Error> {
        let args = StringTable::new(self.args.iter().enumerate().map(|(i, a)| {
            check_arg(i, a)?;
            Ok(a.clone())
        }))?;
        let env = StringTable::new(self.env.iter().map(|(n, v)| {
            check_env(n, v)?;
            let mut kv = n.clone();
            kv.push(b'=');
            kv.extend_from_slice(v);
            Ok(kv)
        }))?;
        check_max_open_fds(self.max_open_fds, self.preopens.len())
            .map_err(|msg| Error::new(ErrorKind::Config, msg))?;
        let io_err = |what: &str, e: std::io::Error| {
            Error::from_io(ErrorKind::Config, format!("{what}: {e}"), &e)
        };
        let stdin = InputStream::open(&self.stdin).map_err(|e| io_err("stdin", e))?;
        let stdout = OutputStream::open(&self.stdout, HostStream::Stdout)
            .map_err(|e| io_err("stdout", e))?;
        let stderr = OutputStream::open(&self.stderr, HostStream::Stderr)
            .map_err(|e| io_err("stderr", e))?;
        let mut fds = FdTable::new(self.max_open_fds);
        let stream = |object, rights_base: rights| FdEntry {
            object,
            rights_base,
            rights_inheriting: rights::empty(),
            flags: fdflags::empty(),
        };
        fds.insert_at(0, stream(FdObject::Input(stdin), STDIN_RIGHTS));
        fds.insert_at(1, stream(FdObject::Output(stdout), STDOUT_RIGHTS));
        fds.insert_at(2, stream(FdObject::Output(stderr), STDOUT_RIGHTS));
        for (i, p) in self.preopens.iter().enumerate() {
            let shown = String::from_utf8_lossy(&p.guest);
            check_preopen(&p.host, &p.guest).map_err(|msg| Error::new(ErrorKind::Config, msg))?;
            // Opened read-only as a plain directory fd (cap-std's own
            // `open_ambient_dir` gives an O_PATH fd, on which Linux refuses
            // fsync, futimens and F_SETFL).
            let dir = std::fs::File::options()
                .read(true)
                .custom_flags(libc::O_DIRECTORY)
                .open(&p.host)
                .map(cap_std::fs::Dir::from_std_file)
                .map_err(|e| {
                    Error::from_io(
                        ErrorKind::Config,
                        format!(
                            "preopen {shown:?} -> {:?}: {e}",
                            p.host.display().to_string()
                        ),
                        &e,
                    )
                })?;
            let (rights_base, rights_inheriting) = preopen_rights(p.readonly);
            fds.insert_at(
                3 + i as u32,
                FdEntry {
                    object: FdObject::Dir(DirFd::new(dir, Some(p.guest.clone()))),
                    rights_base,
                    rights_inheriting,
                    flags: fdflags::empty(),
                },
            );
        }
        Ok(WasiHost {
            args,
            env,
            random: match &self.entropy {
                Some(f) => Random::Custom(f.clone()),
                None => Random::new(self.random),
            },
            clocks: match &self.clocks {
                ClockSpec::System => Clocks::System,
                ClockSpec::Virtual(wall) => Clocks::Custom(Arc::new(VirtualClock::new(*wall))),
                ClockSpec::Custom(c) => Clocks::Custom(c.clone()),
            },
            fds: Mutex::new(fds),
        })
    }
}

/// The clock a builder gives its hosts.
#[derive(Clone)]
enum ClockSpec {
    System,
    /// A new [`VirtualClock`] per host, its wall clock at this instant.
    Virtual(u64),
    Custom(Arc<dyn Clock>),
}

impl std::fmt::Debug for ClockSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClockSpec::System => f.write_str("System"),
            ClockSpec::Virtual(wall) => write!(f, "Virtual({wall})"),
            ClockSpec::Custom(_) => f.write_str("Custom"),
        }
    }
}

// The checks of a host's settings, shared by `build` and the C ABI's
// setters (which check at once): one set of rules and messages.

/// An argument: no NUL byte.
pub(crate) fn check_arg(index: usize, arg: &[u8]) -> Result<(), String> {
    if arg.contains(&0) {
        return Err(format!("argument {index} contains a NUL byte"));
    }
    Ok(())
}

/// An environment variable name: not empty, no `=`, no NUL byte.
pub(crate) fn check_env_name(name: &[u8]) -> Result<(), String> {
    let shown = String::from_utf8_lossy(name);
    if name.is_empty() {
        Err("environment variable name is empty".to_string())
    } else if name.contains(&b'=') {
        Err(format!("environment variable name {shown:?} contains '='"))
    } else if name.contains(&0) {
        Err(format!(
            "environment variable name {shown:?} contains a NUL byte"
        ))
    } else {
        Ok(())
    }
}

/// An environment variable: a valid name, a value without NUL bytes.
pub(crate) fn check_env(name: &[u8], value: &[u8]) -> Result<(), String> {
    check_env_name(name)?;
    if value.contains(&0) {
        return Err(format!(
            "the value of environment variable {:?} contains a NUL byte",
            String::from_utf8_lossy(name)
        ));
    }
    Ok(())
}

/// A preopen's guest path: not empty, no NUL byte.
pub(crate) fn check_preopen(host: &Path, guest: &[u8]) -> Result<(), String> {
    if guest.is_empty() || guest.contains(&0) {
        return Err(format!(
            "{}: the guest path must be non-empty and contain no NUL byte",
            preopen_name(host, guest)
        ));
    }
    Ok(())
}

/// How messages name a preopen: `preopen "/guest" -> "/host"`.
pub(crate) fn preopen_name(host: &Path, guest: &[u8]) -> String {
    format!(
        "preopen {:?} -> {:?}",
        String::from_utf8_lossy(guest),
        host.display().to_string()
    )
}

/// The fd cap: room for stdio and every preopen.
pub(crate) fn check_max_open_fds(max: usize, preopens: usize) -> Result<(), String> {
    if max < 3 + preopens {
        return Err(if preopens == 0 {
            format!("max_open_fds is {max}, but stdio alone needs 3")
        } else {
            format!(
                "max_open_fds is {max}, but stdio and the {preopens} preopened directories alone \
                 need {}",
                3 + preopens
            )
        });
    }
    Ok(())
}
