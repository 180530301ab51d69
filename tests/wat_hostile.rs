//! Hostile guest pointers against the default `WasiHost`: every
//! pointer-taking function called with pointers at, across and far past
//! the end of memory, misaligned typed pointers, huge counts and lengths
//! that overflow. The host must answer each with an errno (never panic,
//! never touch memory on failure), and keep working afterwards.

mod wat_common;

use wasihost_core::wasi_snapshot_preview1::NativeWasiImports;
use wasihost_core::{Capture, Input, Module, Output, RandomSource, WasiHost, WasiHostBuilder};
use wat_common::{
    BADF, FAULT, Guest, INVAL, NOTDIR, NOTSOCK, PAGE, SIGS, SPIPE, SUCCESS, assert_patched, engine,
};

// ---------------------------------------------------------------------------
// Helpers for the default host
// ---------------------------------------------------------------------------

const END: i64 = PAGE as i64;

impl<T: NativeWasiImports> Guest<T> {
    /// Grows memory by `pages`; returns the new size in bytes.
    fn grow(&mut self, pages: u32) -> usize {
        let inst = self.inst.wasmtime();
        let f = inst
            .get_typed_func::<i32, i32>(self.inst.store_mut(), "grow")
            .unwrap();
        let old = f.call(self.inst.store_mut(), pages as i32).unwrap();
        assert!(old >= 0, "memory.grow({pages}) failed");
        (old as usize + pages as usize) * PAGE
    }

    fn mem_len(&mut self) -> usize {
        let m = self.memory();
        m.data_size(self.inst.store_mut())
    }

    /// Calls `name` and asserts it returns `want` without changing memory.
    fn rejects(&mut self, name: &str, args: &[i64], want: i32) {
        let before = self.snapshot();
        let got = self.call(name, args);
        assert_eq!(got, want, "{name}{args:x?}");
        let after = self.snapshot();
        assert_patched(&format!("{name}{args:x?}"), &before, &after, &[]);
    }
}

/// A host guest with stdout captured (returned) and `builder`'s settings.
fn guest_with(builder: WasiHostBuilder) -> (Guest<WasiHost>, Capture) {
    let out = Capture::new(1 << 16);
    let host = builder
        .stdout(Output::Capture(out.clone()))
        .build()
        .expect("host");
    (Guest::new(host), out)
}

fn guest() -> (Guest<WasiHost>, Capture) {
    guest_with(WasiHost::builder())
}

/// A normal call still works: write "ok" to stdout through fd_write.
fn still_works(g: &mut Guest<WasiHost>, out: &Capture) {
    let before = out.total_written();
    g.poke(4000, b"ok");
    g.iovec(4008, 4000, 2);
    assert_eq!(g.call("fd_write", &[1, 4008, 1, 4016]), SUCCESS);
    assert_eq!(g.peek_u32(4016), 2);
    assert_eq!(out.total_written(), before + 2);
    assert!(out.contents().ends_with(b"ok"));
    // And a clock still reads.
    assert_eq!(g.call("clock_time_get", &[1, 0, 4024]), SUCCESS);
}

// ---------------------------------------------------------------------------
// args / environ
// ---------------------------------------------------------------------------

/// (pointer array, buffer) pairs that must fail for a table of `count`
/// pointers and a `blob`-byte buffer, with the errno.
fn string_table_cases(count: i64, blob: i64) -> Vec<(i64, i64, i32)> {
    vec![
        (END, 0, FAULT),
        (END - 4 * count + 4, 0, FAULT),
        (0xFFFF_FFFC, 0, FAULT),
        (0x8000_0000, 0, FAULT),
        (0xFFFF_FFFF, 0, INVAL),
        (2, 0, INVAL),
        (END + 1, 0, INVAL),
        (0, END, FAULT),
        (0, END - blob + 1, FAULT),
        (0, 0xFFFF_FFFF, FAULT),
        // buf + blob wraps to 0 in 32 bits.
        (0, 0x1_0000_0000 - blob, FAULT),
        (0, 0x8000_0000, FAULT),
        (END, END, FAULT),
    ]
}

#[test]
fn args_get_hostile_pointers() {
    let (mut g, out) = guest_with(WasiHost::builder().arg("ab").arg("c"));
    for (argv, buf, want) in string_table_cases(2, 5) {
        g.rejects("args_get", &[argv, buf], want);
    }
    // Exactly at the end: both fit.
    assert_eq!(g.call("args_get", &[END - 16, END - 5]), SUCCESS);
    assert_eq!(g.peek(PAGE - 5, 5), b"ab\0c\0");
    assert_eq!(g.peek_u32(PAGE - 16), PAGE as u32 - 5);
    assert_eq!(g.peek_u32(PAGE - 12), PAGE as u32 - 2);
    still_works(&mut g, &out);
}

