//! Sandbox tests with byte-exact path arguments: a WAT module forwards raw
//! calls, so paths can hold NUL bytes, be empty, or be any non-UTF-8
//! bytes, and guest memory can be checked byte for byte after each call.
//! The host tree is the one of `sandbox_fixture/mod.rs` (jail preopened at
//! fd 3), snapshotted before and compared after.

#[path = "sandbox_fixture/mod.rs"]
mod fixture;

use std::fs;

use std::sync::OnceLock;

use fixture::{Tree, assert_same, os};
use wasihost_core::{Engine, Instance, Module, WasiHost};
use wasmtime::Val;

/// The functions the module forwards: name, wasm parameter types.
const FUNCS: &[(&str, &str)] = &[
    ("path_open", "i32 i32 i32 i32 i32 i64 i64 i32 i32"),
    ("path_filestat_get", "i32 i32 i32 i32 i32"),
    ("path_filestat_set_times", "i32 i32 i32 i32 i64 i64 i32"),
    ("path_create_directory", "i32 i32 i32"),
    ("path_remove_directory", "i32 i32 i32"),
    ("path_unlink_file", "i32 i32 i32"),
    ("path_rename", "i32 i32 i32 i32 i32 i32"),
    ("path_link", "i32 i32 i32 i32 i32 i32 i32"),
    ("path_symlink", "i32 i32 i32 i32 i32"),
    ("path_readlink", "i32 i32 i32 i32 i32 i32"),
    ("fd_readdir", "i32 i32 i32 i64 i32"),
    ("fd_write", "i32 i32 i32 i32"),
    ("fd_close", "i32"),
];

const PAGES: usize = 2;

// Guest memory layout.
const OUT: i64 = 256; // 8 bytes: fd / size results
const P1: i64 = 1024; // first path
const P2: i64 = 8192; // second path
const P3: i64 = 12288; // "newname", a valid name that does not exist
const BUF: i64 = 16384; // readlink / readdir / write buffer
const BUF_LEN: i64 = 8192;

// Errnos.
const OK: i32 = 0;
const INVAL: i32 = 28;
const NOENT: i32 = 44;
const PERM: i32 = 63;

const FOLLOW: i64 = 1;
const CREAT: i64 = 1;
const DIRECTORY: i64 = 2;
const FD_READ: i64 = 1 << 1;
const FD_WRITE: i64 = 1 << 6;
const FD_READDIR: i64 = 1 << 14;
const FSTFLAGS_ATIM_MTIM: i64 = 1 | 4;

fn module() -> &'static Module {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    static MODULE: OnceLock<Module> = OnceLock::new();
    MODULE.get_or_init(|| {
        let mut wat = String::from("(module\n");
        for (name, params) in FUNCS {
            wat.push_str(&format!(
                "  (import \"wasi_snapshot_preview1\" \"{name}\" \
                 (func ${name} (param {params}) (result i32)))\n"
            ));
        }
        wat.push_str(&format!("  (memory (export \"memory\") {PAGES})\n"));
        for (name, params) in FUNCS {
            let gets: Vec<String> = (0..params.split(' ').count())
                .map(|i| format!("(local.get {i})"))
                .collect();
            wat.push_str(&format!(
                "  (func (export \"{name}\") (param {params}) (result i32) (call ${name} {}))\n",
                gets.join(" ")
            ));
        }
        wat.push(')');
        let engine = ENGINE.get_or_init(|| Engine::new().expect("engine"));
        Module::from_wat(engine, &wat).expect("forwarder module")
    })
}

struct Guest {
    inst: Instance<WasiHost>,
}

impl Guest {
    fn new(host: WasiHost) -> Guest {
        Guest {
            inst: module().instantiate(host).expect("instantiate"),
        }
    }

    fn jail(tree: &Tree) -> Guest {
        Guest::new(
            WasiHost::builder()
                .preopen_dir(&tree.jail, "/jail")
                .build()
                .expect("host"),
        )
    }

