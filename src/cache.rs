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
/// Loading an entry maps it (it is not read or copied) after a check of
/// its trailer: the engine hash, the length and an XXH3-128 checksum of
/// the whole artifact, so a truncated or corrupted entry is rebuilt,
/// never run. [`load_file`](ModuleCache::load_file) also remembers the
/// SHA-256 of a module file against its device, inode, size, mtime and
/// ctime, so a cache hit does not read or hash the module again; a file
/// changed in any way (its ctime moves on every change, and cannot be set
/// back) is hashed anew. A file changed less than
/// [`STABLE_AFTER`](ModuleCache::STABLE_AFTER) before it was hashed is not
/// remembered: a change within the same timestamp tick could not be told
/// apart.
///
/// The directory is bounded: after each store, entries are evicted, least
/// recently used first (a hit marks an entry used), until the directory
/// holds at most [`max_size`](ModuleCache::max_size) bytes
/// ([`DEFAULT_MAX_SIZE`](ModuleCache::DEFAULT_MAX_SIZE) unless set).
///
/// Safe to share between threads and processes: entries are written to a
/// temporary file and renamed into place, so no reader sees a partial
/// entry; an entry evicted or replaced while another process has it loaded
/// stays valid for that process (its mapping keeps the old file). Entries
/// are never changed in place: a process that did (another program
/// writing into the directory) could crash processes that have it mapped.
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
    max_size: Option<u64>,
}

/// Why the cache directory cannot be used.
enum DirError {
    /// It exists but cannot be trusted: the load fails.
    Refused(Error),
    /// It cannot be created or opened: a load compiles the module and
    /// does not store it.
    Unusable(std::io::Error),
}

/// What a look-up of an entry found.
enum Lookup {
    Hit(Module),
    /// No entry of that name.
    Missing,
    /// An entry that cannot be used (corrupt, truncated, foreign).
    Bad,
}

impl Lookup {
    /// The module of a hit; else `None`, and `status` says what the
    /// compile that follows replaces: nothing (`Miss`) or a bad entry
    /// (`Rebuilt`).
    fn hit(self, status: &mut CacheStatus) -> Option<Module> {
        match self {
            Lookup::Hit(m) => return Some(m),
            Lookup::Missing => *status = CacheStatus::Miss,
            Lookup::Bad => *status = CacheStatus::Rebuilt,
        }
        None
    }
}

impl ModuleCache {
    /// The size limit of a cache that was not given one: 1 GiB.
    pub const DEFAULT_MAX_SIZE: u64 = 1 << 30;

    /// How long after its last change a module file must have been hashed
    /// for [`load_file`](ModuleCache::load_file) to remember the hash
    /// against the file's identity and times: longer than the coarsest
    /// timestamp tick of a local file system, with room for the clock of
    /// a network file server.
    pub const STABLE_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

