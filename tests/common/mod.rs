//! Shared helpers for the guest integration tests: compile the C guests in
//! `tests/guests/` to wasm with clang, compile them once per process with
//! one shared engine, and run them with captured stdio.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use wasihost_core::{Capture, Engine, Module, Outcome, Output, WasiHost, WasiHostBuilder};

/// What to do when the toolchain is missing.
const MISSING_TOOLCHAIN: &str = "clang with wasm32-wasi support not found: run `make deps` \
     (or apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)";

/// Byte cap of the captures `run` uses: far above any test's output.
pub const CAP: usize = 16 << 20;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/guests` in the source tree.
pub fn guests_src_dir() -> PathBuf {
    manifest_dir().join("tests").join("guests")
}

/// The cargo target directory (`CARGO_TARGET_TMPDIR` is `<target>/tmp`).
pub fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest_dir().join("target"))
}

/// A fresh, empty scratch directory for one test, under the target dir.
pub fn scratch_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("guest-tests")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The newest modification time among the C sources: every guest includes
/// `util.c`, so a change to any source rebuilds the guests.
fn newest_source() -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(guests_src_dir()).expect("read tests/guests") {
        let path = entry.expect("read tests/guests").path();
        if path.extension().is_some_and(|e| e == "c")
            && let Some(t) = mtime(&path)
        {
            newest = newest.max(t);
        }
    }
    newest
}

fn clang() -> String {
    std::env::var("CLANG").unwrap_or_else(|_| "clang".to_string())
}

fn clang_command() -> Command {
    let mut cmd = Command::new(clang());
    cmd.arg("--target=wasm32-wasi").arg("-O2");
    if let Ok(sysroot) = std::env::var("WASI_SYSROOT") {
        cmd.arg(format!("--sysroot={sysroot}"));
    }
    cmd
}

/// Whether clang can build a trivial wasm32-wasi program at all.
fn toolchain_works(out_dir: &Path) -> bool {
    let src = out_dir.join(format!("probe-{}.c", std::process::id()));
    let out = out_dir.join(format!("probe-{}.wasm", std::process::id()));
    if std::fs::write(
        &src,
        "#include <stdio.h>\nint main(void) { puts(\"x\"); return 0; }\n",
    )
    .is_err()
    {
        return false;
    }
    let ok = clang_command()
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let _ = std::fs::remove_file(&src);
    let _ = std::fs::remove_file(&out);
    ok
}

/// Compiles `tests/guests/<name>.c` into `<target>/guests/<name>.wasm` if
/// the wasm is missing or older than the sources, and gives its path.
///
/// The output is written under a temporary name and renamed into place, so
/// concurrent test processes never see a half-written module.
pub fn guest(name: &str) -> PathBuf {
    guest_from(&guests_src_dir().join(format!("{name}.c")), name)
}

/// [`guest`] for `examples/guests/<name>.c`, the guests of the examples.
#[allow(dead_code)]
pub fn example_guest(name: &str) -> PathBuf {
    let src = manifest_dir().join(format!("examples/guests/{name}.c"));
    guest_from(&src, &format!("example-{name}"))
}

/// Compiles `src` into `<target>/guests/<name>.wasm` (see [`guest`]).
fn guest_from(src: &Path, name: &str) -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());

    let src = src.to_path_buf();
    assert!(src.exists(), "no guest source {}", src.display());
    let out_dir = target_dir().join("guests");
    std::fs::create_dir_all(&out_dir).expect("create target/guests");
    let wasm = out_dir.join(format!("{name}.wasm"));
    if mtime(&wasm).is_some_and(|built| built >= newest_source() && Some(built) >= mtime(&src)) {
        return wasm;
    }

    let tmp = out_dir.join(format!("{name}.wasm.{}.tmp", std::process::id()));
    let result = clang_command()
        .arg("-Wall")
        .arg("-Wextra")
        .arg("-Wno-unused-parameter")
        .arg(&src)
        .arg("-o")
        .arg(&tmp)
        .output();
    let output = match result {
        Ok(o) => o,
        Err(e) => panic!("{MISSING_TOOLCHAIN} (running `{}`: {e})", clang()),
    };
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        if !toolchain_works(&out_dir) {
            panic!(
                "{MISSING_TOOLCHAIN}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        panic!(
            "compiling guest {} failed:\n{}",
            src.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::rename(&tmp, &wasm).expect("rename compiled guest into place");
    wasm
}

/// The engine all tests of this process share.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new().expect("create engine"))
}

/// The compiled module of guest `name`, compiled once per process.
pub fn module(name: &str) -> Module {
    static MODULES: OnceLock<Mutex<HashMap<String, Arc<OnceLock<Module>>>>> = OnceLock::new();
    let cell = MODULES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(name.to_string())
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let path = guest(name);
        Module::from_file(engine(), &path)
            .unwrap_or_else(|e| panic!("loading {}: {e}", path.display()))
    })
    .clone()
}

/// The result of one guest run.
#[derive(Debug)]
pub struct Ran {
    pub outcome: Outcome,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Ran {
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Asserts the guest exited with 0 and gives its stdout as text.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(
            self.outcome,
            Outcome::Exit(0),
            "guest failed\n--- stdout:\n{}\n--- stderr:\n{}",
            self.out(),
            self.err()
        );
        self.out()
    }
}

/// Runs guest `name` with the host `builder` describes, its stdout and
/// stderr replaced by captures; gives (outcome, stdout, stderr).
pub fn run_host(name: &str, builder: WasiHostBuilder) -> (Outcome, Vec<u8>, Vec<u8>) {
    let out = Capture::new(CAP);
    let err = Capture::new(CAP);
    let host = builder
        .stdout(Output::Capture(out.clone()))
        .stderr(Output::Capture(err.clone()))
        .build()
        .expect("build host");
    let outcome = module(name).run(host).expect("run guest");
    (outcome, out.contents(), err.contents())
}

/// Like [`run_host`], as a [`Ran`].
pub fn run_with(name: &str, builder: WasiHostBuilder) -> Ran {
    let (outcome, stdout, stderr) = run_host(name, builder);
    Ran {
        outcome,
        stdout,
        stderr,
    }
}

/// Runs guest `name` with `argv = [name, args...]` and nothing else.
pub fn run_args(name: &str, args: &[&str]) -> Ran {
    run_with(name, WasiHost::builder().arg(name).args(args))
}

/// Runs guest `name` in mode `mode` (its `argv[1]`) and asserts it exited
/// with 0; gives its stdout.
#[track_caller]
pub fn run_mode(name: &str, mode: &str) -> String {
    run_args(name, &[mode]).ok()
}

/// Lines of `text` for comparison, without the trailing empty line.
pub fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

// ---------------------------------------------------------------------------
// Host directory trees for the filesystem tests (tests/guest_fs*.rs).

/// One node of a host directory tree, as [`make_tree`] builds it and
/// [`snapshot`] finds it (symlinks are never followed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    File(Vec<u8>),
    Dir,
    Symlink(PathBuf),
    /// Anything else (FIFO, socket, device).
    Other,
}

/// A regular file with `contents`.
pub fn file(contents: impl AsRef<[u8]>) -> Node {
    Node::File(contents.as_ref().to_vec())
}

/// A symlink whose target is `target`, taken literally.
pub fn symlink(target: impl AsRef<Path>) -> Node {
    Node::Symlink(target.as_ref().to_path_buf())
}

/// A fresh, empty host directory for one filesystem test:
/// `<CARGO_TARGET_TMPDIR>/guest-fs/<test>-<pid>`, emptied first if an
/// earlier run left it. `test` must be unique per test so tests can run in
/// parallel.
pub fn fs_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("guest-fs")
        .join(format!("{test}-{}", std::process::id()));
    if dir.exists() {
        // Read-only leftovers of a failed run must not stop the cleanup.
        make_writable(&dir);
        std::fs::remove_dir_all(&dir).expect("remove old test dir");
    }
    std::fs::create_dir_all(&dir).expect("create test dir");
    dir
}

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                make_writable(&e.path());
            }
        }
    }
}

/// A fresh test dir (see [`fs_dir`]) holding `entries`.
pub fn fs_tree(test: &str, entries: &[(&str, Node)]) -> PathBuf {
    let dir = fs_dir(test);
    make_tree(&dir, entries);
    dir
}

/// Creates `entries` (relative paths, `/`-separated) under `root`, in
/// order; missing parent directories are created.
pub fn make_tree(root: &Path, entries: &[(&str, Node)]) {
    for (rel, node) in entries {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        match node {
            Node::File(bytes) => std::fs::write(&path, bytes).expect("write file"),
            Node::Dir => std::fs::create_dir_all(&path).expect("create dir"),
            Node::Symlink(target) => {
                std::os::unix::fs::symlink(target, &path).expect("create symlink")
            }
            Node::Other => panic!("make_tree cannot create {rel}: Node::Other"),
        }
    }
}

/// One entry of a [`snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snap {
    pub node: Node,
    /// `st_size` (for a directory, whatever the filesystem reports).
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    pub nlink: u64,
    pub ino: u64,
    pub mtime: SystemTime,
}