    #[track_caller]
    fn call(&mut self, name: &str, args: &[i64]) -> i32 {
        let (_, params) = FUNCS.iter().find(|f| f.0 == name).expect("known function");
        let vals: Vec<Val> = params
            .split(' ')
            .zip(args)
            .map(|(t, &a)| {
                if t == "i64" {
                    Val::I64(a)
                } else {
                    Val::I32(a as i32)
                }
            })
            .collect();
        assert_eq!(vals.len(), args.len(), "{name}: argument count");
        let f = self
            .inst
            .wasmtime()
            .get_func(self.inst.store_mut(), name)
            .expect("export");
        let mut out = [Val::I32(-1)];
        f.call(self.inst.store_mut(), &vals, &mut out)
            .unwrap_or_else(|e| panic!("{name}{args:?} trapped: {e:?}"));
        out[0].unwrap_i32()
    }

    fn memory(&mut self) -> wasmtime::Memory {
        self.inst
            .wasmtime()
            .get_memory(self.inst.store_mut(), "memory")
            .expect("memory")
    }

    fn mem(&mut self) -> Vec<u8> {
        let m = self.memory();
        m.data(self.inst.store_mut()).to_vec()
    }

    fn poke(&mut self, off: i64, bytes: &[u8]) {
        let m = self.memory();
        m.data_mut(self.inst.store_mut())[off as usize..off as usize + bytes.len()]
            .copy_from_slice(bytes);
    }

    fn peek(&mut self, off: i64, len: usize) -> Vec<u8> {
        self.mem()[off as usize..off as usize + len].to_vec()
    }

    fn u32_at(&mut self, off: i64) -> u32 {
        u32::from_le_bytes(self.peek(off, 4).try_into().unwrap())
    }

    fn poison(&mut self) {
        let m = self.memory();
        m.data_mut(self.inst.store_mut()).fill(0xAA);
    }

    /// Writes `path` at P1 and gives (pointer, length).
    fn p1(&mut self, path: &[u8]) -> (i64, i64) {
        self.poke(P1, path);
        (P1, path.len() as i64)
    }

    fn p2(&mut self, path: &[u8]) -> (i64, i64) {
        self.poke(P2, path);
        (P2, path.len() as i64)
    }

    /// Opens `path` (no follow) with `oflags` and `rights`; the new fd.
    #[track_caller]
    fn open(&mut self, path: &[u8], oflags: i64, rights: i64) -> Result<i64, i32> {
        let (p, n) = self.p1(path);
        match self.call("path_open", &[3, 0, p, n, oflags, rights, rights, 0, OUT]) {
            0 => Ok(self.u32_at(OUT) as i64),
            e => Err(e),
        }
    }

