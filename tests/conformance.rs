//! Conformance cases found by the official WASI test suite and by a
//! differential comparison with wasmtime (issue 10), each as a raw WASI
//! call through the WAT forwarder, so that our own tests catch them too:
//! POSIX where it speaks, wasmtime where the spec is silent.

mod wat_common;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use wasihost_core::{Input, WasiHost};
use wat_common::*;

const EXIST: i32 = 20;
const FBIG: i32 = 22;
const ILSEQ: i32 = 25;
const BUSY: i32 = 10;
const ISDIR: i32 = 31;
const LOOP: i32 = 32;
const NOENT: i32 = 44;
const NOTSUP: i32 = 58;

const CREAT: i64 = 1;
const DIRECTORY: i64 = 2;
const EXCL: i64 = 4;
const TRUNC: i64 = 8;
const APPEND: i64 = 1;
const FOLLOW: i64 = 1;

const FD_READ: i64 = 1 << 1;
const FD_SEEK: i64 = 1 << 2;
const FD_TELL: i64 = 1 << 5;
const FD_WRITE: i64 = 1 << 6;
const ALL: i64 = (1 << 29) - 1;

/// The preopen every case uses.
const SB: i64 = 3;
/// Where a case's strings go in guest memory; out-values go below it.
const STR: usize = 4096;

/// A fresh tree: `file` ("hello"), `keep/` (empty), `sub/x`,
/// `dirlink -> sub`.
fn tree(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("conformance")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("keep")).unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("file"), "hello").unwrap();
    std::fs::write(dir.join("sub/x"), "x").unwrap();
    std::os::unix::fs::symlink("sub", dir.join("dirlink")).unwrap();
    dir
}

fn guest(root: &Path) -> Guest<WasiHost> {
    let host = WasiHost::builder()
        .preopen_dir(root, "/sb")
        .build()
        .expect("host");
    Guest::new(host)
}

/// Writes `s` at `off`; returns the (pointer, length) arguments.
fn put(g: &mut Guest<WasiHost>, off: usize, s: &[u8]) -> (i64, i64) {
    g.poke(off, s);
    (off as i64, s.len() as i64)
}

/// `path_open` through the preopen: (errno, new fd).
fn open(
    g: &mut Guest<WasiHost>,
    dirflags: i64,
    path: &[u8],
    oflags: i64,
    rights: i64,
    fdflags: i64,
) -> (i32, u32) {
    let (p, n) = put(g, STR, path);
    g.poke_u32(0, u32::MAX);
    let e = g.call(
        "path_open",
        &[SB, dirflags, p, n, oflags, rights, rights, fdflags, 0],
    );
    (e, g.peek_u32(0))
}

/// A call taking (fd, path, path_len) through the preopen.
fn path_call(g: &mut Guest<WasiHost>, name: &str, path: &[u8]) -> i32 {
    let (p, n) = put(g, STR, path);
    g.call(name, &[SB, p, n])
}

/// Writes `data` with one ciovec; (errno, nwritten).
fn write(g: &mut Guest<WasiHost>, fd: u32, data: &[u8]) -> (i32, u32) {
    g.poke(STR + 512, data);
    g.iovec(64, (STR + 512) as u32, data.len() as u32);
    let e = g.call("fd_write", &[fd as i64, 64, 1, 8]);
    (e, g.peek_u32(8))
}

fn seek(g: &mut Guest<WasiHost>, fd: u32, offset: i64, whence: i64) -> (i32, u64) {
    let e = g.call("fd_seek", &[fd as i64, offset, whence, 16]);
    let lo = g.peek_u32(16) as u64;
    let hi = g.peek_u32(20) as u64;
    (e, lo | hi << 32)
}