#[test]
fn environ_get_hostile_pointers() {
    let (mut g, out) = guest_with(WasiHost::builder().env("A", "1").env("BB", "22"));
    for (env, buf, want) in string_table_cases(2, 10) {
        g.rejects("environ_get", &[env, buf], want);
    }
    assert_eq!(g.call("environ_get", &[END - 20, END - 10]), SUCCESS);
    assert_eq!(g.peek(PAGE - 10, 10), b"A=1\0BB=22\0");
    assert_eq!(g.peek_u32(PAGE - 20), PAGE as u32 - 10);
    assert_eq!(g.peek_u32(PAGE - 16), PAGE as u32 - 6);
    still_works(&mut g, &out);
}

#[test]
fn empty_args_and_environ_at_the_end_of_memory() {
    let (mut g, out) = guest();
    for name in ["args_get", "environ_get"] {
        // Zero pointers and zero bytes: fine exactly at the end.
        g.rejects(name, &[END, END], SUCCESS);
        g.rejects(name, &[0, END], SUCCESS);
        // Past the end, or misaligned, even when empty.
        g.rejects(name, &[END + 4, 0], FAULT);
        g.rejects(name, &[0, END + 1], FAULT);
        g.rejects(name, &[0xFFFF_FFFC, 0xFFFF_FFFF], FAULT);
        g.rejects(name, &[0xFFFF_FFFF, 0], INVAL);
    }
    still_works(&mut g, &out);
}

#[test]
fn sizes_get_hostile_pointers() {
    let (mut g, out) = guest_with(WasiHost::builder().arg("x").env("K", "V"));
    for name in ["args_sizes_get", "environ_sizes_get"] {
        for (a, b, want) in [
            (END, 0, FAULT),
            (0, END, FAULT),
            (END, END, FAULT),
            (0xFFFF_FFFC, 0, FAULT),
            (0, 0x8000_0000, FAULT),
            (END - 2, 0, INVAL),
            (0, 0xFFFF_FFFF, INVAL),
            (1, END, INVAL),
        ] {
            g.rejects(name, &[a, b], want);
        }
        assert_eq!(g.call(name, &[END - 4, END - 8]), SUCCESS);
        assert_eq!(g.peek_u32(PAGE - 4), 1);
    }
    still_works(&mut g, &out);
}

// ---------------------------------------------------------------------------
// clocks
// ---------------------------------------------------------------------------

#[test]
fn clock_hostile_out_pointers() {
    let (mut g, out) = guest();
    for id in 0..4 {
        for (ptr, want) in [
            (END, FAULT),
            (END + 8, FAULT),
            (0xFFFF_FFF8, FAULT),
            (0x8000_0000, FAULT),
            (END - 4, INVAL),
            (0xFFFF_FFFF, INVAL),
            (1, INVAL),
            (4, INVAL),
        ] {
            g.rejects("clock_res_get", &[id, ptr], want);
            g.rejects("clock_time_get", &[id, 0, ptr], want);
            g.rejects("clock_time_get", &[id, -1, ptr], want);
        }
        assert_eq!(g.call("clock_res_get", &[id, END - 8]), SUCCESS);
        assert_eq!(g.call("clock_time_get", &[id, 0, END - 8]), SUCCESS);
    }
    // An unknown clock: inval with a good pointer, fault with a bad one
    // (the out-pointer is checked first); nothing written either way.
    for id in [4, 0xFFFF_FFFF] {
        g.rejects("clock_res_get", &[id, 64], INVAL);
        g.rejects("clock_time_get", &[id, 0, 64], INVAL);
        g.rejects("clock_time_get", &[id, 0, END], FAULT);
    }
    still_works(&mut g, &out);
}

// ---------------------------------------------------------------------------
// fd_write
// ---------------------------------------------------------------------------

