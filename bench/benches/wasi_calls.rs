//! Cost of one WASI call: wasihost_core against wasmtime-wasi's preview1,
//! with native Rust baselines.
//!
//! ```text
//! cargo bench -p wasihost-bench                                # full run
//! WASIHOST_BENCH_SCALE=0.01 cargo bench -p wasihost-bench      # smoke run
//! cargo bench -p wasihost-bench -- random                      # rows matching "random"
//! ```
//!
//! One guest, `guests/bench.c`, is compiled with
//! `clang --target=wasm32-wasi -O2` when the benchmark starts (into the
//! target directory), then compiled once by wasmtime; both hosts
//! instantiate the very same compiled module. The guest calls one WASI
//! function `COUNT` times through the raw `__wasi_*` imports.
//!
//! Each sample instantiates afresh and runs the guest with `COUNT = N` and
//! with `COUNT = 0`; the cost of a call is `(time(N) - time(0)) / N`, so
//! instantiation, libc startup and argument parsing cancel out. The table
//! gives the median and the minimum over the repetitions.
//!
//! The filesystem rows preopen one host directory as fd 3 on both hosts
//! (a fixture under the target directory, see [`Fixture`]). The bandwidth
//! rows (`fd_read` / `fd_write` of a 256 MiB file in 64 KiB calls) give
//! `bytes / (time(N bytes) - time(0 bytes))`, the 0-byte run opening and
//! closing the file without moving data.
//!
//! A counting global allocator checks that a call allocates nothing:
//! `(allocations(N) - allocations(0)) / N`, counted over all threads.
//!
//! Environment:
//! * `WASIHOST_BENCH_SCALE` (default 1): multiplies every call count (and
//!   the bandwidth rows' byte count).
//! * `WASIHOST_BENCH_REPS` (default 7): repetitions per measurement.
//! * `WASIHOST_BENCH_WT_BLOCKING=1`: builds wasmtime-wasi's context with
//!   `allow_blocking_current_thread(true)`, so its file calls run on the
//!   calling thread instead of going through tokio's blocking pool (its
//!   default).
//! * `WASIHOST_BENCH_INTERRUPTIBLE=1`: compiles the guest with epoch
//!   interruption (both hosts run that code) and runs ours with a timeout
//!   armed, so that every call also checks the cancel token: the cost of a
//!   timeout, against the default run where none is compiled in.
//! * `CLANG` (default `clang`): the compiler for the guest.
//!
//! Arguments that do not start with `-` select the rows whose name contains
//! one of them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::ffi::OsString;
use std::fs::File;
use std::hint::black_box;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::{RngCore, TryRngCore};
use wasihost_core::{Engine, Limits, Module, Outcome, Output, RandomSource, WasiHost};
use wasmtime::{InstancePre, Linker, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

// ---------------------------------------------------------------------------
// Allocation counting

/// The system allocator, counting every allocation and reallocation.
struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::SeqCst)
}

// ---------------------------------------------------------------------------
// Settings

struct Settings {
    scale: f64,
    reps: usize,
    /// wasmtime-wasi with `allow_blocking_current_thread(true)`.
    wt_blocking: bool,
    /// An interruptible engine, and ours with a timeout armed.
    interruptible: bool,
    filters: Vec<String>,
}

impl Settings {
    fn from_env() -> Result<Settings, String> {
        let scale = match std::env::var("WASIHOST_BENCH_SCALE") {
            Ok(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .ok_or_else(|| format!("WASIHOST_BENCH_SCALE={s:?}: expected a number > 0"))?,
            Err(_) => 1.0,
        };
        let reps = match std::env::var("WASIHOST_BENCH_REPS") {
            Ok(s) => s
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| format!("WASIHOST_BENCH_REPS={s:?}: expected an integer > 0"))?,
            Err(_) => 7,
        };
        let flag = |name: &str| match std::env::var(name) {
            Ok(s) => match s.trim() {
                "1" | "true" | "yes" => Ok(true),
                "" | "0" | "false" | "no" => Ok(false),
                _ => Err(format!("{name}={s:?}: expected 1 or 0")),
            },
            Err(_) => Ok(false),
        };
        let wt_blocking = flag("WASIHOST_BENCH_WT_BLOCKING")?;
        let interruptible = flag("WASIHOST_BENCH_INTERRUPTIBLE")?;
        // `cargo bench` passes `--bench`; other flags are ignored too.
        let filters = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .collect();
        Ok(Settings {
            scale,
            reps,
            wt_blocking,
            interruptible,
            filters,
        })
    }

    fn count(&self, base: u64) -> u64 {
        ((base as f64 * self.scale).round() as u64).max(1)
    }

    fn selects(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }
}

// ---------------------------------------------------------------------------
// The guest

/// Compiles `guests/bench.c` into the target directory and returns the
/// wasm path and bytes.
fn build_guest() -> Result<(PathBuf, Vec<u8>), String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("guests/bench.c");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasihost-bench");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let out = out_dir.join("bench.wasm");
    let clang = std::env::var_os("CLANG").unwrap_or_else(|| "clang".into());
    let result = Command::new(&clang)
        .args([
            "--target=wasm32-wasi",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-o",
        ])
        .arg(&out)
        .arg(&src)
        .status();
    let hint = "the benchmark guest needs clang with the wasm32 target, wasm-ld and \
                wasi-libc (Debian: apt-get install clang lld wasi-libc \
                libclang-rt-14-dev-wasm32); set CLANG to use another clang";
    match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(format!(
                "cannot compile the guest: {} not found.\n{hint}",
                Path::new(&clang).display()
            ));
        }
        Err(e) => {
            return Err(format!(
                "cannot run {}: {e}\n{hint}",
                Path::new(&clang).display()
            ));
        }
        Ok(status) if !status.success() => {
            return Err(format!(
                "{} --target=wasm32-wasi failed on {} ({status}).\n{hint}",
                Path::new(&clang).display(),
                src.display()
            ));
        }
        Ok(_) => {}
    }
    let bytes = std::fs::read(&out).map_err(|e| format!("cannot read {}: {e}", out.display()))?;
    Ok((out, bytes))
}

