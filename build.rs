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
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    // Parsing starts at src/ffi/mod.rs and follows its `mod` items, so
    // nothing public elsewhere in the crate lands in the header.
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen can generate the header from src/ffi")
        .write_to_file(&out);
}
