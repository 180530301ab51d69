//! Directories and preopens through C guests (tests/guests/fs_readdir.c,
//! fs_prestat.c, fs_ro.c, fs_cap.c): fd_readdir, fd_prestat_*, nested
//! preopens, read-only preopens and the fd cap. Each test builds its own
//! fresh host directories.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{Node, assert_text, file, fs_dir, fs_tree, run_with, snapshot, symlink, tree};
use wasihost_core::{ErrorKind, WasiHost};

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

// ---------------------------------------------------------------------------
// fd_readdir

fn list_tree(test: &str) -> PathBuf {
    fs_tree(
        test,
        &[
            ("file", file("abc")),
            ("dir/inner", file("i")),
            ("sym", symlink("file")),
            ("dangling", symlink("nowhere")),
        ],
    )
}

/// The output of fs_readdir.c's "list" mode, with `sub_dotdot` in place of
/// the "sub dotdot_is_parent=" line.
fn list_output(sub_dotdot: &str) -> String {
    format!(
        "count=6 first=. second=..\n\
         d_next_sequential=1\n\
         dot_ino_is_dir=1 dotdot_ino_is_dir=1\n\
         entry_inos_match_filestat=1\n\
         resume_from_every_cookie=1\n\
         past_end count=0\n\
         huge_cookie count=0\n\
         entry . type=3 namlen=1\n\
         entry .. type=3 namlen=2\n\
         entry dangling type=7 namlen=8\n\
         entry dir type=3 namlen=3\n\
         entry file type=4 namlen=4\n\
         entry sym type=7 namlen=3\n\
         buf0 errno=0 used=0 after_untouched=1\n\
         buf10 errno=0 used=10 after_untouched=1\n\
         buf24 errno=0 used=24 after_untouched=1\n\
         buf25 errno=0 used=25 after_untouched=1\n\
         buf26 errno=0 used=26 after_untouched=1\n\
         buf_two_dots errno=0 used=51 after_untouched=1\n\
         buf10 prefix_matches=1\n\
         big_buffer used_lt_len=1\n\
         open_dir errno=0\n\
         sub entry . type=3\n\
         sub entry .. type=3\n\
         sub entry inner type=4\n\
         sub dot_is_dir=1\n\
         {sub_dotdot}\n\
         open_file errno=0\n\
         file_fd errno=54\n\
         stdout errno=54\n\
         bad_fd errno=8\n\
         buf_oob errno=21\n\
         out_oob errno=21\n\
         used_untouched=1\n\
         open_no_right errno=0\n\
         no_right errno=76\n\
         opendir ok=1\n\
         libc . d_type=3\n\
         libc .. d_type=3\n\
         libc dangling d_type=7\n\
         libc dir d_type=3\n\
         libc file d_type=4\n\
         libc sym d_type=7\n\
         libc seekdir rest=3 of 6\n\
         libc rewinddir count=6\n\
         libc opendir_file ok=0 errno=54\n\
         create errno=0\n\
         after_create count=7 found=1\n"
    )
}