#[test]
fn fd_write_hostile_iovec_arrays() {
    let (mut g, out) = guest();
    g.poke(100, b"hello");
    g.iovec(200, 100, 5);
    for (iovs, len, want) in [
        (END, 1, FAULT),
        (END - 4, 1, FAULT),
        (END - 8, 2, FAULT),
        (END + 8, 1, FAULT),
        (0xFFFF_FFF8, 1, FAULT),
        (0x8000_0000, 1, FAULT),
        (200, 0x2000, FAULT),
        (200, 0x1000_0000, FAULT),
        (200, 0x2000_0000, FAULT),
        (200, 0xFFFF_FFFF, FAULT),
        (0, 0xFFFF_FFFF, FAULT),
        (0xFFFF_FFFF, 1, INVAL),
        (202, 1, INVAL),
        (201, 0, INVAL),
    ] {
        g.rejects("fd_write", &[1, iovs, len, 300], want);
    }
    // Bad nwritten pointer: nothing is written to the stream either.
    g.rejects("fd_write", &[1, 200, 1, END], FAULT);
    g.rejects("fd_write", &[1, 200, 1, 0xFFFF_FFFC], FAULT);
    g.rejects("fd_write", &[1, 200, 1, 302], INVAL);
    assert_eq!(out.total_written(), 0, "a failed write wrote");
    // An empty array, even exactly at the end, writes nothing.
    assert_eq!(g.call("fd_write", &[1, END, 0, 300]), SUCCESS);
    assert_eq!(g.peek_u32(300), 0);
    still_works(&mut g, &out);
}

/// Iovec buffers (offset, length) that lie outside memory.
fn bad_buffers() -> Vec<(u32, u32)> {
    let end = PAGE as u32;
    vec![
        (end, 1),
        (end - 6, 7),
        (end - 1, 2),
        (end + 1, 0),
        (0xFFFF_FFFF, 0),
        (0xFFFF_FFFF, 1),
        (1, 0xFFFF_FFFF),
        (0, end + 1),
        // offset + length wraps to a small number in 32 bits.
        (0xFFFF_FFF0, 0x20),
        (end, 0xFFFF_0001),
        (0x8000_0000, 0x8000_0000),
    ]
}

#[test]
fn fd_write_buffers_past_the_end() {
    let (mut g, out) = guest();
    g.poke(100, b"hello");
    for (buf, len) in bad_buffers() {
        // Alone, second of two, and 17th of 17 (past the stack fast path).
        g.iovec(200, buf, len);
        g.rejects("fd_write", &[1, 200, 1, 300], FAULT);
        g.iovec(200, 100, 5);
        g.iovec(208, buf, len);
        g.rejects("fd_write", &[1, 200, 2, 300], FAULT);
        for i in 0..16 {
            g.iovec(400 + 8 * i, 100, 5);
        }
        g.iovec(400 + 8 * 16, buf, len);
        g.rejects("fd_write", &[1, 400, 17, 300], FAULT);
    }
    assert_eq!(out.total_written(), 0, "a failed write wrote");
    // Zero-length buffers exactly at the end are fine.
    g.iovec(200, PAGE as u32, 0);
    g.iovec(208, 100, 5);
    g.iovec(216, PAGE as u32, 0);
    assert_eq!(g.call("fd_write", &[1, 200, 3, 300]), SUCCESS);
    assert_eq!(g.peek_u32(300), 5);
    assert_eq!(out.contents(), b"hello");
    // A buffer ending exactly at the end is fine.
    g.poke(PAGE - 3, b"xyz");
    g.iovec(200, PAGE as u32 - 3, 3);
    assert_eq!(g.call("fd_write", &[1, 200, 1, 300]), SUCCESS);
    assert_eq!(out.contents(), b"helloxyz");
    still_works(&mut g, &out);
}

#[test]
fn fd_write_total_over_u32_max_is_inval() {
    // IOV_MAX (1024) iovecs, each naming 4 MiB + 1 byte: 2^32 + 1024 bytes.
    let (mut g, out) = guest();
    g.grow(79);
    g.poke(0, &iovec_array(1024, (4 << 20) + 1));
    g.rejects("fd_write", &[1, 0, 1024, 16], INVAL);
    assert_eq!(out.total_written(), 0);
    still_works(&mut g, &out);
}

/// `n` ciovecs/iovecs, each naming the `len` bytes at offset 0.
fn iovec_array(n: u32, len: u32) -> Vec<u8> {
    let mut arr = Vec::with_capacity(n as usize * 8);
    for _ in 0..n {
        arr.extend_from_slice(&0u32.to_le_bytes());
        arr.extend_from_slice(&len.to_le_bytes());
    }
    arr
}