// ---------------------------------------------------------------------------
// The filesystem fixture

/// Names and sizes shared with `guests/bench.c`.
const GUEST_PREOPEN: &str = "/bench";
const SMALL_FILE: &str = "small.txt";
const SMALL_SIZE: usize = 100;
const BIG_FILE: &str = "big.bin";
const OUT_FILE: &str = "out.bin";
const LIST_DIR: &str = "dir1000";
const LIST_ENTRIES: usize = 1000;
/// Bytes per fd_read / fd_write call of the bandwidth rows.
const CHUNK: usize = 64 << 10;
/// Bytes moved by a bandwidth row at scale 1.
const BANDWIDTH_BYTES: u64 = 256 << 20;

/// The directory both hosts preopen as fd 3, on the filesystem of the
/// target directory:
/// * `small.txt`: [`SMALL_SIZE`] bytes;
/// * `big.bin`: the bandwidth rows' bytes, every 8-byte word holding its
///   own offset (little-endian), so the guest can check what it reads;
/// * `dir1000/`: [`LIST_ENTRIES`] empty files;
/// * `out.bin`: written by the write row, checked and deleted after every
///   run.
struct Fixture {
    dir: PathBuf,
    /// The filesystem `dir` is on, from statfs(2).
    fs_type: String,
    /// The size of `big.bin`: the read and write rows' byte count.
    big_bytes: u64,
}

/// The name of a filesystem type from statfs(2)'s `f_type`.
fn fs_type_name(dir: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return "unknown".into();
    };
    // SAFETY: `st` is plain data that statfs fills; `c` is a C string.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is NUL-terminated and `st` is writable.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return format!("unknown ({})", io::Error::last_os_error());
    }
    match st.f_type as i64 {
        0xEF53 => "ext4 (ext2/3/4), not tmpfs".into(),
        0x0102_1994 => "tmpfs".into(),
        0x794C_7630 => "overlayfs, not tmpfs".into(),
        0x9123_683E => "btrfs, not tmpfs".into(),
        0x5846_5342 => "xfs, not tmpfs".into(),
        other => format!("statfs type {other:#x}"),
    }
}

/// The `n`-th 8-byte word of `big.bin` (and of what the write row writes
/// at its chunks' ends): its own offset.
fn word_at(offset: u64) -> [u8; 8] {
    offset.to_le_bytes()
}

impl Fixture {
    /// Creates (or reuses) what the selected cases need.
    fn prepare(settings: &Settings, cases: &[Case]) -> Result<Fixture, String> {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasihost-bench/fs");
        let err = |what: &str, p: &Path, e: io::Error| format!("{what} {}: {e}", p.display());
        std::fs::create_dir_all(&dir).map_err(|e| err("cannot create", &dir, e))?;
        let big_bytes = bandwidth_bytes(settings);
        let fixture = Fixture {
            fs_type: fs_type_name(&dir),
            dir,
            big_bytes,
        };

        let small = fixture.path(SMALL_FILE);
        std::fs::write(&small, [b'x'; SMALL_SIZE]).map_err(|e| err("cannot write", &small, e))?;

        let out = fixture.path(OUT_FILE);
        match std::fs::remove_file(&out) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(err("cannot remove", &out, e));
            }
            _ => {}
        }

        if cases.iter().any(|c| c.op == Op::Readdir) {
            fixture.prepare_listing()?;
        }
        if cases.iter().any(|c| c.op == Op::FileRead) {
            fixture.prepare_big()?;
        }
        Ok(fixture)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn entry_name(i: usize) -> String {
        format!("entry-{i:04}")
    }

    /// `dir1000/` with exactly its entries, remade when it differs.
    fn prepare_listing(&self) -> Result<(), String> {
        let dir = self.path(LIST_DIR);
        let err = |what: &str, p: &Path, e: io::Error| format!("{what} {}: {e}", p.display());
        let mut names: Vec<OsString> = match std::fs::read_dir(&dir) {
            Ok(rd) => rd
                .map(|e| e.map(|e| e.file_name()))
                .collect::<Result<_, _>>()
                .map_err(|e| err("cannot list", &dir, e))?,
            Err(_) => Vec::new(),
        };
        names.sort();
        let wanted: Vec<OsString> = (0..LIST_ENTRIES)
            .map(|i| Self::entry_name(i).into())
            .collect();
        if names == wanted {
            return Ok(());
        }
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| err("cannot remove", &dir, e))?;
        }
        std::fs::create_dir(&dir).map_err(|e| err("cannot create", &dir, e))?;
        for i in 0..LIST_ENTRIES {
            let p = dir.join(Self::entry_name(i));
            File::create(&p).map_err(|e| err("cannot create", &p, e))?;
        }
        Ok(())
    }

    /// `big.bin`, kept from an earlier run when it has the right size and
    /// its stamps, then read once so the page cache holds it for every
    /// host alike.
    fn prepare_big(&self) -> Result<(), String> {
        let path = self.path(BIG_FILE);
        let err = |what: &str, e: io::Error| format!("{what} {}: {e}", path.display());
        let reusable = File::open(&path).is_ok_and(|f| {
            let mut w = [0u8; 8];
            f.metadata().is_ok_and(|m| m.len() == self.big_bytes)
                && f.read_exact_at(&mut w, 0).is_ok()
                && w == word_at(0)
                && f.read_exact_at(&mut w, self.big_bytes - 8).is_ok()
                && w == word_at(self.big_bytes - 8)
        });
        if !reusable {
            let mut f = File::create(&path).map_err(|e| err("cannot create", e))?;
            let mut buf = vec![0u8; 1 << 20];
            let mut offset = 0u64;
            while offset < self.big_bytes {
                let len = (self.big_bytes - offset).min(buf.len() as u64) as usize;
                for (i, w) in buf[..len].chunks_exact_mut(8).enumerate() {
                    w.copy_from_slice(&word_at(offset + 8 * i as u64));
                }
                f.write_all(&buf[..len])
                    .map_err(|e| err("cannot write", e))?;
                offset += len as u64;
            }
            f.sync_all().map_err(|e| err("cannot sync", e))?;
        }
        // The read that brings it into the page cache.
        let mut f = File::open(&path).map_err(|e| err("cannot open", e))?;
        let mut buf = vec![0u8; CHUNK];
        let mut total = 0u64;
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => total += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(err("cannot read", e)),
            }
        }
        if total != self.big_bytes {
            return Err(format!("{}: read {total} bytes", path.display()));
        }
        Ok(())
    }

    /// After a write run: `out.bin` must hold `bytes` bytes with the
    /// chunks' stamps; then it is deleted (untimed).
    fn check_and_remove_out(&self, who: &str, bytes: u64) {
        let path = self.path(OUT_FILE);
        let f = File::open(&path)
            .unwrap_or_else(|e| panic!("{who}: cannot open {}: {e}", path.display()));
        let len = f.metadata().expect("cannot stat out.bin").len();
        assert_eq!(len, bytes, "{who}: {} has the wrong size", path.display());
        let mut w = [0u8; 8];
        let mut offset = 0;
        // Every chunk's first and last word (two preads per chunk).
        while offset < bytes {
            let len = (bytes - offset).min(CHUNK as u64);
            for at in [offset, offset + len - 8] {
                f.read_exact_at(&mut w, at).expect("cannot read out.bin");
                assert_eq!(w, word_at(at), "{who}: out.bin has wrong data at {at}");
            }
            offset += len;
        }
        drop(f);
        std::fs::remove_file(&path)
            .unwrap_or_else(|e| panic!("cannot remove {}: {e}", path.display()));
    }
}