#[test]
fn create_truncate_append_without_read_opens() {
    // The suite's c/pwrite-with-append: open(O_CREAT|O_TRUNC|O_WRONLY|O_APPEND).
    let root = tree("append");
    std::fs::write(root.join("log"), "old contents").unwrap();
    let mut g = guest(&root);
    let (e, fd) = open(&mut g, 0, b"log", CREAT | TRUNC, FD_WRITE | FD_SEEK, APPEND);
    assert_eq!(e, SUCCESS);
    assert_eq!(std::fs::read(root.join("log")).unwrap(), b"", "truncated");
    assert_eq!(write(&mut g, fd, b"abc"), (SUCCESS, 3));
    assert_eq!(seek(&mut g, fd, 0, 0).0, SUCCESS);
    assert_eq!(write(&mut g, fd, b"de"), (SUCCESS, 2));
    assert_eq!(
        std::fs::read(root.join("log")).unwrap(),
        b"abcde",
        "appended"
    );
    // A new file, the same way.
    let (e, _) = open(&mut g, 0, b"new", CREAT | TRUNC, FD_WRITE, APPEND);
    assert_eq!(e, SUCCESS);
    assert!(root.join("new").is_file());
}

#[test]
fn link_to_a_name_with_a_trailing_slash() {
    // The suite's rust/path_link: linkat(2) answers `noent` for a new name
    // `link/` that does not exist, `exist` for one that does.
    let root = tree("link");
    let mut g = guest(&root);
    let (o, on) = put(&mut g, STR, b"file");
    let (n, nn) = put(&mut g, STR + 64, b"link/");
    assert_eq!(g.call("path_link", &[SB, 0, o, on, SB, n, nn]), NOENT);
    let (n, nn) = put(&mut g, STR + 64, b"keep/");
    assert_eq!(g.call("path_link", &[SB, 0, o, on, SB, n, nn]), EXIST);
    let (o, on) = put(&mut g, STR, b"file/");
    let (n, nn) = put(&mut g, STR + 64, b"other");
    assert_eq!(g.call("path_link", &[SB, 0, o, on, SB, n, nn]), NOTDIR);
    assert!(!root.join("link").exists() && !root.join("other").exists());
}

#[test]
fn opening_a_directory_for_writing_is_isdir() {
    // The suite's rust/path_open_preopen, and POSIX open(2).
    let root = tree("dirwrite");
    let mut g = guest(&root);
    for path in [&b"."[..], b"keep", b"keep/"] {
        let (e, _) = open(&mut g, 0, path, DIRECTORY, FD_READ | FD_WRITE, 0);
        assert_eq!(e, ISDIR, "{}", String::from_utf8_lossy(path));
    }
    assert_eq!(
        open(&mut g, 0, b"file", DIRECTORY, FD_READ | FD_WRITE, 0).0,
        NOTDIR
    );
    // Reading one is fine.
    assert_eq!(open(&mut g, 0, b".", DIRECTORY, FD_READ, 0).0, SUCCESS);
}

#[test]
fn directory_flag_checks_come_before_the_lookup() {
    let root = tree("dirflags");
    let mut g = guest(&root);
    // `append` is ignored for a directory, as wasmtime does.
    let (e, fd) = open(&mut g, 0, b"keep", DIRECTORY, FD_READ, APPEND);
    assert_eq!(e, SUCCESS);
    assert_ne!(fd, u32::MAX);
    // DIRECTORY with EXCL, CREAT or TRUNC is invalid, whatever the path is.
    for (path, of) in [
        (&b"file"[..], DIRECTORY | EXCL),
        (b"keep", DIRECTORY | EXCL),
        (b"missing", DIRECTORY | CREAT),
        (b"keep", DIRECTORY | TRUNC),
    ] {
        let (e, _) = open(&mut g, 0, path, of, FD_READ, 0);
        assert_eq!(e, INVAL, "{} {of}", String::from_utf8_lossy(path));
    }
}

