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
//! A counting global allocator checks that a call allocates nothing:
//! `(allocations(N) - allocations(0)) / N`, counted over all threads.
//!
//! Environment:
//! * `WASIHOST_BENCH_SCALE` (default 1): multiplies every call count.
//! * `WASIHOST_BENCH_REPS` (default 7): repetitions per measurement.
//! * `CLANG` (default `clang`): the compiler for the guest.
//!
//! Arguments that do not start with `-` select the rows whose name contains
//! one of them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::fs::File;
use std::hint::black_box;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::{RngCore, TryRngCore};
use wasihost_core::{Engine, Module, Outcome, Output, RandomSource, WasiHost};
use wasmtime::{InstancePre, Linker, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::WasiP1Ctx;

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
        // `cargo bench` passes `--bench`; other flags are ignored too.
        let filters = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .collect();
        Ok(Settings {
            scale,
            reps,
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
// The cases

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Write,
    Clock,
    Random,
}

impl Op {
    /// The guest's OP argument.
    fn guest_arg(self) -> &'static str {
        match self {
            Op::Write => "write",
            Op::Clock => "clock",
            Op::Random => "random",
        }
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
}

impl Native {
    fn label(self) -> &'static str {
        match self {
            Native::WriteDevNull => "write(2) 16 B /dev/null",
            Native::WritevDevNull => "writev(2) 1 x 16 B /dev/null",
            Native::ClockGettime => "clock_gettime(MONOTONIC)",
            Native::ThreadRng => "ThreadRng 256 B",
            Native::OsRng => "OsRng/getrandom 256 B",
        }
    }
}

struct Case {
    name: &'static str,
    op: Op,
    base_calls: u64,
    sink: Sink,
    rand: Rand,
    native: Option<Native>,
    /// What each host is configured with, for the legend.
    ours_setup: &'static str,
    theirs_setup: &'static str,
}

const RANDOM_CALLS: u64 = (64 << 20) / 256;

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "fd_write 16 B -> null sink",
            op: Op::Write,
            base_calls: 1_000_000,
            sink: Sink::Null,
            rand: Rand::Default,
            native: None,
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
            ours_setup: "RandomSource::Os",
            theirs_setup: "secure_random(getrandom per call)",
        },
    ]
}

// ---------------------------------------------------------------------------
// Running the guest

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

/// Our host: build it, instantiate, run `_start`.
fn run_ours(module: &Module, case: &Case, count: u64) -> Run {
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
    let host = WasiHost::builder()
        .arg("bench.wasm")
        .arg(case.op.guest_arg())
        .arg(&count_arg)
        .stdout(stdout)
        .random(random)
        .build()
        .expect("cannot build the host");
    let outcome = module.run(host).expect("cannot run the guest");
    let time = t0.elapsed();
    let allocs = allocations() - a0;
    match outcome {
        Outcome::Exit(code) => check_exit("ours", case, count, code),
        Outcome::Trap(msg) => panic!("ours: guest trapped: {msg}"),
    }
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
    let mut store = Store::new(engine, builder.build_p1());
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
    Run { time, allocs }
}

// ---------------------------------------------------------------------------
// Native baselines

fn run_native(native: Native, count: u64) -> Duration {
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
    }
}

// ---------------------------------------------------------------------------
// Statistics

#[derive(Default)]
struct Stats {
    median: f64,
    min: f64,
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
    Stats { median, min: v[0] }
}

/// Samples of one host on one case.
#[derive(Default)]
struct HostSamples {
    ns_per_call: Vec<f64>,
    allocs_per_call: Vec<f64>,
    setup_us: Vec<f64>,
    setup_allocs: Vec<f64>,
}

impl HostSamples {
    fn add(&mut self, zero: &Run, full: &Run, calls: u64) {
        let dt = full.time.as_secs_f64() - zero.time.as_secs_f64();
        self.ns_per_call.push(dt * 1e9 / calls as f64);
        self.allocs_per_call
            .push((full.allocs as f64 - zero.allocs as f64) / calls as f64);
        self.setup_us.push(zero.time.as_secs_f64() * 1e6);
        self.setup_allocs.push(zero.allocs as f64);
    }
}