/// The bandwidth rows' byte count: a whole number of chunks.
fn bandwidth_bytes(settings: &Settings) -> u64 {
    let chunks = settings.count(BANDWIDTH_BYTES / CHUNK as u64);
    chunks * CHUNK as u64
}

// ---------------------------------------------------------------------------
// The cases

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Write,
    Clock,
    Random,
    OpenClose,
    Stat,
    Readdir,
    FileRead,
    FileWrite,
}

impl Op {
    /// The guest's OP argument.
    fn guest_arg(self) -> &'static str {
        match self {
            Op::Write => "write",
            Op::Clock => "clock",
            Op::Random => "random",
            Op::OpenClose => "open",
            Op::Stat => "stat",
            Op::Readdir => "readdir",
            Op::FileRead => "fread",
            Op::FileWrite => "fwrite",
        }
    }

    /// Whether the guest needs the fixture preopened as fd 3.
    fn uses_fs(self) -> bool {
        matches!(
            self,
            Op::OpenClose | Op::Stat | Op::Readdir | Op::FileRead | Op::FileWrite
        )
    }

    /// Whether COUNT is bytes, reported as bandwidth.
    fn is_bandwidth(self) -> bool {
        matches!(self, Op::FileRead | Op::FileWrite)
    }
}

/// Where the guest's stdout goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sink {
    /// Discarded in memory: `Output::Null` / `SinkOutputStream`.
    Null,
    /// A host file opened on `/dev/null`: a real `write(2)` per call.
    DevNull,
}

/// Where random bytes come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rand {
    /// Each host's default: ours `RandomSource::OsSeeded` (rand's
    /// `ThreadRng`), wasmtime-wasi's `StdRng` seeded from its `ThreadRng`.
    Default,
    /// The OS on every call: ours `RandomSource::Os`, wasmtime-wasi with a
    /// `secure_random` generator that calls `getrandom` (rand's `OsRng`).
    Os,
}

#[derive(Clone, Copy)]
enum Native {
    WriteDevNull,
    /// Not a row of its own: ours writes a file with `writev`, so this is
    /// printed beside the table for comparison.
    WritevDevNull,
    ClockGettime,
    ThreadRng,
    OsRng,
    OpenClose,
    Metadata,
    ReadDir,
    FileRead,
    FileWrite,
}

impl Native {
    fn label(self) -> &'static str {
        match self {
            Native::WriteDevNull => "write(2) 16 B /dev/null",
            Native::WritevDevNull => "writev(2) 1 x 16 B /dev/null",
            Native::ClockGettime => "clock_gettime(MONOTONIC)",
            Native::ThreadRng => "ThreadRng 256 B",
            Native::OsRng => "OsRng/getrandom 256 B",
            Native::OpenClose => "std::fs::File::open + drop (absolute path)",
            Native::Metadata => "std::fs::metadata (statx, absolute path)",
            Native::ReadDir => "std::fs::read_dir, names collected",
            Native::FileRead => "std::fs::File::read 64 KiB",
            Native::FileWrite => "std::fs::File::write 64 KiB",
        }
    }
}

struct Case {
    name: &'static str,
    op: Op,
    /// Calls at scale 1 (bytes for a bandwidth row).
    base_calls: u64,
    sink: Sink,
    rand: Rand,
    native: Option<Native>,
    /// wasmtime-wasi runs COUNT / this (at least 1): its fd_readdir is too
    /// slow for the full count in a reasonable time.
    theirs_divisor: u64,
    /// What each host is configured with, for the legend.
    ours_setup: &'static str,
    theirs_setup: &'static str,
}

const RANDOM_CALLS: u64 = (64 << 20) / 256;

const OURS_PREOPEN: &str = "preopen_dir(fixture, \"/bench\")";
const THEIRS_PREOPEN: &str = "preopened_dir(fixture, \"/bench\", FsPerms::ReadWrite)";