#[test]
fn paths_that_are_not_utf8_are_ilseq() {
    let root = tree("utf8");
    let mut g = guest(&root);
    assert_eq!(
        open(&mut g, 0, b"\xff", CREAT, FD_READ | FD_WRITE, 0).0,
        ILSEQ
    );
    assert_eq!(path_call(&mut g, "path_create_directory", b"a\xc3"), ILSEQ);
    assert_eq!(path_call(&mut g, "path_unlink_file", b"\xfe\xff"), ILSEQ);
    let (o, on) = put(&mut g, STR, b"\x80");
    let (n, nn) = put(&mut g, STR + 64, b"sym");
    assert_eq!(g.call("path_symlink", &[o, on, SB, n, nn]), ILSEQ);
    let names: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| std::str::from_utf8(n.as_bytes()).is_ok()),
        "{names:?}"
    );
    // Valid UTF-8 beyond ASCII is a name like any other.
    assert_eq!(
        path_call(&mut g, "path_create_directory", "é".as_bytes()),
        SUCCESS
    );
    assert!(root.join("é").is_dir());
}

#[test]
fn dot_and_dotdot_as_the_last_component() {
    let root = tree("dots");
    let mut g = guest(&root);
    // POSIX rmdir: `.` is inval, `..` fails (inval, as wasmtime); never
    // the directory.
    assert_eq!(path_call(&mut g, "path_remove_directory", b"keep/."), INVAL);
    assert_eq!(
        path_call(&mut g, "path_remove_directory", b"keep/./"),
        INVAL
    );
    assert_eq!(path_call(&mut g, "path_remove_directory", b"."), INVAL);
    assert_eq!(
        path_call(&mut g, "path_remove_directory", b"keep/.."),
        INVAL
    );
    assert_eq!(path_call(&mut g, "path_remove_directory", b"gone/."), NOENT);
    assert!(root.join("keep").is_dir());
    // unlink: a directory; mkdir: exists (or its parent does not).
    assert_eq!(path_call(&mut g, "path_unlink_file", b"keep/."), ISDIR);
    assert_eq!(path_call(&mut g, "path_create_directory", b"keep/."), EXIST);
    assert_eq!(
        path_call(&mut g, "path_create_directory", b"keep/.."),
        EXIST
    );
    assert_eq!(path_call(&mut g, "path_create_directory", b"new/."), NOENT);
    assert!(!root.join("new").exists());
    // rename from or to a dot: busy (Linux, wasmtime; POSIX allows it).
    let (o, on) = put(&mut g, STR, b"keep/.");
    let (n, nn) = put(&mut g, STR + 64, b"moved");
    assert_eq!(g.call("path_rename", &[SB, o, on, SB, n, nn]), BUSY);
    let (o, on) = put(&mut g, STR, b"sub/x");
    let (n, nn) = put(&mut g, STR + 64, b"keep/.");
    assert_eq!(g.call("path_rename", &[SB, o, on, SB, n, nn]), BUSY);
    let (n, nn) = put(&mut g, STR + 64, b"..");
    assert_eq!(g.call("path_rename", &[SB, o, on, SB, n, nn]), 63, "escape");
    let (n, nn) = put(&mut g, STR + 64, b"sub/..");
    assert_eq!(g.call("path_rename", &[SB, o, on, SB, n, nn]), BUSY);
    assert!(root.join("keep").is_dir() && root.join("sub/x").is_file());
    // Creating a file at `keep/.` names the directory: isdir, or exist
    // with excl (POSIX O_CREAT|O_EXCL on an existing name; wasmtime).
    assert_eq!(
        open(&mut g, 0, b"keep/.", CREAT, FD_READ | FD_WRITE, 0).0,
        ISDIR
    );
    assert_eq!(open(&mut g, 0, b".", CREAT | EXCL, FD_READ, 0).0, EXIST);
    assert_eq!(
        open(&mut g, 0, b"keep/.", CREAT | EXCL, FD_READ, 0).0,
        EXIST
    );
    // An escape is still perm.
    assert_eq!(path_call(&mut g, "path_remove_directory", b".."), 63);
}

