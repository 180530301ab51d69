//! The host side of the sandbox tests (`sandbox.rs`, `sandbox_wat.rs`
//! include this file as a module; cargo also builds it on its own, as a
//! test target without tests): a fresh directory tree per test with a jail
//! (the preopen) and things outside it, a byte-for-byte snapshot of the
//! whole tree, and the comparisons and leak checks the tests assert.
//!
//! Layout, under `<CARGO_TARGET_TMPDIR>/sandbox/<test>-<pid>/` ("top"):
//!
//! ```text
//! above.txt                      "ABOVE-<token>"
//! root/near.txt                  "NEAR-<token>"
//! root/outside/secret.txt        "SECRET-<token>"
//! root/outside/shared.txt        "SHARED-<token>"  (hard-linked into the jail)
//! root/outside/odir/ofile.txt    "OFILE-<token>"
//! root/outside/oempty/
//! root/outside/hidden-<token>/   (a name only a listing would reveal)
//! root/outside/olink -> secret.txt
//! root/jail/                     the preopen
//!   file "INSIDE-FILE", dir/dfile, dir/sub/subfile, a/b/c/, emptydir/,
//!   hl_shared (hard link to outside/shared.txt) and the symlinks of
//!   `JAIL_SYMLINKS` plus esc_abs_dir, esc_abs_file, abs_in (absolute
//!   targets under this tree).
//! ```
//!
//! Every entry gets the same fixed atime/mtime (2001-09-09) after
//! creation, so any touch through an escape is visible in the snapshot
//! whatever the filesystem's timestamp granularity.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The fixed time every entry of a fresh tree has (seconds since the epoch).
pub const FIXED_TIME: i64 = 1_000_000_000;

/// Symlinks created on the host inside the jail: (name, target). Targets
/// are relative or absolute-but-not-in-this-tree; the ones into this tree
/// are added by [`Tree::new`].
pub const JAIL_SYMLINKS: &[(&str, &str)] = &[
    ("esc_rel", "../outside"),
    ("esc_etc", "/etc"),
    ("esc_file", "../outside/secret.txt"),
    ("esc_dangling", "../outside/dangling_created"),
    ("esc_up2", "../../above.txt"),
    ("chain1", "chain2"),
    ("chain2", "a/chain3"),
    ("a/chain3", "../../outside/secret.txt"),
    ("loop_a", "loop_b"),
    ("loop_b", "loop_a"),
    ("to_loop", "loop_a"),
    ("outin", "../jail/file"),
    ("ok_link", "file"),
    ("ok_dir_link", "dir"),
    ("a/ok_up", "../file"),
];

/// One test's directory tree.
pub struct Tree {
    /// The directory holding everything (snapshots start here).
    pub top: PathBuf,
    /// `top/root`.
    pub root: PathBuf,
    /// `top/root/outside`.
    pub outside: PathBuf,
    /// `top/root/jail`: the preopen.
    pub jail: PathBuf,
    /// Unique per tree; part of every secret.
    pub token: String,
}