    /// A cache in `dir` (created, with mode 0700, if missing), bounded to
    /// [`DEFAULT_MAX_SIZE`](ModuleCache::DEFAULT_MAX_SIZE).
    pub fn new(dir: impl AsRef<Path>) -> ModuleCache {
        ModuleCache {
            dir: dir.as_ref().to_path_buf(),
            allow_shared_dir: false,
            max_size: Some(Self::DEFAULT_MAX_SIZE),
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

    /// Bounds the directory to `bytes` of disk (`None`: unbounded). After
    /// each store, the least recently used entries are deleted until the
    /// cache's files take at most that much; the entry just stored is
    /// kept even when it alone is larger.
    pub fn max_size(mut self, bytes: Option<u64>) -> ModuleCache {
        self.max_size = bytes;
        self
    }

    /// The size limit (see [`max_size`](ModuleCache::max_size)).
    pub fn size_limit(&self) -> Option<u64> {
        self.max_size
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
        self.dir.join(entry_name(
            &engine_hash(engine),
            &Sha256::digest(bytes).into(),
        ))
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
        let dir = self.usable_dir()?;
        let source: [u8; 32] = Sha256::digest(bytes).into();
        let ehash = engine_hash(engine);
        let mut status = CacheStatus::Miss;
        if let Some(dir) = &dir
            && let Some(m) =
                lookup(dir, &entry_name(&ehash, &source), engine, &ehash).hit(&mut status)
        {
            return Ok((m, CacheStatus::Hit));
        }
        self.compile_and_store(
            engine,
            dir.as_ref(),
            bytes,
            "module",
            &ehash,
            &source,
            status,
        )
    }

    /// The module in the file at `path` (binary or WAT), as
    /// [`load`](ModuleCache::load) gives it for the file's bytes; on a hit
    /// for a file seen before and unchanged since, without reading it.
    pub fn load_file(
        &self,
        engine: &Engine,
        path: impl AsRef<Path>,
    ) -> Result<(Module, CacheStatus), Error> {
        let path = path.as_ref();
        let read_error = |e: std::io::Error| {
            Error::from_io(
                ErrorKind::Io,
                format!("cannot read module {}: {e}", path.display()),
                &e,
            )
        };
        let file = std::fs::File::open(path).map_err(read_error)?;
        let before = rustix::fs::fstat(&file).map_err(|e| read_error(e.into()))?;
        let dir = self.usable_dir()?;
        let ehash = engine_hash(engine);
        let mut status = CacheStatus::Miss;
        let mut looked_up = None;
        // Only a regular file's state says what it holds: a pipe or a
        // device (`<(cat m.wasm)`, /dev/stdin) is read and hashed each time.
        let regular = FileType::from_raw_mode(before.st_mode) == FileType::RegularFile;
        if let Some(dir) = &dir
            && regular
            && let Some(source) = read_source_index(dir, &before)
        {
            if let Some(m) =
                lookup(dir, &entry_name(&ehash, &source), engine, &ehash).hit(&mut status)
            {
                touch_source_index(dir, &before);
                return Ok((m, CacheStatus::Hit));
            }
            looked_up = Some(source);
        }
        let mut bytes = Vec::with_capacity(usize::try_from(before.st_size).unwrap_or(0));
        (&file).read_to_end(&mut bytes).map_err(read_error)?;
        let source: [u8; 32] = Sha256::digest(&bytes).into();
        if let Some(dir) = &dir {
            // Remembered only when the file did not change while it was
            // read, and had not changed for a while before.
            if regular
                && let Ok(after) = rustix::fs::fstat(&file)
                && same_file_state(&before, &after)
                && changed_long_ago(&after)
            {
                write_source_index(dir, &after, &source);
            }
            if looked_up != Some(source)
                && let Some(m) =
                    lookup(dir, &entry_name(&ehash, &source), engine, &ehash).hit(&mut status)
            {
                return Ok((m, CacheStatus::Hit));
            }
        }
        let what = path.display().to_string();
        self.compile_and_store(engine, dir.as_ref(), &bytes, &what, &ehash, &source, status)
    }

    /// How many bytes of disk the cache's files take (entries, remembered
    /// hashes and leftover temporary files; other files in the directory
    /// are not the cache's and are not counted). 0 for a directory that
    /// does not exist.
    pub fn disk_usage(&self) -> Result<u64, Error> {
        let Some(dir) = self.existing_dir()? else {
            return Ok(0);
        };
        let files = list_files(&dir).map_err(|e| self.io_error("cannot list the cache", e))?;
        Ok(files.iter().map(|f| f.bytes).sum())
    }

    /// Deletes every file of the cache (entries, remembered hashes,
    /// leftover temporary files), and returns how many bytes of disk they
    /// took. Other files in the directory are left alone. Processes that
    /// have a module loaded from the cache keep it.
    pub fn clear(&self) -> Result<u64, Error> {
        let Some(dir) = self.existing_dir()? else {
            return Ok(0);
        };
        let files = list_files(&dir).map_err(|e| self.io_error("cannot list the cache", e))?;
        let mut freed = 0;
        for f in files {
            match rustix::fs::unlinkat(&dir, f.name.as_str(), AtFlags::empty()) {
                Ok(()) => freed += f.bytes,
                Err(Errno::NOENT) => {}
                Err(e) => return Err(self.io_error("cannot delete an entry", e.into())),
            }
        }
        Ok(freed)
    }

    /// Evicts least recently used files until the cache takes at most its
    /// size limit, keeping `keep` (the entry just stored). Best effort: a
    /// file another process deleted meanwhile is skipped.
    fn evict(&self, dir: &OwnedFd, keep: &str) {
        let Some(limit) = self.max_size else {
            return;
        };
        let Ok(mut files) = list_files(dir) else {
            return;
        };
        let mut total: u64 = files.iter().map(|f| f.bytes).sum();
        if total <= limit {
            return;
        }
        // Oldest use first; names break ties, so that processes evicting
        // at once agree on the order.
        files.sort_by(|a, b| (a.used, &a.name).cmp(&(b.used, &b.name)));
        for f in files {
            if total <= limit {
                break;
            }
            if f.name == keep || (f.name.contains(TMP_MARK) && !f.abandoned) {
                continue;
            }
            match rustix::fs::unlinkat(dir, f.name.as_str(), AtFlags::empty()) {
                Ok(()) | Err(Errno::NOENT) => total = total.saturating_sub(f.bytes),
                Err(_) => {}
            }
        }
    }

    /// Compiles `bytes` and stores the entry (then evicts), giving the
    /// status: `status` when stored, `NotStored` when it could not be.
    #[allow(clippy::too_many_arguments)]
    fn compile_and_store(
        &self,
        engine: &Engine,
        dir: Option<&OwnedFd>,
        bytes: &[u8],
        what: &str,
        ehash: &[u8; 32],
        source: &[u8; 32],
        status: CacheStatus,
    ) -> Result<(Module, CacheStatus), Error> {
        let module = Module::compile(engine, bytes, what)?;
        let Some(dir) = dir else {
            return Ok((module, CacheStatus::NotStored));
        };
        let name = entry_name(ehash, source);
        let stored = module
            .wasmtime()
            .serialize()
            .map_err(|e| module_error(format!("cannot serialize the module: {e:#}")))
            .and_then(|mut artifact| {
                append_trailer(&mut artifact, ehash);
                self.store(dir, &name, &artifact)
            });
        match stored {
            Ok(()) => {
                self.evict(dir, &name);
                Ok((module, status))
            }
            Err(_) => Ok((module, CacheStatus::NotStored)),
        }
    }

    /// The checked cache directory, `None` when it cannot be used (the
    /// module is then compiled and not stored), an error when it must not
    /// be.
    fn usable_dir(&self) -> Result<Option<OwnedFd>, Error> {
        match self.open_dir(true) {
            Ok(fd) => Ok(fd),
            Err(DirError::Refused(e)) => Err(e),
            Err(DirError::Unusable(_)) => Ok(None),
        }
    }

    /// The directory, checked, if it exists (not created): for
    /// [`disk_usage`](ModuleCache::disk_usage) and
    /// [`clear`](ModuleCache::clear), which report what fails.
    fn existing_dir(&self) -> Result<Option<OwnedFd>, Error> {
        match self.open_dir(false) {
            Ok(fd) => Ok(fd),
            Err(DirError::Refused(e)) => Err(e),
            Err(DirError::Unusable(e)) => Err(self.io_error("cannot open the cache directory", e)),
        }
    }

    /// Opens the cache directory (with `create`, creating it private if
    /// missing; else `None` when it is missing) and checks the directory
    /// that descriptor refers to.
    fn open_dir(&self, create: bool) -> Result<Option<OwnedFd>, DirError> {
        let open = || {
            rustix::fs::open(
                &self.dir,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(std::io::Error::from)
        };
        let fd = match open() {
            Ok(fd) => fd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                create_private_dirs(&self.dir).map_err(DirError::Unusable)?;
                open().map_err(DirError::Unusable)?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(DirError::Unusable(e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| DirError::Unusable(e.into()))?;
        if !self.allow_shared_dir {
            self.check_private(st.st_uid, st.st_mode)
                .map_err(DirError::Refused)?;
        }
        Ok(Some(fd))
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

    /// Writes an entry atomically (synced before it is renamed in).
    fn store(&self, dir: &OwnedFd, name: &str, bytes: &[u8]) -> Result<(), Error> {
        write_atomically(dir, name, bytes, true)
            .map_err(|e| self.io_error("cannot store an entry", e))
    }

    fn io_error(&self, what: &str, e: std::io::Error) -> Error {
        Error::from_io(
            ErrorKind::Io,
            format!("cache {}: {what}: {e}", self.dir.display()),
            &e,
        )
    }
}

/// Hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The entry's file name: the SHA-256 of the engine's settings and of the
/// module's SHA-256, in hex, then `.cwasm`.
fn entry_name(ehash: &[u8; 32], source: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(ehash);
    h.update(source);
    let mut name = hex(&h.finalize());
    name.push_str(ENTRY_SUFFIX);
    name
}

const ENTRY_SUFFIX: &str = ".cwasm";
const INDEX_SUFFIX: &str = ".src";
const TMP_MARK: &str = ".tmp.";

/// An entry is wasmtime's artifact as it is (so that wasmtime can map the
/// file), then this trailer: the engine hash (32 bytes), the XXH3-128 of
/// the artifact (16, little-endian), the artifact's length (8,
/// little-endian), and a magic (16).
const ENTRY_MAGIC: &[u8; 16] = b"wasihost-entry\x00\x02";
const TRAILER_LEN: usize = 32 + 16 + 8 + 16;

fn append_trailer(artifact: &mut Vec<u8>, ehash: &[u8; 32]) {
    let len = artifact.len() as u64;
    let sum = xxhash_rust::xxh3::xxh3_128(artifact);
    artifact.extend_from_slice(ehash);
    artifact.extend_from_slice(&sum.to_le_bytes());
    artifact.extend_from_slice(&len.to_le_bytes());
    artifact.extend_from_slice(ENTRY_MAGIC);
}

/// Loads the entry `name`: checks its trailer and checksum over a
/// read-only mapping, then lets wasmtime map it. Marks it used.
fn lookup(dir: &OwnedFd, name: &str, engine: &Engine, ehash: &[u8; 32]) -> Lookup {
    let fd = match rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Lookup::Missing,
        Err(_) => return Lookup::Bad,
    };
    if !check_entry(&fd, ehash).unwrap_or(false) {
        return Lookup::Bad;
    }
    let file = std::fs::File::from(fd);
    // Marks the entry used for eviction (a failure only makes it look
    // older).
    let _ = rustix::fs::futimens(&file, &USED_NOW);
    // SAFETY: wasmtime requires a file that `wasmtime::Module::serialize`
    // wrote and that stays unchanged while the module lives. This one is:
    // the cache writes entries only from `serialize` (plus the trailer,
    // past the artifact's end, which wasmtime's ELF reader does not look
    // at), into a private directory, through a temporary file renamed into
    // place, and never changes an entry in place; `check_entry` just
    // proved, on this same open file, that the bytes are the ones written
    // (XXH3-128 over all of them), by this wasihost version with these
    // engine settings (wasmtime also checks its own version and settings
    // header, and rejects a mismatch with an error).
    match unsafe { wasmtime::Module::deserialize_open_file(engine.wasmtime(), file) } {
        Ok(inner) => Lookup::Hit(Module::from_wasmtime(engine, inner)),
        Err(_) => Lookup::Bad,
    }
}

/// Whether the open entry `fd` is a regular file with a valid trailer for
/// `ehash` whose checksum matches the artifact.
fn check_entry(fd: &OwnedFd, ehash: &[u8; 32]) -> std::io::Result<bool> {
    let st = rustix::fs::fstat(fd)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Ok(false);
    }
    let Ok(size) = usize::try_from(st.st_size) else {
        return Ok(false);
    };
    if size <= TRAILER_LEN {
        return Ok(false);
    }
    let mut trailer = [0u8; TRAILER_LEN];
    let at = (size - TRAILER_LEN) as u64;
    let mut got = 0;
    while got < TRAILER_LEN {
        match rustix::io::pread(fd, &mut trailer[got..], at + got as u64) {
            Ok(0) => return Ok(false),
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let (engine_part, rest) = trailer.split_at(32);
    let (sum_part, rest) = rest.split_at(16);
    let (len_part, magic) = rest.split_at(8);
    let len = u64::from_le_bytes(len_part.try_into().expect("8 bytes"));
    if magic != ENTRY_MAGIC || engine_part != ehash || len != (size - TRAILER_LEN) as u64 {
        return Ok(false);
    }
    let want = u128::from_le_bytes(sum_part.try_into().expect("16 bytes"));
    let len = size - TRAILER_LEN;
    // SAFETY: a fresh read-only shared mapping of `len` bytes of the open
    // file `fd` (len > 0, at most the file's size), unmapped below before
    // the slice over it goes away; nothing else in this process maps or
    // writes it, and the cache never changes an entry in place (a file
    // truncated meanwhile by another program would raise SIGBUS, as for
    // wasmtime's own mapping).
    let sum = unsafe {
        let ptr = rustix::mm::mmap(
            std::ptr::null_mut(),
            len,
            rustix::mm::ProtFlags::READ,
            rustix::mm::MapFlags::SHARED | rustix::mm::MapFlags::POPULATE,
            fd,
            0,
        )?;
        let sum = xxhash_rust::xxh3::xxh3_128(std::slice::from_raw_parts(ptr.cast::<u8>(), len));
        let _ = rustix::mm::munmap(ptr, len);
        sum
    };
    Ok(sum == want)
}

/// The key of a module file's state: what changes whenever its content
/// may have (the ctime moves on every write, rename into place and
/// attribute change, and cannot be set back).
// The `st_*` fields' types differ between targets.
#[allow(clippy::unnecessary_cast)]
fn state_key(st: &rustix::fs::Stat) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"wasihost source state\0");
    for v in [
        st.st_dev as u64,
        st.st_ino as u64,
        st.st_size as u64,
        st.st_mtime as u64,
        st.st_mtime_nsec as u64,
        st.st_ctime as u64,
        st.st_ctime_nsec as u64,
    ] {
        h.update(v.to_le_bytes());
    }
    h.finalize().into()
}

fn same_file_state(a: &rustix::fs::Stat, b: &rustix::fs::Stat) -> bool {
    state_key(a) == state_key(b)
}

/// Whether the file's last change (mtime or ctime) is at least
/// `STABLE_AFTER` old.
// The `st_*` fields' types differ between targets.
#[allow(clippy::unnecessary_cast)]
fn changed_long_ago(st: &rustix::fs::Stat) -> bool {
    let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) else {
        return false;
    };
    let changed = |s: i64, ns: i64| {
        std::time::Duration::new(
            u64::try_from(s).unwrap_or(0),
            u32::try_from(ns).unwrap_or(0),
        )
    };
    let last = changed(st.st_mtime as i64, st.st_mtime_nsec as i64)
        .max(changed(st.st_ctime as i64, st.st_ctime_nsec as i64));
    now.checked_sub(last)
        .is_some_and(|age| age >= ModuleCache::STABLE_AFTER)
}

const INDEX_MAGIC: &[u8; 16] = b"wasihost-source\x01";

fn index_name(st: &rustix::fs::Stat) -> String {
    let mut name = hex(&state_key(st));
    name.push_str(INDEX_SUFFIX);
    name
}

/// The SHA-256 remembered for a module file in this state, if any.
fn read_source_index(dir: &OwnedFd, st: &rustix::fs::Stat) -> Option<[u8; 32]> {
    let fd = rustix::fs::openat(
        dir,
        index_name(st).as_str(),
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let mut buf = [0u8; 49];
    let n = rustix::io::read(&fd, &mut buf).ok()?;
    if n != 48 || &buf[..16] != INDEX_MAGIC {
        return None;
    }
    Some(buf[16..48].try_into().expect("32 bytes"))
}

/// The times that mark a cache file used: its mtime (what eviction
/// orders by) set to now, its atime left alone.
const USED_NOW: rustix::fs::Timestamps = rustix::fs::Timestamps {
    last_access: rustix::fs::Timespec {
        tv_sec: 0,
        tv_nsec: rustix::fs::UTIME_OMIT,
    },
    last_modification: rustix::fs::Timespec {
        tv_sec: 0,
        tv_nsec: rustix::fs::UTIME_NOW,
    },
};

/// Marks the remembered hash of a module file used.
fn touch_source_index(dir: &OwnedFd, st: &rustix::fs::Stat) {
    let _ = rustix::fs::utimensat(
        dir,
        index_name(st).as_str(),
        &USED_NOW,
        AtFlags::SYMLINK_NOFOLLOW,
    );
}

/// Remembers `source` as the SHA-256 of a module file in state `st` (best
/// effort: a failure only means hashing it again next time).
fn write_source_index(dir: &OwnedFd, st: &rustix::fs::Stat, source: &[u8; 32]) {
    let mut content = [0u8; 48];
    content[..16].copy_from_slice(INDEX_MAGIC);
    content[16..].copy_from_slice(source);
    let _ = write_atomically(dir, &index_name(st), &content, false);
}

/// Writes `name` in `dir` atomically: a unique temporary file (0600),
/// then a rename. With `sync`, the data reaches the disk before the
/// rename.
fn write_atomically(dir: &OwnedFd, name: &str, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    let tmp = format!(
        "{name}{TMP_MARK}{}.{:016x}",
        std::process::id(),
        rand::random::<u64>()
    );
    let private = Mode::RUSR | Mode::WUSR;
    let fd = rustix::fs::openat(
        dir,
        tmp.as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        private,
    )?;
    let result = rustix::fs::fchmod(&fd, private)
        .map_err(std::io::Error::from)
        .and_then(|()| {
            let mut f = std::fs::File::from(fd);
            f.write_all(bytes)?;
            if sync {
                f.sync_data()?;
            }
            Ok(())
        })
        .and_then(|()| {
            rustix::fs::renameat(dir, tmp.as_str(), dir, name).map_err(std::io::Error::from)
        });
    if result.is_err() {
        let _ = rustix::fs::unlinkat(dir, tmp.as_str(), AtFlags::empty());
    }
    result
}

/// A file of the cache, for eviction and clearing.
struct CacheFile {
    name: String,
    /// Disk taken (allocated blocks).
    bytes: u64,
    /// Last use: the mtime (a hit sets it).
    used: (i64, i64),
    /// Not written to for an hour: for a temporary file, one that the
    /// process writing it left behind (it crashed); younger ones may be
    /// in the middle of a store, and eviction leaves them alone.
    abandoned: bool,
}

/// Whether `name` is one of the cache's files: an entry, a remembered
/// hash (64 hex digits and a suffix), or a temporary file of either.
fn is_cache_file(name: &str) -> bool {
    let base = name.split(TMP_MARK).next().unwrap_or(name);
    let stem = base
        .strip_suffix(ENTRY_SUFFIX)
        .or_else(|| base.strip_suffix(INDEX_SUFFIX));
    stem.is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The cache's files in `dir` (regular files only; not followed).
// The `st_*` fields' types differ between targets.
#[allow(clippy::unnecessary_cast)]
fn list_files(dir: &OwnedFd) -> std::io::Result<Vec<CacheFile>> {
    let mut files = Vec::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    for entry in rustix::fs::Dir::read_from(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().to_str() else {
            continue;
        };
        if !is_cache_file(name) {
            continue;
        }
        let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => continue,
            Err(e) => return Err(e.into()),
        };
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            continue;
        }
        files.push(CacheFile {
            name: name.to_string(),
            bytes: (st.st_blocks as u64).saturating_mul(512),
            used: (st.st_mtime as i64, st.st_mtime_nsec as i64),
            abandoned: now.saturating_sub(st.st_mtime as i64) > 3600,
        });
    }
    Ok(files)
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
