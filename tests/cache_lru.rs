//! The compiled-module cache as a user relies on it: loading from files
//! (never stale code, whatever happens to the file), a bounded directory
//! with least-recently-used eviction that holds under concurrent
//! processes, damaged or foreign entries rebuilt, and clearing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use wasihost_core::{CacheStatus, Engine, Module, ModuleCache, Outcome, WasiHost};

fn host() -> WasiHost {
    WasiHost::builder().build().unwrap()
}

/// A command that exits with `code`: modules for different codes have the
/// same size (each code below 64 is one LEB128 byte).
fn exit_module(code: u32) -> Vec<u8> {
    assert!(code < 64);
    wat::parse_str(format!(
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $e (param i32)))
             (memory (export "memory") 1)
             (func (export "_start") (call $e (i32.const {code}))))"#
    ))
    .unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("wasihost-cache-lru-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(m: &Module) -> Outcome {
    m.run(host()).unwrap()
}

/// Names in `dir` ending with `suffix`.
fn files_with(dir: &Path, suffix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(suffix))
        .collect();
    v.sort();
    v
}

/// Sets a file's mtime (and atime) to `t`.
fn set_mtime(path: &Path, t: SystemTime) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(t).unwrap();
}

/// Waits until a file written now is older than the cache's
/// `STABLE_AFTER`, so that its hash is remembered (the cache must not
/// remember files that might still change within one timestamp tick).
fn age_files() {
    std::thread::sleep(ModuleCache::STABLE_AFTER + Duration::from_millis(200));
}