fn cases() -> Vec<Case> {
    let fs_case = |name, op, base_calls, native, theirs_divisor| Case {
        name,
        op,
        base_calls,
        sink: Sink::Null,
        rand: Rand::Default,
        native: Some(native),
        theirs_divisor,
        ours_setup: OURS_PREOPEN,
        theirs_setup: THEIRS_PREOPEN,
    };
    vec![
        Case {
            name: "fd_write 16 B -> null sink",
            op: Op::Write,
            base_calls: 1_000_000,
            sink: Sink::Null,
            rand: Rand::Default,
            native: None,
            theirs_divisor: 1,
            ours_setup: "Output::Null",
            theirs_setup: "p2::pipe::SinkOutputStream",
        },
        Case {
            name: "fd_write 16 B -> /dev/null",
            op: Op::Write,
            base_calls: 1_000_000,
            sink: Sink::DevNull,
            rand: Rand::Default,
            native: Some(Native::WriteDevNull),
            theirs_divisor: 1,
            ours_setup: "Output::File(/dev/null)",
            theirs_setup: "cli::OutputFile(/dev/null)",
        },
        Case {
            name: "clock_time_get monotonic",
            op: Op::Clock,
            base_calls: 1_000_000,
            sink: Sink::Null,
            rand: Rand::Default,
            native: Some(Native::ClockGettime),
            theirs_divisor: 1,
            ours_setup: "default",
            theirs_setup: "default",
        },
        Case {
            name: "random_get 256 B (OsSeeded)",
            op: Op::Random,
            base_calls: RANDOM_CALLS,
            sink: Sink::Null,
            rand: Rand::Default,
            native: Some(Native::ThreadRng),
            theirs_divisor: 1,
            ours_setup: "RandomSource::OsSeeded (default)",
            theirs_setup: "default (StdRng seeded by thread_rng)",
        },
        Case {
            name: "random_get 256 B (Os)",
            op: Op::Random,
            base_calls: RANDOM_CALLS,
            sink: Sink::Null,
            rand: Rand::Os,
            native: Some(Native::OsRng),
            theirs_divisor: 1,
            ours_setup: "RandomSource::Os",
            theirs_setup: "secure_random(getrandom per call)",
        },
        fs_case(
            "path_open + fd_close",
            Op::OpenClose,
            100_000,
            Native::OpenClose,
            1,
        ),
        fs_case("path_filestat_get", Op::Stat, 100_000, Native::Metadata, 1),
        fs_case(
            "fd_readdir listing 1002 entries",
            Op::Readdir,
            1_000,
            Native::ReadDir,
            // wasmtime-wasi's fd_readdir lists the whole directory and
            // stats every entry on each call (9 calls per listing here).
            100,
        ),
        fs_case(
            "fd_read 64 KiB file",
            Op::FileRead,
            BANDWIDTH_BYTES,
            Native::FileRead,
            1,
        ),
        fs_case(
            "fd_write 64 KiB file",
            Op::FileWrite,
            BANDWIDTH_BYTES,
            Native::FileWrite,
            1,
        ),
    ]
}

impl Case {
    /// COUNT at these settings: calls, or bytes for a bandwidth row.
    fn count(&self, settings: &Settings) -> u64 {
        if self.op.is_bandwidth() {
            bandwidth_bytes(settings)
        } else {
            settings.count(self.base_calls)
        }
    }

    /// wasmtime-wasi's COUNT.
    fn theirs_count(&self, count: u64) -> u64 {
        if self.theirs_divisor > 1 {
            (count / self.theirs_divisor).max(1)
        } else {
            count
        }
    }

    /// Host calls a run of COUNT makes, for allocations per call: one per
    /// 64 KiB chunk on a bandwidth row.
    fn calls(&self, count: u64) -> u64 {
        if self.op.is_bandwidth() {
            count.div_ceil(CHUNK as u64)
        } else {
            count
        }
    }

    /// The warm-up run's COUNT: full size for bandwidth rows (page cache,
    /// block allocation), a few listings for fd_readdir.
    fn warm_count(&self, count: u64) -> u64 {
        match self.op {
            Op::FileRead | Op::FileWrite => count,
            Op::Readdir => count.min(20),
            _ => count.min(1000),
        }
    }
}

// ---------------------------------------------------------------------------
// Running the guest

/// What every run needs besides the case.
struct Env<'a> {
    settings: &'a Settings,
    fixture: Option<&'a Fixture>,
}

impl Env<'_> {
    fn fixture(&self) -> &Fixture {
        self.fixture.expect("a filesystem row without the fixture")
    }
}

/// One run of the guest: wall time and allocations (all threads) during it.
struct Run {
    time: Duration,
    allocs: u64,
}

fn dev_null() -> File {
    File::options()
        .write(true)
        .open("/dev/null")
        .expect("cannot open /dev/null")
}

fn check_exit(host: &str, case: &Case, count: u64, code: u32) {
    if code != 0 {
        panic!(
            "{host}: guest `{} {count}` exited with {code} (2 = usage, 4 = bad result, \
             100 + errno = failed call)",
            case.op.guest_arg()
        );
    }
}

/// Untimed work after a run: the write row's file is checked and deleted.
fn after_run(env: &Env, host: &str, case: &Case, count: u64) {
    if case.op == Op::FileWrite {
        env.fixture().check_and_remove_out(host, count);
    }
}

/// Our host: build it, instantiate, run `_start`.
fn run_ours(env: &Env, module: &Module, case: &Case, count: u64) -> Run {
    let count_arg = count.to_string();
    let stdout = match case.sink {
        Sink::Null => Output::Null,
        Sink::DevNull => Output::File(dev_null()),
    };
    let random = match case.rand {
        Rand::Default => RandomSource::OsSeeded,
        Rand::Os => RandomSource::Os,
    };
    let a0 = allocations();
    let t0 = Instant::now();
    let mut builder = WasiHost::builder()
        .arg("bench.wasm")
        .arg(case.op.guest_arg())
        .arg(&count_arg)
        .stdout(stdout)
        .random(random);
    if case.op.uses_fs() {
        builder = builder.preopen_dir(&env.fixture().dir, GUEST_PREOPEN);
    }
    let host = builder.build().expect("cannot build the host");
    let outcome = if env.settings.interruptible {
        let limits = Limits::new().timeout(Duration::from_secs(3600));
        module.run_with(host, &limits, None)
    } else {
        module.run(host)
    }
    .expect("cannot run the guest");
    let time = t0.elapsed();
    let allocs = allocations() - a0;
    match outcome {
        Outcome::Exit(code) => check_exit("ours", case, count, code),
        Outcome::Trap(t) => panic!("ours: guest trapped: {t}"),
        other => panic!("ours: guest {other}"),
    }
    after_run(env, "ours", case, count);
    Run { time, allocs }
}

