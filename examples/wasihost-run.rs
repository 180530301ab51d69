//! A small command-line runner on the Rust API, following the CLI contract
//! of the C `wasihost-run` (which replaces it as the main entry point once
//! the C ABI exists):
//!
//! ```text
//! wasihost-run [--dir HOST[::GUEST]]... [--ro-dir HOST[::GUEST]]...
//!              [--env NAME[=VALUE]]... [--stdin FILE] FILE.wasm [ARGS...]
//! ```
//!
//! stdin, stdout and stderr pass through. Exit status: the guest's exit
//! code; 134 after a trap (its message on stderr); 2 for a usage or load
//! error.

use std::process::ExitCode;

use wasihost_core::{Engine, Input, Module, Outcome, WasiHost};

fn usage(msg: &str) -> ExitCode {
    eprintln!("wasihost-run: {msg}");
    eprintln!(
        "usage: wasihost-run [--dir HOST[::GUEST]]... [--ro-dir HOST[::GUEST]]... \
         [--env NAME[=VALUE]]... [--stdin FILE] FILE.wasm [ARGS...]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let mut builder = WasiHost::builder().inherit_stdio();
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
            "--stdin" => {
                let Some(path) = args.next() else {
                    return usage("--stdin needs FILE");
                };
                builder = builder.stdin(Input::path(path));
            }
            "-h" | "--help" => {
                usage("help");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with("--") => return usage(&format!("unknown option {s}")),
            _ => break arg,
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
    let engine = match Engine::new() {
        Ok(e) => e,
        Err(e) => return usage(&e.to_string()),
    };
    let module = match Module::from_file(&engine, &module_path) {
        Ok(m) => m,
        Err(e) => return usage(&e.to_string()),
    };
    match module.run(host) {
        Ok(Outcome::Exit(code)) => ExitCode::from(code as u8),
        Ok(Outcome::Trap(msg)) => {
            eprintln!("wasihost-run: guest trapped: {msg}");
            ExitCode::from(134)
        }
        Ok(other) => {
            eprintln!("wasihost-run: guest {other}");
            ExitCode::from(134)
        }
        Err(e) => usage(&e.to_string()),
    }
}