/// Every entry under `root` (not `root` itself), recursively, without
/// following symlinks, by `/`-joined path relative to `root`.
pub fn snapshot(root: &Path) -> std::collections::BTreeMap<String, Snap> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Snap>) {
        use std::os::unix::fs::MetadataExt;
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("read_dir entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("lstat");
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            let ft = meta.file_type();
            let node = if ft.is_symlink() {
                Node::Symlink(std::fs::read_link(&path).expect("readlink"))
            } else if ft.is_dir() {
                Node::Dir
            } else if ft.is_file() {
                Node::File(std::fs::read(&path).expect("read file"))
            } else {
                Node::Other
            };
            out.insert(
                rel,
                Snap {
                    node: node.clone(),
                    size: meta.len(),
                    mode: meta.mode() & 0o7777,
                    nlink: meta.nlink(),
                    ino: meta.ino(),
                    mtime: meta.modified().expect("mtime"),
                },
            );
            if node == Node::Dir {
                walk(root, &path, out);
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// [`snapshot`] as one line per entry, sorted by path, for exact
/// comparisons: `a.txt file "hello"` (bytes escaped; files over 64 bytes
/// as `big file <n> bytes`), `d dir`, `l -> target`, `x other`.
pub fn tree(root: &Path) -> Vec<String> {
    snapshot(root)
        .into_iter()
        .map(|(path, snap)| match &snap.node {
            Node::File(bytes) if bytes.len() <= 64 => {
                format!("{path} file \"{}\"", bytes.escape_ascii())
            }
            Node::File(bytes) => format!("{path} file {} bytes", bytes.len()),
            Node::Dir => format!("{path} dir"),
            Node::Symlink(target) => format!("{path} -> {}", target.display()),
            Node::Other => format!("{path} other"),
        })
        .collect()
}

/// Asserts `got` equals `want` line by line, naming the first line that
/// differs (with the whole of `got` for context).
#[track_caller]
pub fn assert_text(got: &str, want: &str) {
    if got == want {
        return;
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    let at = g
        .iter()
        .zip(&w)
        .position(|(a, b)| a != b)
        .unwrap_or(g.len().min(w.len()));
    panic!(
        "output differs at line {}:\n   got: {:?}\n  want: {:?}\n--- whole output:\n{got}",
        at + 1,
        g.get(at).copied().unwrap_or("<end>"),
        w.get(at).copied().unwrap_or("<end>"),
    );
}