/// An OS random generator for wasmtime-wasi (a rand_core 0.10 `Rng`).
struct GetrandomRng;

impl rand_core_010::TryRng for GetrandomRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(rand::rngs::OsRng.try_next_u32().expect("getrandom failed"))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(rand::rngs::OsRng.try_next_u64().expect("getrandom failed"))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        rand::rngs::OsRng
            .try_fill_bytes(dst)
            .expect("getrandom failed");
        Ok(())
    }
}

/// wasmtime-wasi: link its preview1 (sync) into a fresh linker, the way
/// `Module::run` does for ours, instantiate, run `_start`.
fn run_wasmtime_wasi(
    env: &Env,
    engine: &wasmtime::Engine,
    module: &wasmtime::Module,
    case: &Case,
    count: u64,
) -> Run {
    let count_arg = count.to_string();
    let file = match case.sink {
        Sink::Null => None,
        Sink::DevNull => Some(dev_null()),
    };
    let a0 = allocations();
    let t0 = Instant::now();
    let mut linker: Linker<WasiP1Ctx> = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx).expect("cannot link wasmtime-wasi");
    let pre: InstancePre<WasiP1Ctx> = linker
        .instantiate_pre(module)
        .expect("cannot link the guest");
    let mut builder = WasiCtxBuilder::new();
    builder.args(&["bench.wasm", case.op.guest_arg(), &count_arg]);
    match file {
        None => builder.stdout(wasmtime_wasi::p2::pipe::SinkOutputStream),
        Some(f) => builder.stdout(wasmtime_wasi::cli::OutputFile::new(f)),
    };
    if case.rand == Rand::Os {
        builder.secure_random(GetrandomRng);
    }
    if case.op.uses_fs() {
        // Before the preopen: each preopen takes the setting when added.
        builder.allow_blocking_current_thread(env.settings.wt_blocking);
        builder
            .preopened_dir(&env.fixture().dir, GUEST_PREOPEN, FsPerms::ReadWrite)
            .expect("wasmtime-wasi: cannot preopen the fixture");
    }
    let mut store = Store::new(engine, builder.build_p1());
    // With WASIHOST_BENCH_INTERRUPTIBLE the shared engine has epoch
    // interruption on, and a store without a deadline would trap at once.
    // Both hosts run the same compiled code, epoch checks included.
    if env.settings.interruptible {
        store.set_epoch_deadline(u64::MAX);
    }
    let instance = pre.instantiate(&mut store).expect("cannot instantiate");
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .expect("no _start");
    let result = start.call(&mut store, ());
    drop(store);
    let time = t0.elapsed();
    let allocs = allocations() - a0;
    let code = match result {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => exit.0 as u32,
            None => panic!("wasmtime-wasi: guest trapped: {e:?}"),
        },
    };
    check_exit("wasmtime-wasi", case, count, code);
    after_run(env, "wasmtime-wasi", case, count);
    Run { time, allocs }
}

// ---------------------------------------------------------------------------
// Native baselines

/// `count` native calls (bytes for the bandwidth baselines); the time of
/// the calls alone (for the bandwidth baselines: of the data transfer, the
/// open and close left out, as the hosts' 0-byte run takes them out).
fn run_native(env: &Env, native: Native, count: u64) -> Duration {
    match native {
        Native::WriteDevNull => {
            use std::os::fd::AsRawFd;
            let file = dev_null();
            let fd = file.as_raw_fd();
            let buf = *b"0123456789abcde\n";
            let t0 = Instant::now();
            for _ in 0..count {
                // SAFETY: `fd` is open for the whole loop; `buf` is 16 bytes.
                let n = unsafe { libc::write(fd, black_box(buf.as_ptr()).cast(), buf.len()) };
                assert_eq!(n, 16, "write(2) to /dev/null failed");
            }
            t0.elapsed()
        }
        Native::WritevDevNull => {
            use std::os::fd::AsRawFd;
            let file = dev_null();
            let fd = file.as_raw_fd();
            let buf = *b"0123456789abcde\n";
            let iov = libc::iovec {
                iov_base: buf.as_ptr() as *mut libc::c_void,
                iov_len: buf.len(),
            };
            let t0 = Instant::now();
            for _ in 0..count {
                // SAFETY: `fd` is open for the whole loop; `iov` points to
                // `buf`, alive for the whole loop.
                let n = unsafe { libc::writev(fd, black_box(&iov), 1) };
                assert_eq!(n, 16, "writev(2) to /dev/null failed");
            }
            t0.elapsed()
        }
        Native::ClockGettime => {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            let t0 = Instant::now();
            for _ in 0..count {
                // SAFETY: `ts` is a valid timespec.
                let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
                assert_eq!(r, 0);
                black_box(&ts);
            }
            t0.elapsed()
        }
        Native::ThreadRng => {
            let mut buf = [0u8; 256];
            let mut rng = rand::rng();
            let t0 = Instant::now();
            for _ in 0..count {
                rng.fill_bytes(black_box(&mut buf));
            }
            t0.elapsed()
        }
        Native::OsRng => {
            let mut buf = [0u8; 256];
            let t0 = Instant::now();
            for _ in 0..count {
                rand::rngs::OsRng
                    .try_fill_bytes(black_box(&mut buf))
                    .expect("getrandom failed");
            }
            t0.elapsed()
        }
        Native::OpenClose => {
            let path = env.fixture().path(SMALL_FILE);
            let t0 = Instant::now();
            for _ in 0..count {
                let f = File::open(black_box(&path)).expect("cannot open small.txt");
                drop(black_box(f));
            }
            t0.elapsed()
        }
        Native::Metadata => {
            let path = env.fixture().path(SMALL_FILE);
            let t0 = Instant::now();
            for _ in 0..count {
                let m = std::fs::metadata(black_box(&path)).expect("cannot stat small.txt");
                assert!(m.is_file() && m.len() == SMALL_SIZE as u64);
            }
            t0.elapsed()
        }
        Native::ReadDir => {
            let path = env.fixture().path(LIST_DIR);
            let t0 = Instant::now();
            for _ in 0..count {
                let names: Vec<OsString> = std::fs::read_dir(black_box(&path))
                    .expect("cannot list dir1000")
                    .map(|e| e.expect("cannot read dir1000").file_name())
                    .collect();
                // read_dir leaves out "." and "..", which the guests count.
                assert_eq!(names.len() + 2, LIST_ENTRIES + 2);
                black_box(names);
            }
            t0.elapsed()
        }
        Native::FileRead => {
            let path = env.fixture().path(BIG_FILE);
            let mut f = File::open(&path).expect("cannot open big.bin");
            let mut buf = vec![0u8; CHUNK];
            let mut done = 0u64;
            let t0 = Instant::now();
            while done < count {
                let want = (count - done).min(CHUNK as u64) as usize;
                let got = f.read(&mut buf[..want]).expect("cannot read big.bin");
                // The guest's checks: a full chunk, its stamps.
                assert_eq!(got, want, "short read");
                assert!(
                    buf[..8] == word_at(done)
                        && buf[got - 8..got] == word_at(done + got as u64 - 8)
                );
                done += got as u64;
            }
            let eof = f.read(&mut buf).expect("cannot read big.bin");
            let time = t0.elapsed();
            assert_eq!(eof, 0, "big.bin is longer than {count} bytes");
            time
        }
        Native::FileWrite => {
            let fixture = env.fixture();
            let mut f = File::create(fixture.path(OUT_FILE)).expect("cannot create out.bin");
            let mut buf = vec![0u8; CHUNK];
            let mut done = 0u64;
            let t0 = Instant::now();
            while done < count {
                let len = (count - done).min(CHUNK as u64) as usize;
                buf[..8].copy_from_slice(&word_at(done));
                buf[len - 8..len].copy_from_slice(&word_at(done + len as u64 - 8));
                let n = f.write(&buf[..len]).expect("cannot write out.bin");
                assert_eq!(n, len, "short write");
                done += len as u64;
            }
            let time = t0.elapsed();
            drop(f);
            fixture.check_and_remove_out("native", count);
            time
        }
    }
}

