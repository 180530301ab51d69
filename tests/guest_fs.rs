//! The filesystem through C guests (tests/guests/fs_open.c, fs_io.c,
//! fs_path.c): path_open, file I/O and every path_* call on read-write
//! preopens. Each test builds its own fresh host directory, runs one guest
//! mode, and checks the guest's exact output and the host tree after.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Node, assert_text, file, fs_dir, fs_tree, run_with, snapshot, symlink, tree};
use wasihost_core::WasiHost;

/// Rights as util.c's rights_names() prints them, in bit order.
const FILE_RIGHTS: &str = "fd_datasync|fd_read|fd_seek|fd_fdstat_set_flags|fd_sync|fd_tell|\
    fd_write|fd_advise|fd_allocate|fd_filestat_get|fd_filestat_set_size|fd_filestat_set_times|\
    poll_fd_readwrite";
const DIR_RIGHTS: &str = "fd_datasync|fd_fdstat_set_flags|fd_sync|path_create_directory|\
    path_create_file|path_link_source|path_link_target|path_open|fd_readdir|path_readlink|\
    path_rename_source|path_rename_target|path_filestat_get|path_filestat_set_size|\
    path_filestat_set_times|fd_filestat_get|fd_filestat_set_times|path_symlink|\
    path_remove_directory|path_unlink_file";
/// FILE_RIGHTS | DIR_RIGHTS.
const ALL_RIGHTS: &str = "fd_datasync|fd_read|fd_seek|fd_fdstat_set_flags|fd_sync|fd_tell|\
    fd_write|fd_advise|fd_allocate|path_create_directory|path_create_file|path_link_source|\
    path_link_target|path_open|fd_readdir|path_readlink|path_rename_source|path_rename_target|\
    path_filestat_get|path_filestat_set_size|path_filestat_set_times|fd_filestat_get|\
    fd_filestat_set_size|fd_filestat_set_times|path_symlink|path_remove_directory|\
    path_unlink_file|poll_fd_readwrite";

/// `set` (names joined with '|') without the names in `drop`.
fn minus(set: &str, drop: &[&str]) -> String {
    set.split('|')
        .filter(|r| !drop.contains(r))
        .collect::<Vec<_>>()
        .join("|")
}

/// Runs `guest` in `mode` with `root` preopened read-write at "/sandbox"
/// (fd 3); asserts it exited with 0 and gives its stdout.
#[track_caller]
fn run_fs(guest: &str, mode: &str, root: &Path) -> String {
    run_with(
        guest,
        WasiHost::builder()
            .args([guest, mode])
            .preopen_dir(root, "/sandbox"),
    )
    .ok()
}

/// Like [`run_fs`], with `other` preopened read-write at "/other" (fd 4).
#[track_caller]
fn run_fs2(guest: &str, mode: &str, root: &Path, other: &Path) -> String {
    run_with(
        guest,
        WasiHost::builder()
            .args([guest, mode])
            .preopen_dir(root, "/sandbox")
            .preopen_dir(other, "/other"),
    )
    .ok()
}

