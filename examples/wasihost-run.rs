//! A small command-line runner on the Rust API, following the CLI contract
//! of the C `wasihost-run` (which replaces it as the main entry point once
//! the C ABI exists):
//!
//! ```text
//! wasihost-run [--dir HOST[::GUEST]]... [--ro-dir HOST[::GUEST]]...
//!              [--env NAME[=VALUE]]... [--stdin FILE] [--cache-dir DIR]
//!              [--cache-max-size BYTES] [--no-cache] [--timeout DURATION]
//!              [--fuel N] [--max-memory BYTES] [--max-open-fds N]
//!              [--trace FILE [--trace-filter LIST]] [--deterministic[=SEED]]
//!              FILE.wasm [ARGS...]
//! ```
//!
//! stdin, stdout and stderr pass through. Exit status: the guest's exit
//! code; 134 after a trap (its message on stderr); 124 when it timed out;
//! 152 when it ran out of fuel; 137 when its memories as declared exceed
//! `--max-memory`; 2 for a usage or load error. The limits show the Rust
//! API: an engine made interruptible only for `--timeout`, with fuel only
//! for `--fuel`, and [`Limits`] for the instance; `--trace` shows [`Hooks`]
//! with a [`JsonLines`] tracer, `--deterministic` the builder's preset.
//! Modules load through a [`ModuleCache`] (the default directory unless
//! `--cache-dir`; `--no-cache` compiles every time) with
//! [`ModuleCache::load_file`], which starts an unchanged module without
//! reading it.

use std::process::ExitCode;
use std::time::Duration;

use wasihost_core::wasi_snapshot_preview1::{CallSet, Hooks, JsonLines};
use wasihost_core::{Engine, Input, Limits, Module, ModuleCache, Outcome, WasiHost};

fn usage(msg: &str) -> ExitCode {
    eprintln!("wasihost-run: {msg}");
    eprintln!(
        "usage: wasihost-run [--dir HOST[::GUEST]]... [--ro-dir HOST[::GUEST]]... \
         [--env NAME[=VALUE]]... [--stdin FILE] [--cache-dir DIR] [--cache-max-size BYTES] \
         [--no-cache] [--timeout DURATION] [--fuel N] \
         [--max-memory BYTES] [--max-open-fds N] [--trace FILE [--trace-filter LIST]] \
         [--deterministic[=SEED]] FILE.wasm [ARGS...]"
    );
    ExitCode::from(2)
}