// ---------------------------------------------------------------------------
// Statistics

#[derive(Default)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(mut v: Vec<f64>) -> Stats {
    if v.is_empty() {
        return Stats::default();
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Stats {
        median,
        min: v[0],
        max: v[n - 1],
    }
}

/// Samples of one host on one case.
#[derive(Default)]
struct HostSamples {
    /// time(N) - time(0), seconds.
    work_secs: Vec<f64>,
    allocs_per_call: Vec<f64>,
    setup_us: Vec<f64>,
    setup_allocs: Vec<f64>,
}

impl HostSamples {
    fn add(&mut self, zero: &Run, full: &Run, calls: u64) {
        self.work_secs
            .push(full.time.as_secs_f64() - zero.time.as_secs_f64());
        self.allocs_per_call
            .push((full.allocs as f64 - zero.allocs as f64) / calls as f64);
        self.setup_us.push(zero.time.as_secs_f64() * 1e6);
        self.setup_allocs.push(zero.allocs as f64);
    }

    fn ns_per_call(&self, calls: u64) -> Stats {
        stats(
            self.work_secs
                .iter()
                .map(|s| s * 1e9 / calls as f64)
                .collect(),
        )
    }
}

/// MB/s (10^6 bytes per second) of moving `bytes` in each of `secs`.
fn bandwidth(bytes: u64, secs: &[f64]) -> Stats {
    stats(secs.iter().map(|s| bytes as f64 / s / 1e6).collect())
}

struct Row {
    name: &'static str,
    /// COUNT: calls, or bytes on a bandwidth row.
    count: u64,
    /// wasmtime-wasi's COUNT.
    theirs_count: u64,
    bandwidth: bool,
    /// ns per call, or MB/s on a bandwidth row.
    ours: Stats,
    theirs: Stats,
    ours_allocs: Stats,
    theirs_allocs: Stats,
    ours_setup_us: Stats,
    theirs_setup_us: Stats,
    ours_setup_allocs: Stats,
    theirs_setup_allocs: Stats,
    native: Option<(Native, Stats)>,
}

fn measure(env: &Env, module: &Module, case: &Case) -> Row {
    let settings = env.settings;
    let count = case.count(settings);
    let calls = case.calls(count);
    let theirs_count = case.theirs_count(count);
    let theirs_calls = case.calls(theirs_count);
    let engine = module.wasmtime().engine().clone();
    let wt_module = module.wasmtime();

    // Warm up: thread-local RNGs, wasmtime-wasi's tokio runtime, caches.
    let warm = case.warm_count(count);
    run_ours(env, module, case, warm);
    run_wasmtime_wasi(env, &engine, wt_module, case, case.warm_count(theirs_count));
    if case.op.is_bandwidth()
        && let Some(n) = case.native
    {
        run_native(env, n, warm);
    }

    let mut ours = HostSamples::default();
    let mut theirs = HostSamples::default();
    let mut native = Vec::new();
    let unit = if case.op.is_bandwidth() {
        "bytes"
    } else {
        "calls"
    };
    let theirs_note = if theirs_count != count {
        format!(", wasmtime-wasi {theirs_count}")
    } else {
        String::new()
    };
    eprintln!(
        "measuring {} ({count} {unit}{theirs_note} x {} runs)",
        case.name, settings.reps
    );
    for rep in 0..settings.reps {
        // Alternate the hosts so drift affects both alike, and rotate which
        // goes first: a run can pay for the previous one's leftovers (freed
        // page cache, a deleted 256 MiB file, tokio's idle threads).
        for turn in 0..3 {
            match (rep + turn) % 3 {
                0 => {
                    let zero = run_ours(env, module, case, 0);
                    let full = run_ours(env, module, case, count);
                    ours.add(&zero, &full, calls);
                }
                1 => {
                    let zero = run_wasmtime_wasi(env, &engine, wt_module, case, 0);
                    let full = run_wasmtime_wasi(env, &engine, wt_module, case, theirs_count);
                    theirs.add(&zero, &full, theirs_calls);
                }
                _ => {
                    if let Some(n) = case.native {
                        native.push(run_native(env, n, count).as_secs_f64());
                    }
                }
            }
        }
    }
    let (ours_v, theirs_v, native_v) = if case.op.is_bandwidth() {
        (
            bandwidth(count, &ours.work_secs),
            bandwidth(theirs_count, &theirs.work_secs),
            bandwidth(count, &native),
        )
    } else {
        (
            ours.ns_per_call(calls),
            theirs.ns_per_call(theirs_calls),
            stats(native.iter().map(|s| s * 1e9 / calls as f64).collect()),
        )
    };
    Row {
        name: case.name,
        count,
        theirs_count,
        bandwidth: case.op.is_bandwidth(),
        ours: ours_v,
        theirs: theirs_v,
        ours_allocs: stats(ours.allocs_per_call),
        theirs_allocs: stats(theirs.allocs_per_call),
        ours_setup_us: stats(ours.setup_us),
        theirs_setup_us: stats(theirs.setup_us),
        ours_setup_allocs: stats(ours.setup_allocs),
        theirs_setup_allocs: stats(theirs.setup_allocs),
        native: case.native.map(|n| (n, native_v)),
    }
}