fn ts(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// Sets the access and modification times of the host file `path`.
fn set_host_times(path: &Path, atime: u64, mtime: u64) {
    let f = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open to set times");
    f.set_times(
        std::fs::FileTimes::new()
            .set_accessed(ts(atime))
            .set_modified(ts(mtime)),
    )
    .expect("set times");
}

// ---------------------------------------------------------------------------
// path_open (fs_open.c)

/// The tree fs_open.c expects.
fn open_tree(test: &str) -> PathBuf {
    fs_tree(
        test,
        &[
            ("hello.txt", file("hello")),
            ("app.txt", file("hello")),
            ("trunc.txt", file("0123456789")),
            ("trunc2.txt", file("abcdef")),
            ("app2.txt", file("12")),
            ("sub/inner.txt", file("inner")),
            ("link", symlink("hello.txt")),
            ("dirlink", symlink("sub")),
            ("out", symlink("..")),
            ("dangling", symlink("nowhere")),
            ("loop1", symlink("loop2")),
            ("loop2", symlink("loop1")),
        ],
    )
}

/// The lines of `tree(open_tree(..))`, with `changes` applied: an entry
/// `(path, Some(line))` replaces or adds the line for `path`, `(path,
/// None)` removes it.
fn open_tree_lines(changes: &[(&str, Option<&str>)]) -> Vec<String> {
    let mut lines: Vec<String> = [
        "app.txt file \"hello\"",
        "app2.txt file \"12\"",
        "dangling -> nowhere",
        "dirlink -> sub",
        "hello.txt file \"hello\"",
        "link -> hello.txt",
        "loop1 -> loop2",
        "loop2 -> loop1",
        "out -> ..",
        "sub dir",
        "sub/inner.txt file \"inner\"",
        "trunc.txt file \"0123456789\"",
        "trunc2.txt file \"abcdef\"",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (path, line) in changes {
        lines.retain(|l| l.split(' ').next() != Some(path));
        if let Some(line) = line {
            lines.push(line.to_string());
        }
    }
    lines.sort();
    lines
}

#[test]
fn open_oflags() {
    let root = open_tree("open_oflags");
    let out = run_fs("fs_open", "oflags", &root);
    assert_text(
        &out,
        "creat_new errno=0\n\
         creat_new fdstat errno=0 filetype=4 flags=0\n\
         creat_new write errno=0 n=3\n\
         creat_existing errno=0\n\
         creat_existing read errno=0 n=5 \"hello\"\n\
         excl_existing errno=20\n\
         excl_dir errno=20\n\
         excl_dangling errno=20\n\
         excl_new errno=0\n\
         excl_new errno=0 type=4 size=0 nlink=1\n\
         trunc errno=0\n\
         trunc errno=0 type=4 size=0 nlink=1\n\
         trunc write errno=0 n=2\n\
         creat_on_dir errno=31\n\
         directory errno=0\n\
         directory fdstat errno=0 filetype=3 flags=0\n\
         directory_slash errno=0\n\
         directory_slash fdstat errno=0 filetype=3 flags=0\n\
         directory_dot errno=0\n\
         directory_dot fdstat errno=0 filetype=3 flags=0\n\
         dir_without_flag errno=0\n\
         dir_without_flag fdstat errno=0 filetype=3 flags=0\n\
         dir_without_flag rights errno=0 base=path_open|fd_readdir|fd_filestat_get\n\
         dir_without_flag rights inheriting=fd_read|fd_seek|fd_tell|fd_filestat_get\n\
         dir_without_flag read errno=31 n=0 \"\"\n\
         dir_without_flag inner errno=0\n\
         dir_without_flag inner read errno=0 n=5 \"inner\"\n\
         dir_for_write errno=31\n\
         directory_on_file errno=54\n\
         file_slash errno=54\n\
         directory_creat errno=28\n\
         directory_trunc errno=28\n\
         directory_write errno=31\n\
         directory_append errno=0\n\
         noent errno=44\n\
         noent_sub errno=44\n\
         noent_parent_creat errno=44\n\
         notdir_parent errno=54\n\
         symlink_nofollow errno=32\n\
         symlink_follow errno=0\n\
         symlink_follow fdstat errno=0 filetype=4 flags=0\n\
         symlink_follow read errno=0 n=5 \"hello\"\n\
         dirlink_nofollow errno=32\n\
         dirlink_follow errno=0\n\
         dirlink_follow fdstat errno=0 filetype=3 flags=0\n\
         dirlink_follow inner errno=0\n\
         dirlink_follow inner read errno=0 n=5 \"inner\"\n\
         through_dirlink errno=0\n\
         through_dirlink read errno=0 n=5 \"inner\"\n\
         dangling_follow errno=44\n\
         loop_follow errno=32\n\
         undefined_oflag errno=28\n\
         undefined_fdflag errno=28\n\
         unchanged_out=1\n",
    );
    // creat made new.txt (written) and excl.txt (empty); excl on the
    // dangling symlink created nothing; trunc emptied trunc.txt.
    assert_eq!(
        tree(&root),
        open_tree_lines(&[
            ("new.txt", Some("new.txt file \"abc\"")),
            ("excl.txt", Some("excl.txt file \"\"")),
            ("trunc.txt", Some("trunc.txt file \"xy\"")),
        ])
    );
}

#[test]
fn open_fdflags() {
    let root = open_tree("open_fdflags");
    let out = run_fs("fs_open", "fdflags", &root);
    let mut want = String::from(
        "append errno=0\n\
         append fdstat errno=0 filetype=4 flags=1\n\
         append write errno=0 n=3\n\
         append tell errno=0 pos=8\n\
         append seek errno=0 pos=0\n\
         append write_after_seek errno=0 n=2\n\
         append tell errno=0 pos=10\n\
         append pread errno=0 \"helloabcXY\"\n\
         append clear errno=0\n\
         append cleared fdstat errno=0 filetype=4 flags=0\n\
         append seek errno=0 pos=0\n\
         append overwrite errno=0 n=1\n\
         append set errno=0\n\
         append set fdstat errno=0 filetype=4 flags=1\n\
         append seek errno=0 pos=1\n\
         append write_again errno=0 n=1\n",
    );
    // The sync flags are accepted at open and shown by fdstat; changing
    // them later is notsup (58).
    for (name, flags) in [("dsync", 2), ("sync", 16), ("rsync", 8), ("all_sync", 26)] {
        want += &format!(
            "{name} errno=0\n\
             {name} fdstat errno=0 filetype=4 flags={flags}\n\
             {name} write errno=0 n={}\n\
             {name} same_flags errno=0\n\
             {name} clear errno=58\n\
             {name} fdstat errno=0 filetype=4 flags={flags}\n",
            name.len()
        );
    }
    want += "add_sync errno=0\n\
             add_sync set errno=58\n\
             add_sync fdstat errno=0 filetype=4 flags=0\n\
             nonblock errno=0\n\
             nonblock fdstat errno=0 filetype=4 flags=4\n\
             nonblock read errno=0 n=5 \"hello\"\n\
             nonblock read_eof errno=0 n=0 \"\"\n\
             nonblock clear errno=0\n\
             nonblock fdstat errno=0 filetype=4 flags=0\n";
    assert_text(&out, &want);
    // Appends landed at the end even after seeking to 0; the one write
    // without append overwrote the first byte.
    assert_eq!(
        tree(&root),
        open_tree_lines(&[
            ("app.txt", Some("app.txt file \"ZelloabcXY!\"")),
            ("dsync.txt", Some("dsync.txt file \"dsync\"")),
            ("sync.txt", Some("sync.txt file \"sync\"")),
            ("rsync.txt", Some("rsync.txt file \"rsync\"")),
            ("allsync.txt", Some("allsync.txt file \"all_sync\"")),
        ])
    );
}

#[test]
fn open_rights() {
    let root = open_tree("open_rights");
    let out = run_fs("fs_open", "rights", &root);
    let no_create = minus(DIR_RIGHTS, &["path_create_file", "path_filestat_set_size"]);
    assert_text(
        &out,
        &format!(
            "preopen rights errno=0 base={DIR_RIGHTS}\n\
             preopen rights inheriting={ALL_RIGHTS}\n\
             read_only errno=0\n\
             read_only rights errno=0 base=fd_read\n\
             read_only rights inheriting=none\n\
             read_only read errno=0 n=5 \"hello\"\n\
             read_only write errno=76 n=0\n\
             read_only seek_set errno=76 pos=0\n\
             read_only seek_cur0 errno=76 pos=0\n\
             read_only tell errno=76 pos=0\n\
             read_only pread errno=76\n\
             read_only filestat errno=76\n\
             read_only set_flags errno=76\n\
             read_only add_write errno=76\n\
             tell_only errno=0\n\
             tell_only read errno=0 n=5 \"hello\"\n\
             tell_only seek_cur0 errno=0 pos=5\n\
             tell_only seek_cur1 errno=76 pos=0\n\
             tell_only tell errno=0 pos=5\n\
             file_all errno=0\n\
             file_all rights errno=0 base={FILE_RIGHTS}\n\
             file_all rights inheriting={ALL_RIGHTS}\n\
             dir_all errno=0\n\
             dir_all rights errno=0 base={DIR_RIGHTS}\n\
             dir_all rights inheriting={ALL_RIGHTS}\n\
             sub_narrow errno=0\n\
             sub_narrow rights errno=0 base=path_open|fd_readdir|path_filestat_get\n\
             sub_narrow rights inheriting=fd_read|fd_seek\n\
             sub_narrow write errno=76\n\
             sub_narrow append errno=76\n\
             sub_narrow creat errno=76\n\
             sub_narrow trunc errno=76\n\
             sub_narrow read errno=0\n\
             sub_narrow read rights errno=0 base=fd_read|fd_seek\n\
             sub_narrow read rights inheriting=fd_read\n\
             sub_narrow read read errno=0 n=5 \"inner\"\n\
             sub_narrow read tell errno=76 pos=0\n\
             sub_narrow read seek errno=0 pos=1\n\
             sub_narrow read read errno=0 n=4 \"nner\"\n\
             sub_narrow dot errno=0\n\
             sub_narrow dot rights errno=0 base=none\n\
             sub_narrow dot rights inheriting=fd_read|fd_seek\n\
             sub_narrow unlink errno=76\n\
             sub_full errno=0\n\
             drop_path_open errno=0\n\
             no_path_open open errno=76\n\
             no_path_open open_dir errno=76\n\
             no_path_open add_back errno=76\n\
             sub_full errno=0\n\
             drop_create_file errno=0\n\
             no_create creat_new errno=76\n\
             no_create creat_existing errno=76\n\
             no_create open_existing errno=0\n\
             no_create write errno=0 n=1\n\
             drop_set_size errno=0\n\
             no_set_size trunc errno=76\n\
             drop_inherited_write errno=0\n\
             drop_inherited_write rights errno=0 base={no_create}\n\
             drop_inherited_write rights inheriting={}\n\
             no_write write errno=76\n\
             no_write read errno=0\n\
             no_write read rights errno=0 base=fd_read|fd_seek|fd_tell|fd_filestat_get\n\
             no_write read rights inheriting=none\n\
             no_write read read errno=0 n=5 \"Inner\"\n\
             preopen drop_path_open errno=0\n\
             preopen open errno=76\n\
             preopen libc_open ret=-1 errno=76\n",
            minus(ALL_RIGHTS, &["fd_write"]),
        ),
    );
    // Only the one permitted write happened; nothing was created.
    assert_eq!(
        tree(&root),
        open_tree_lines(&[("sub/inner.txt", Some("sub/inner.txt file \"Inner\""))])
    );
}

#[test]
fn open_hostile_paths_and_pointers() {
    let root = open_tree("open_hostile");
    let out = run_fs("fs_open", "hostile", &root);
    assert_text(
        &out,
        "empty errno=44\n\
         nul_inside errno=28\n\
         nul_end errno=28\n\
         path_oob errno=21\n\
         path_len_huge errno=21\n\
         out_oob errno=21\n\
         out_misaligned errno=28\n\
         out_untouched=1\n\
         dotdot errno=63\n\
         dotdot_creat errno=63\n\
         sub_dotdot_dotdot errno=63\n\
         dotdot_dir errno=63\n\
         absolute errno=63\n\
         root errno=63\n\
         symlink_out errno=63\n\
         symlink_out_dir errno=63\n\
         symlink_out_creat errno=63\n\
         symlink_out_nofollow errno=32\n\
         inside_dotdot errno=0\n\
         inside_dotdot read errno=0 n=5 \"hello\"\n\
         dot_slashes errno=0\n\
         dot_slashes read errno=0 n=5 \"inner\"\n\
         name_too_long errno=37\n\
         bad_fd errno=8\n\
         stdout_fd errno=54\n\
         file errno=0\n\
         file_fd errno=54\n\
         next errno=0 fd=5 (file fd=4)\n",
    );
    assert_eq!(tree(&root), open_tree_lines(&[]));
    // Nothing escaped into the directory above the preopen.
    let parent = root.parent().expect("parent");
    assert!(!parent.join("escaped.txt").exists());
    assert!(!parent.join("x").exists());
}

#[test]
fn open_through_wasi_libc() {
    let root = open_tree("open_libc");
    let out = run_fs("fs_open", "libc", &root);
    assert_text(
        &out,
        "fopen_w ok=1\n\
         fclose=0\n\
         fgets \"via stdio\\x0a\"\n\
         fgets \"more\\x0a\"\n\
         excl_existing ok=0 errno=20\n\
         directory_on_file ok=0 errno=54\n\
         missing ok=0 errno=44\n\
         nofollow ok=0 errno=32\n\
         escape ok=0 errno=63\n\
         follow ok=1 errno=0\n\
         follow read \"hello\"\n\
         directory ok=1 errno=0\n\
         trunc ok=1 errno=0\n\
         trunc size=0\n\
         append ok=1 errno=0\n\
         append lseek=0\n\
         append write=1\n\
         append pos=3\n\
         creat ok=1 errno=0\n\
         creat write=3\n",
    );
    assert_eq!(
        tree(&root),
        open_tree_lines(&[
            ("libc.txt", Some("libc.txt file \"via stdio\\nmore\\n\"")),
            ("trunc2.txt", Some("trunc2.txt file \"\"")),
            ("app2.txt", Some("app2.txt file \"12Z\"")),
            ("created.txt", Some("created.txt file \"new\"")),
        ])
    );
}

#[test]
fn undefined_lookupflags_bits_are_inval() {
    let root = open_tree("open_lookupflags");
    let out = run_fs("fs_open", "lookupflags", &root);
    assert_text(
        &out,
        "path_open errno=28\n\
         path_open no_fd=1\n\
         path_filestat_get errno=28\n\
         path_filestat_set_times errno=28\n\
         path_link errno=28\n",
    );
    assert_eq!(tree(&root), open_tree_lines(&[]));
}

// ---------------------------------------------------------------------------
// File data (fs_io.c)

fn io_tree(test: &str) -> PathBuf {
    fs_tree(test, &[("data.txt", file("0123456789")), ("d", Node::Dir)])
}

#[test]
fn file_read_write_seek_pread_pwrite() {
    let root = io_tree("io_file");
    let out = run_fs("fs_io", "io", &root);
    assert_text(
        &out,
        "open errno=0\n\
         read4 errno=0 n=4 \"0123\"\n\
         tell errno=0 pos=4\n\
         seek_cur+2 errno=0 pos=6\n\
         read_rest errno=0 n=4 \"6789\"\n\
         read_at_eof errno=0 n=0 \"\"\n\
         seek_end0 errno=0 pos=10\n\
         seek_end-3 errno=0 pos=7\n\
         seek_cur-8 errno=28 pos=0\n\
         tell_after_failed_seek errno=0 pos=7\n\
         seek_set-1 errno=28 pos=0\n\
         seek_end-11 errno=28 pos=0\n\
         seek_end_min errno=28 pos=0\n\
         tell_after_failed_seeks errno=0 pos=7\n\
         seek_whence3 errno=28 pos=0\n\
         seek_whence256 errno=28 pos=0\n\
         seek_set100 errno=0 pos=100\n\
         read_past_eof errno=0 n=0 \"\"\n\
         tell_past_eof errno=0 pos=100\n\
         size_unchanged errno=0 type=4 size=10 nlink=1\n\
         seek_set2 errno=0 pos=2\n\
         pread_1_3 errno=0 n=3 \"123\"\n\
         pread_8_10 errno=0 n=2 \"89\"\n\
         pread_20 errno=0 n=0 \"\"\n\
         pread_huge_offset errno=28 n=0 \"\"\n\
         pread_two_iovecs errno=0 n=6 \"012\" \"345\"\n\
         tell_after_preads errno=0 pos=2\n\
         pwrite_14 errno=0 n=2\n\
         tell_after_pwrite errno=0 pos=2\n\
         size_after_pwrite errno=0 type=4 size=16 nlink=1\n\
         pwrite_two_iovecs errno=0 n=4\n\
         tell_after_pwrite errno=0 pos=2\n\
         write_at_2 errno=0 n=2\n\
         tell_after_write errno=0 pos=4\n\
         writev errno=0 n=2\n\
         tell_after_writev errno=0 pos=6\n\
         readv errno=0 n=5 \"ef\" \"89\\x00\"\n\
         write_empty errno=0 n=0\n\
         write_no_iovecs errno=0 n=0\n\
         read_empty errno=0 n=0\n\
         tell_end errno=0 pos=11\n\
         final errno=0 n=16 \"01xyPQef89\\x00\\x00\\x00\\x00AB\"\n\
         final errno=0 type=4 size=16 nlink=1\n\
         open_twice errno=0\n\
         open_twice errno=0\n\
         f1 errno=0 pos=2\n\
         f2 errno=0 pos=0\n",
    );
    // pwrite past the end filled the gap with zeros.
    assert_eq!(
        std::fs::read(root.join("data.txt")).expect("read data.txt"),
        b"01xyPQef89\0\0\0\0AB"
    );
    assert_eq!(
        tree(&root),
        [
            "d dir",
            "data.txt file \"01xyPQef89\\x00\\x00\\x00\\x00AB\""
        ]
    );
}

#[test]
fn file_calls_on_directories_and_missing_rights() {
    let root = io_tree("io_dir");
    let out = run_fs("fs_io", "dir", &root);
    let calls = [
        "read",
        "write",
        "pread",
        "pwrite",
        "seek",
        "seek_cur0",
        "tell",
        "advise",
        "allocate",
        "set_size",
    ];
    let mut want = String::from("open_dir errno=0\n");
    for who in ["dir", "preopen"] {
        for call in calls {
            want += &format!("{who} {call} errno=31\n");
        }
    }
    // fd_read only: reads and nothing else. fd_write|fd_seek: writes,
    // pwrites and seeks; fd_seek with offset 0 from cur needs fd_tell.
    let read_only = [0, 76, 76, 76, 76, 76, 76, 76, 76, 76];
    let write_only = [76, 0, 76, 0, 0, 76, 76, 76, 76, 76];
    for (who, errnos) in [
        ("read_only", read_only),
        ("write_only", write_only),
        ("closed", [8; 10]),
    ] {
        if who != "closed" {
            want += &format!("{who} errno=0\n");
        }
        for (call, e) in calls.iter().zip(errnos) {
            want += &format!("{who} {call} errno={e}\n");
        }
    }
    assert_text(&out, &want);
    // The write-only fd wrote "x" at 0 twice (write, then pwrite at 0).
    assert_eq!(tree(&root), ["d dir", "data.txt file \"x123456789\""]);
}

#[test]
fn file_io_through_wasi_libc() {
    let root = io_tree("io_libc");
    let out = run_fs("fs_io", "libc", &root);
    assert_text(
        &out,
        "fflush=0 ftell=21\n\
         fseek=0\n\
         fgets \"line 1\\x0a\" ftell=7\n\
         fgets \"line 2\\x0a\" ftell=14\n\
         fgets \"line 3\\x0a\" ftell=21\n\
         feof=1\n\
         fseek_end=0\n\
         fread n=7 \"line 3\\x0a\"\n\
         fclose=0\n\
         pread n=4 \"3456\"\n\
         lseek_cur=0\n\
         pwrite n=1\n\
         lseek_negative=-1 errno=28\n\
         lseek_end=13\n\
         read_at_eof=0\n\
         read_dir=-1 errno=31\n",
    );
    assert_eq!(
        tree(&root),
        [
            "d dir",
            "data.txt file \"0123456789\\x00\\x00Z\"",
            "stdio.txt file \"line 1\\nline 2\\nline 3\\n\"",
        ]
    );
}

// ---------------------------------------------------------------------------
// path_* and metadata (fs_path.c), with a second preopen at "/other".

/// A fresh tree for `test` and a fresh, empty "other" dir.
fn path_dirs(test: &str, entries: &[(&str, Node)]) -> (PathBuf, PathBuf) {
    (fs_tree(test, entries), fs_dir(&format!("{test}-other")))
}

#[test]
fn create_directory() {
    let (root, other) = path_dirs(
        "path_mkdir",
        &[
            ("f.txt", file("file")),
            ("lnk", symlink("f.txt")),
            ("dangling", symlink("nowhere")),
            ("out", symlink("..")),
        ],
    );
    let out = run_fs2("fs_path", "mkdir", &root, &other);
    assert_text(
        &out,
        "new errno=0\n\
         new_again errno=20\n\
         on_file errno=20\n\
         on_symlink errno=20\n\
         on_dangling errno=20\n\
         missing_parent errno=44\n\
         file_parent errno=54\n\
         nested errno=0\n\
         trailing_slash errno=0\n\
         dotdot errno=63\n\
         absolute errno=63\n\
         through_symlink_out errno=63\n\
         empty errno=44\n\
         nul errno=28\n\
         path_oob errno=21\n\
         too_long errno=37\n\
         bad_fd errno=8\n\
         stdout errno=54\n\
         open_file errno=0\n\
         file_fd errno=54\n\
         open_new errno=0\n\
         via_dir_fd errno=0\n\
         libc_mkdir ret=0 errno=0\n\
         libc_mkdir_again ret=-1 errno=20\n",
    );
    assert_eq!(
        tree(&root),
        [
            "dangling -> nowhere",
            "f.txt file \"file\"",
            "libc_dir dir",
            "lnk -> f.txt",
            "new dir",
            "new/child dir",
            "new/slash dir",
            "new/via_fd dir",
            "out -> ..",
        ]
    );
    let parent = root.parent().expect("parent");
    assert!(!parent.join("up").exists() && !parent.join("x").exists());
}

#[test]
fn remove_directory() {
    let (root, other) = path_dirs(
        "path_rmdir",
        &[
            ("f.txt", file("file")),
            ("d/x", file("x")),
            ("d/inner", Node::Dir),
            ("empty", Node::Dir),
            ("lnk", symlink("f.txt")),
            ("dlnk", symlink("d")),
        ],
    );
    let out = run_fs2("fs_path", "rmdir", &root, &other);
    assert_text(
        &out,
        "nonempty errno=55\n\
         file errno=54\n\
         missing errno=44\n\
         symlink_to_file errno=54\n\
         symlink_to_dir errno=54\n\
         dot errno=28\n\
         dotdot errno=63\n\
         escape errno=63\n\
         empty errno=0\n\
         empty_again errno=44\n\
         bad_fd errno=8\n\
         open_d errno=0\n\
         via_dir_fd errno=0\n\
         libc_rmdir_nonempty ret=-1 errno=55\n\
         libc_unlink ret=0 errno=0\n\
         libc_rmdir ret=0 errno=0\n",
    );
    assert_eq!(
        tree(&root),
        ["dlnk -> d", "f.txt file \"file\"", "lnk -> f.txt"]
    );
}

#[test]
fn unlink_file() {
    let (root, other) = path_dirs(
        "path_unlink",
        &[
            ("f.txt", file("file")),
            ("g.txt", file("gee")),
            ("h.txt", file("hhh")),
            ("d/x", file("x")),
            ("empty", Node::Dir),
            ("lnk", symlink("f.txt")),
            ("dlnk", symlink("d")),
            ("dangling", symlink("nowhere")),
            ("out", symlink("..")),
        ],
    );
    let out = run_fs2("fs_path", "unlink", &root, &other);
    assert_text(
        &out,
        "dir errno=31\n\
         empty_dir errno=31\n\
         missing errno=44\n\
         file_slash errno=54\n\
         escape errno=63\n\
         symlink errno=0\n\
         dir_symlink errno=0\n\
         dangling errno=0\n\
         out_symlink errno=0\n\
         file errno=0\n\
         file_again errno=44\n\
         empty_path errno=44\n\
         bad_fd errno=8\n\
         open_h errno=0\n\
         open_file errno=0\n\
         read_unlinked errno=0 n=3 \"hhh\"\n\
         stat_unlinked errno=0 type=4 size=3 nlink=0\n\
         libc_unlink ret=0 errno=0\n\
         libc_unlink_dir ret=-1 errno=31\n",
    );
    // Unlinking symlinks removed the links, not their targets (d stays;
    // f.txt went by its own unlink).
    assert_eq!(tree(&root), ["d dir", "d/x file \"x\"", "empty dir"]);
}

#[test]
fn rename() {
    let (root, other) = path_dirs(
        "path_rename",
        &[
            ("a.txt", file("A")),
            ("c.txt", file("C")),
            ("d/x", file("x")),
            ("empty", Node::Dir),
            ("full/y", file("y")),
            ("m.txt", file("M")),
            ("n.txt", file("N")),
            ("sub/s.txt", file("S")),
            ("sub/t.txt", file("T")),
            ("lnk", symlink("c.txt")),
        ],
    );
    let out = run_fs2("fs_path", "rename", &root, &other);
    assert_text(
        &out,
        "file errno=0\n\
         file_again errno=44\n\
         over_file errno=0\n\
         dir errno=0\n\
         dir_over_file errno=54\n\
         file_over_dir errno=31\n\
         dir_over_nonempty errno=55\n\
         dir_into_itself errno=28\n\
         dir_over_empty errno=0\n\
         same errno=0\n\
         missing errno=44\n\
         missing_target_dir errno=44\n\
         escape_source errno=63\n\
         escape_target errno=63\n\
         symlink errno=0\n\
         other_preopen errno=0\n\
         open_sub errno=0\n\
         into_dir_fd errno=0\n\
         from_dir_fd errno=0\n\
         drop_rename_target errno=0\n\
         no_rename_target errno=76\n\
         still_rename_source errno=0\n\
         drop_rename_source errno=0\n\
         no_rename_source errno=76\n\
         bad_fd errno=8\n\
         bad_new_fd errno=8\n\
         new_fd_stdout errno=54\n\
         libc_rename ret=0 errno=0\n\
         libc_rename_across ret=0 errno=0\n",
    );
    // a.txt became b.txt, then replaced c.txt, then became
    // libc_renamed.txt; d replaced the empty dir; m.txt went to the other
    // preopen and back; n.txt went through sub to the other preopen; the
    // symlink was renamed, not its target.
    assert_eq!(
        tree(&root),
        [
            "empty dir",
            "empty/x file \"x\"",
            "full dir",
            "full/y file \"y\"",
            "libc_renamed.txt file \"A\"",
            "lnk2 -> c.txt",
            "m_back.txt file \"M\"",
            "s_out.txt file \"S\"",
            "sub dir",
            "sub/t.txt file \"T\"",
        ]
    );
    assert_eq!(tree(&other), ["n_other.txt file \"N\""]);
    assert!(!root.parent().expect("parent").join("escaped").exists());
}

#[test]
fn hard_link() {
    let (root, other) = path_dirs(
        "path_link",
        &[
            ("f.txt", file("file")),
            ("d", Node::Dir),
            ("lnk", symlink("f.txt")),
        ],
    );
    let out = run_fs2("fs_path", "link", &root, &other);
    assert_text(
        &out,
        "hard errno=0\n\
         open_f errno=0\n\
         fd_filestat errno=0 type=4 size=4 nlink=2\n\
         hard_filestat errno=0 type=4 size=4 nlink=2\n\
         same_ino=1 same_dev=1\n\
         follow_flag errno=28\n\
         follow_flag_symlink errno=28\n\
         existing errno=20\n\
         missing errno=44\n\
         dir errno=63\n\
         symlink errno=0\n\
         escape_source errno=63\n\
         escape_target errno=63\n\
         other_preopen errno=0\n\
         open_d errno=0\n\
         into_dir_fd errno=0\n\
         bad_fd errno=8\n\
         bad_new_fd errno=8\n\
         libc_link ret=0 errno=0\n\
         fd_filestat_after errno=0 type=4 size=4 nlink=5\n\
         open_hard errno=0\n\
         write_hard errno=0 n=4\n\
         open_libc_hard errno=0\n\
         read_libc_hard errno=0 n=4 \"FILE\"\n",
    );
    assert_eq!(
        tree(&root),
        [
            "d dir",
            "d/hard_in_d file \"FILE\"",
            "f.txt file \"FILE\"",
            "hard file \"FILE\"",
            "libc_hard file \"FILE\"",
            "lnk -> f.txt",
            "lnk_hard -> f.txt",
        ]
    );
    assert_eq!(tree(&other), ["hard_other file \"FILE\""]);
    // One inode with five names; the symlink itself got a second name.
    let snap = snapshot(&root);
    let ino = snap["f.txt"].ino;
    for name in ["f.txt", "hard", "libc_hard", "d/hard_in_d"] {
        assert_eq!((snap[name].ino, snap[name].nlink), (ino, 5), "{name}");
    }
    assert_eq!(snapshot(&other)["hard_other"].ino, ino);
    assert_eq!(snap["lnk"].nlink, 2);
    assert_eq!(snap["lnk_hard"].ino, snap["lnk"].ino);
}

#[test]
fn symlink_and_readlink() {
    let (root, other) = path_dirs(
        "path_symlink",
        &[("f.txt", file("file")), ("d/x", file("x"))],
    );
    let out = run_fs2("fs_path", "symlink", &root, &other);
    assert_text(
        &out,
        "create errno=0\n\
         readlink errno=0 n=5 \"f.txt\" next=#\n\
         readlink_short errno=0 n=3 \"f.t\" next=#\n\
         readlink_exact errno=0 n=5 \"f.txt\" next=#\n\
         readlink_zero errno=0 n=0 \"\" next=#\n\
         s1_nofollow errno=0 type=7 size=5 nlink=1\n\
         create_nested_target errno=0\n\
         open_s2 errno=0\n\
         read_s2 errno=0 n=1 \"x\"\n\
         create_up errno=0\n\
         open_up errno=0\n\
         read_up errno=0 n=4 \"file\"\n\
         open_d errno=0\n\
         readlink_via_dir_fd errno=0 n=8 \"../f.txt\" next=#\n\
         create_via_dir_fd errno=0\n\
         create_dangling errno=0\n\
         readlink_dangling errno=0 n=7 \"nowhere\" next=#\n\
         create_dir_link errno=0\n\
         absolute_target errno=63\n\
         escaping_target errno=0\n\
         open_esc errno=63\n\
         existing_file errno=20\n\
         existing_link errno=20\n\
         existing_dir errno=20\n\
         missing_parent errno=44\n\
         escape_link_path errno=63\n\
         empty_target errno=44\n\
         nul_target errno=28\n\
         bad_fd errno=8\n\
         readlink_file errno=28 n=0 \"\" next=-\n\
         readlink_dir errno=28 n=0 \"\" next=-\n\
         readlink_missing errno=44 n=0 \"\" next=-\n\
         readlink_escape errno=63 n=0 \"\" next=-\n\
         readlink_bad_fd errno=8 n=0 \"\" next=-\n\
         readlink_buf_oob errno=21\n\
         readlink_buf_oob n_untouched=1\n\
         readlink_out_oob errno=21\n\
         libc_symlink ret=0 errno=0\n\
         libc_readlink n=5 \"f.txt\"\n\
         libc_readlink_short n=2 \"f.\"\n\
         libc_readlink_file n=-1 errno=28\n",
    );
    // A relative target leading out may be created (as on POSIX), but it
    // cannot be followed (open_esc above).
    assert_eq!(
        tree(&root),
        [
            "d dir",
            "d/up -> ../f.txt",
            "d/x file \"x\"",
            "d/x_link -> x",
            "esc -> ../../outside",
            "f.txt file \"file\"",
            "libc_s -> f.txt",
            "s1 -> f.txt",
            "s2 -> d/x",
            "s3 -> nowhere",
            "s4 -> d",
        ]
    );
}

/// Host times fs_path.c's "filestat" mode expects on f.txt.
const F_ATIME: u64 = 1_234_567_890_111_111_111;
const F_MTIME: u64 = 1_333_333_333_222_222_222;

#[test]
fn path_and_fd_filestat() {
    let (root, other) = path_dirs(
        "path_filestat",
        &[
            ("f.txt", file("file")),
            ("d/x", file("x")),
            ("lnk", symlink("f.txt")),
            ("dlnk", symlink("d")),
            ("dangling", symlink("nowhere")),
            ("out", symlink("..")),
        ],
    );
    set_host_times(&root.join("f.txt"), F_ATIME, F_MTIME);
    let out = run_fs2("fs_path", "filestat", &root, &other);
    let snap = snapshot(&root);
    let ino = |p: &str| snap[p].ino;
    let root_ino = std::fs::metadata(&root).expect("stat root").ino();
    let (f, x, d, lnk, dlnk, dangling) = (
        ino("f.txt"),
        ino("d/x"),
        ino("d"),
        ino("lnk"),
        ino("dlnk"),
        ino("dangling"),
    );
    assert_text(
        &out,
        &format!(
            "file errno=0 type=4 size=4 nlink=1 ino={f}\n\
             file_nofollow errno=0 type=4 size=4 nlink=1 ino={f}\n\
             symlink_nofollow errno=0 type=7 size=5 nlink=1 ino={lnk}\n\
             symlink_follow errno=0 type=4 size=4 nlink=1 ino={f}\n\
             dirlink_nofollow errno=0 type=7 size=1 nlink=1 ino={dlnk}\n\
             dirlink_follow errno=0 type=3 ino={d}\n\
             dangling_nofollow errno=0 type=7 size=7 nlink=1 ino={dangling}\n\
             dangling_follow errno=44\n\
             dir errno=0 type=3 ino={d}\n\
             dir_file errno=0 type=4 size=1 nlink=1 ino={x}\n\
             dot errno=0 type=3 ino={root_ino}\n\
             missing errno=44\n\
             escape errno=63\n\
             escape_symlink errno=63\n\
             bad_fd errno=8\n\
             stdout errno=54\n\
             empty errno=44\n\
             out_oob errno=21\n\
             out_misaligned errno=28\n\
             file atim={F_ATIME} mtim={F_MTIME}\n\
             open_f errno=0\n\
             fd_file errno=0 type=4 size=4 nlink=1 ino={f} mtim={F_MTIME}\n\
             open_d errno=0\n\
             fd_dir errno=0 type=3 ino={d}\n\
             via_dir_fd errno=0 type=4 size=1 nlink=1 ino={x}\n\
             fd_preopen errno=0 type=3 ino={root_ino}\n\
             open_d_narrow errno=0\n\
             no_right errno=76\n\
             no_right_fd errno=76\n\
             libc_stat ret=0 errno=0\n\
             libc_stat reg=1 size=4 nlink=1\n\
             libc_lstat ret=0 errno=0\n\
             libc_lstat lnk=1 size=5\n\
             libc_stat_dir ret=0 errno=0\n\
             libc_stat_dir dir=1\n\
             libc_stat_missing ret=-1 errno=44\n\
             libc_fstat ret=0 errno=0\n\
             libc_fstat reg=1 size=4 mtime={}.{:09}\n",
            F_MTIME / 1_000_000_000,
            F_MTIME % 1_000_000_000,
        ),
    );
}

/// Times set by fs_path.c's "times" mode (T1..T6 there).
const T1: u64 = 1_000_000_000_123_456_789;
const T2: u64 = 1_100_000_000_987_654_321;
const T3: u64 = 1_200_000_000_000_000_001;
const T4: u64 = 1_300_000_000_000_000_000;
const T5: u64 = 1_400_000_000_555_555_555;
const T6: u64 = 1_500_000_000_000_000_999;

#[test]
fn set_times_by_path_and_fd() {
    let (root, other) = path_dirs(
        "path_times",
        &[
            ("f.txt", file("file")),
            ("g.txt", file("gee")),
            ("h.txt", file("h")),
            ("i.txt", file("i")),
            ("j.txt", file("j")),
            ("k.txt", file("k")),
            ("lnk", symlink("f.txt")),
            ("lnk2", symlink("h.txt")),
            ("d", Node::Dir),
            ("e", Node::Dir),
        ],
    );
    let before = SystemTime::now();
    let out = run_fs2("fs_path", "times", &root, &other);
    let after = SystemTime::now();
    assert_text(
        &out,
        &format!(
            "both errno=0\n\
             both errno=0 atim={T1} mtim={T2}\n\
             mtim_only errno=0\n\
             mtim_only errno=0 atim={T1} mtim={T3}\n\
             atim_only errno=0\n\
             atim_only errno=0 atim={T4} mtim={T3}\n\
             none errno=0\n\
             none errno=0 atim={T4} mtim={T3}\n\
             atim_and_now errno=28\n\
             mtim_and_now errno=28\n\
             undefined_bit errno=28\n\
             over_width errno=28\n\
             after_errors errno=0 atim={T4} mtim={T3}\n\
             now errno=0\n\
             symlink_nofollow errno=0\n\
             symlink_nofollow target errno=0 atim={T4} mtim={T3}\n\
             symlink_nofollow link errno=0 atim={T2} mtim={T6}\n\
             symlink_follow errno=0\n\
             symlink_follow target errno=0 atim={T2} mtim={T6}\n\
             dir errno=0\n\
             dir errno=0 atim={T1} mtim={T5}\n\
             missing errno=44\n\
             escape errno=63\n\
             bad_fd errno=8\n\
             open_i errno=0\n\
             fd_both errno=0\n\
             fd_both errno=0 atim={T3} mtim={T4}\n\
             fd_mtim_only errno=0\n\
             fd_mtim_only errno=0 atim={T3} mtim={T6}\n\
             fd_atim_and_now errno=28\n\
             fd_mtim_and_now errno=28\n\
             fd_undefined_bit errno=28\n\
             fd_after_errors errno=0 atim={T3} mtim={T6}\n\
             open_j errno=0\n\
             fd_now errno=0\n\
             open_f_ro errno=0\n\
             fd_no_right errno=76\n\
             fd_stdout errno=8\n\
             fd_bad errno=8\n\
             libc_utimensat ret=0 errno=0\n\
             libc_futimens ret=0 errno=0\n\
             libc errno=0 atim=1600000000000000001 mtim=1700000000000000003\n"
        ),
    );
    // The host sees exactly those times (checked before anything reads the
    // files, which could move atime).
    let times = |p: &str| {
        let m = std::fs::symlink_metadata(root.join(p)).expect("lstat");
        (m.accessed().expect("atime"), m.modified().expect("mtime"))
    };
    assert_eq!(times("f.txt"), (ts(T4), ts(T3)), "f.txt");
    assert_eq!(times("lnk"), (ts(T2), ts(T6)), "lnk itself");
    assert_eq!(times("h.txt"), (ts(T2), ts(T6)), "h.txt through lnk2");
    assert_eq!(times("d"), (ts(T1), ts(T5)), "d");
    assert_eq!(times("i.txt"), (ts(T3), ts(T6)), "i.txt");
    assert_eq!(
        times("k.txt"),
        (ts(1_600_000_000_000_000_001), ts(1_700_000_000_000_000_003)),
        "k.txt"
    );
    // The _now flags used the host's clock (with slack for a coarse
    // filesystem clock, not a timing assertion).
    let slack = Duration::from_secs(5);
    for p in ["g.txt", "j.txt"] {
        let (a, m) = times(p);
        for t in [a, m] {
            assert!(
                t >= before - slack && t <= after + slack,
                "{p}: {t:?} not in {before:?}..{after:?}"
            );
        }
    }
    assert_eq!(tree(&other), Vec::<String>::new());
}

#[test]
fn set_size() {
    let (root, other) = path_dirs("path_size", &[("f.txt", file("file")), ("d", Node::Dir)]);
    let out = run_fs2("fs_path", "size", &root, &other);
    assert_text(
        &out,
        "open errno=0\n\
         shrink errno=0\n\
         shrink errno=0 type=4 size=2 nlink=1\n\
         grow errno=0\n\
         grow errno=0 type=4 size=10 nlink=1\n\
         grow pread errno=0 \"fi\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\"\n\
         offset_unchanged errno=0 pos=0\n\
         too_big errno=28\n\
         max errno=28\n\
         after_errors errno=0 type=4 size=10 nlink=1\n\
         same errno=0\n\
         open_ro errno=0\n\
         no_right errno=76\n\
         open_d errno=0\n\
         dir errno=31\n\
         preopen errno=31\n\
         stdout errno=28\n\
         bad_fd errno=8\n\
         libc_ftruncate ret=0 errno=0\n\
         libc_truncate ret=0 errno=0\n\
         final errno=0 type=4 size=7 nlink=1\n",
    );
    assert_eq!(
        std::fs::read(root.join("f.txt")).expect("read"),
        b"fi\0\0\0\0\0"
    );
}

#[test]
fn advise() {
    let (root, other) = path_dirs("path_advise", &[("f.txt", file("file")), ("d", Node::Dir)]);
    let out = run_fs2("fs_path", "advise", &root, &other);
    assert_text(
        &out,
        "open errno=0\n\
         advice0 errno=0\n\
         advice1 errno=0\n\
         advice2 errno=0\n\
         advice3 errno=0\n\
         advice4 errno=0\n\
         advice5 errno=0\n\
         advice6 errno=28\n\
         advice7 errno=28\n\
         advice255 errno=28\n\
         advice256 errno=28\n\
         whole_file errno=0\n\
         past_end errno=0\n\
         open_no_right errno=0\n\
         no_right errno=76\n\
         open_d errno=0\n\
         dir errno=31\n\
         stdout errno=70\n\
         bad_fd errno=8\n\
         libc_fadvise ret=0\n",
    );
    assert_eq!(tree(&root), ["d dir", "f.txt file \"file\""]);
}

#[test]
fn allocate() {
    let (root, other) = path_dirs(
        "path_allocate",
        &[("f.txt", file("file")), ("d", Node::Dir)],
    );
    let out = run_fs2("fs_path", "allocate", &root, &other);
    assert_text(
        &out,
        "open errno=0\n\
         grow errno=0\n\
         grow errno=0 type=4 size=150 nlink=1\n\
         inside errno=0\n\
         inside errno=0 type=4 size=150 nlink=1\n\
         len0 errno=28\n\
         overflow errno=22\n\
         past_i64 errno=22\n\
         after_errors errno=0 type=4 size=150 nlink=1\n\
         offset_unchanged errno=0 pos=0\n\
         open_no_right errno=0\n\
         no_right errno=76\n\
         open_d errno=0\n\
         dir errno=31\n\
         stdout errno=70\n\
         bad_fd errno=8\n\
         libc_fallocate ret=0\n\
         final errno=0 type=4 size=200 nlink=1\n",
    );
    // Grown to offset+len with zeros, the data kept.
    let mut want = b"file".to_vec();
    want.resize(200, 0);
    assert_eq!(std::fs::read(root.join("f.txt")).expect("read"), want);
}

#[test]
fn sync_and_datasync_on_files() {
    let (root, other) = path_dirs("path_sync", &[("f.txt", file("file")), ("d", Node::Dir)]);
    let out = run_fs2("fs_path", "sync", &root, &other);
    assert_text(
        &out,
        "open errno=0\n\
         write errno=0 n=6\n\
         file_sync errno=0\n\
         file_datasync errno=0\n\
         open_no_right errno=0\n\
         no_right_sync errno=76\n\
         no_right_datasync errno=76\n\
         stdout_sync errno=28\n\
         stdout_datasync errno=28\n\
         bad_sync errno=8\n\
         bad_datasync errno=8\n\
         libc_fsync ret=0 errno=0\n\
         libc_fdatasync ret=0 errno=0\n",
    );
    assert_eq!(tree(&root), ["d dir", "f.txt file \"synced\""]);
}

/// fs_path.c's "dirfd" output for one kind of directory fd (`i` offsets
/// the times it sets), as it should be.
fn dirfd_lines(name: &str, i: u64) -> String {
    format!(
        "{name} fdstat errno=0 filetype=3 flags=0\n\
         {name} sync errno=0\n\
         {name} datasync errno=0\n\
         {name} set_times errno=0\n\
         {name} errno=0 atim={} mtim={}\n\
         {name} set_flags_same errno=0\n\
         {name} set_flags_nonblock errno=0\n\
         {name} fdstat errno=0 filetype=3 flags=4\n",
        T1 + i,
        T2 + i
    )
}

fn run_dirfd(test: &str) -> (String, PathBuf) {
    let (root, other) = path_dirs(test, &[("d", Node::Dir), ("e", Node::Dir)]);
    let out = run_fs2("fs_path", "dirfd", &root, &other);
    (out, root)
}

/// The lines of `out` about directory fds named `name`.
fn lines_of(out: &str, name: &str) -> String {
    out.lines()
        .filter(|l| l.split(' ').next() == Some(name))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn sync_times_flags_on_a_directory_opened_without_the_directory_flag() {
    let (out, root) = run_dirfd("dirfd_no_flag");
    assert!(
        out.starts_with("open_flag errno=0\nopen_no_flag errno=0\n"),
        "{out}"
    );
    assert_text(&lines_of(&out, "no_flag"), &dirfd_lines("no_flag", 2));
    let m = std::fs::metadata(root.join("e")).expect("stat e");
    assert_eq!(
        (m.accessed().expect("atime"), m.modified().expect("mtime")),
        (ts(T1 + 2), ts(T2 + 2))
    );
}

#[test]
fn sync_times_flags_on_preopens_and_directory_fds() {
    let (out, root) = run_dirfd("dirfd_flag");
    assert_text(&lines_of(&out, "preopen"), &dirfd_lines("preopen", 0));
    assert_text(&lines_of(&out, "flag"), &dirfd_lines("flag", 1));
    let m = std::fs::metadata(root.join("d")).expect("stat d");
    assert_eq!(
        (m.accessed().expect("atime"), m.modified().expect("mtime")),
        (ts(T1 + 1), ts(T2 + 1))
    );
}

fn run_slash(test: &str) -> (String, PathBuf) {
    let (root, other) = path_dirs(test, &[("f.txt", file("file")), ("d", Node::Dir)]);
    set_host_times(&root.join("f.txt"), F_ATIME, F_MTIME);
    let out = run_fs2("fs_path", "slash", &root, &other);
    (out, root)
}

#[test]
fn trailing_slash_on_a_file() {
    let (out, root) = run_slash("slash");
    // Every call but one (see the ignored test below) refuses "f.txt/".
    let rest: String = out
        .lines()
        .filter(|l| !l.starts_with("filestat_nofollow "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_text(
        &rest,
        &format!(
            "filestat_follow errno=54\n\
             set_times_nofollow errno=54\n\
             set_times_follow errno=54\n\
             open errno=54\n\
             unlink errno=54\n\
             rename_source errno=54\n\
             link_source errno=54\n\
             rmdir errno=54\n\
             mkdir errno=20\n\
             unchanged errno=0 atim={F_ATIME} mtim={F_MTIME}\n"
        ),
    );
    assert_eq!(tree(&root), ["d dir", "f.txt file \"file\""]);
}

#[test]
fn trailing_slash_on_a_file_filestat_nofollow() {
    let (out, _root) = run_slash("slash_nofollow");
    assert_text(
        out.lines().next().unwrap_or(""),
        "filestat_nofollow errno=54",
    );
}