    /// The names `fd_readdir` lists for directory fd `fd`.
    fn list(&mut self, fd: i64) -> Vec<Vec<u8>> {
        self.list_with_inodes(fd)
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    /// (name, d_ino) of every entry `fd_readdir` lists for `fd`.
    fn list_with_inodes(&mut self, fd: i64) -> Vec<(Vec<u8>, u64)> {
        assert_eq!(self.call("fd_readdir", &[fd, BUF, BUF_LEN, 0, OUT]), OK);
        let used = self.u32_at(OUT) as usize;
        assert!(used < BUF_LEN as usize, "listing too long for the buffer");
        let buf = self.peek(BUF, used);
        let mut out = Vec::new();
        let mut off = 0;
        while off + 24 <= used {
            let ino = u64::from_le_bytes(buf[off + 8..off + 16].try_into().unwrap());
            let n = u32::from_le_bytes(buf[off + 16..off + 20].try_into().unwrap()) as usize;
            out.push((buf[off + 24..off + 24 + n].to_vec(), ino));
            off += 24 + n;
        }
        out
    }
}

/// Every path argument of every path call, with `path` in that position
/// and harmless valid arguments elsewhere: (description, function, args).
fn every_path_argument(g: &mut Guest, path: &[u8]) -> Vec<(String, &'static str, Vec<i64>)> {
    let (p, n) = g.p1(path);
    let (file, file_n) = g.p2(b"file");
    g.poke(P3, b"newname");
    let (new, new_n) = (P3, 7);
    let rw = FD_READ | FD_WRITE;
    vec![
        (
            "open".into(),
            "path_open",
            vec![3, FOLLOW, p, n, 0, FD_READ, FD_READ, 0, OUT],
        ),
        (
            "open_creat".into(),
            "path_open",
            vec![3, 0, p, n, CREAT, rw, rw, 0, OUT],
        ),
        (
            "open_dir".into(),
            "path_open",
            vec![3, 0, p, n, DIRECTORY, FD_READDIR, 0, 0, OUT],
        ),
        (
            "stat".into(),
            "path_filestat_get",
            vec![3, FOLLOW, p, n, OUT],
        ),
        ("lstat".into(), "path_filestat_get", vec![3, 0, p, n, OUT]),
        (
            "set_times".into(),
            "path_filestat_set_times",
            vec![3, FOLLOW, p, n, 1, 1, FSTFLAGS_ATIM_MTIM],
        ),
        ("mkdir".into(), "path_create_directory", vec![3, p, n]),
        ("rmdir".into(), "path_remove_directory", vec![3, p, n]),
        ("unlink".into(), "path_unlink_file", vec![3, p, n]),
        (
            "rename_old".into(),
            "path_rename",
            vec![3, p, n, 3, new, new_n],
        ),
        (
            "rename_new".into(),
            "path_rename",
            vec![3, file, file_n, 3, p, n],
        ),
        (
            "link_old".into(),
            "path_link",
            vec![3, 0, p, n, 3, new, new_n],
        ),
        (
            "link_new".into(),
            "path_link",
            vec![3, 0, file, file_n, 3, p, n],
        ),
        (
            "symlink_target".into(),
            "path_symlink",
            vec![p, n, 3, new, new_n],
        ),
        (
            "symlink_name".into(),
            "path_symlink",
            vec![file, file_n, 3, p, n],
        ),
        (
            "readlink".into(),
            "path_readlink",
            vec![3, p, n, BUF, 64, OUT],
        ),
    ]
}

/// Calls each of [`every_path_argument`] for `path` on a poisoned memory
/// and asserts `want` and that the call wrote nothing to guest memory.
#[track_caller]
fn assert_every_path_argument(g: &mut Guest, path: &[u8], want: i32, except: &[&str]) {
    let mut bad = Vec::new();
    g.poison();
    for (what, func, args) in every_path_argument(g, path) {
        if except.contains(&what.as_str()) {
            continue;
        }
        let before = g.mem();
        let e = g.call(func, &args);
        if e != want {
            bad.push(format!("{what} ({func}) errno={e}, want {want}"));
        }
        if g.mem() != before {
            bad.push(format!("{what} ({func}) wrote to guest memory"));
        }
    }
    assert!(bad.is_empty(), "path {path:?}:\n{}", bad.join("\n"));
}

const ILSEQ: i32 = 25;

#[test]
fn nul_bytes_are_inval_in_every_path_argument() {
    let tree = Tree::new("wat_nul");
    let before = tree.snapshot();
    let mut g = Guest::jail(&tree);
    for path in [
        &b"file\0../../etc"[..],
        b"\0",
        b"file\0",
        b"\0file",
        b"../outside/secret.txt\0",
        b"dir/\0/sub",
        b"newname\0x",
        b"esc_rel\0/secret.txt",
    ] {
        assert_every_path_argument(&mut g, path, INVAL, &[]);
    }
    drop(g);
    // Not even a directory mtime may change.
    assert_same(&before, &tree.snapshot(), &[]);
}

#[test]
fn empty_path_is_noent_in_every_path_argument() {
    let tree = Tree::new("wat_empty");
    let before = tree.snapshot();
    let mut g = Guest::jail(&tree);
    assert_every_path_argument(&mut g, b"", NOENT, &[]);
    drop(g);
    assert_same(&before, &tree.snapshot(), &[]);
}

/// An escape refused with perm writes nothing to guest memory (no fd, no
/// filestat, no link contents).
#[test]
fn refused_escapes_write_nothing_to_guest_memory() {
    let tree = Tree::new("wat_escape_mem");
    let before = tree.snapshot();
    let mut g = Guest::jail(&tree);
    let secret = Tree::s(&tree.secret_path());
    for path in [
        &b"../outside/secret.txt"[..],
        b"..",
        // (No system paths here: these calls include destructive ones
        // and nothing guards them; cap-std refuses "/" the same way.)
        b"/",
        secret.as_bytes(),
        b"esc_rel/secret.txt",
        b"esc_rel/olink",
        b"a/b/c/../../../../outside/olink",
    ] {
        // A relative target pointing out may be stored in a new symlink
        // (following it is refused: see sandbox.rs); an absolute one is
        // refused.
        let except: &[&str] = if path.starts_with(b"/") {
            &[]
        } else {
            &["symlink_target"]
        };
        assert_every_path_argument(&mut g, path, PERM, except);
    }
    drop(g);
    tree.assert_unchanged_but_jail_dir_mtimes(&before, &tree.snapshot());
}

/// Paths that are not UTF-8 are `ilseq` in every path argument (WASI
/// paths are strings; wasmtime answers the same), before any lookup: an
/// escape among them writes nothing either, and the tree is unchanged.
#[test]
fn non_utf8_paths_are_ilseq_in_every_path_argument() {
    let tree = Tree::new("wat_bytes");
    fs::write(tree.jail.join(os(b"h\xe9llo")), b"HOST-LATIN1").unwrap();
    fixture::fix_times(&tree.jail);
    let before = tree.snapshot();
    let mut g = Guest::jail(&tree);
    for path in [
        &b"n\xff\xfe"[..],
        b"d\xc3\x28",
        b"h\xe9llo",
        b"../\xff",
        b"a/../../outside/\xfe\xff",
    ] {
        assert_every_path_argument(&mut g, path, ILSEQ, &[]);
    }
    // A host name that is not UTF-8 is still listed byte for byte.
    let dir = g.open(b".", DIRECTORY, FD_READDIR).expect("open .");
    let names = g.list(dir);
    assert!(
        names.iter().any(|n| n == b"h\xe9llo"),
        "not listed: {names:?}"
    );
    drop(g);
    tree.assert_unchanged_but_jail_dir_mtimes(&before, &tree.snapshot());
}

/// rename and link between two preopens (the jail, and its `dir` as a
/// second preopen) stay inside both: any side leaving is perm.
#[test]
fn rename_and_link_across_two_preopens_stay_inside() {
    let tree = Tree::new("wat_cross");
    let before = tree.snapshot();
    let mut g = Guest::new(
        WasiHost::builder()
            .preopen_dir(&tree.jail, "/jail")
            .preopen_dir(tree.jail.join("dir"), "/jail/dir")
            .build()
            .expect("host"),
    );
    /// (function, old fd, old path, new fd, new path)
    type Case = (&'static str, i64, &'static [u8], i64, &'static [u8]);
    let cases: &[Case] = &[
        ("path_rename", 3, b"file", 4, b"../outside_x"),
        ("path_rename", 3, b"file", 4, b"../../outside/x"),
        ("path_rename", 4, b"dfile", 3, b"../outside/x"),
        ("path_rename", 4, b"../file", 3, b"x"),
        ("path_rename", 3, b"../outside/secret.txt", 4, b"x"),
        ("path_link", 3, b"file", 4, b"../x"),
        ("path_link", 4, b"dfile", 3, b"../outside/x"),
        ("path_link", 4, b"../file", 3, b"x"),
        ("path_link", 3, b"esc_rel/secret.txt", 4, b"x"),
    ];
    for &(func, from, old, to, new) in cases {
        let (p, n) = g.p1(old);
        let (q, m) = g.p2(new);
        let args: Vec<i64> = if func == "path_rename" {
            vec![from, p, n, to, q, m]
        } else {
            vec![from, 0, p, n, to, q, m]
        };
        assert_eq!(
            g.call(func, &args),
            PERM,
            "{func} {from}:{:?} -> {to}:{:?}",
            String::from_utf8_lossy(old),
            String::from_utf8_lossy(new)
        );
    }
    // Inside both it works, and the host sees it.
    let (p, n) = g.p1(b"file");
    let (q, m) = g.p2(b"moved");
    assert_eq!(g.call("path_rename", &[3, p, n, 4, q, m]), OK);
    assert_eq!(
        fs::read(tree.jail.join("dir/moved")).unwrap(),
        b"INSIDE-FILE"
    );
    let (p, n) = g.p1(b"moved");
    let (q, m) = g.p2(b"file");
    assert_eq!(g.call("path_rename", &[4, p, n, 3, q, m]), OK);
    drop(g);
    // The jail is back to its old self, but for directory mtimes.
    tree.assert_unchanged_but_jail_dir_mtimes(&before, &tree.snapshot());
}

/// `fd_readdir` of a preopen reports `..` with the preopen's own inode:
/// the parent outside is never looked at. A nested preopen's `..` is its
/// own too, though its parent is the (reachable) jail.
#[test]
fn readdir_dotdot_of_a_preopen_reveals_nothing_of_its_parent() {
    use std::os::unix::fs::MetadataExt;
    let tree = Tree::new("wat_readdir_dotdot");
    let mut g = Guest::new(
        WasiHost::builder()
            .preopen_dir(&tree.jail, "/jail")
            .preopen_dir(tree.jail.join("dir"), "/jail/dir")
            .build()
            .expect("host"),
    );
    for (fd, host) in [(3, tree.jail.clone()), (4, tree.jail.join("dir"))] {
        let entries = g.list_with_inodes(fd);
        let ino = |name: &[u8]| {
            entries
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, i)| *i)
                .unwrap_or_else(|| panic!("no {name:?} in {entries:?}"))
        };
        let own = fs::metadata(&host).unwrap().ino();
        assert_eq!(ino(b"."), own, "fd {fd}");
        assert_eq!(
            ino(b".."),
            own,
            "fd {fd}: `..` must not be the parent's inode"
        );
    }
    // A directory opened from the jail: its `..` is the jail (inside) or,
    // as cap-std treats every directory fd as a root, itself; never
    // anything else.
    let dir = g.open(b"dir", DIRECTORY, FD_READDIR).expect("open dir");
    let entries = g.list_with_inodes(dir);
    let dotdot = entries.iter().find(|(n, _)| n == b"..").unwrap().1;
    let jail = fs::metadata(&tree.jail).unwrap().ino();
    let own = fs::metadata(tree.jail.join("dir")).unwrap().ino();
    assert!(
        dotdot == jail || dotdot == own,
        "{dotdot} not in [{jail}, {own}]"
    );
}

/// path_link with symlink_follow in old_flags is refused (`inval`): the
/// host would have to follow the link outside cap-std's checks.
#[test]
fn path_link_following_a_symlink_is_inval() {
    let tree = Tree::new("wat_link_follow");
    let before = tree.snapshot();
    let mut g = Guest::jail(&tree);
    for old in [&b"esc_file"[..], b"esc_abs_file", b"ok_link", b"file"] {
        let (p, n) = g.p1(old);
        let (q, m) = g.p2(b"linked");
        assert_eq!(
            g.call("path_link", &[3, FOLLOW, p, n, 3, q, m]),
            INVAL,
            "{}",
            String::from_utf8_lossy(old)
        );
    }
    drop(g);
    assert_same(&before, &tree.snapshot(), &[]);
}