// ---------------------------------------------------------------------------
// Report

fn print_table(rows: &[Row], settings: &Settings) {
    let per_call: Vec<&Row> = rows.iter().filter(|r| !r.bandwidth).collect();
    let bw: Vec<&Row> = rows.iter().filter(|r| r.bandwidth).collect();
    if !per_call.is_empty() {
        print_per_call(&per_call, settings);
    }
    if !bw.is_empty() {
        print_bandwidth(&bw, settings);
    }
    println!();
    println!(
        "per-run setup (the 0-call run: host + linker + instantiation + libc startup; \
         for the bandwidth rows also the open and close), median"
    );
    println!(
        "{:<32} | {:>10} | {:>16} | {:>11} | {:>9}",
        "op", "ours us", "wasmtime-wasi us", "ours allocs", "wt allocs"
    );
    for r in rows {
        println!(
            "{:<32} | {:>10.1} | {:>16.1} | {:>11.0} | {:>9.0}",
            r.name,
            r.ours_setup_us.median,
            r.theirs_setup_us.median,
            r.ours_setup_allocs.median,
            r.theirs_setup_allocs.median,
        );
    }
}

fn print_per_call(rows: &[&Row], settings: &Settings) {
    let rule = "-".repeat(170);
    println!();
    println!(
        "ns per call: median (min) over {} runs, each (time(N calls) - time(0 calls)) / N, \
         fresh instance per run",
        settings.reps
    );
    println!("{rule}");
    println!(
        "{:<32} | {:>8} | {:>21} | {:>21} | {:>7} | {:>19} | {:>7} | {:>15} | native baseline",
        "op",
        "calls N",
        "ours ns/call",
        "wasmtime-wasi ns/call",
        "ratio",
        "native ns/call",
        "ratio",
        "allocs/call",
    );
    println!(
        "{:<32} | {:>8} | {:>21} | {:>21} | {:>7} | {:>19} | {:>7} | {:>15} |",
        "", "", "median (min)", "median (min)", "ours/wt", "median (min)", "ours/nat", "ours / wt"
    );
    println!("{rule}");
    for r in rows {
        let (native, vs_native, label) = match &r.native {
            Some((n, s)) => (
                format!("{:>8.1} ({:>8.1})", s.median, s.min),
                format!("{:>7.2}", r.ours.median / s.median),
                n.label(),
            ),
            None => ("-".to_string(), "-".to_string(), "-"),
        };
        let calls = if r.theirs_count == r.count {
            r.count.to_string()
        } else {
            format!("{}/{}", r.count, r.theirs_count)
        };
        println!(
            "{:<32} | {:>8} | {:>9.1} ({:>9.1}) | {:>9.1} ({:>9.1}) | {:>7.3} | {:>19} | {:>7} | {:>6.3} / {:>6.2} | {}",
            r.name,
            calls,
            r.ours.median,
            r.ours.min,
            r.theirs.median,
            r.theirs.min,
            r.ours.median / r.theirs.median,
            native,
            vs_native,
            r.ours_allocs.median,
            r.theirs_allocs.median,
            label,
        );
    }
    println!("{rule}");
    if rows.iter().any(|r| r.theirs_count != r.count) {
        println!(
            "calls N shown as ours/wasmtime-wasi where wasmtime-wasi runs fewer: its fd_readdir \
             lists the directory and stats every entry on each call"
        );
    }
}

fn print_bandwidth(rows: &[&Row], settings: &Settings) {
    let rule = "-".repeat(170);
    println!();
    println!(
        "bandwidth, MB/s (10^6 bytes/s): median (best) over {} runs, each \
         bytes / (time(N bytes) - time(0 bytes)), {} KiB per call, fresh instance per run; \
         native: the transfer loop alone",
        settings.reps,
        CHUNK >> 10
    );
    println!("{rule}");
    println!(
        "{:<32} | {:>9} | {:>17} | {:>17} | {:>17} | {:>9} | {:>7} | {:>15} | native baseline",
        "op",
        "MiB",
        "ours MB/s",
        "wasmtime-wasi MB/s",
        "native MB/s",
        "ratio",
        "ratio",
        "allocs/call",
    );
    println!(
        "{:<32} | {:>9} | {:>17} | {:>17} | {:>17} | {:>9} | {:>7} | {:>15} |",
        "",
        "",
        "median (best)",
        "median (best)",
        "median (best)",
        "ours/nat",
        "ours/wt",
        "ours / wt"
    );
    println!("{rule}");
    for r in rows {
        let (native, vs_native, label) = match &r.native {
            Some((n, s)) => (
                format!("{:>7.0} ({:>7.0})", s.median, s.max),
                format!("{:>9.3}", r.ours.median / s.median),
                n.label(),
            ),
            None => ("-".to_string(), "-".to_string(), "-"),
        };
        println!(
            "{:<32} | {:>9.1} | {:>7.0} ({:>7.0}) | {:>7.0} ({:>7.0}) | {:>17} | {:>9} | {:>7.2} | {:>6.3} / {:>6.2} | {}",
            r.name,
            r.count as f64 / (1 << 20) as f64,
            r.ours.median,
            r.ours.max,
            r.theirs.median,
            r.theirs.max,
            native,
            vs_native,
            r.ours.median / r.theirs.median,
            r.ours_allocs.median,
            r.theirs_allocs.median,
            label,
        );
    }
    println!("{rule}");
}