#[test]
fn readdir_entries_types_cookies_and_small_buffers() {
    let root = list_tree("readdir_list");
    let out = run_fs("fs_readdir", "list", &root);
    // Everything but the ".." inode of a subdirectory (see the ignored test
    // below).
    let out: String = out
        .lines()
        .map(|l| {
            if l.starts_with("sub dotdot_is_parent=") {
                "sub dotdot_is_parent=?\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_text(&out, &list_output("sub dotdot_is_parent=?"));
    assert_eq!(
        tree(&root),
        [
            "dangling -> nowhere",
            "dir dir",
            "dir/inner file \"i\"",
            "file file \"abc\"",
            "late file \"\"",
            "sym -> file",
        ]
    );
}

#[test]
fn readdir_dotdot_of_a_subdirectory_is_its_parent() {
    let root = list_tree("readdir_dotdot");
    let out = run_fs("fs_readdir", "list", &root);
    assert_text(&out, &list_output("sub dotdot_is_parent=1"));
}

/// Names in `many/` besides f00000..f09999.
const LONG_NAME_LEN: usize = 200;

#[test]
fn readdir_ten_thousand_entries_with_small_buffers() {
    let root = fs_dir("readdir_many");
    let many = root.join("many");
    std::fs::create_dir(&many).expect("mkdir many");
    let mut want: BTreeSet<String> = [".", ".."].iter().map(|s| s.to_string()).collect();
    for i in 0..10_000 {
        let name = format!("f{i:05}");
        std::fs::File::create(many.join(&name)).expect("create file");
        want.insert(name);
    }
    // Longer than the 64-byte buffer: the guest has to grow it.
    let long = "L".repeat(LONG_NAME_LEN);
    std::fs::File::create(many.join(&long)).expect("create long");
    want.insert(long);

    let out = run_fs("fs_readdir", "many", &root);
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    let mut summary = Vec::new();
    for line in out.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            sections.push((name.to_string(), Vec::new()));
        } else if line.starts_with("raw") && line.contains(" grew=") {
            summary.push(line.to_string());
        } else if line == "open_many errno=0" {
            continue;
        } else {
            sections
                .last_mut()
                .expect("a section")
                .1
                .push(line.to_string());
        }
    }
    let names: Vec<&str> = sections.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["libc", "raw64", "raw300"]);
    for (section, listed) in &sections {
        let set: BTreeSet<String> = listed.iter().cloned().collect();
        assert_eq!(listed.len(), set.len(), "{section}: duplicate names");
        assert_eq!(listed.len(), want.len(), "{section}: count");
        assert!(set == want, "{section}: names differ from the host's");
        // "." and ".." come first.
        assert_eq!(listed[..2], [".", ".."], "{section}");
    }
    assert_eq!(
        summary,
        [
            "raw64 grew=1 more_calls_than_grows=1",
            "raw300 grew=0 more_calls_than_grows=1",
        ]
    );
    std::fs::remove_dir_all(&root).expect("clean up");
}

// ---------------------------------------------------------------------------
// fd_prestat_get / fd_prestat_dir_name and wasi-libc's use of them

#[test]
fn prestat_names_and_non_preopens() {
    let a = fs_tree("prestat_a", &[("sub/f", file("f"))]);
    let b = fs_dir("prestat_b");
    let ran = run_with(
        "fs_prestat",
        WasiHost::builder()
            .args(["fs_prestat", "names"])
            .preopen_dir(&a, "/sandbox")
            .preopen_dir(&b, "/other/dir"),
    );
    let mut want = String::new();
    for (fd, name) in [(3, "/sandbox"), (4, "/other/dir")] {
        let len = name.len();
        want += &format!(
            "fd{fd} prestat errno=0 tag=0 len={len}\n\
             fd{fd} dir_name len={len} errno=0 written=\"{name}\" rest_untouched=1\n\
             fd{fd} dir_name len={} errno=37 written=\"\" rest_untouched=1\n\
             fd{fd} dir_name len=0 errno=37 written=\"\" rest_untouched=1\n\
             fd{fd} dir_name len=64 errno=0 written=\"{name}\" rest_untouched=1\n",
            len - 1
        );
    }
    for who in ["fd5", "stdio0", "stdio1", "stdio2"] {
        want += &format!(
            "{who} prestat errno=8\n\
             {who} dir_name len=64 errno=8 written=\"\" rest_untouched=1\n"
        );
    }
    want += "open_sub errno=0\n\
             sub prestat errno=8\n\
             sub dir_name len=64 errno=8 written=\"\" rest_untouched=1\n\
             open_file errno=0\n\
             file prestat errno=8\n\
             file dir_name len=64 errno=8 written=\"\" rest_untouched=1\n\
             out_oob errno=21\n\
             out_misaligned errno=28\n\
             name_oob errno=21\n\
             renumber errno=0\n\
             renumbered prestat errno=0 tag=0 len=10\n\
             renumbered dir_name len=64 errno=0 written=\"/other/dir\" rest_untouched=1\n\
             old_number prestat errno=8\n";
    assert_text(&ran.ok(), &want);
}