/// `500ms`, `2s`, `1.5m`, `10` (seconds): units ns, us, ms, s, m, h.
fn parse_duration(s: &str) -> Option<Duration> {
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let scale = match unit {
        "ns" => 1e-9,
        "us" => 1e-6,
        "ms" => 1e-3,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    let secs = num.parse::<f64>().ok()? * scale;
    (secs.is_finite() && secs > 0.0)
        .then(|| Duration::try_from_secs_f64(secs).ok())
        .flatten()
        .filter(|d| !d.is_zero())
}

/// `65536`, `64M`, `4GiB`: K, M, G, T are powers of 1024.
fn parse_bytes(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KIB" => 10,
        "M" | "MIB" => 20,
        "G" | "GIB" => 30,
        "T" | "TIB" => 40,
        _ => return None,
    };
    num.parse::<u64>().ok()?.checked_mul(1 << shift)
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let mut builder = WasiHost::builder().inherit_stdio();
    let mut limits = Limits::new();
    let mut timeout_text = String::new();
    let mut trace: Option<std::ffi::OsString> = None;
    let mut trace_filter: Option<String> = None;
    let mut cache_dir = ModuleCache::default_dir();
    let mut cache_max_size = Some(ModuleCache::DEFAULT_MAX_SIZE);
    let module_path = loop {
        let Some(arg) = args.next() else {
            return usage("missing FILE.wasm");
        };
        let Some(s) = arg.to_str() else {
            break arg;
        };
        match s {
            "--env" => {
                let Some(spec) = args.next() else {
                    return usage("--env needs NAME[=VALUE]");
                };
                let spec = spec.to_string_lossy().into_owned();
                builder = match spec.split_once('=') {
                    Some((name, value)) => builder.env(name, value),
                    None => builder.inherit_env_var(&spec),
                };
            }
            "--dir" | "--ro-dir" => {
                let Some(spec) = args.next() else {
                    return usage(&format!("{s} needs HOST[::GUEST]"));
                };
                let spec = spec.to_string_lossy().into_owned();
                // Without ::GUEST the guest sees the directory under the
                // name it has on the host, as with wasmtime.
                let (host, guest) = spec.split_once("::").unwrap_or((&spec, &spec));
                builder = if s == "--dir" {
                    builder.preopen_dir(host, guest)
                } else {
                    builder.preopen_dir_readonly(host, guest)
                };
            }
            "--cache-dir" => match args.next() {
                Some(d) if !d.is_empty() => cache_dir = Some(d.into()),
                _ => return usage("--cache-dir needs DIR"),
            },
            "--no-cache" => cache_dir = None,
            "--cache-max-size" => match args.next().and_then(|v| parse_bytes(v.to_str()?)) {
                Some(0) => cache_max_size = None,
                Some(b) => cache_max_size = Some(b),
                None => return usage("--cache-max-size needs BYTES"),
            },
            "--stdin" => {
                let Some(path) = args.next() else {
                    return usage("--stdin needs FILE");
                };
                builder = builder.stdin(Input::path(path));
            }
            "--timeout" | "--fuel" | "--max-memory" | "--max-open-fds" => {
                let Some(v) = args.next() else {
                    return usage(&format!("{s} needs a value"));
                };
                let v = v.to_string_lossy().into_owned();
                let bad = || usage(&format!("{s}: invalid value {v:?}"));
                match s {
                    "--timeout" => match parse_duration(&v) {
                        Some(d) => {
                            limits = limits.timeout(d);
                            timeout_text = v.clone();
                        }
                        None => return bad(),
                    },
                    "--fuel" => match v.parse::<u64>() {
                        Ok(n) if n > 0 => limits = limits.fuel(n),
                        _ => return bad(),
                    },
                    "--max-memory" => match parse_bytes(&v) {
                        Some(b) => limits = limits.max_memory(b),
                        None => return bad(),
                    },
                    _ => match v.parse::<usize>() {
                        Ok(n) if n >= 3 => builder = builder.max_open_fds(n),
                        _ => return bad(),
                    },
                }
            }
            "--trace" => match args.next() {
                Some(p) => trace = Some(p),
                None => return usage("--trace needs FILE"),
            },
            "--trace-filter" => match args.next() {
                Some(f) => trace_filter = Some(f.to_string_lossy().into_owned()),
                None => return usage("--trace-filter needs LIST"),
            },
            "--deterministic" => builder = builder.deterministic(0),
            s if s.starts_with("--deterministic=") => {
                match s["--deterministic=".len()..].parse::<u64>() {
                    Ok(seed) => builder = builder.deterministic(seed),
                    Err(_) => return usage(&format!("--deterministic=SEED needs an integer: {s}")),
                }
            }
            "-h" | "--help" => {
                usage("help");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with("--") => return usage(&format!("unknown option {s}")),
            _ => break arg,
        }
    };
    let hooks = match (trace, trace_filter) {
        (None, Some(_)) => return usage("--trace-filter needs --trace FILE"),
        (None, None) => None,
        (Some(path), filter) => {
            let calls = match CallSet::parse(filter.as_deref().unwrap_or("all")) {
                Ok(c) => c,
                Err(e) => return usage(&format!("--trace-filter: {e}")),
            };
            match std::fs::File::create(&path) {
                Ok(f) => Some(Hooks::new().trace(calls, JsonLines::new(f))),
                Err(e) => return usage(&format!("--trace {}: {e}", path.to_string_lossy())),
            }
        }
    };
    use std::os::unix::ffi::OsStrExt;
    builder = builder.arg(module_path.as_bytes());
    for a in args {
        builder = builder.arg(a.as_bytes());
    }
    let host = match builder.build() {
        Ok(h) => h,
        Err(e) => return usage(&e.to_string()),
    };
    // Interruption and fuel cost guest code time: only when asked for.
    let engine = Engine::builder()
        .interruptible(limits.get_timeout().is_some())
        .fuel(limits.get_fuel().is_some())
        .build();
    let engine = match engine {
        Ok(e) => e,
        Err(e) => return usage(&e.to_string()),
    };
    let loaded = match cache_dir {
        Some(dir) => ModuleCache::new(dir)
            .max_size(cache_max_size)
            .load_file(&engine, &module_path)
            .map(|(m, _status)| m),
        None => Module::from_file(&engine, &module_path),
    };
    let module = match loaded {
        Ok(m) => m,
        Err(e) => return usage(&e.to_string()),
    };
    match module.run_with_hooks(host, &limits, None, hooks.as_ref()) {
        Ok(Outcome::Exit(code)) => ExitCode::from(code as u8),
        Ok(Outcome::Trap(trap)) => {
            eprintln!("wasihost-run: guest trapped: {trap}");
            ExitCode::from(134)
        }
        Ok(Outcome::TimedOut) => {
            eprintln!("wasihost-run: timed out after {timeout_text}");
            ExitCode::from(124)
        }
        Ok(Outcome::FuelExhausted) => {
            eprintln!(
                "wasihost-run: out of fuel after {} units",
                limits.get_fuel().unwrap_or(0)
            );
            ExitCode::from(152)
        }
        Ok(Outcome::MemoryLimit) => {
            eprintln!("wasihost-run: the module's memories exceed --max-memory");
            ExitCode::from(137)
        }
        Ok(Outcome::Interrupted) => {
            eprintln!("wasihost-run: guest interrupted");
            ExitCode::from(134)
        }
        Err(e) => usage(&e.to_string()),
    }
}