#[test]
fn vectored_calls_take_at_most_iov_max_buffers() {
    // 2^15 iovecs of 2^18 bytes (2^33 in all): the first IOV_MAX (1024)
    // are written, a short write of 2^28 bytes, with no host memory sized
    // by the guest's count.
    let (mut g, out) = guest();
    let size = g.grow(3);
    let n = (size / 8) as u32;
    g.poke(0, &iovec_array(n, size as u32));
    assert_eq!(g.call("fd_write", &[1, 0, n as i64, 16]), SUCCESS);
    assert_eq!(g.peek_u32(16), 1024 << 18);
    assert_eq!(out.total_written(), 1024 << 18);
    // fd_read with 2000 one-byte buffers reads at most 1024 bytes.
    let input = vec![b'r'; 3000];
    let host = WasiHost::builder()
        .stdin(Input::bytes(input))
        .build()
        .unwrap();
    let mut g = Guest::new(host);
    g.grow(1);
    let arr: Vec<u8> = (0..2000u32)
        .flat_map(|i| {
            let mut v = (PAGE as u32 + i).to_le_bytes().to_vec();
            v.extend_from_slice(&1u32.to_le_bytes());
            v
        })
        .collect();
    g.poke(0, &arr);
    assert_eq!(g.call("fd_read", &[0, 0, 2000, 16000]), SUCCESS);
    assert_eq!(g.peek_u32(16000), 1024);
    assert_eq!(g.peek(PAGE, 1025), [&[b'r'; 1024][..], &[0]].concat());
}

#[test]
fn fd_write_total_of_exactly_u32_max_is_fine() {
    // The boundary: 1023 buffers of 2^22 bytes plus one of 2^22 - 1 make
    // exactly u32::MAX bytes; the write goes through (to a capture that
    // keeps only its cap).
    let out = Capture::new(16);
    let host = WasiHost::builder()
        .stdout(Output::Capture(out.clone()))
        .build()
        .unwrap();
    let mut g = Guest::new(host);
    let size = g.grow(64);
    let n = 1024u32;
    let mut arr = Vec::new();
    for i in 0..n {
        let len: u32 = if i == n - 1 { (4 << 20) - 1 } else { 4 << 20 };
        arr.extend_from_slice(&0u32.to_le_bytes());
        arr.extend_from_slice(&len.to_le_bytes());
    }
    g.poke(0, &arr);
    assert_eq!(
        g.call("fd_write", &[1, 0, n as i64, size as i64 - 4]),
        SUCCESS
    );
    assert_eq!(g.peek_u32(size - 4), u32::MAX);
    assert_eq!(out.total_written(), u64::from(u32::MAX));
}

#[test]
fn fd_write_total_over_u32_max_on_the_stack_path_is_inval() {
    // 16 iovecs (the no-allocation path) of 4097 pages each: just over
    // 2^32 bytes in all.
    let (mut g, out) = guest();
    let size = g.grow(4096);
    assert_eq!(size, 4097 * PAGE);
    assert!(16 * size as u64 > u64::from(u32::MAX));
    for i in 0..16 {
        g.iovec(8 * i, 0, size as u32);
    }
    let before = g.peek(0, 256);
    assert_eq!(g.call("fd_write", &[1, 0, 16, 200]), INVAL);
    assert_eq!(g.peek(0, 256), before);
    assert_eq!(out.total_written(), 0);
    still_works(&mut g, &out);
}

// ---------------------------------------------------------------------------
// fd_read
// ---------------------------------------------------------------------------

fn abc_guest() -> (Guest<WasiHost>, Capture) {
    guest_with(WasiHost::builder().stdin(Input::bytes(b"abc".to_vec())))
}

/// A good read now returns all of "abc": nothing was consumed before.
fn abc_still_unread(g: &mut Guest<WasiHost>) {
    g.iovec(5000, 5100, 10);
    assert_eq!(g.call("fd_read", &[0, 5000, 1, 5200]), SUCCESS);
    assert_eq!(g.peek_u32(5200), 3);
    assert_eq!(g.peek(5100, 3), b"abc");
}

#[test]
fn fd_read_second_iovec_out_of_bounds_consumes_nothing() {
    let (mut g, out) = abc_guest();
    g.iovec(200, 100, 10);
    g.iovec(208, PAGE as u32, 1);
    g.rejects("fd_read", &[0, 200, 2, 300], FAULT);
    abc_still_unread(&mut g);
    still_works(&mut g, &out);
}