#[test]
fn seek_reaches_every_non_negative_offset() {
    let root = tree("seek");
    let mut g = guest(&root);
    let (e, fd) = open(
        &mut g,
        0,
        b"file",
        0,
        FD_READ | FD_WRITE | FD_SEEK | FD_TELL,
        0,
    );
    assert_eq!(e, SUCCESS);
    const SET: i64 = 0;
    const CUR: i64 = 1;
    const END: i64 = 2;
    assert_eq!(seek(&mut g, fd, i64::MAX, SET), (SUCCESS, i64::MAX as u64));
    assert_eq!(seek(&mut g, fd, 1, CUR), (SUCCESS, 1 << 63));
    assert_eq!(g.call("fd_tell", &[fd as i64, 24]), SUCCESS);
    assert_eq!(g.peek_u32(28), 1 << 31);
    // There, reads see the end of the file and writes cannot go.
    g.iovec(64, 256, 16);
    assert_eq!(g.call("fd_read", &[fd as i64, 64, 1, 8]), SUCCESS);
    assert_eq!(g.peek_u32(8), 0);
    assert_eq!(write(&mut g, fd, b"x").0, FBIG);
    // Back from 2^63 to 0, and relative to the end.
    assert_eq!(seek(&mut g, fd, i64::MIN, CUR), (SUCCESS, 0));
    assert_eq!(
        seek(&mut g, fd, i64::MAX, END),
        (SUCCESS, 5 + i64::MAX as u64)
    );
    assert_eq!(seek(&mut g, fd, -1, SET).0, INVAL);
    assert_eq!(seek(&mut g, fd, -6, END).0, INVAL);
    assert_eq!(seek(&mut g, fd, -2, END), (SUCCESS, 3));
    g.iovec(64, 256, 16);
    assert_eq!(g.call("fd_read", &[fd as i64, 64, 1, 8]), SUCCESS);
    let n = g.peek_u32(8) as usize;
    assert_eq!(g.peek(256, n), b"lo");
    assert_eq!(std::fs::read(root.join("file")).unwrap(), b"hello");
}

#[test]
fn nofollow_on_a_symlink_is_loop() {
    let root = tree("nofollow");
    let mut g = guest(&root);
    assert_eq!(open(&mut g, 0, b"dirlink", DIRECTORY, FD_READ, 0).0, LOOP);
    assert_eq!(open(&mut g, 0, b"dirlink", 0, FD_READ, 0).0, LOOP);
    assert_eq!(
        open(&mut g, FOLLOW, b"dirlink", DIRECTORY, FD_READ, 0).0,
        SUCCESS
    );
}

#[test]
fn set_size_beyond_off_t_is_inval() {
    let root = tree("setsize");
    let mut g = guest(&root);
    let (e, fd) = open(&mut g, 0, b"file", 0, ALL, 0);
    assert_eq!(e, SUCCESS);
    assert_eq!(
        g.call("fd_filestat_set_size", &[fd as i64, i64::MIN]),
        INVAL
    );
    assert_eq!(g.call("fd_filestat_set_size", &[fd as i64, -1]), INVAL);
    assert_eq!(g.call("fd_filestat_set_size", &[fd as i64, 2]), SUCCESS);
    assert_eq!(std::fs::read(root.join("file")).unwrap(), b"he");
}

#[test]
fn poll_with_undefined_values_is_inval_for_the_call() {
    let root = tree("poll");
    let mut g = guest(&root);
    // One good clock subscription (relative, 0 ns) and one bad one.
    let sub = |g: &mut Guest<WasiHost>, at: usize, tag: u8, id: u32, flags: u16| {
        g.poke(at, &[0u8; 48]);
        g.poke_u64(at, 0xfeed);
        g.poke(at + 8, &[tag]);
        g.poke_u32(at + 16, id);
        g.poke(at + 40, &flags.to_le_bytes());
    };
    for (tag, id, flags) in [
        (3u8, 0u32, 0u16),
        (0xff, 0, 0),
        (0, 7, 0),
        (0, 1, 2),
        (0, 0, 0x8000),
    ] {
        sub(&mut g, 1024, 0, 1, 0);
        sub(&mut g, 1024 + 48, tag, id, flags);
        g.poke(2048, &[0xAA; 64]);
        g.poke_u32(8, 0xAAAA_AAAA);
        let e = g.call("poll_oneoff", &[1024, 2048, 2, 8]);
        assert_eq!(e, INVAL, "tag {tag} id {id} flags {flags:#x}");
        assert_eq!(g.peek(2048, 64), vec![0xAA; 64], "no event written");
        assert_eq!(g.peek_u32(8), 0xAAAA_AAAA, "no count written");
    }
    // The good one alone fires.
    sub(&mut g, 1024, 0, 1, 0);
    assert_eq!(g.call("poll_oneoff", &[1024, 2048, 1, 8]), SUCCESS);
    assert_eq!(g.peek_u32(8), 1);
}

