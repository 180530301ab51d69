//! Precompiled modules: [`Module::serialize`], [`Module::deserialize`] and
//! the on-disk [`ModuleCache`].
//!
//! Compiling a large module with Cranelift takes seconds to minutes;
//! loading its compiled form takes milliseconds. Compiled code is machine
//! code that wasmtime maps and runs with few checks, so it is never
//! trusted blindly. Every serialized module is wrapped in an envelope:
//!
//! ```text
//! magic (16 bytes) | engine hash (32) | SHA-256 of the payload (32) | payload
//! ```
//!
//! The engine hash covers wasihost's version and everything wasmtime says
//! makes compiled code incompatible (its version, the target, the compiler
//! settings, the enabled wasm features). Loading checks the magic, the
//! engine hash and the checksum before wasmtime sees a byte, so a
//! truncated, corrupted or foreign file is an error (or, in the cache, a
//! miss that is rebuilt), never code that runs. What the checksum cannot
//! stop is someone who can write the file on purpose, so [`ModuleCache`]
//! makes its directories private (0700, entries 0600, whatever the umask)
//! and refuses an existing directory that others could write (see
//! [`ModuleCache::allow_shared_dir`]).

use std::hash::Hasher;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind};
use crate::run::{Engine, Module};

const MAGIC: &[u8; 16] = b"wasihost-cwasm\x00\x01";
const HEADER_LEN: usize = 16 + 32 + 32;

/// A [`Hasher`] that feeds everything into SHA-256, so that wasmtime's
/// `impl Hash` compatibility key becomes a stable digest.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        // Only the SHA-256 state is used.
        0
    }
}

/// The digest of everything that makes compiled code (in)compatible with
/// `engine`.
fn engine_hash(engine: &Engine) -> [u8; 32] {
    use std::hash::Hash;
    let mut h = ShaHasher(Sha256::new());
    h.write(b"wasihost ");
    h.write(env!("CARGO_PKG_VERSION").as_bytes());
    engine
        .wasmtime()
        .precompile_compatibility_hash()
        .hash(&mut h);
    h.0.finalize().into()
}

fn module_error(message: String) -> Error {
    Error::new(ErrorKind::Module, message)
}

impl Module {
    /// The compiled form of the module, for [`Module::deserialize`] with an
    /// engine of the same settings (in this or a later process).
    pub fn serialize(&self) -> Result<Vec<u8>, Error> {
        let payload = self
            .wasmtime()
            .serialize()
            .map_err(|e| module_error(format!("cannot serialize the module: {e:#}")))?;
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&engine_hash(self.engine()));
        out.extend_from_slice(&Sha256::digest(&payload));
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// A module from the output of [`Module::serialize`].
    ///
    /// Fails, without running anything, when the bytes are not such an
    /// output, were made with different engine settings or another
    /// version, or were changed since (a checksum covers them).
    pub fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
        if bytes.len() < HEADER_LEN || &bytes[..16] != MAGIC {
            return Err(module_error(
                "not a serialized wasihost module (bad header)".to_string(),
            ));
        }
        if bytes[16..48] != engine_hash(engine) {
            return Err(module_error(
                "the serialized module was compiled by another wasihost version or with \
                 other engine settings; compile it again"
                    .to_string(),
            ));
        }
        let payload = &bytes[HEADER_LEN..];
        if bytes[48..80] != Sha256::digest(payload)[..] {
            return Err(module_error(
                "the serialized module is corrupt (checksum mismatch)".to_string(),
            ));
        }
        // SAFETY: wasmtime requires bytes that `wasmtime::Module::serialize`
        // produced, unmodified. These are: the envelope is written only by
        // `Module::serialize` above, its checksum proves the payload is
        // unchanged since, and the engine hash proves it was made by this
        // wasihost version with compatible engine settings (wasmtime also
        // checks its own version and settings header and rejects a
        // mismatch with an error).
        let inner = unsafe { wasmtime::Module::deserialize(engine.wasmtime(), payload) }
            .map_err(|e| module_error(format!("cannot load the serialized module: {e:#}")))?;
        Ok(Module::from_wasmtime(engine, inner))
    }
}

