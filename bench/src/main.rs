//! The benchmark itself is the `wasi_calls` bench target
//! (`benches/wasi_calls.rs`); this binary only says how to run it.

fn main() {
    println!("run the benchmark with: cargo bench -p wasihost-bench");
    println!("quick smoke run:        WASIHOST_BENCH_SCALE=0.01 cargo bench -p wasihost-bench");
}
