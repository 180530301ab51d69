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
//! stop is someone who can write the file on purpose: keep cache
//! directories where only the embedder can write, as for any file of
//! executable code.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// cache directory); the module is fine, the next load compiles again.
    NotStored,
}

/// A directory of compiled modules, keyed by the SHA-256 of the module's
/// bytes and of the engine's settings, so a changed module or a changed
/// engine never picks up a stale entry.
///
/// Safe to share between threads and processes: entries are written to a
/// temporary file and renamed into place.
#[derive(Clone, Debug)]
pub struct ModuleCache {
    dir: PathBuf,
}

impl ModuleCache {
    /// A cache in `dir` (created on first store if missing).
    pub fn new(dir: impl AsRef<Path>) -> ModuleCache {
        ModuleCache {
            dir: dir.as_ref().to_path_buf(),
        }
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
        let mut h = Sha256::new();
        h.update(engine_hash(engine));
        h.update(bytes);
        let key = h.finalize();
        let mut name = String::with_capacity(70);
        for b in key {
            name.push_str(&format!("{b:02x}"));
        }
        name.push_str(".cwasm");
        self.dir.join(name)
    }

    /// The module for `bytes` (binary or WAT): loaded from the cache when a
    /// valid entry exists, else compiled and stored. Errors are for
    /// invalid modules only; cache trouble is reported in the status.
    pub fn load(&self, engine: &Engine, bytes: &[u8]) -> Result<(Module, CacheStatus), Error> {
        let path = self.entry_path(engine, bytes);
        let mut status = CacheStatus::Miss;
        match std::fs::read(&path) {
            Ok(entry) => match Module::deserialize(engine, &entry) {
                Ok(module) => return Ok((module, CacheStatus::Hit)),
                Err(_) => status = CacheStatus::Rebuilt,
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => status = CacheStatus::Rebuilt,
        }
        let module = Module::new(engine, bytes)?;
        match module.serialize().and_then(|s| self.store(&path, &s)) {
            Ok(()) => Ok((module, status)),
            Err(_) => Ok((module, CacheStatus::NotStored)),
        }
    }

    /// Writes an entry atomically: a unique temporary file, then a rename.
    fn store(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        let io = |what: &str, e: std::io::Error| {
            Error::from_io(
                ErrorKind::Io,
                format!("cache {}: {what}: {e}", self.dir.display()),
                &e,
            )
        };
        std::fs::create_dir_all(&self.dir).map_err(|e| io("cannot create", e))?;
        let tmp = path.with_extension(format!(
            "tmp.{}.{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let result = std::fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_data()))
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(io("cannot store an entry", e));
        }
        Ok(())
    }
}