/// What [`ModuleCache::load`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheStatus {
    /// A valid entry: the module was loaded without compiling.
    Hit,
    /// No entry: the module was compiled and stored.
    Miss,
    /// An entry that was corrupt or unusable (truncated, checksum
    /// mismatch, rejected by wasmtime): it was ignored, and the module was
    /// compiled and stored again.
    Rebuilt,
    /// The module was compiled, but storing it failed (e.g. a read-only
    /// cache directory, or one that cannot be created); the module is
    /// fine, the next load compiles again.
    NotStored,
}

/// A directory of compiled modules, keyed by the SHA-256 of the module's
/// bytes and of the engine's settings, so a changed module or a changed
/// engine never picks up a stale entry.
///
/// Safe to share between threads and processes: entries are written to a
/// temporary file and renamed into place.
///
/// Entries are machine code that runs with few checks, so the directory
/// must be one that only this user can change:
///
/// - What the cache creates is private whatever the umask: the directory
///   and any missing parents get mode 0700, entries (and their temporary
///   files) 0600.
/// - An existing directory is checked, through the descriptor every entry
///   is then read and written by (so a symlinked directory is checked
///   where it leads, and a path swapped after the check changes nothing):
///   one that its group or everyone may write (a `/tmp`-style sticky
///   directory included: others can still add entries), or that is owned
///   by another user than the effective uid (or root), is refused.
///   [`load`](ModuleCache::load) then fails with an [`ErrorKind::Io`]
///   error (I/O kind `PermissionDenied`) that names the directory, its
///   mode and owner, and what to do, as ssh refuses a loose `~/.ssh`.
///   [`allow_shared_dir`](ModuleCache::allow_shared_dir) accepts such a
///   directory when everyone who can write it is trusted.
#[derive(Clone, Debug)]
pub struct ModuleCache {
    dir: PathBuf,
    allow_shared_dir: bool,
}

/// Why the cache directory cannot be used.
enum DirError {
    /// It exists but cannot be trusted: the load fails.
    Refused(Error),
    /// It cannot be created or opened: the module is compiled, not stored.
    Unusable,
}

impl ModuleCache {
    /// A cache in `dir` (created, with mode 0700, if missing).
    pub fn new(dir: impl AsRef<Path>) -> ModuleCache {
        ModuleCache {
            dir: dir.as_ref().to_path_buf(),
            allow_shared_dir: false,
        }
    }

    /// With `true`, an existing directory that others may write, or that
    /// another user owns, is used instead of refused. Only for a directory
    /// whose every writer is trusted (a team's shared cache): any of them
    /// can replace the machine code this process runs. Directories the
    /// cache creates are private either way.
    pub fn allow_shared_dir(mut self, allow: bool) -> ModuleCache {
        self.allow_shared_dir = allow;
        self
    }

    /// Whether [`allow_shared_dir`](ModuleCache::allow_shared_dir) is on.
    pub fn allows_shared_dir(&self) -> bool {
        self.allow_shared_dir
    }