fn write(path: &Path, data: &[u8]) {
    fs::write(path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn mkdirs(path: &Path) {
    fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
}

fn ln_s(target: impl AsRef<Path>, link: &Path) {
    symlink(target.as_ref(), link).unwrap_or_else(|e| panic!("symlink {}: {e}", link.display()));
}

/// Sets atime and mtime of `path` (not following a symlink) to `secs`.
pub fn set_time(path: &Path, secs: i64) {
    use rustix::fs::{AtFlags, CWD, Timespec, Timestamps, utimensat};
    let t = Timespec {
        tv_sec: secs,
        tv_nsec: 0,
    };
    let ts = Timestamps {
        last_access: t,
        last_modification: t,
    };
    utimensat(CWD, path, &ts, AtFlags::SYMLINK_NOFOLLOW)
        .unwrap_or_else(|e| panic!("utimensat {}: {e}", path.display()));
}

/// Sets the fixed time on every entry under `dir` (and `dir`), children
/// first so creating nothing afterwards keeps directory times fixed.
pub fn fix_times(dir: &Path) {
    let meta = fs::symlink_metadata(dir).expect("stat");
    if meta.is_dir() {
        for e in fs::read_dir(dir).expect("read_dir") {
            fix_times(&e.expect("entry").path());
        }
    }
    set_time(dir, FIXED_TIME);
}

impl Tree {
    /// A fresh tree for test `test` (the name must be unique per test).
    pub fn new(test: &str) -> Tree {
        let top = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("sandbox")
            .join(format!("{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&top);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let token = format!("{:x}{:x}", nanos, std::process::id());
        let root = top.join("root");
        let outside = root.join("outside");
        let jail = root.join("jail");
        let tree = Tree {
            top,
            root,
            outside,
            jail,
            token,
        };
        tree.populate();
        tree
    }

    fn populate(&self) {
        let t = &self.token;
        mkdirs(&self.outside.join("odir"));
        mkdirs(&self.outside.join("oempty"));
        mkdirs(&self.outside.join(format!("hidden-{t}")));
        write(&self.top.join("above.txt"), format!("ABOVE-{t}").as_bytes());
        write(&self.root.join("near.txt"), format!("NEAR-{t}").as_bytes());
        write(&self.secret_path(), format!("SECRET-{t}").as_bytes());
        write(
            &self.outside.join("shared.txt"),
            format!("SHARED-{t}").as_bytes(),
        );
        write(
            &self.outside.join("odir/ofile.txt"),
            format!("OFILE-{t}").as_bytes(),
        );
        ln_s("secret.txt", &self.outside.join("olink"));

        let j = &self.jail;
        mkdirs(&j.join("dir/sub"));
        mkdirs(&j.join("a/b/c"));
        mkdirs(&j.join("emptydir"));
        write(&j.join("file"), b"INSIDE-FILE");
        write(&j.join("dir/dfile"), b"DFILE");
        write(&j.join("dir/sub/subfile"), b"SUBFILE");
        fs::hard_link(self.outside.join("shared.txt"), j.join("hl_shared")).expect("hard link");
        for (name, target) in JAIL_SYMLINKS {
            ln_s(target, &j.join(name));
        }
        ln_s(&self.outside, &j.join("esc_abs_dir"));
        ln_s(self.secret_path(), &j.join("esc_abs_file"));
        ln_s(j.join("file"), &j.join("abs_in"));
        fix_times(&self.top);
    }

    /// The absolute host path of `outside/secret.txt`.
    pub fn secret_path(&self) -> PathBuf {
        self.outside.join("secret.txt")
    }

    /// A path as a `String` (the tree lives under the target dir, whose
    /// path is UTF-8 in any sane checkout).
    pub fn s(path: &Path) -> String {
        path.to_str().expect("UTF-8 path").to_string()
    }

    /// Bytes that must never reach a guest: the contents of every file
    /// outside the jail (except `shared.txt`, which the jail hard-links on
    /// purpose) and names only a listing of the outside could reveal.
    pub fn secrets(&self) -> Vec<String> {
        let t = &self.token;
        vec![
            format!("SECRET-{t}"),
            format!("NEAR-{t}"),
            format!("ABOVE-{t}"),
            format!("OFILE-{t}"),
            format!("hidden-{t}"),
            // /etc/passwd, whatever else it holds, starts with root's line.
            "root:x:0:0".to_string(),
            "root:*:0:0".to_string(),
        ]
    }

    /// Asserts `output` (everything a guest printed) holds none of
    /// [`secrets`](Self::secrets), and no directory listing (lines
    /// "  list ...") names anything outside the jail.
    #[track_caller]
    pub fn assert_no_leak(&self, output: &[u8]) {
        let text = String::from_utf8_lossy(output);
        for s in self.secrets() {
            assert!(
                !text.contains(&s),
                "LEAK: guest output contains {s:?}:\n{text}"
            );
        }
        let outside_names = [
            "secret.txt",
            "shared.txt",
            "odir",
            "ofile.txt",
            "oempty",
            "olink",
            "near.txt",
            "above.txt",
            "outside",
            "passwd",
            "shadow",
        ];
        for line in text.lines().filter(|l| l.starts_with("  list ")) {
            for name in line["  list ".len()..].split(',') {
                assert!(
                    !outside_names.contains(&name),
                    "LEAK: a listing shows {name:?}: {line}\n{text}"
                );
            }
        }
    }

    /// A snapshot of the whole tree.
    pub fn snapshot(&self) -> Snapshot {
        snapshot(&self.top)
    }

    /// The jail, relative to `top` (for [`Rule`]s).
    pub fn jail_rel(&self) -> PathBuf {
        self.jail
            .strip_prefix(&self.top)
            .expect("jail under top")
            .to_path_buf()
    }

    /// Asserts nothing outside the jail changed in any way, and inside the
    /// jail nothing but directory mtimes (the guest's scratch files come
    /// and go).
    #[track_caller]
    pub fn assert_unchanged_but_jail_dir_mtimes(&self, before: &Snapshot, after: &Snapshot) {
        assert_same(before, after, &[(self.jail_rel(), Rule::IgnoreDirMtime)]);
    }

    /// Asserts nothing outside the jail changed in any way (the jail may
    /// have changed).
    #[track_caller]
    pub fn assert_outside_unchanged(&self, before: &Snapshot, after: &Snapshot) {
        assert_same(before, after, &[(self.jail_rel(), Rule::Ignore)]);
    }
}

/// What a snapshot records of one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    File(Vec<u8>),
    Dir,
    Symlink(Vec<u8>),
    Other,
}

/// One entry: its kind and contents, and the metadata an escape could
/// change (mode, links, inode, size, mtime).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub mode: u32,
    pub nlink: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
}

/// Relative path (empty for the top) -> entry.
pub type Snapshot = BTreeMap<PathBuf, Entry>;

/// Every entry under `top` (and `top`), not following symlinks.
pub fn snapshot(top: &Path) -> Snapshot {
    let mut out = Snapshot::new();
    walk(top, Path::new(""), &mut out);
    out
}

fn walk(abs: &Path, rel: &Path, out: &mut Snapshot) {
    let m = fs::symlink_metadata(abs).unwrap_or_else(|e| panic!("lstat {}: {e}", abs.display()));
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        let t = fs::read_link(abs).expect("readlink");
        Kind::Symlink(t.as_os_str().as_bytes().to_vec())
    } else if ft.is_file() {
        Kind::File(fs::read(abs).expect("read"))
    } else if ft.is_dir() {
        Kind::Dir
    } else {
        Kind::Other
    };
    out.insert(
        rel.to_path_buf(),
        Entry {
            kind: kind.clone(),
            mode: m.mode(),
            nlink: m.nlink(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
        },
    );
    if kind == Kind::Dir {
        let mut names: Vec<_> = fs::read_dir(abs)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        for n in names {
            walk(&abs.join(&n), &rel.join(&n), out);
        }
    }
}

/// How [`assert_same`] treats the entries under a prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Not compared at all.
    Ignore,
    /// Compared, except the mtime of directories.
    IgnoreDirMtime,
}

/// The differences between two snapshots under `rules` (the longest
/// matching prefix applies; entries under no prefix must be identical).
pub fn differences(before: &Snapshot, after: &Snapshot, rules: &[(PathBuf, Rule)]) -> Vec<String> {
    let rule_of = |p: &Path| {
        rules
            .iter()
            .filter(|(prefix, _)| p.starts_with(prefix))
            .max_by_key(|(prefix, _)| prefix.as_os_str().len())
            .map(|(_, r)| *r)
    };
    let mut diffs = Vec::new();
    let keys: std::collections::BTreeSet<&PathBuf> = before.keys().chain(after.keys()).collect();
    for k in keys {
        let rule = rule_of(k);
        if rule == Some(Rule::Ignore) {
            continue;
        }
        match (before.get(k), after.get(k)) {
            (Some(b), Some(a)) => {
                let mut b = b.clone();
                let mut a = a.clone();
                if rule == Some(Rule::IgnoreDirMtime) && a.kind == Kind::Dir && b.kind == Kind::Dir
                {
                    b.mtime = (0, 0);
                    a.mtime = (0, 0);
                }
                if a != b {
                    diffs.push(format!("changed {}: {b:?} -> {a:?}", k.display()));
                }
            }
            (Some(_), None) => diffs.push(format!("removed {}", k.display())),
            (None, Some(a)) => diffs.push(format!("created {}: {a:?}", k.display())),
            (None, None) => {}
        }
    }
    diffs
}

/// Asserts [`differences`] finds none.
#[track_caller]
pub fn assert_same(before: &Snapshot, after: &Snapshot, rules: &[(PathBuf, Rule)]) {
    let diffs = differences(before, after, rules);
    assert!(
        diffs.is_empty(),
        "ESCAPE: the host tree changed where the guest must not reach:\n{}",
        diffs.join("\n")
    );
}

/// `name` as an `OsStr` from raw bytes.
pub fn os(bytes: &[u8]) -> &OsStr {
    OsStr::from_bytes(bytes)
}