#[test]
fn fd_read_hostile_pointers_consume_nothing() {
    let (mut g, out) = abc_guest();
    g.iovec(200, 100, 10);
    for (iovs, len, nread, want) in [
        (END, 1, 300, FAULT),
        (END - 4, 1, 300, FAULT),
        (END + 8, 1, 300, FAULT),
        (0xFFFF_FFF8, 1, 300, FAULT),
        (200, 0x2000, 300, FAULT),
        (200, 0x1000_0000, 300, FAULT),
        (200, 0xFFFF_FFFF, 300, FAULT),
        (0xFFFF_FFFF, 1, 300, INVAL),
        (202, 1, 300, INVAL),
        (200, 1, END, FAULT),
        (200, 1, 0xFFFF_FFFC, FAULT),
        (200, 1, 301, INVAL),
    ] {
        g.rejects("fd_read", &[0, iovs, len, nread], want);
    }
    for (buf, len) in bad_buffers() {
        g.iovec(200, buf, len);
        g.rejects("fd_read", &[0, 200, 1, 300], FAULT);
        g.iovec(200, 100, 10);
        g.iovec(208, buf, len);
        g.rejects("fd_read", &[0, 200, 2, 300], FAULT);
        for i in 0..20 {
            g.iovec(400 + 8 * i, 100, 1);
        }
        g.iovec(400 + 8 * 20, buf, len);
        g.rejects("fd_read", &[0, 400, 21, 300], FAULT);
    }
    // Zero-length buffers at the very end are fine and take nothing.
    g.iovec(200, PAGE as u32, 0);
    g.iovec(208, PAGE as u32, 0);
    assert_eq!(g.call("fd_read", &[0, 200, 2, 300]), SUCCESS);
    assert_eq!(g.peek_u32(300), 0);
    abc_still_unread(&mut g);
    still_works(&mut g, &out);
}

#[test]
fn fd_read_into_a_buffer_ending_at_the_end_of_memory() {
    let (mut g, _out) = abc_guest();
    g.iovec(200, PAGE as u32, 0);
    g.iovec(208, PAGE as u32 - 3, 3);
    assert_eq!(g.call("fd_read", &[0, 200, 2, 300]), SUCCESS);
    assert_eq!(g.peek_u32(300), 3);
    assert_eq!(g.peek(PAGE - 3, 3), b"abc");
}

#[test]
fn fd_read_total_over_u32_max_is_inval_and_consumes_nothing() {
    let (mut g, out) = abc_guest();
    g.grow(79);
    g.poke(0, &iovec_array(1024, (4 << 20) + 1));
    g.rejects("fd_read", &[0, 0, 1024, 16], INVAL);
    g.poke(0, &[0; 8 * 16]);
    abc_still_unread(&mut g);
    still_works(&mut g, &out);
}

// ---------------------------------------------------------------------------
// fd_fdstat_get, fd_filestat_get, fd_prestat_*
// ---------------------------------------------------------------------------

#[test]
fn stat_hostile_out_pointers() {
    let (mut g, out) = guest();
    for fd in [0, 1, 2] {
        for (name, size) in [("fd_fdstat_get", 24), ("fd_filestat_get", 64)] {
            for (ptr, want) in [
                (END, FAULT),
                (END - 8, FAULT),
                (END - size + 8, FAULT),
                (0xFFFF_FFF8, FAULT),
                (0x8000_0000, FAULT),
                (END - size + 4, INVAL),
                (0xFFFF_FFFF, INVAL),
                (4, INVAL),
                (2, INVAL),
            ] {
                g.rejects(name, &[fd, ptr], want);
            }
            assert_eq!(g.call(name, &[fd, END - size]), SUCCESS);
        }
    }
    // A closed fd with a good pointer is badf, with a bad one fault.
    g.rejects("fd_fdstat_get", &[9, 64], BADF);
    g.rejects("fd_fdstat_get", &[9, END], FAULT);
    g.rejects("fd_filestat_get", &[9, 64], BADF);
    still_works(&mut g, &out);
}

#[test]
fn prestat_hostile_pointers() {
    let (mut g, out) = guest();
    for fd in [0, 3, -1] {
        for (ptr, want) in [
            (END, FAULT),
            (END - 4, FAULT),
            (0xFFFF_FFFC, FAULT),
            (0xFFFF_FFFF, INVAL),
            (2, INVAL),
        ] {
            g.rejects("fd_prestat_get", &[fd, ptr], want);
        }
        // No preopens: a good pointer gives badf, nothing written.
        g.rejects("fd_prestat_get", &[fd, END - 8], BADF);
        // fd_prestat_dir_name answers badf for every fd before it looks
        // at the buffer, so hostile buffers give badf too.
        for (ptr, len) in [
            (END, 1),
            (END, 0),
            (0xFFFF_FFFF, 0xFFFF_FFFF),
            (0xFFFF_FFF0, 0x20),
            (0, 0x1_0001),
        ] {
            g.rejects("fd_prestat_dir_name", &[fd, ptr, len], BADF);
        }
    }
    still_works(&mut g, &out);
}

// ---------------------------------------------------------------------------
// poll_oneoff
// ---------------------------------------------------------------------------