    /// The default cache directory: `$WASIHOST_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/wasihost`, else `$HOME/.cache/wasihost`; `None`
    /// when none of these is set.
    pub fn default_dir() -> Option<PathBuf> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(d) = var("WASIHOST_CACHE_DIR") {
            return Some(PathBuf::from(d));
        }
        if let Some(d) = var("XDG_CACHE_HOME") {
            return Some(PathBuf::from(d).join("wasihost"));
        }
        var("HOME").map(|h| PathBuf::from(h).join(".cache").join("wasihost"))
    }

    /// The cache's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry file for `bytes` compiled by `engine`.
    pub fn entry_path(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        self.dir.join(entry_name(engine, bytes))
    }

    /// The module for `bytes` (binary or WAT): loaded from the cache when a
    /// valid entry exists, else compiled and stored.
    ///
    /// Errors are for invalid modules, and for a cache directory that
    /// cannot be trusted (see [`ModuleCache`]): the caller asked for a
    /// cache, and this one could hand it someone else's code. Other cache
    /// trouble (a directory that cannot be created or written, a corrupt
    /// entry) is reported in the status.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> Result<(Module, CacheStatus), Error> {
        let name = entry_name(engine, bytes);
        let dir = match self.open_dir() {
            Ok(fd) => Some(fd),
            Err(DirError::Refused(e)) => return Err(e),
            Err(DirError::Unusable) => None,
        };
        let mut status = CacheStatus::Miss;
        if let Some(dir) = &dir {
            match read_entry(dir, &name) {
                Ok(Some(entry)) => match Module::deserialize(engine, &entry) {
                    Ok(module) => return Ok((module, CacheStatus::Hit)),
                    Err(_) => status = CacheStatus::Rebuilt,
                },
                Ok(None) => {}
                Err(_) => status = CacheStatus::Rebuilt,
            }
        }
        let module = Module::new(engine, bytes)?;
        let Some(dir) = dir else {
            return Ok((module, CacheStatus::NotStored));
        };
        match module.serialize().and_then(|s| self.store(&dir, &name, &s)) {
            Ok(()) => Ok((module, status)),
            Err(_) => Ok((module, CacheStatus::NotStored)),
        }
    }

    /// Opens the cache directory (creating it private if missing) and
    /// checks the directory that descriptor refers to.
    fn open_dir(&self) -> Result<OwnedFd, DirError> {
        let open = || {
            rustix::fs::open(
                &self.dir,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
        };
        let fd = match open() {
            Ok(fd) => fd,
            Err(Errno::NOENT) => {
                create_private_dirs(&self.dir).map_err(|_| DirError::Unusable)?;
                open().map_err(|_| DirError::Unusable)?
            }
            Err(_) => return Err(DirError::Unusable),
        };
        let st = rustix::fs::fstat(&fd).map_err(|_| DirError::Unusable)?;
        if !self.allow_shared_dir {
            self.check_private(st.st_uid, st.st_mode)
                .map_err(DirError::Refused)?;
        }
        Ok(fd)
    }

    /// Refuses a directory that others may write or another user owns.
    fn check_private(&self, uid: u32, mode: u32) -> Result<(), Error> {
        let euid = rustix::process::geteuid().as_raw();
        let mode = mode & 0o7777;
        let foreign = uid != euid && uid != 0;
        let mut writers = Vec::new();
        if foreign {
            writers.push("its owner");
        }
        if mode & 0o020 != 0 {
            writers.push("its group");
        }
        if mode & 0o002 != 0 {
            writers.push("everyone");
        }
        if writers.is_empty() {
            return Ok(());
        }
        let writers = writers.join(" and ");
        let mut shown = format!("{:?}", self.dir.display().to_string());
        if let (Ok(real), Ok(given)) = (
            std::fs::canonicalize(&self.dir),
            std::path::absolute(&self.dir),
        ) && real != given
        {
            shown.push_str(&format!(" (resolved to {:?})", real.display().to_string()));
        }
        let sticky = if mode & 0o1000 != 0 && mode & 0o002 != 0 {
            " (the sticky bit does not help: others can still add entries)"
        } else {
            ""
        };
        let fix = if foreign {
            format!("use a directory of your own (or chown it to uid {euid}) with mode 0700")
        } else {
            format!(
                "make it private (chmod 700 {:?}) or use another directory",
                self.dir.display().to_string()
            )
        };
        Err(Error::with_io(
            ErrorKind::Io,
            format!(
                "cache directory {shown} is not private: mode {mode:04o}, owner uid {uid} \
                 (this process runs as uid {euid}), so {writers} can replace the compiled code \
                 it holds{sticky}; refusing to use it: {fix}, or allow a shared cache \
                 directory explicitly if everyone who can write it is trusted"
            ),
            std::io::ErrorKind::PermissionDenied,
        ))
    }

    /// Writes an entry atomically: a unique temporary file (0600), then a
    /// rename, both inside the checked directory `dir`.
    fn store(&self, dir: &OwnedFd, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let stem = name.strip_suffix(".cwasm").unwrap_or(name);
        let tmp = format!(
            "{stem}.tmp.{}.{:016x}",
            std::process::id(),
            rand::random::<u64>()
        );
        let private = Mode::RUSR | Mode::WUSR;
        let fd = rustix::fs::openat(
            dir,
            tmp.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            private,
        )
        .map_err(|e| self.io_error("cannot store an entry", e.into()))?;
        let result = rustix::fs::fchmod(&fd, private)
            .map_err(std::io::Error::from)
            .and_then(|()| {
                let mut f = std::fs::File::from(fd);
                f.write_all(bytes).and_then(|()| f.sync_data())
            })
            .and_then(|()| {
                rustix::fs::renameat(dir, tmp.as_str(), dir, name).map_err(std::io::Error::from)
            });
        if let Err(e) = result {
            let _ = rustix::fs::unlinkat(dir, tmp.as_str(), AtFlags::empty());
            return Err(self.io_error("cannot store an entry", e));
        }
        Ok(())
    }

    fn io_error(&self, what: &str, e: std::io::Error) -> Error {
        Error::from_io(
            ErrorKind::Io,
            format!("cache {}: {what}: {e}", self.dir.display()),
            &e,
        )
    }
}