/// Runs fs_prestat.c's "nested" mode with "/a" -> a and "/a/b" -> b,
/// added in the order `b_first` says.
fn run_nested(test: &str, b_first: bool) {
    let a = fs_tree(&format!("{test}_a"), &[("b", Node::Dir), ("b2", Node::Dir)]);
    let b = fs_dir(&format!("{test}_b"));
    let builder = WasiHost::builder().args(["fs_prestat", "nested"]);
    let builder = if b_first {
        builder.preopen_dir(&b, "/a/b").preopen_dir(&a, "/a")
    } else {
        builder.preopen_dir(&a, "/a").preopen_dir(&b, "/a/b")
    };
    let out = run_with("fs_prestat", builder).ok();
    assert_text(
        &out,
        "wrote /a/b/x fclose=0\n\
         wrote /a/y fclose=0\n\
         wrote /a/b2/z fclose=0\n\
         mkdir /a/b/sub ret=0 errno=0\n\
         wrote /a/b/sub/w fclose=0\n\
         ls /a/b: .\n\
         ls /a/b: ..\n\
         ls /a/b: sub\n\
         ls /a/b: x\n",
    );
    // "/a/b/..." went to the "/a/b" preopen, not to a's own b/; "/a/b2"
    // is not under "/a/b".
    assert_eq!(
        tree(&a),
        ["b dir", "b2 dir", "b2/z file \"z\"", "y file \"y\""]
    );
    assert_eq!(tree(&b), ["sub dir", "sub/w file \"w\"", "x file \"x\""]);
}

#[test]
fn nested_preopens_longest_prefix_wins() {
    run_nested("nested", false);
}

#[test]
fn nested_preopens_longest_prefix_wins_in_either_order() {
    run_nested("nested_rev", true);
}

#[test]
fn missing_preopen_dir_is_a_config_error() {
    let missing = fs_dir("missing_preopen").join("nope");
    let err = WasiHost::builder()
        .preopen_dir(&missing, "/data")
        .build()
        .expect_err("build must fail");
    assert_eq!(err.kind(), ErrorKind::Config);
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("preopen \"/data\" -> \"{}\"", missing.display())),
        "{msg}"
    );
    // Too small an fd cap for stdio and the preopens.
    let root = fs_dir("cap_too_small");
    let err = WasiHost::builder()
        .preopen_dir(&root, "/a")
        .preopen_dir(&root, "/b")
        .max_open_fds(4)
        .build()
        .expect_err("build must fail");
    assert_eq!(err.kind(), ErrorKind::Config);
}

// ---------------------------------------------------------------------------
// Read-only preopens

fn ro_dirs(test: &str) -> (PathBuf, PathBuf) {
    let ro = fs_tree(
        &format!("{test}_ro"),
        &[
            ("f.txt", file("data")),
            ("d/inner", file("in")),
            ("empty", Node::Dir),
            ("lnk", symlink("f.txt")),
        ],
    );
    let rw = fs_tree(&format!("{test}_rw"), &[("w.txt", file("w"))]);
    (ro, rw)
}