#[test]
fn set_times_on_a_stdio_stream_backed_by_a_file_is_badf() {
    // The embedder's file behind stdin is not a file the guest opened: as
    // wasmtime, `badf` for stdio.
    let root = tree("stdin_times");
    std::fs::write(root.join("in.txt"), "input").unwrap();
    let before = std::fs::metadata(root.join("in.txt"))
        .unwrap()
        .modified()
        .unwrap();
    let host = WasiHost::builder()
        .stdin(Input::path(root.join("in.txt")))
        .build()
        .unwrap();
    let mut g = Guest::new(host);
    // fstflags mtim (4): set the modification time to 1 s.
    let e = g.call("fd_filestat_set_times", &[0, 0, 1_000_000_000, 4]);
    assert_eq!(e, BADF);
    let after = std::fs::metadata(root.join("in.txt"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn creating_a_name_with_a_trailing_slash_is_isdir() {
    // Linux open("missing/", O_CREAT) is EISDIR, also through a dangling
    // symlink; a missing parent is still noent, an escape perm.
    let root = tree("creat_slash");
    std::os::unix::fs::symlink("nowhere", root.join("dangling")).unwrap();
    let mut g = guest(&root);
    for (path, want) in [
        (&b"missing/"[..], ISDIR),
        (b"dangling/", ISDIR),
        (b"file/", ISDIR),
        (b"gone/missing/", NOENT),
        (b"../missing/", 63),
    ] {
        for of in [CREAT, CREAT | EXCL, CREAT | TRUNC] {
            let (e, _) = open(&mut g, 0, path, of, FD_READ | FD_WRITE, 0);
            assert_eq!(e, want, "{} {of}", String::from_utf8_lossy(path));
        }
    }
    assert!(!root.join("missing").exists() && !root.join("nowhere").exists());
}

#[test]
fn sync_flags_cannot_change_after_open_on_any_fd() {
    let root = tree("syncflags");
    let mut g = guest(&root);
    const SYNC: i64 = 16;
    for fd in [0, 1, 2] {
        assert_eq!(
            g.call("fd_fdstat_set_flags", &[fd, SYNC]),
            NOTSUP,
            "fd {fd}"
        );
        assert_eq!(g.call("fd_fdstat_get", &[fd, 64]), SUCCESS);
        assert_eq!(g.peek(66, 2), [0, 0], "fd {fd} flags");
    }
    let (e, fd) = open(&mut g, 0, b"file", 0, ALL, 0);
    assert_eq!(e, SUCCESS);
    assert_eq!(g.call("fd_fdstat_set_flags", &[fd as i64, SYNC]), NOTSUP);
    // append and nonblock still change.
    assert_eq!(g.call("fd_fdstat_set_flags", &[1, APPEND]), SUCCESS);
}

#[test]
fn polling_a_directory_is_a_badf_event() {
    // The kind of object before rights: badf, not notcapable.
    let root = tree("polldir");
    let mut g = guest(&root);
    g.poke(1024, &[0u8; 48]);
    g.poke_u64(1024, 0x1000);
    g.poke(1024 + 8, &[1]); // fd_read
    g.poke_u32(1024 + 16, SB as u32);
    assert_eq!(g.call("poll_oneoff", &[1024, 2048, 1, 8]), SUCCESS);
    assert_eq!(g.peek_u32(8), 1);
    assert_eq!(g.peek(2048 + 8, 2), (BADF as u16).to_le_bytes());
}