/// The entry's file name: the SHA-256 of the engine's settings and the
/// module's bytes, in hex, then `.cwasm`.
fn entry_name(engine: &Engine, bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(engine_hash(engine));
    h.update(bytes);
    let key = h.finalize();
    let mut name = String::with_capacity(70);
    for b in key {
        name.push_str(&format!("{b:02x}"));
    }
    name.push_str(".cwasm");
    name
}

/// The entry `name` in `dir`: `None` when there is none. Only a regular
/// file is read (a symlink, a FIFO or a directory there is an error).
fn read_entry(dir: &OwnedFd, name: &str) -> std::io::Result<Option<Vec<u8>>> {
    let fd = match rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let st = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not a regular file",
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(st.st_size).unwrap_or(0));
    std::fs::File::from(fd).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Creates `path` and its missing parents with mode 0700, whatever the
/// umask. An existing directory is left as it is (the caller checks it).
fn create_private_dirs(path: &Path) -> std::io::Result<()> {
    match rustix::fs::mkdir(path, Mode::RWXU) {
        Ok(()) => return make_private(path),
        Err(Errno::EXIST) => return Ok(()),
        Err(Errno::NOENT) => {}
        Err(e) => return Err(e.into()),
    }
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => create_private_dirs(parent)?,
        _ => return Err(std::io::ErrorKind::NotFound.into()),
    }
    match rustix::fs::mkdir(path, Mode::RWXU) {
        Ok(()) => make_private(path),
        Err(Errno::EXIST) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Sets a directory just made to exactly 0700: a umask can only take bits
/// away from mkdir's mode, and one that takes the owner's would leave a
/// directory the cache cannot use. Through a no-follow descriptor, so a
/// path swapped for a symlink meanwhile is an error, not a chmod elsewhere.
fn make_private(path: &Path) -> std::io::Result<()> {
    match rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => rustix::fs::fchmod(&fd, Mode::RWXU)?,
        // A umask without the owner's read bit: the directory cannot be
        // opened to read until it is chmod'ed.
        Err(Errno::ACCESS) => rustix::fs::chmod(path, Mode::RWXU)?,
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