/// Runs fs_ro.c in `mode`; asserts the read-only tree is the same after as
/// before, byte for byte (contents, types, sizes, link targets, inodes,
/// link counts, modes, mtimes). Gives stdout and the read-write dir.
fn run_ro(test: &str, mode: &str) -> (String, PathBuf) {
    let (ro, rw) = ro_dirs(test);
    let before = snapshot(&ro);
    let rw_before = snapshot(&rw);
    let ro_dir_mtime = std::fs::metadata(&ro)
        .expect("stat")
        .modified()
        .expect("mtime");
    let out = run_with(
        "fs_ro",
        WasiHost::builder()
            .args(["fs_ro", mode])
            .preopen_dir_readonly(&ro, "/ro")
            .preopen_dir(&rw, "/rw"),
    )
    .ok();
    assert_eq!(snapshot(&ro), before, "the read-only tree changed\n{out}");
    assert_eq!(
        std::fs::metadata(&ro)
            .expect("stat")
            .modified()
            .expect("mtime"),
        ro_dir_mtime
    );
    // The read-write side lost nothing to the read-only one.
    let rw_after = snapshot(&rw);
    assert_eq!(rw_after.get("w.txt"), rw_before.get("w.txt"));
    (out, rw)
}

#[test]
fn readonly_preopen_refuses_every_write_raw() {
    let (out, rw) = run_ro("ro_raw", "raw");
    const RO_DIR: &str = "fd_datasync|fd_fdstat_set_flags|fd_sync|path_open|fd_readdir|\
        path_readlink|path_filestat_get|fd_filestat_get";
    const RO_ALL: &str = "fd_datasync|fd_read|fd_seek|fd_fdstat_set_flags|fd_sync|fd_tell|\
        fd_advise|path_open|fd_readdir|path_readlink|path_filestat_get|fd_filestat_get|\
        poll_fd_readwrite";
    const RO_FILE: &str = "fd_datasync|fd_read|fd_seek|fd_fdstat_set_flags|fd_sync|fd_tell|\
        fd_advise|fd_filestat_get|poll_fd_readwrite";
    let mut want = format!(
        "preopen rights errno=0 base={RO_DIR}\n\
         preopen rights inheriting={RO_ALL}\n"
    );
    for op in [
        "open_creat_new",
        "open_creat_existing",
        "open_creat_excl",
        "open_trunc",
        "open_write",
        "open_append",
        "open_write_follow",
    ] {
        want += &format!("{op} errno=76\n");
    }
    want += &format!(
        "open_read errno=0\n\
         file rights errno=0 base={RO_FILE}\n\
         file rights inheriting={RO_ALL}\n\
         file read errno=0 n=4 \"data\"\n\
         file write errno=76 n=0\n\
         file pwrite errno=76\n\
         file allocate errno=76\n\
         file set_size errno=76\n\
         file set_times errno=76\n\
         file set_times_now errno=76\n\
         file add_write errno=76\n\
         file set_append errno=0\n\
         file write_after_append errno=76 n=0\n\
         file filestat errno=0 type=4 size=4 nlink=1\n\
         open_dir errno=0\n\
         dir rights errno=0 base={RO_DIR}\n\
         dir rights inheriting={RO_ALL}\n\
         dir creat errno=76\n\
         dir open_write errno=76\n\
         dir open_read errno=0\n\
         dir read errno=0 n=2 \"in\"\n\
         dir mkdir errno=76\n\
         dir unlink errno=76\n\
         dir rename errno=76\n\
         dir set_times errno=76\n\
         dir add_rights errno=76\n\
         open_dir_no_flag errno=0\n\
         dir_no_flag set_times errno=76\n\
         dir_no_flag unlink errno=76\n"
    );
    for op in [
        "mkdir",
        "rmdir",
        "unlink",
        "unlink_symlink",
        "rename",
        "rename_dir",
        "rename_ro_to_rw",
        "rename_rw_to_ro",
        "link",
        "link_ro_to_rw",
        "link_rw_to_ro",
        "symlink",
        "set_times",
        "set_times_now",
        "set_times_nofollow",
        "set_times_dir",
        "preopen set_times",
        "preopen add_rights",
    ] {
        want += &format!("{op} errno=76\n");
    }
    want += "stat errno=0 type=4 size=4 nlink=1\n\
             stat_lnk errno=0 type=7 size=5 nlink=1\n\
             readlink errno=0 \"f.txt\"\n\
             open_lnk errno=0\n\
             lnk read errno=0 n=4 \"data\"\n\
             readdir errno=0 entries=6\n\
             rw creat errno=0\n\
             rw write errno=0 n=4\n";
    assert_text(&out, &want);
    assert_eq!(tree(&rw), ["made.txt file \"made\"", "w.txt file \"w\""]);
}