#[test]
fn poll_oneoff_hostile_arrays() {
    // Zeroed memory is a valid subscription: a relative realtime clock with
    // timeout 0, ready at once. So only the pointers are wrong below.
    let (mut g, out) = guest();
    for (subs, events, n, nevents, want) in [
        (END, 0, 1, 4000, FAULT),
        (END - 24, 0, 1, 4000, FAULT),
        (END - 48, 0, 2, 4000, FAULT),
        (0xFFFF_FFF8, 0, 1, 4000, FAULT),
        (0x8000_0000, 0, 1, 4000, FAULT),
        (4, 0, 1, 4000, INVAL),
        (0xFFFF_FFFF, 0, 1, 4000, INVAL),
        (0, END, 1, 4000, FAULT),
        (0, END - 16, 1, 4000, FAULT),
        (0, END - 32, 2, 4000, FAULT),
        (0, 0xFFFF_FFE0, 1, 4000, FAULT),
        (0, 4, 1, 4000, INVAL),
        (0, 0xFFFF_FFFF, 1, 4000, INVAL),
        (0, 1024, 0x2000, 4000, FAULT),
        (0, 1024, 0x1000_0000, 4000, FAULT),
        (0, 1024, 0xFFFF_FFFF, 4000, FAULT),
        (0, 1024, 0x8000_0000, 4000, FAULT),
        (0, 1024, 1, END, FAULT),
        (0, 1024, 1, 0xFFFF_FFFC, FAULT),
        (0, 1024, 1, 4002, INVAL),
        // No subscriptions: inval whatever the pointers.
        (0, 1024, 0, 4000, INVAL),
        (END, END, 0, 4000, INVAL),
        (0xFFFF_FFFF, 0xFFFF_FFFF, 0, 4000, INVAL),
    ] {
        g.rejects("poll_oneoff", &[subs, events, n, nevents], want);
    }
    // Arrays ending exactly at the end of memory work.
    assert_eq!(
        g.call("poll_oneoff", &[END - 96, END - 64, 2, END - 68]),
        SUCCESS
    );
    assert_eq!(g.peek_u32(PAGE - 68), 2);
    still_works(&mut g, &out);
}

// ---------------------------------------------------------------------------
// random_get
// ---------------------------------------------------------------------------

#[test]
fn random_get_hostile_buffers() {
    let (mut g, out) = guest_with(WasiHost::builder().random(RandomSource::Seeded(7)));
    for (buf, len) in [
        (END, 1),
        (END - 1, 2),
        (END + 1, 0),
        (0xFFFF_FFFF, 0),
        (0xFFFF_FFFF, 1),
        (1, 0xFFFF_FFFF),
        (0, END + 1),
        (0xFFFF_FFF0, 0x20),
        (END, 0xFFFF_0001),
        (0x8000_0000, 0x8000_0000),
    ] {
        g.rejects("random_get", &[buf, len], FAULT);
    }
    g.rejects("random_get", &[END, 0], SUCCESS);
    g.rejects("random_get", &[0, 0], SUCCESS);
    let before = g.snapshot();
    assert_eq!(g.call("random_get", &[END - 1, 1]), SUCCESS);
    assert_eq!(g.snapshot()[..PAGE - 1], before[..PAGE - 1]);
    // The whole of memory at once.
    assert_eq!(g.call("random_get", &[0, END]), SUCCESS);
    still_works(&mut g, &out);
}

// ---------------------------------------------------------------------------
// sockets, paths and file-only calls on streams
// ---------------------------------------------------------------------------

#[test]
fn sock_calls_hostile_pointers() {
    let (mut g, out) = guest();
    // Out-pointers are checked by the glue first.
    g.rejects("sock_recv", &[1, 0, 1, 0, END, 100], FAULT);
    g.rejects("sock_recv", &[1, 0, 1, 0, 100, END], FAULT);
    g.rejects("sock_recv", &[1, 0, 1, 0, 102, 100], INVAL);
    g.rejects("sock_recv", &[1, 0, 1, 0, 100, 101], INVAL);
    g.rejects("sock_recv", &[1, 0, 1, 0, 0xFFFF_FFFC, 0xFFFF_FFFE], FAULT);
    g.rejects("sock_send", &[1, 0, 1, 0, END], FAULT);
    g.rejects("sock_send", &[1, 0, 1, 0, 0xFFFF_FFFF], INVAL);
    g.rejects("sock_accept", &[1, 0, END], FAULT);
    g.rejects("sock_accept", &[1, 0, 0xFFFF_FFFF], INVAL);
    // With good out-pointers, hostile data arrays: a stream is no socket.
    for (data, len) in [
        (END, 1),
        (0xFFFF_FFFF, 0xFFFF_FFFF),
        (0, 0x1000_0000),
        (2, 1),
    ] {
        for fd in [0, 1, 2] {
            g.rejects("sock_recv", &[fd, data, len, 0, 100, 104], NOTSOCK);
            g.rejects("sock_send", &[fd, data, len, 0, 100], NOTSOCK);
        }
        g.rejects("sock_recv", &[9, data, len, 0, 100, 104], BADF);
        g.rejects("sock_send", &[-1, data, len, 0, 100], BADF);
    }
    g.rejects("sock_accept", &[1, 0, 100], NOTSOCK);
    g.rejects("sock_accept", &[9, 0, 100], BADF);
    g.rejects("sock_shutdown", &[0, 3], NOTSOCK);
    g.rejects("sock_shutdown", &[9, 3], BADF);
    still_works(&mut g, &out);
}

