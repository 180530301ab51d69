//! Memory poisoning against the default `WasiHost`: fill all of guest
//! memory with 0xAA, make one call, and check that exactly the documented
//! bytes changed (a full snapshot before and after), padding included.

mod wat_common;

use wasihost_core::wasi_snapshot_preview1::{NativeWasiImports, fdflags, filetype, rights};
use wasihost_core::{Capture, Input, Output, RandomSource, WasiHost, WasiHostBuilder};
use wat_common::{BADF, Guest, INVAL, PAGE, SPIPE, SUCCESS, assert_patched};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const POISON: u8 = 0xAA;

impl<T: NativeWasiImports> Guest<T> {
    /// Poisons all of memory and returns the snapshot.
    fn poison(&mut self) -> Vec<u8> {
        self.fill(POISON);
        self.snapshot()
    }
}

fn guest_with(builder: WasiHostBuilder) -> Guest<WasiHost> {
    Guest::new(builder.build().expect("host"))
}

fn guest() -> Guest<WasiHost> {
    guest_with(WasiHost::builder())
}

fn le32(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn le64(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// `assert_patched` over owned patches.
fn assert_exactly(what: &str, before: &[u8], after: &[u8], patches: &[(usize, Vec<u8>)]) {
    let p: Vec<(usize, &[u8])> = patches.iter().map(|(o, b)| (*o, b.as_slice())).collect();
    assert_patched(what, before, after, &p);
}

/// Asserts that no byte outside `ranges` (offset, length) changed;
/// returns the bytes of each range after the call.
fn assert_within(
    what: &str,
    before: &[u8],
    after: &[u8],
    ranges: &[(usize, usize)],
) -> Vec<Vec<u8>> {
    let mut masked = after.to_vec();
    for &(off, len) in ranges {
        masked[off..off + len].copy_from_slice(&before[off..off + len]);
    }
    assert_patched(what, before, &masked, &[]);
    ranges
        .iter()
        .map(|&(off, len)| after[off..off + len].to_vec())
        .collect()
}

const STDIN_RIGHTS: u64 = rights::fd_read.raw
    | rights::fd_fdstat_set_flags.raw
    | rights::fd_filestat_get.raw
    | rights::poll_fd_readwrite.raw;
const STDOUT_RIGHTS: u64 = rights::fd_write.raw
    | rights::fd_fdstat_set_flags.raw
    | rights::fd_filestat_get.raw
    | rights::poll_fd_readwrite.raw;

// ---------------------------------------------------------------------------
// args, environ
// ---------------------------------------------------------------------------

#[test]
fn args_get_writes_pointers_and_strings_only() {
    let mut g = guest_with(WasiHost::builder().args(["ab", "", "cd\u{e9}"]));
    let before = g.poison();
    // Odd buffer offset: strings are bytes, any alignment.
    assert_eq!(g.call("args_get", &[100, 1001]), SUCCESS);
    let blob = b"ab\0\0cd\xc3\xa9\0";
    let mut ptrs = le32(1001);
    ptrs.extend(le32(1004));
    ptrs.extend(le32(1005));
    assert_exactly(
        "args_get",
        &before,
        &g.snapshot(),
        &[(100, ptrs), (1001, blob.to_vec())],
    );

    let before = g.poison();
    assert_eq!(g.call("args_sizes_get", &[200, 300]), SUCCESS);
    assert_exactly(
        "args_sizes_get",
        &before,
        &g.snapshot(),
        &[(200, le32(3)), (300, le32(blob.len() as u32))],
    );
}

#[test]
fn environ_get_writes_pointers_and_strings_only() {
    let mut g = guest_with(
        WasiHost::builder()
            .env("A", "1")
            .env("EMPTY", "")
            .env("X", "y=z"),
    );
    let before = g.poison();
    assert_eq!(g.call("environ_get", &[4000, 3]), SUCCESS);
    let blob = b"A=1\0EMPTY=\0X=y=z\0";
    let mut ptrs = le32(3);
    ptrs.extend(le32(7));
    ptrs.extend(le32(14));
    assert_exactly(
        "environ_get",
        &before,
        &g.snapshot(),
        &[(4000, ptrs), (3, blob.to_vec())],
    );

    let before = g.poison();
    assert_eq!(g.call("environ_sizes_get", &[60, 64]), SUCCESS);
    assert_exactly(
        "environ_sizes_get",
        &before,
        &g.snapshot(),
        &[(60, le32(3)), (64, le32(blob.len() as u32))],
    );
}

#[test]
fn empty_args_and_environ_write_nothing_but_sizes() {
    let mut g = guest();
    for (get, sizes) in [
        ("args_get", "args_sizes_get"),
        ("environ_get", "environ_sizes_get"),
    ] {
        let before = g.poison();
        assert_eq!(g.call(get, &[100, 200]), SUCCESS);
        assert_exactly(get, &before, &g.snapshot(), &[]);
        assert_eq!(g.call(sizes, &[100, 200]), SUCCESS);
        assert_exactly(
            sizes,
            &before,
            &g.snapshot(),
            &[(100, le32(0)), (200, le32(0))],
        );
    }
}

// ---------------------------------------------------------------------------
// clocks
// ---------------------------------------------------------------------------

#[test]
fn clocks_write_eight_bytes() {
    let mut g = guest();
    for id in 0..4 {
        let before = g.poison();
        assert_eq!(g.call("clock_time_get", &[id, 0, 808]), SUCCESS);
        let got = assert_within("clock_time_get", &before, &g.snapshot(), &[(808, 8)]);
        let t = u64::from_le_bytes(got[0].clone().try_into().unwrap());
        assert_ne!(t, u64::from_le_bytes([POISON; 8]), "clock {id} not written");
        if id == 0 {
            // After 2020-01-01 and before 2200.
            assert!(t > 1_577_836_800_000_000_000 && t < 7_258_118_400_000_000_000);
        }

        let before = g.poison();
        assert_eq!(g.call("clock_res_get", &[id, 1600]), SUCCESS);
        let got = assert_within("clock_res_get", &before, &g.snapshot(), &[(1600, 8)]);
        let r = u64::from_le_bytes(got[0].clone().try_into().unwrap());
        assert!(r > 0 && r <= 1_000_000_000, "clock {id} resolution {r}");
    }
    // Unknown clock: inval, nothing written.
    let before = g.poison();
    assert_eq!(g.call("clock_time_get", &[4, 0, 808]), INVAL);
    assert_eq!(g.call("clock_res_get", &[4, 808]), INVAL);
    assert_exactly("clock 4", &before, &g.snapshot(), &[]);
}

// ---------------------------------------------------------------------------
// fdstat, filestat
// ---------------------------------------------------------------------------

fn fdstat_bytes(base: usize, ty: u8, flags: u16, base_rights: u64) -> Vec<(usize, Vec<u8>)> {
    vec![
        (base, vec![ty]),
        (base + 2, flags.to_le_bytes().to_vec()),
        (base + 8, le64(base_rights)),
        (base + 16, le64(0)),
    ]
}

#[test]
fn fd_fdstat_get_writes_fields_not_padding() {
    let out = Capture::new(64);
    let mut g = guest_with(
        WasiHost::builder()
            .stdin(Input::bytes(b"x".to_vec()))
            .stdout(Output::Capture(out)),
    );
    for (fd, rights) in [(0, STDIN_RIGHTS), (1, STDOUT_RIGHTS), (2, STDOUT_RIGHTS)] {
        let before = g.poison();
        assert_eq!(g.call("fd_fdstat_get", &[fd, 2048]), SUCCESS);
        // Bytes 2049 and 2052..2056 are padding: still 0xAA.
        assert_exactly(
            "fd_fdstat_get",
            &before,
            &g.snapshot(),
            &fdstat_bytes(2048, filetype::unknown.raw, 0, rights),
        );
    }
    // With a flag set, the flags field carries it.
    assert_eq!(
        g.call("fd_fdstat_set_flags", &[1, fdflags::append.raw as i64]),
        SUCCESS
    );
    let before = g.poison();
    assert_eq!(g.call("fd_fdstat_get", &[1, 8]), SUCCESS);
    assert_exactly(
        "fd_fdstat_get after set_flags",
        &before,
        &g.snapshot(),
        &fdstat_bytes(8, 0, fdflags::append.raw, STDOUT_RIGHTS),
    );
    // Closed fd: badf, nothing written.
    let before = g.poison();
    assert_eq!(g.call("fd_fdstat_get", &[3, 2048]), BADF);
    assert_exactly("fd_fdstat_get(3)", &before, &g.snapshot(), &[]);
}

#[test]
fn fd_filestat_get_writes_fields_not_padding() {
    let mut g = guest();
    let before = g.poison();
    assert_eq!(g.call("fd_filestat_get", &[1, 3072]), SUCCESS);
    // A virtual stream: every field zero; 3072+17..3072+24 is padding.
    let mut patches = vec![(3072, vec![0u8; 17])];
    patches.push((3072 + 24, vec![0u8; 40]));
    assert_exactly("fd_filestat_get", &before, &g.snapshot(), &patches);

    let before = g.poison();
    assert_eq!(g.call("fd_filestat_get", &[7, 3072]), BADF);
    assert_exactly("fd_filestat_get(7)", &before, &g.snapshot(), &[]);
}

#[test]
fn fd_filestat_get_of_a_host_file_writes_fields_not_padding() {
    let path = std::env::temp_dir().join(format!("wat_poison_filestat_{}.out", std::process::id()));
    let mut g = guest_with(WasiHost::builder().stdout(Output::path(&path)));
    g.fill(POISON);
    g.poke(100, b"hello");
    g.iovec(200, 100, 5);
    assert_eq!(g.call("fd_write", &[1, 200, 1, 300]), SUCCESS);
    let before = g.poison();
    assert_eq!(g.call("fd_filestat_get", &[1, 512]), SUCCESS);
    let after = g.snapshot();
    let _ = std::fs::remove_file(&path);
    // Fields at 0..17 and 24..64 may change; the padding may not.
    let got = assert_within(
        "fd_filestat_get(file)",
        &before,
        &after,
        &[(512, 17), (536, 40)],
    );
    assert_eq!(got[0][16], filetype::regular_file.raw);
    let size = u64::from_le_bytes(got[1][8..16].try_into().unwrap());
    assert_eq!(size, 5);
    let nlink = u64::from_le_bytes(got[1][0..8].try_into().unwrap());
    assert!(nlink <= 1, "nlink {nlink}");
}

// ---------------------------------------------------------------------------
// fd_read, fd_write
// ---------------------------------------------------------------------------

#[test]
fn fd_read_writes_only_the_bytes_read() {
    let mut g = guest_with(WasiHost::builder().stdin(Input::bytes(b"xyz".to_vec())));
    g.fill(POISON);
    g.iovec(200, 300, 10);
    let before = g.snapshot();
    assert_eq!(g.call("fd_read", &[0, 200, 1, 400]), SUCCESS);
    assert_exactly(
        "fd_read",
        &before,
        &g.snapshot(),
        &[(300, b"xyz".to_vec()), (400, le32(3))],
    );
    // At end of file: only nread (0) is written.
    let before = g.snapshot();
    assert_eq!(g.call("fd_read", &[0, 200, 1, 404]), SUCCESS);
    assert_exactly("fd_read at EOF", &before, &g.snapshot(), &[(404, le32(0))]);
}

#[test]
fn fd_read_across_iovecs_writes_only_the_bytes_read() {
    let mut g = guest_with(WasiHost::builder().stdin(Input::bytes(b"xyz".to_vec())));
    g.fill(POISON);
    g.iovec(200, 300, 2);
    g.iovec(208, 400, 0);
    g.iovec(216, 500, 10);
    g.iovec(224, 600, 10);
    let before = g.snapshot();
    assert_eq!(g.call("fd_read", &[0, 200, 4, 700]), SUCCESS);
    assert_exactly(
        "fd_read",
        &before,
        &g.snapshot(),
        &[(300, b"xy".to_vec()), (500, b"z".to_vec()), (700, le32(3))],
    );
}

#[test]
fn fd_write_writes_only_nwritten() {
    let out = Capture::new(64);
    let mut g = guest_with(WasiHost::builder().stdout(Output::Capture(out.clone())));
    g.fill(POISON);
    g.poke(100, b"abc");
    g.iovec(200, 100, 3);
    g.iovec(208, 101, 2);
    let before = g.snapshot();
    assert_eq!(g.call("fd_write", &[1, 200, 2, 300]), SUCCESS);
    assert_exactly("fd_write", &before, &g.snapshot(), &[(300, le32(5))]);
    assert_eq!(out.contents(), b"abcbc");
}

// ---------------------------------------------------------------------------
// random_get
// ---------------------------------------------------------------------------

#[test]
fn random_get_writes_only_the_buffer() {
    let run = || {
        let mut g = guest_with(WasiHost::builder().random(RandomSource::Seeded(42)));
        let before = g.poison();
        assert_eq!(g.call("random_get", &[1001, 13]), SUCCESS);
        let got = assert_within("random_get", &before, &g.snapshot(), &[(1001, 13)]);
        let before = g.poison();
        assert_eq!(g.call("random_get", &[5000, 0]), SUCCESS);
        assert_exactly("random_get 0", &before, &g.snapshot(), &[]);
        got[0].clone()
    };
    let a = run();
    assert_ne!(a, vec![POISON; 13], "random_get wrote nothing");
    // Deterministic source: the same bytes again.
    assert_eq!(run(), a);
    // OS sources fill too.
    for source in [RandomSource::Os, RandomSource::OsSeeded] {
        let mut g = guest_with(WasiHost::builder().random(source));
        let before = g.poison();
        assert_eq!(g.call("random_get", &[2000, 64]), SUCCESS);
        let got = assert_within("random_get os", &before, &g.snapshot(), &[(2000, 64)]);
        assert_ne!(got[0], vec![POISON; 64]);
    }
}

// ---------------------------------------------------------------------------
// poll_oneoff
// ---------------------------------------------------------------------------

/// A relative clock subscription at `off`.
fn clock_sub(g: &mut Guest<WasiHost>, off: usize, userdata: u64, id: u32, timeout: u64) {
    g.poke(off, &[0; 48]);
    g.poke_u64(off, userdata);
    g.poke(off + 8, &[0]); // eventtype::clock
    g.poke_u32(off + 16, id);
    g.poke_u64(off + 24, timeout);
    g.poke_u64(off + 32, 0);
    g.poke(off + 40, &[0, 0]);
}

/// An fd_read (tag 1) or fd_write (tag 2) subscription at `off`.
fn fd_sub(g: &mut Guest<WasiHost>, off: usize, userdata: u64, tag: u8, fd: u32) {
    g.poke_u64(off, userdata);
    g.poke(off + 8, &[tag]);
    g.poke_u32(off + 16, fd);
}

/// The bytes an event writes: userdata@0, error@8, type@10, nbytes@16,
/// flags@24; 11..16 and 26..32 are padding.
fn event_bytes(
    base: usize,
    userdata: u64,
    error: u16,
    ty: u8,
    nbytes: u64,
    flags: u16,
) -> Vec<(usize, Vec<u8>)> {
    vec![
        (base, le64(userdata)),
        (base + 8, error.to_le_bytes().to_vec()),
        (base + 10, vec![ty]),
        (base + 16, le64(nbytes)),
        (base + 24, flags.to_le_bytes().to_vec()),
    ]
}

#[test]
fn poll_oneoff_writes_only_ready_events() {
    let mut g = guest_with(WasiHost::builder().stdin(Input::bytes(b"hello".to_vec())));
    g.fill(POISON);
    // Subscription 0: a clock an hour away. Subscription 1: stdin, ready
    // now with 5 bytes. (On poisoned memory: the subscriptions' own
    // padding stays 0xAA.)
    clock_sub(&mut g, 0, 0x1111, 1, 3_600_000_000_000);
    fd_sub(&mut g, 48, 0x2222, 1, 0);
    let before = g.snapshot();
    assert_eq!(g.call("poll_oneoff", &[0, 1024, 2, 2000]), SUCCESS);
    let mut patches = event_bytes(1024, 0x2222, 0, 1, 5, 0);
    patches.push((2000, le32(1)));
    // Event slot 1 (1056..1088) untouched.
    assert_exactly("poll_oneoff", &before, &g.snapshot(), &patches);
}

#[test]
fn poll_oneoff_two_ready_events_and_hangup() {
    // Null stdin: readable at once at end of file (hangup); stdout: a
    // write is ready at once.
    let mut g = guest();
    g.fill(POISON);
    fd_sub(&mut g, 0, 0xAAAA_0001, 1, 0);
    fd_sub(&mut g, 48, 0xAAAA_0002, 2, 1);
    clock_sub(&mut g, 96, 0x3333, 0, 3_600_000_000_000);
    let before = g.snapshot();
    assert_eq!(g.call("poll_oneoff", &[0, 4096, 3, 3000]), SUCCESS);
    let mut patches = event_bytes(4096, 0xAAAA_0001, 0, 1, 0, 1);
    patches.extend(event_bytes(4128, 0xAAAA_0002, 0, 2, 0, 0));
    patches.push((3000, le32(2)));
    assert_exactly("poll_oneoff", &before, &g.snapshot(), &patches);
}

#[test]
fn poll_oneoff_error_events_are_events() {
    // A closed fd and a CPU-time clock: events carrying the error, written
    // like any event; the call itself succeeds.
    let mut g = guest();
    g.fill(POISON);
    fd_sub(&mut g, 0, 7, 1, 9);
    clock_sub(&mut g, 48, 8, 2, 0);
    let before = g.snapshot();
    assert_eq!(g.call("poll_oneoff", &[0, 512, 2, 600]), SUCCESS);
    let mut patches = event_bytes(512, 7, BADF as u16, 1, 0, 0);
    patches.extend(event_bytes(544, 8, 58, 0, 0, 0)); // notsup
    patches.push((600, le32(2)));
    assert_exactly("poll_oneoff", &before, &g.snapshot(), &patches);
    // An undefined clock id makes the call `inval`: nothing written.
    clock_sub(&mut g, 48, 8, 99, 0);
    let before = g.snapshot();
    assert_eq!(g.call("poll_oneoff", &[0, 512, 2, 600]), INVAL);
    assert_exactly("poll_oneoff undefined", &before, &g.snapshot(), &[]);
    // No subscriptions: inval, nothing written.
    let before = g.snapshot();
    assert_eq!(g.call("poll_oneoff", &[0, 512, 0, 600]), INVAL);
    assert_exactly("poll_oneoff 0", &before, &g.snapshot(), &[]);
}

// ---------------------------------------------------------------------------
// Errors write nothing
// ---------------------------------------------------------------------------

#[test]
fn errors_write_nothing() {
    let mut g = guest();
    let cases: &[(&str, &[i64], i32)] = &[
        ("fd_prestat_get", &[3, 64], BADF),
        ("fd_prestat_get", &[0, 64], BADF),
        ("fd_prestat_dir_name", &[3, 64, 16], BADF),
        ("fd_seek", &[0, 0, 0, 64], SPIPE),
        ("fd_seek", &[1, 5, 1, 64], SPIPE),
        ("fd_tell", &[1, 64], SPIPE),
        ("fd_pread", &[0, 128, 1, 0, 64], SPIPE),
        ("fd_pwrite", &[1, 128, 1, 0, 64], SPIPE),
        ("fd_read", &[9, 128, 1, 64], BADF),
        ("fd_write", &[9, 128, 1, 64], BADF),
        ("fd_readdir", &[0, 128, 16, 0, 64], 54),
        ("path_open", &[0, 0, 128, 4, 0, 0, 0, 0, 64], 54),
        ("path_filestat_get", &[0, 0, 128, 4, 64], 54),
        ("path_readlink", &[0, 128, 4, 256, 16, 64], 54),
        ("sock_recv", &[0, 128, 1, 0, 64, 72], 57),
        ("sock_send", &[1, 128, 1, 0, 64], 57),
        ("sock_accept", &[1, 0, 64], 57),
        ("fd_fdstat_set_flags", &[1, 0x20], INVAL),
    ];
    for (name, args, want) in cases {
        let before = g.poison();
        assert_eq!(g.call(name, args), *want, "{name}{args:?}");
        assert_exactly(name, &before, &g.snapshot(), &[]);
    }
}

#[test]
fn results_at_the_very_end_of_memory() {
    let mut g = guest_with(WasiHost::builder().arg("abc").arg("d"));
    let before = g.poison();
    assert_eq!(before.len(), PAGE);
    let end = PAGE as i64;
    // Strings ending exactly at the end, pointers right before them.
    assert_eq!(g.call("args_get", &[end - 16, end - 6]), SUCCESS);
    let mut ptrs = le32(PAGE as u32 - 6);
    ptrs.extend(le32(PAGE as u32 - 2));
    assert_exactly(
        "args_get at end",
        &before,
        &g.snapshot(),
        &[(PAGE - 16, ptrs), (PAGE - 6, b"abc\0d\0".to_vec())],
    );
    // A filestat filling the last 64 bytes, padding included.
    let before = g.poison();
    assert_eq!(g.call("fd_filestat_get", &[2, end - 64]), SUCCESS);
    assert_exactly(
        "fd_filestat_get at end",
        &before,
        &g.snapshot(),
        &[(PAGE - 64, vec![0; 17]), (PAGE - 40, vec![0; 40])],
    );
    // A timestamp in the last 8 bytes.
    let before = g.poison();
    assert_eq!(g.call("clock_time_get", &[1, 0, end - 8]), SUCCESS);
    assert_within("clock at end", &before, &g.snapshot(), &[(PAGE - 8, 8)]);
}