#[test]
fn load_file_never_serves_stale_code_when_the_file_changes_in_place() {
    let engine = Engine::new().unwrap();
    let base = temp_dir("stale");
    let cache = ModuleCache::new(base.join("cache"));
    let path = base.join("prog.wasm");
    let (a, b) = (exit_module(11), exit_module(12));
    assert_eq!(a.len(), b.len());

    // A file just written: its hash is not remembered (it may still
    // change within the same timestamp tick), every load hashes it.
    std::fs::write(&path, &a).unwrap();
    let (m, status) = cache.load_file(&engine, &path).unwrap();
    assert_eq!((status, run(&m)), (CacheStatus::Miss, Outcome::Exit(11)));
    assert!(files_with(&base.join("cache"), ".src").is_empty());
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    // Rewritten at once, same size, mtime set back: the new code runs.
    std::fs::write(&path, &b).unwrap();
    set_mtime(&path, mtime);
    let (m, status) = cache.load_file(&engine, &path).unwrap();
    assert_eq!((status, run(&m)), (CacheStatus::Miss, Outcome::Exit(12)));

    // Once the file is old enough, its hash is remembered, and later hits
    // use it.
    age_files();
    let (m, status) = cache.load_file(&engine, &path).unwrap();
    assert_eq!((status, run(&m)), (CacheStatus::Hit, Outcome::Exit(12)));
    assert_eq!(files_with(&base.join("cache"), ".src").len(), 1);
    let (m, status) = cache.load_file(&engine, &path).unwrap();
    assert_eq!((status, run(&m)), (CacheStatus::Hit, Outcome::Exit(12)));

    // Changed in place, same size, mtime set back: the ctime moved, so
    // the remembered hash does not apply.
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, &a).unwrap();
    set_mtime(&path, mtime);
    let (m, status) = cache.load_file(&engine, &path).unwrap();
    assert_eq!((status, run(&m)), (CacheStatus::Hit, Outcome::Exit(11)));

    // Replaced by another file (new inode) with the old size and mtime.
    let tmp = base.join("prog.wasm.new");
    std::fs::write(&tmp, &b).unwrap();
    set_mtime(&tmp, mtime);
    std::fs::rename(&tmp, &path).unwrap();
    let (m, _) = cache.load_file(&engine, &path).unwrap();
    assert_eq!(run(&m), Outcome::Exit(12));

    // Deleted and written again under the same name.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, &a).unwrap();
    set_mtime(&path, mtime);
    let (m, _) = cache.load_file(&engine, &path).unwrap();
    assert_eq!(run(&m), Outcome::Exit(11));

    // A missing file is an error that names it.
    let e = cache
        .load_file(&engine, base.join("nope.wasm"))
        .unwrap_err();
    assert!(e.to_string().contains("nope.wasm"), "{e}");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn load_and_load_file_share_entries() {
    let engine = Engine::new().unwrap();
    let base = temp_dir("share");
    let cache = ModuleCache::new(base.join("cache"));
    let wasm = exit_module(21);
    let path = base.join("p.wasm");
    std::fs::write(&path, &wasm).unwrap();
    assert_eq!(cache.load(&engine, &wasm).unwrap().1, CacheStatus::Miss);
    let (m, status) = cache.load_file(&engine, &path).unwrap();
    assert_eq!((status, run(&m)), (CacheStatus::Hit, Outcome::Exit(21)));
    assert!(cache.entry_path(&engine, &wasm).is_file());
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn damaged_and_foreign_entries_are_rebuilt() {
    let engine = Engine::new().unwrap();
    let fuel = Engine::builder().fuel(true).build().unwrap();
    let base = temp_dir("damaged");
    let cache = ModuleCache::new(base.join("cache"));
    let wasm = exit_module(31);
    let entry = cache.entry_path(&engine, &wasm);
    assert_eq!(cache.load(&engine, &wasm).unwrap().1, CacheStatus::Miss);
    let good = std::fs::read(&entry).unwrap();

    let check = |bytes: &[u8], what: &str| {
        std::fs::write(&entry, bytes).unwrap();
        let (m, status) = cache.load(&engine, &wasm).unwrap();
        assert_eq!(status, CacheStatus::Rebuilt, "{what}");
        assert_eq!(run(&m), Outcome::Exit(31), "{what}");
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            good,
            "{what}: not rewritten"
        );
    };
    // One flipped bit anywhere: in the code, in the checksum, in the
    // engine hash of the trailer, in its magic.
    for at in [
        0,
        good.len() / 3,
        good.len() - 60,
        good.len() - 50,
        good.len() - 1,
    ] {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        check(&bad, &format!("bit flipped at {at} of {}", good.len()));
    }
    // Truncated (the trailer lost, or cut in the middle), empty, extended.
    check(&good[..good.len() / 2], "half");
    check(&good[..good.len() - 1], "one byte short");
    check(&[], "empty");
    let mut longer = good.clone();
    longer.extend_from_slice(b"more");
    check(&longer, "longer");
    // The entry of another engine's settings, under this engine's name.
    let foreign = ModuleCache::new(base.join("other"));
    assert_eq!(foreign.load(&fuel, &wasm).unwrap().1, CacheStatus::Miss);
    let foreign_entry = std::fs::read(foreign.entry_path(&fuel, &wasm)).unwrap();
    check(&foreign_entry, "another engine's entry");
    // A directory, or a symlink to a good entry, where the entry was.
    std::fs::remove_file(&entry).unwrap();
    std::fs::create_dir(&entry).unwrap();
    let (_, status) = cache.load(&engine, &wasm).unwrap();
    assert_eq!(
        status,
        CacheStatus::NotStored,
        "a directory cannot be replaced"
    );
    std::fs::remove_dir(&entry).unwrap();
    let elsewhere = base.join("elsewhere.cwasm");
    std::fs::write(&elsewhere, &good).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    assert_eq!(cache.load(&engine, &wasm).unwrap().1, CacheStatus::Rebuilt);
    assert!(!entry.is_symlink());
    assert_eq!(cache.load(&engine, &wasm).unwrap().1, CacheStatus::Hit);
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn eviction_removes_the_least_recently_used_entries_first() {
    let engine = Engine::new().unwrap();
    let base = temp_dir("lru");
    let dir = base.join("cache");
    let unbounded = ModuleCache::new(&dir).max_size(None);
    let modules: Vec<Vec<u8>> = (1..=4).map(exit_module).collect();
    for m in &modules[..3] {
        assert_eq!(unbounded.load(&engine, m).unwrap().1, CacheStatus::Miss);
    }
    let usage = unbounded.disk_usage().unwrap();
    assert!(usage > 0);
    // Uses, oldest first: module 2, module 1, module 3 (set explicitly,
    // an hour apart, so that timestamp ticks play no part).
    let hour = Duration::from_secs(3600);
    let now = SystemTime::now();
    set_mtime(&unbounded.entry_path(&engine, &modules[1]), now - 3 * hour);
    set_mtime(&unbounded.entry_path(&engine, &modules[0]), now - 2 * hour);
    set_mtime(&unbounded.entry_path(&engine, &modules[2]), now - hour);

    // Room for three: storing a fourth evicts the least recently used.
    let cache = ModuleCache::new(&dir).max_size(Some(usage));
    assert_eq!(
        cache.load(&engine, &modules[3]).unwrap().1,
        CacheStatus::Miss
    );
    assert!(!cache.entry_path(&engine, &modules[1]).exists());
    for m in [&modules[0], &modules[2], &modules[3]] {
        assert!(cache.entry_path(&engine, m).exists());
    }
    assert!(cache.disk_usage().unwrap() <= usage);

    // A hit marks an entry used: module 1 (oldest mtime) is hit, so
    // module 3 is now the oldest and goes next.
    let (m, status) = cache.load(&engine, &modules[0]).unwrap();
    assert_eq!((status, run(&m)), (CacheStatus::Hit, Outcome::Exit(1)));
    assert_eq!(
        cache.load(&engine, &modules[1]).unwrap().1,
        CacheStatus::Miss
    );
    assert!(!cache.entry_path(&engine, &modules[2]).exists());
    assert!(cache.entry_path(&engine, &modules[0]).exists());

    // A limit below one entry keeps just the entry stored last.
    let tiny = ModuleCache::new(&dir).max_size(Some(1));
    let (m, status) = tiny.load(&engine, &modules[2]).unwrap();
    assert_eq!((status, run(&m)), (CacheStatus::Miss, Outcome::Exit(3)));
    assert_eq!(files_with(&dir, ".cwasm").len(), 1);
    assert!(tiny.entry_path(&engine, &modules[2]).exists());
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn clear_deletes_the_cache_files_and_only_them() {
    let engine = Engine::new().unwrap();
    let base = temp_dir("clear");
    let dir = base.join("cache");
    let cache = ModuleCache::new(&dir);
    assert_eq!(cache.disk_usage().unwrap(), 0, "no directory yet");
    assert_eq!(cache.clear().unwrap(), 0);
    let m1 = cache.load(&engine, &exit_module(1)).unwrap().0;
    cache.load(&engine, &exit_module(2)).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    std::fs::write(dir.join(format!("{}.cwasm", "x".repeat(64))), "not hex").unwrap();
    let usage = cache.disk_usage().unwrap();
    assert!(usage > 0);
    assert_eq!(cache.clear().unwrap(), usage);
    assert_eq!(cache.disk_usage().unwrap(), 0);
    assert_eq!(
        files_with(&dir, ".cwasm"),
        vec![format!("{}.cwasm", "x".repeat(64))]
    );
    assert!(dir.join("notes.txt").exists());
    // A module loaded before the clear still runs (its mapping holds).
    assert_eq!(run(&m1), Outcome::Exit(1));
    assert_eq!(
        cache.load(&engine, &exit_module(1)).unwrap().1,
        CacheStatus::Miss
    );
    std::fs::remove_dir_all(&base).unwrap();
}

/// When set, this test binary is a child of
/// `the_size_limit_holds_under_two_concurrent_processes`: it loads the
/// modules it names into the cache it names, with the limit it names.
const CHILD_ENV: &str = "WASIHOST_CACHE_LRU_CHILD";

#[test]
#[ignore = "a child process of the_size_limit_holds_under_two_concurrent_processes"]
fn concurrent_child() {
    let spec = std::env::var(CHILD_ENV).expect("run by its parent test, which sets the variable");
    let mut parts = spec.split(':');
    let dir = PathBuf::from(parts.next().unwrap());
    let limit: u64 = parts.next().unwrap().parse().unwrap();
    let codes: Vec<u32> = parts.map(|c| c.parse().unwrap()).collect();
    let engine = Engine::new().unwrap();
    let cache = ModuleCache::new(&dir).max_size(Some(limit));
    for round in 0..3 {
        for &c in &codes {
            let (m, status) = cache.load(&engine, &exit_module(c)).unwrap();
            assert_ne!(status, CacheStatus::NotStored, "round {round}, module {c}");
            assert_ne!(status, CacheStatus::Rebuilt, "round {round}, module {c}");
            assert_eq!(run(&m), Outcome::Exit(c));
        }
    }
}

#[test]
fn the_size_limit_holds_under_two_concurrent_processes() {
    let engine = Engine::new().unwrap();
    let base = temp_dir("concurrent");
    let dir = base.join("cache");
    // The size of one entry, from a cache of its own.
    let probe = ModuleCache::new(base.join("probe"));
    probe.load(&engine, &exit_module(1)).unwrap();
    let one = probe.disk_usage().unwrap();
    let limit = 4 * one;
    let exe = std::env::current_exe().unwrap();
    let spawn = |codes: &str| {
        Command::new(&exe)
            .args([
                "--exact",
                "concurrent_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, format!("{}:{limit}:{codes}", dir.display()))
            .spawn()
            .unwrap()
    };
    // Overlapping sets, so that the two also hit and evict each other's.
    let mut a = spawn("1:2:3:4:5:6:7:8");
    let mut b = spawn("5:6:7:8:9:10:11:12");
    assert!(a.wait().unwrap().success(), "first child failed");
    assert!(b.wait().unwrap().success(), "second child failed");
    let cache = ModuleCache::new(&dir);
    let usage = cache.disk_usage().unwrap();
    assert!(usage <= limit, "{usage} bytes in the cache, limit {limit}");
    assert!(usage >= one, "everything was evicted");
    let names = files_with(&dir, "");
    assert!(
        names.iter().all(|n| !n.contains(".tmp.")),
        "temporary files left: {names:?}"
    );
    // What is left loads, and runs.
    for n in 1..=12 {
        let m = exit_module(n);
        if cache.entry_path(&engine, &m).exists() {
            let (loaded, status) = cache.load(&engine, &m).unwrap();
            assert_eq!((status, run(&loaded)), (CacheStatus::Hit, Outcome::Exit(n)));
        }
    }
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn load_file_reads_a_pipe_each_time() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let engine = Engine::new().unwrap();
    let base = temp_dir("pipe");
    let cache = ModuleCache::new(base.join("cache"));
    for code in [41, 42] {
        let (reader, mut writer) = std::io::pipe().unwrap();
        let wasm = exit_module(code);
        let feeder = std::thread::spawn(move || writer.write_all(&wasm).unwrap());
        let path = format!("/proc/self/fd/{}", reader.as_raw_fd());
        let (m, status) = cache.load_file(&engine, &path).unwrap();
        feeder.join().unwrap();
        assert_eq!((status, run(&m)), (CacheStatus::Miss, Outcome::Exit(code)));
    }
    // Nothing is remembered for a pipe: its state says nothing of what
    // comes through it.
    assert!(files_with(&base.join("cache"), ".src").is_empty());
    assert_eq!(files_with(&base.join("cache"), ".cwasm").len(), 2);
    std::fs::remove_dir_all(&base).unwrap();
}