#[test]
fn path_calls_hostile_pointers() {
    let (mut g, out) = guest();
    let hostile = [
        (END, 1),
        (END, 0),
        (0xFFFF_FFFF, 0xFFFF_FFFF),
        (0xFFFF_FFF0, 0x20),
        (0, 0x1_0001),
    ];
    for (p, l) in hostile {
        for (fd, want) in [(0, NOTDIR), (9, BADF)] {
            g.rejects("path_create_directory", &[fd, p, l], want);
            g.rejects("path_remove_directory", &[fd, p, l], want);
            g.rejects("path_unlink_file", &[fd, p, l], want);
            g.rejects("path_filestat_get", &[fd, 0, p, l, 64], want);
            g.rejects("path_filestat_set_times", &[fd, 0, p, l, 0, 0, 0], want);
            g.rejects("path_link", &[fd, 0, p, l, fd, p, l], want);
            g.rejects("path_rename", &[fd, p, l, fd, p, l], want);
            g.rejects("path_symlink", &[p, l, fd, p, l], want);
            g.rejects("path_open", &[fd, 0, p, l, 0, 0, 0, 0, 64], want);
            g.rejects("path_readlink", &[fd, p, l, p, l, 64], want);
            g.rejects("fd_readdir", &[fd, p, l, 0, 64], want);
        }
    }
    // Bad out-pointers: fault first.
    g.rejects("path_filestat_get", &[0, 0, 0, 1, END - 32], FAULT);
    g.rejects("path_open", &[0, 0, 0, 1, 0, 0, 0, 0, END], FAULT);
    g.rejects("path_readlink", &[0, 0, 1, 0, 1, END], FAULT);
    g.rejects("fd_readdir", &[0, 0, 1, 0, 0xFFFF_FFFC], FAULT);
    g.rejects("path_open", &[0, 0, 0, 1, 0, 0, 0, 0, 0xFFFF_FFFF], INVAL);
    still_works(&mut g, &out);
}

#[test]
fn positional_io_on_streams_with_hostile_pointers() {
    let (mut g, out) = guest();
    for (iovs, len) in [(END, 1), (0xFFFF_FFFF, 0xFFFF_FFFF), (2, 1), (0, 0x2001)] {
        g.rejects("fd_pread", &[0, iovs, len, 0, 64], SPIPE);
        g.rejects("fd_pwrite", &[1, iovs, len, -1, 64], SPIPE);
        g.rejects("fd_pread", &[9, iovs, len, 0, 64], BADF);
    }
    g.rejects("fd_pread", &[0, 0, 1, 0, END], FAULT);
    g.rejects("fd_pwrite", &[1, 0, 1, 0, 0xFFFF_FFFD], INVAL);
    g.rejects("fd_seek", &[0, 0, 0, END], FAULT);
    g.rejects("fd_seek", &[0, 0, 0, END - 4], INVAL);
    g.rejects("fd_seek", &[0, 0, 0, 64], SPIPE);
    g.rejects("fd_tell", &[0, END], FAULT);
    g.rejects("fd_tell", &[0, 64], SPIPE);
    still_works(&mut g, &out);
}

// ---------------------------------------------------------------------------
// Memory that grows, and a module without memory
// ---------------------------------------------------------------------------

#[test]
fn pointers_follow_memory_growth() {
    let (mut g, out) = guest();
    g.rejects("clock_time_get", &[0, 0, END], FAULT);
    g.rejects("random_get", &[END, 16], FAULT);
    assert_eq!(g.grow(1), 2 * PAGE);
    assert_eq!(g.mem_len(), 2 * PAGE);
    assert_eq!(g.call("clock_time_get", &[0, 0, END]), SUCCESS);
    assert_eq!(g.call("random_get", &[END, END]), SUCCESS);
    g.rejects("random_get", &[END, END + 1], FAULT);
    g.rejects("clock_time_get", &[0, 0, 2 * END], FAULT);
    still_works(&mut g, &out);
}