struct Row {
    name: &'static str,
    calls: u64,
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

fn measure(settings: &Settings, module: &Module, case: &Case) -> Row {
    let calls = settings.count(case.base_calls);
    let engine = module.wasmtime().engine().clone();
    let wt_module = module.wasmtime();

    // Warm up: thread-local RNGs, wasmtime-wasi's tokio runtime, caches.
    let warm = calls.min(1000);
    run_ours(module, case, warm);
    run_wasmtime_wasi(&engine, wt_module, case, warm);

    let mut ours = HostSamples::default();
    let mut theirs = HostSamples::default();
    let mut native = Vec::new();
    eprintln!(
        "measuring {} ({} calls x {} runs)",
        case.name, calls, settings.reps
    );
    for _ in 0..settings.reps {
        // Alternate the hosts so drift affects both alike.
        let zero = run_ours(module, case, 0);
        let full = run_ours(module, case, calls);
        ours.add(&zero, &full, calls);
        let zero = run_wasmtime_wasi(&engine, wt_module, case, 0);
        let full = run_wasmtime_wasi(&engine, wt_module, case, calls);
        theirs.add(&zero, &full, calls);
        if let Some(n) = case.native {
            let t = run_native(n, calls);
            native.push(t.as_secs_f64() * 1e9 / calls as f64);
        }
    }
    Row {
        name: case.name,
        calls,
        ours: stats(ours.ns_per_call),
        theirs: stats(theirs.ns_per_call),
        ours_allocs: stats(ours.allocs_per_call),
        theirs_allocs: stats(theirs.allocs_per_call),
        ours_setup_us: stats(ours.setup_us),
        theirs_setup_us: stats(theirs.setup_us),
        ours_setup_allocs: stats(ours.setup_allocs),
        theirs_setup_allocs: stats(theirs.setup_allocs),
        native: case.native.map(|n| (n, stats(native))),
    }
}

// ---------------------------------------------------------------------------
// Report

fn print_table(rows: &[Row], settings: &Settings) {
    let rule = "-".repeat(150);
    println!();
    println!(
        "ns per call: median (min) over {} runs, each (time(N calls) - time(0 calls)) / N, \
         fresh instance per run",
        settings.reps
    );
    println!("{rule}");
    println!(
        "{:<28} | {:>8} | {:>21} | {:>21} | {:>7} | {:>19} | {:>15} | native baseline",
        "op",
        "calls N",
        "ours ns/call",
        "wasmtime-wasi ns/call",
        "ratio",
        "native ns/call",
        "allocs/call",
    );
    println!(
        "{:<28} | {:>8} | {:>21} | {:>21} | {:>7} | {:>19} | {:>15} |",
        "", "", "median (min)", "median (min)", "ours/wt", "median (min)", "ours / wt"
    );
    println!("{rule}");
    for r in rows {
        let (native, label) = match &r.native {
            Some((n, s)) => (format!("{:>8.1} ({:>8.1})", s.median, s.min), n.label()),
            None => ("-".to_string(), "-"),
        };
        println!(
            "{:<28} | {:>8} | {:>9.1} ({:>9.1}) | {:>9.1} ({:>9.1}) | {:>7.3} | {:>19} | {:>6.3} / {:>6.2} | {}",
            r.name,
            r.calls,
            r.ours.median,
            r.ours.min,
            r.theirs.median,
            r.theirs.min,
            r.ours.median / r.theirs.median,
            native,
            r.ours_allocs.median,
            r.theirs_allocs.median,
            label,
        );
    }
    println!("{rule}");
    println!();
    println!(
        "per-run setup (the 0-call run: host + linker + instantiation + libc startup), median"
    );
    println!(
        "{:<28} | {:>10} | {:>14} | {:>11} | {:>9}",
        "op", "ours us", "wasmtime-wasi us", "ours allocs", "wt allocs"
    );
    for r in rows {
        println!(
            "{:<28} | {:>10.1} | {:>16.1} | {:>11.0} | {:>9.0}",
            r.name,
            r.ours_setup_us.median,
            r.theirs_setup_us.median,
            r.ours_setup_allocs.median,
            r.theirs_setup_allocs.median,
        );
    }
}

fn print_notes(cases: &[Case], settings: &Settings) {
    println!();
    println!("configuration per row (ours | wasmtime-wasi, linked with p1::add_to_linker_sync):");
    for c in cases {
        println!("  {:<28} {} | {}", c.name, c.ours_setup, c.theirs_setup);
    }
    if cases.iter().any(|c| c.sink == Sink::DevNull) {
        let calls = settings.count(1_000_000);
        let samples = (0..settings.reps)
            .map(|_| run_native(Native::WritevDevNull, calls).as_secs_f64() * 1e9 / calls as f64)
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
         (allocations(N) - allocations(0)) / N"
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
    let engine = Engine::new().expect("cannot create the engine");
    let module = Module::new(&engine, &wasm).expect("cannot compile the guest");

    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| settings.selects(c.name))
        .collect();
    if cases.is_empty() {
        eprintln!("wasihost-bench: no row matches {:?}", settings.filters);
        return ExitCode::from(2);
    }
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

    let rows: Vec<Row> = cases
        .iter()
        .map(|c| measure(&settings, &module, c))
        .collect();
    print_table(&rows, &settings);
    print_notes(&cases, &settings);
    ExitCode::SUCCESS
}
