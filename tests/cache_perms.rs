//! The compiled-module cache keeps its directory private: what it creates
//! is 0700 (directories) and 0600 (entries) whatever the umask, and an
//! existing directory that others may write, or that another user owns,
//! is refused unless the embedder allows a shared directory.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use wasihost_core::{CacheStatus, Engine, ErrorKind, ModuleCache};

const WAT: &str = r#"(module (func (export "_start")))"#;

/// The umask is per process: every test here holds this lock, so the one
/// that changes it never races with another that creates files.
static UMASK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    UMASK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fresh directory with mode 0700, for one test.
fn base(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cache-perms")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o700);
    dir
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().mode() & 0o7777
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Sets the umask for as long as it lives.
struct Umask(libc::mode_t);

impl Umask {
    fn set(mask: libc::mode_t) -> Umask {
        // SAFETY: umask has no preconditions.
        Umask(unsafe { libc::umask(mask) })
    }
}

impl Drop for Umask {
    fn drop(&mut self) {
        // SAFETY: as above.
        unsafe { libc::umask(self.0) };
    }
}

#[test]
fn what_the_cache_creates_is_private_whatever_the_umask() {
    let _lock = lock();
    let engine = Engine::new().unwrap();
    for mask in [0o000, 0o022, 0o277] {
        let base = base(&format!("umask-{mask:03o}"));
        chmod(&base, 0o755);
        let dir = base.join("a").join("b").join("cache");
        let cache = ModuleCache::new(&dir);
        let status = {
            let _umask = Umask::set(mask);
            cache.load(&engine, WAT.as_bytes()).unwrap().1
        };
        assert_eq!(status, CacheStatus::Miss, "umask {mask:03o}");
        // The directory and the parents the cache made: 0700. The parent
        // that existed is left alone.
        assert_eq!(mode(&base), 0o755, "umask {mask:03o}");
        for d in [base.join("a"), base.join("a/b"), dir.clone()] {
            assert_eq!(mode(&d), 0o700, "{} under umask {mask:03o}", d.display());
        }
        // The entry (the temporary file renamed): 0600, and nothing else.
        let entry = cache.entry_path(&engine, WAT.as_bytes());
        assert_eq!(mode(&entry), 0o600, "entry under umask {mask:03o}");
        assert_eq!(
            entries(&dir),
            [entry.file_name().unwrap().to_string_lossy()]
        );
        assert_eq!(
            cache.load(&engine, WAT.as_bytes()).unwrap().1,
            CacheStatus::Hit
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}

#[test]
fn a_dir_others_can_write_is_refused_with_a_message_that_names_it() {
    let _lock = lock();
    let engine = Engine::new().unwrap();
    let base = base("loose");
    for (mode, who) in [
        (0o777, "its group and everyone"),
        (0o770, "its group"),
        (0o757, "everyone"),
        (0o1777, "sticky bit does not help"),
    ] {
        let dir = base.join(format!("dir-{mode:o}"));
        std::fs::create_dir(&dir).unwrap();
        chmod(&dir, mode);
        let e = ModuleCache::new(&dir)
            .load(&engine, WAT.as_bytes())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io, "{e}");
        assert_eq!(
            e.io_kind(),
            Some(std::io::ErrorKind::PermissionDenied),
            "{e}"
        );
        let msg = e.message();
        for part in [
            format!("cache directory {:?}", dir.display().to_string()),
            format!("mode {mode:04o}"),
            who.to_string(),
            "chmod 700".to_string(),
            "allow a shared cache directory".to_string(),
        ] {
            assert!(msg.contains(&part), "{part:?} not in: {msg}");
        }
        // Nothing was read or written there.
        assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));
        assert_eq!(self::mode(&dir), mode, "the directory was not changed");
    }
    // A private directory that exists is used as it is.
    let private = base.join("private");
    std::fs::create_dir(&private).unwrap();
    chmod(&private, 0o755);
    let cache = ModuleCache::new(&private);
    assert_eq!(
        cache.load(&engine, WAT.as_bytes()).unwrap().1,
        CacheStatus::Miss
    );
    assert_eq!(mode(&private), 0o755);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn allow_shared_dir_accepts_a_dir_others_can_write() {
    let _lock = lock();
    let engine = Engine::new().unwrap();
    let base = base("shared");
    let dir = base.join("team-cache");
    std::fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o1777);
    let cache = ModuleCache::new(&dir).allow_shared_dir(true);
    assert!(cache.allows_shared_dir());
    assert!(!ModuleCache::new(&dir).allows_shared_dir());
    assert_eq!(
        cache.load(&engine, WAT.as_bytes()).unwrap().1,
        CacheStatus::Miss
    );
    assert_eq!(
        cache.load(&engine, WAT.as_bytes()).unwrap().1,
        CacheStatus::Hit
    );
    // Its entries are still private; the directory is left as it was.
    assert_eq!(mode(&cache.entry_path(&engine, WAT.as_bytes())), 0o600);
    assert_eq!(mode(&dir), 0o1777);
    // Turned off again, the same directory is refused.
    let e = cache
        .allow_shared_dir(false)
        .load(&engine, WAT.as_bytes())
        .unwrap_err();
    assert!(e.message().contains("is not private"), "{e}");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn a_symlinked_dir_is_checked_where_it_leads() {
    let _lock = lock();
    let engine = Engine::new().unwrap();
    let base = base("symlink");
    let loose = base.join("loose");
    std::fs::create_dir(&loose).unwrap();
    chmod(&loose, 0o777);
    let link = base.join("link");
    std::os::unix::fs::symlink(&loose, &link).unwrap();
    let e = ModuleCache::new(&link)
        .load(&engine, WAT.as_bytes())
        .unwrap_err();
    let msg = e.message();
    assert!(
        msg.contains(&format!("{:?}", link.display().to_string())),
        "{msg}"
    );
    assert!(
        msg.contains(&format!(
            "resolved to {:?}",
            loose.canonicalize().unwrap().display().to_string()
        )),
        "{msg}"
    );
    assert!(msg.contains("mode 0777"), "{msg}");
    // A symlink to a private directory is fine.
    chmod(&loose, 0o700);
    let cache = ModuleCache::new(&link);
    assert_eq!(
        cache.load(&engine, WAT.as_bytes()).unwrap().1,
        CacheStatus::Miss
    );
    assert_eq!(
        cache.load(&engine, WAT.as_bytes()).unwrap().1,
        CacheStatus::Hit
    );
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn an_entry_that_is_a_symlink_is_not_followed() {
    let _lock = lock();
    let engine = Engine::new().unwrap();
    let base = base("entry-symlink");
    let dir = base.join("cache");
    let cache = ModuleCache::new(&dir);
    assert_eq!(
        cache.load(&engine, WAT.as_bytes()).unwrap().1,
        CacheStatus::Miss
    );
    // A valid entry moved elsewhere, and a symlink to it in its place.
    let entry = cache.entry_path(&engine, WAT.as_bytes());
    let elsewhere = base.join("elsewhere.cwasm");
    std::fs::rename(&entry, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    assert_eq!(
        cache.load(&engine, WAT.as_bytes()).unwrap().1,
        CacheStatus::Rebuilt
    );
    let meta = std::fs::symlink_metadata(&entry).unwrap();
    assert!(meta.file_type().is_file(), "replaced by a regular file");
    assert_eq!(meta.mode() & 0o7777, 0o600);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn a_dir_owned_by_another_user_is_refused() {
    let _lock = lock();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("note: skipped (needs root to give a directory to another user)");
        return;
    }
    let engine = Engine::new().unwrap();
    let base = base("owner");
    chmod(&base, 0o755);
    let dir = base.join("theirs");
    std::fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o755);
    let nobody = 65534;
    std::os::unix::fs::chown(&dir, Some(nobody), Some(nobody)).unwrap();
    let e = ModuleCache::new(&dir)
        .load(&engine, WAT.as_bytes())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    let msg = e.message();
    for part in [
        format!("cache directory {:?}", dir.display().to_string()),
        "owner uid 65534".to_string(),
        "its owner".to_string(),
        "a directory of your own".to_string(),
    ] {
        assert!(msg.contains(&part), "{part:?} not in: {msg}");
    }
    assert!(entries(&dir).is_empty());
    // Allowed explicitly: used (root may write it).
    let cache = ModuleCache::new(&dir).allow_shared_dir(true);
    assert_eq!(
        cache.load(&engine, WAT.as_bytes()).unwrap().1,
        CacheStatus::Miss
    );
    assert_eq!(
        cache.load(&engine, WAT.as_bytes()).unwrap().1,
        CacheStatus::Hit
    );
    std::fs::remove_dir_all(&base).unwrap();
}
