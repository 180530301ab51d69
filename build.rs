//! Generates the C header from `src/ffi` with cbindgen into `OUT_DIR`. The
//! committed copy, `include/wasihost.h`, is compared with it by a unit test
//! (`ffi::tests::committed_header_matches_the_source`); `make header`
//! refreshes it.

use std::path::PathBuf;

/// The shared library's SONAME: C programs record it and look for a file
/// of that name at run time (`make install` and `make lib` create it as a
/// link to the library).
const SONAME: &str = "libwasihost_core.so.0";

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{SONAME}");
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("wasihost.h");
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!(
        "cargo:rustc-env=WASIHOST_GENERATED_HEADER={}",
        out.display()
    );
    println!("cargo:rerun-if-changed=src/wasi_snapshot_preview1/types.rs");
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    let types = std::fs::read_to_string(crate_dir.join("src/wasi_snapshot_preview1/types.rs"))
        .expect("src/wasi_snapshot_preview1/types.rs is readable");
    config.after_includes = Some(format!("{}\n{}", version_macros(), errno_macros(&types)));
    // Parsing starts at src/ffi/mod.rs and follows its `mod` items, so
    // nothing public elsewhere in the crate lands in the header.
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen can generate the header from src/ffi")
        .write_to_file(&out);
}

/// `WASIHOST_VERSION_*`: the crate's version, for `#if` in C.
fn version_macros() -> String {
    let v = |k: &str| std::env::var(k).expect("cargo sets the package version");
    format!(
        "\n// The version of this header (wasihost_version() gives the library's).\n\
         #define WASIHOST_VERSION_MAJOR {}\n\
         #define WASIHOST_VERSION_MINOR {}\n\
         #define WASIHOST_VERSION_PATCH {}\n\
         #define WASIHOST_VERSION_STRING \"{}\"\n",
        v("CARGO_PKG_VERSION_MAJOR"),
        v("CARGO_PKG_VERSION_MINOR"),
        v("CARGO_PKG_VERSION_PATCH"),
        v("CARGO_PKG_VERSION")
    )
}

/// `WASIHOST_ERRNO_*`: the WASI errno values (what handlers and stdio
/// callbacks return), named as witx names them (`WASIHOST_ERRNO_2BIG`),
/// read from the `errno` enum of the Rust types, with its doc comments.
fn errno_macros(types: &str) -> String {
    let body = types
        .split_once("pub enum errno {")
        .and_then(|(_, rest)| rest.split_once("\n}"))
        .expect("types.rs defines `pub enum errno { ... }`")
        .0;
    // The witx names, from `errno::toobig => "2big",` in `errno::name`.
    let witx = |variant: &str| -> String {
        let key = format!("errno::{variant} => \"");
        let start = types.find(&key).map(|i| i + key.len());
        match start {
            Some(i) => types[i..].split('"').next().unwrap_or(variant).to_string(),
            None => variant.to_string(),
        }
    };
    let mut out = String::from("\n// WASI errnos (wasi/api.h calls them __WASI_ERRNO_*).\n");
    let mut doc = String::new();
    for line in body.lines().map(str::trim) {
        if let Some(d) = line.strip_prefix("///") {
            doc.push_str(d.trim());
            doc.push(' ');
        } else if let Some((name, value)) = line.trim_end_matches(',').split_once(" = ") {
            out.push_str(&format!(
                "// {}\n#define WASIHOST_ERRNO_{} {}\n",
                doc.trim(),
                witx(name).to_uppercase(),
                value
            ));
            doc.clear();
        }
    }
    out
}