#[test]
fn module_without_memory_export_against_the_host() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
        (func (export "random0") (result i32) (call $random (i32.const 0) (i32.const 0)))
        (func (export "random1") (result i32) (call $random (i32.const 0) (i32.const 1)))
        (func (export "args") (result i32) (call $args (i32.const 0) (i32.const 0)))
        (func (export "write") (result i32) (call $write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
        (func (export "yield") (result i32) (call $yield)))"#;
    let module = Module::from_wat(engine(), wat).unwrap();
    for (args, want_args) in [(false, SUCCESS), (true, FAULT)] {
        let mut b = WasiHost::builder();
        if args {
            b = b.arg("prog");
        }
        let mut inst = module.instantiate(b.build().unwrap()).unwrap();
        let mut call = |name: &str| -> i32 {
            let i = inst.wasmtime();
            let f = i.get_typed_func::<(), i32>(inst.store_mut(), name).unwrap();
            f.call(inst.store_mut(), ()).unwrap()
        };
        assert_eq!(call("random0"), SUCCESS);
        assert_eq!(call("random1"), FAULT);
        assert_eq!(call("args"), want_args);
        assert_eq!(call("write"), FAULT);
        assert_eq!(call("yield"), SUCCESS);
    }
}

// ---------------------------------------------------------------------------
// Fuzz: every function, hostile argument mixes, never a panic
// ---------------------------------------------------------------------------

#[test]
fn hostile_argument_mix_never_panics() {
    let pool: &[i64] = &[
        0,
        1,
        2,
        3,
        4,
        7,
        8,
        16,
        255,
        256,
        0xFFFF,
        0x1_0000,
        END - 64,
        END - 8,
        END - 4,
        END - 1,
        END,
        END + 1,
        0x7FFF_FFFF,
        0x8000_0000,
        0xFFFF_FFF0,
        0xFFFF_FFF8,
        0xFFFF_FFFC,
        0xFFFF_FFFF,
        -1,
        i64::MIN,
        i64::MAX,
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut g, _out) = guest_with(
        WasiHost::builder()
            .arg("a")
            .env("K", "V")
            .stdin(Input::bytes(vec![7u8; 1000]))
            .random(RandomSource::Seeded(1)),
    );
    let mut calls = 0;
    for round in 0..40 {
        for (name, params, _) in SIGS.iter() {
            if *name == "proc_exit" {
                continue;
            }
            // Refill the memory with a pattern that makes any subscription
            // an unknown event type (ready at once), so poll never sleeps.
            g.fill(0xAA);
            let n = params.split_whitespace().count();
            let args: Vec<i64> = (0..n)
                .map(|_| {
                    let r = next();
                    if round % 4 == 0 {
                        // Pure noise now and then.
                        r as i64
                    } else {
                        pool[(r % pool.len() as u64) as usize]
                    }
                })
                .collect();
            let e = g
                .try_call(name, &args)
                .unwrap_or_else(|err| panic!("{name}{args:x?} trapped: {err:?}"));
            assert!((0..=76).contains(&e), "{name}{args:x?} gave errno {e}");
            calls += 1;
        }
    }
    assert!(calls > 1000);
    // Still serving (the fuzz may have closed fds: use the clock).
    assert_eq!(g.call("clock_time_get", &[1, 0, 64]), SUCCESS);
}

// ---------------------------------------------------------------------------
// Wrong direction on stdio
// ---------------------------------------------------------------------------

#[test]
fn fd_write_on_stdin_and_fd_read_on_stdout_are_badf() {
    // The contract (api: "fd_read on stdout / fd_write on stdin -> badf")
    // with good pointers, so only the direction is wrong.
    let (mut g, out) = abc_guest();
    g.poke(100, b"hi");
    g.iovec(200, 100, 2);
    g.iovec(208, 100, 10);
    let got = [
        g.call("fd_write", &[0, 200, 1, 300]),
        g.call("fd_read", &[1, 208, 1, 300]),
        g.call("fd_read", &[2, 208, 1, 300]),
    ];
    assert_eq!(
        got,
        [BADF, BADF, BADF],
        "fd_write(0), fd_read(1), fd_read(2)"
    );
    assert_eq!(out.total_written(), 0);
    abc_still_unread(&mut g);
}