/// The targets the filesystem rows are held to.
fn print_targets(rows: &[Row], scale: f64) {
    let mut lines = Vec::new();
    for r in rows {
        let Some((_, native)) = &r.native else {
            continue;
        };
        match r.name {
            n if r.bandwidth => {
                let ratio = r.ours.median / native.median;
                lines.push(format!(
                    "  {n:<32} ours/native bandwidth {ratio:.3} (target >= 0.90): {}",
                    if ratio >= 0.9 { "met" } else { "NOT met" }
                ));
            }
            n if n.starts_with("fd_readdir") => {
                let ratio = r.ours.median / native.median;
                lines.push(format!(
                    "  {n:<32} ours/native time {ratio:.2}x (target <= 3x): {}",
                    if ratio <= 3.0 { "met" } else { "NOT met" }
                ));
            }
            _ => {}
        }
    }
    if !lines.is_empty() {
        println!();
        if scale == 1.0 {
            println!("targets (medians):");
        } else {
            println!("targets (medians; they are set for scale 1, this run is at scale {scale}):");
        }
        for l in lines {
            println!("{l}");
        }
    }
}

fn print_notes(env: &Env, cases: &[Case]) {
    let settings = env.settings;
    println!();
    println!("configuration per row (ours | wasmtime-wasi, linked with p1::add_to_linker_sync):");
    for c in cases {
        println!("  {:<32} {} | {}", c.name, c.ours_setup, c.theirs_setup);
    }
    if let Some(fx) = env.fixture {
        println!(
            "  filesystem rows: fixture {} on {}; wasmtime-wasi allow_blocking_current_thread({}){}",
            fx.dir.display(),
            fx.fs_type,
            settings.wt_blocking,
            if settings.wt_blocking {
                ""
            } else {
                " (its default: file calls go through tokio's blocking pool; \
                 WASIHOST_BENCH_WT_BLOCKING=1 turns it on)"
            }
        );
        println!(
            "  path_open opens small.txt for fd_read; path_filestat_get follows symlinks; \
             a listing is path_open(directory) + fd_readdir (4 KiB buffer) from cookie 0 to \
             the end + fd_close,\n  checked for {} entries with . and ..; the write row \
             creates out.bin (creat|trunc), which is checked and deleted after each run \
             (page-cache writes, no fsync)",
            LIST_ENTRIES + 2
        );
    }
    if cases.iter().any(|c| c.sink == Sink::DevNull) {
        let calls = settings.count(1_000_000);
        let samples = (0..settings.reps)
            .map(|_| {
                run_native(env, Native::WritevDevNull, calls).as_secs_f64() * 1e9 / calls as f64
            })
            .collect();
        let s = stats(samples);
        println!();
        println!(
            "ours writes a host file with one write(2) per one-buffer fd_write (writev(2) for more); native {}: {:.1} ({:.1}) ns/call",
            Native::WritevDevNull.label(),
            s.median,
            s.min
        );
    }
    if cases.iter().any(|c| c.op == Op::Random) {
        println!(
            "wasmtime-wasi's random_get collects random_iter::<u8>() into a new Vec: one u32 \
             drawn from its generator per byte,\n  so with an OS generator (the `Os` row) \
             that is one getrandom(2) per byte, 256 per call"
        );
    }
    println!(
        "allocs/call counts allocations and reallocations on all threads, \
         (allocations(N) - allocations(0)) / calls (a bandwidth row's calls are its 64 KiB chunks)"
    );
}

fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wasihost-bench: {e}");
            return ExitCode::from(2);
        }
    };
    if cfg!(debug_assertions) {
        eprintln!("wasihost-bench: warning: debug build; run `cargo bench -p wasihost-bench`");
    }
    let (wasm_path, wasm) = match build_guest() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("wasihost-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let engine = Engine::builder()
        .interruptible(settings.interruptible)
        .build()
        .expect("cannot create the engine");
    let module = Module::new(&engine, &wasm).expect("cannot compile the guest");

    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| settings.selects(c.name))
        .collect();
    if cases.is_empty() {
        eprintln!("wasihost-bench: no row matches {:?}", settings.filters);
        return ExitCode::from(2);
    }
    let fixture = if cases.iter().any(|c| c.op.uses_fs()) {
        match Fixture::prepare(&settings, &cases) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("wasihost-bench: cannot prepare the filesystem fixture: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let env = Env {
        settings: &settings,
        fixture: fixture.as_ref(),
    };
    println!("wasihost-bench: wasihost_core vs wasmtime-wasi 48.0.8 (preview1), wasmtime 48.0.8");
    println!(
        "guest: {} ({} bytes, clang --target=wasm32-wasi -O2), one compiled module for both hosts",
        wasm_path.display(),
        wasm.len()
    );
    println!(
        "scale {} (WASIHOST_BENCH_SCALE), {} repetitions (WASIHOST_BENCH_REPS), {} CPUs",
        settings.scale,
        settings.reps,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "interruption: {} (WASIHOST_BENCH_INTERRUPTIBLE)",
        if settings.interruptible {
            "compiled in for both hosts; ours runs with a timeout armed"
        } else {
            "off (the default engine: no epoch checks)"
        }
    );
    if let Some(fx) = &fixture {
        println!(
            "filesystem rows: preopened {} ({}) as {GUEST_PREOPEN} (fd 3) on both hosts",
            fx.dir.display(),
            fx.fs_type
        );
    }

    let rows: Vec<Row> = cases.iter().map(|c| measure(&env, &module, c)).collect();
    print_table(&rows, &settings);
    print_targets(&rows, settings.scale);
    print_notes(&env, &cases);
    ExitCode::SUCCESS
}