#[test]
fn readonly_preopen_refuses_every_write_libc() {
    let (out, rw) = run_ro("ro_libc", "libc");
    // wasi-libc asks for the rights a directory can give, so "r+",
    // O_RDWR and O_WRONLY open read-only and their writes fail (notcapable
    // through stdio, EBADF from write(), which is how wasi-libc reports
    // notcapable there); anything that creates,
    // truncates or appends is refused at open (notcapable, 76).
    assert_text(
        &out,
        "fopen_w ok=0 errno=76\n\
         fopen_a ok=0 errno=76\n\
         fopen_r+ ok=1 errno=0\n\
         fopen_r+ fflush=-1 errno=76\n\
         fopen_w+ ok=0 errno=76\n\
         fopen_new ok=0 errno=76\n\
         open_rdwr ok=1 errno=0\n\
         open_rdwr write=-1 errno=8\n\
         open_wronly ok=1 errno=0\n\
         open_wronly write=-1 errno=8\n\
         open_append ok=0 errno=76\n\
         open_creat ret=-1 errno=76\n\
         open_trunc ret=-1 errno=76\n\
         mkdir ret=-1 errno=76\n\
         rmdir ret=-1 errno=76\n\
         unlink ret=-1 errno=76\n\
         rename ret=-1 errno=76\n\
         rename_out ret=-1 errno=76\n\
         rename_in ret=-1 errno=76\n\
         link ret=-1 errno=76\n\
         symlink ret=-1 errno=76\n\
         truncate ret=-1 errno=76\n\
         utimensat ret=-1 errno=76\n\
         open_rdonly ok=1\n\
         ftruncate ret=-1 errno=76\n\
         futimens ret=-1 errno=76\n\
         write ret=-1 errno=8\n\
         posix_fallocate ret=76\n\
         read n=4 \"data\"\n\
         fopen_r ok=1\n\
         fgets \"in\"\n\
         readdir count=6\n\
         stat ret=0 errno=0\n\
         stat size=4\n",
    );
    assert_eq!(tree(&rw), ["w.txt file \"w\""]);
}

// ---------------------------------------------------------------------------
// The fd cap

#[test]
fn fd_cap_gives_mfile_and_frees_on_close() {
    let root = fs_tree("fd_cap", &[("hello.txt", file("hello")), ("d", Node::Dir)]);
    // stdio + 1 preopen + 4 files = 8.
    let out = run_with(
        "fs_cap",
        WasiHost::builder()
            .args(["fs_cap", "mfile"])
            .max_open_fds(8)
            .preopen_dir(&root, "/sandbox"),
    )
    .ok();
    assert_text(
        &out,
        "open0 errno=0 fd=4\n\
         open1 errno=0 fd=5\n\
         open2 errno=0 fd=6\n\
         open3 errno=0 fd=7\n\
         open4 errno=33\n\
         open5 errno=33\n\
         close5 errno=0\n\
         reopen errno=0 fd=5\n\
         full_again errno=33\n\
         dir_when_full errno=33\n\
         creat_when_full errno=33\n\
         libc_open ret=-1 errno=33\n\
         read_fd4 errno=0 n=5 \"hello\"\n\
         mkdir_when_full errno=0\n\
         renumber errno=0\n\
         after_renumber errno=0 fd=6\n\
         after_close_all errno=0 fd=4\n",
    );
    // The refused creat did not reach the host.
    assert_eq!(
        tree(&root),
        ["d dir", "hello.txt file \"hello\"", "made dir"]
    );
}
