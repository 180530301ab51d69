//! Guests using their standard streams, with every kind of host input and
//! output.

mod common;

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use common::{module, run_args, run_with, scratch_dir};
use wasihost_core::{Capture, ErrorKind, Input, Outcome, Output, WasiHost, WasiHostBuilder};

/// Runs guest `name` with `args` (after argv[0]) on `builder`, whose stdout
/// and stderr the caller has set; asserts it exited with 0.
#[track_caller]
fn run_plain(name: &str, args: &[&str], builder: WasiHostBuilder) {
    let host = builder.arg(name).args(args).build().expect("build host");
    assert_eq!(module(name).run(host).expect("run"), Outcome::Exit(0));
}

/// A deterministic pseudo-random byte pattern.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn gathered_writes_and_zero_length_iovecs() {
    let ran = run_args("stdio", &["iovecs"]);
    assert_eq!(ran.outcome, Outcome::Exit(0), "{}", ran.err());
    let xyz: String = (0..40).map(|i| ["x", "y", "z"][i % 3]).collect();
    assert_eq!(ran.out(), format!("abcdef\n{xyz}\n"));
    assert_eq!(
        ran.err(),
        "write5 errno=0 n=7\n\
         write0 errno=0 n=0\n\
         write_empty errno=0 n=0\n\
         write41 errno=0 n=41\n\
         write_bad_buf errno=21 n=12345\n\
         write_buf_cross_end errno=21 n=12345\n\
         write_bad_iovs errno=21 n=12345\n\
         write_bad_nwritten errno=21\n\
         write_huge_iovs_len errno=21 n=12345\n\
         write_total_4g errno=28 n=12345\n\
         err!\n\
         stderr errno=0 n=5\n"
    );
}

#[test]
fn libc_stdio_reaches_captures() {
    let ran = run_args("stdio", &["libc"]);
    assert_eq!(ran.outcome, Outcome::Exit(0));
    assert_eq!(
        ran.out(),
        "printf 42 x\nfputs\nputs\nwrite\nwrite returned 6\n"
    );
    assert_eq!(ran.err(), "to stderr 7\n");
}

/// Runs `stdio chunks <sizes>` into a capture of `cap` bytes; gives the
/// capture and the guest's report.
fn chunks_into(cap: usize, sizes: &[&str]) -> (Capture, String) {
    let out = Capture::new(cap);
    let err = Capture::new(1 << 16);
    let mut args = vec!["chunks"];
    args.extend_from_slice(sizes);
    run_plain(
        "stdio",
        &args,
        WasiHost::builder()
            .stdout(Output::Capture(out.clone()))
            .stderr(Output::Capture(err.clone())),
    );
    (out, String::from_utf8(err.contents()).unwrap())
}

#[test]
fn capture_cap_truncates_but_guest_sees_full_writes() {
    let (out, report) = chunks_into(100, &["50", "100", "100"]);
    assert_eq!(
        report,
        "chunk 0 errno=0 n=50\nchunk 1 errno=0 n=100\nchunk 2 errno=0 n=100\n"
    );
    let mut expected = vec![b'A'; 50];
    expected.extend_from_slice(&[b'B'; 50]);
    assert_eq!(out.contents(), expected);
    assert!(out.is_truncated());
    assert_eq!(out.total_written(), 250);
    assert_eq!(out.cap(), 100);
}

#[test]
fn capture_exactly_at_cap_is_not_truncated() {
    let (out, report) = chunks_into(150, &["50", "100"]);
    assert_eq!(report, "chunk 0 errno=0 n=50\nchunk 1 errno=0 n=100\n");
    assert_eq!(out.contents().len(), 150);
    assert!(!out.is_truncated());
    assert_eq!(out.total_written(), 150);
    // take() empties the capture but keeps the total.
    let taken = out.take();
    assert_eq!(&taken[..50], &[b'A'; 50][..]);
    assert_eq!(&taken[50..], &[b'B'; 100][..]);
    assert!(out.contents().is_empty());
    assert_eq!(out.total_written(), 150);
}

#[test]
fn zero_cap_capture_keeps_nothing() {
    let (out, report) = chunks_into(0, &["10", "0"]);
    assert_eq!(report, "chunk 0 errno=0 n=10\nchunk 1 errno=0 n=0\n");
    assert!(out.contents().is_empty());
    assert!(out.is_truncated());
    assert_eq!(out.total_written(), 10);
}

#[test]
fn callback_receives_each_write_in_order() {
    let calls: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sink = calls.clone();
    let err = Capture::new(1 << 16);
    run_plain(
        "stdio",
        &["writes"],
        WasiHost::builder()
            .stdout(Output::callback(move |b: &[u8]| {
                sink.lock().unwrap().push(b.to_vec());
                Ok(())
            }))
            .stderr(Output::Capture(err.clone())),
    );
    assert_eq!(
        String::from_utf8(err.contents()).unwrap(),
        "w1 errno=0 n=3\nw2 errno=0 n=8\nw3 errno=0 n=4\n"
    );
    let calls = calls.lock().unwrap().clone();
    let text: Vec<String> = calls
        .iter()
        .map(|c| String::from_utf8(c.clone()).unwrap())
        .collect();
    // One call per write, or one per non-empty buffer of a write; never a
    // call spanning two writes.
    assert!(
        text == ["one", "two", "three", "four"] || text == ["one", "twothree", "four"],
        "callback calls: {text:?}"
    );
}

fn callback_error_errno(error: fn() -> io::Error) -> String {
    let err = Capture::new(1 << 16);
    run_plain(
        "stdio",
        &["writes"],
        WasiHost::builder()
            .stdout(Output::callback(move |_: &[u8]| Err(error())))
            .stderr(Output::Capture(err.clone())),
    );
    String::from_utf8(err.contents()).unwrap()
}

#[test]
fn callback_error_reaches_guest_as_errno() {
    assert_eq!(
        callback_error_errno(|| io::Error::other("refused")),
        "w1 errno=29 n=999\nw2 errno=29 n=999\nw3 errno=29 n=999\n",
        "a generic error is io (29), and nwritten is not written"
    );
    assert_eq!(
        callback_error_errno(|| io::Error::from(io::ErrorKind::StorageFull)),
        "w1 errno=51 n=999\nw2 errno=51 n=999\nw3 errno=51 n=999\n",
        "StorageFull is nospc (51)"
    );
    assert_eq!(
        callback_error_errno(|| io::Error::from(io::ErrorKind::BrokenPipe)),
        "w1 errno=64 n=999\nw2 errno=64 n=999\nw3 errno=64 n=999\n",
        "BrokenPipe is pipe (64)"
    );
}

/// The line of `text` that starts with `prefix`.
#[track_caller]
fn line_with<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{text}"))
}

#[test]
fn stdout_to_a_file_path_truncates_it() {
    let dir = scratch_dir("stdout_path");
    let file = dir.join("out.txt");
    std::fs::write(&file, "old content, longer than what the guest writes\n").unwrap();
    let err = Capture::new(1 << 16);
    run_plain(
        "fds",
        &["stat"],
        WasiHost::builder()
            .stdout(Output::path(&file))
            .stderr(Output::Capture(err.clone())),
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello file\n");
    let report = String::from_utf8(err.contents()).unwrap();
    assert_eq!(line_with(&report, "write "), "write errno=0");
    // A host regular file is a regular_file (4) that reports its size.
    assert_eq!(
        line_with(&report, "fd 1 fdstat "),
        "fd 1 fdstat errno=0 filetype=4 flags=0 \
         rights=fd_fdstat_set_flags|fd_write|fd_filestat_get|poll_fd_readwrite inheriting=none"
    );
    assert_eq!(
        line_with(&report, "fd 1 filestat "),
        "fd 1 filestat errno=0 filetype=4 size=11 has_ino=1 has_mtim=1"
    );
}

#[test]
fn stdout_append_path_appends() {
    let dir = scratch_dir("stdout_append");
    let file = dir.join("log.txt");
    std::fs::write(&file, "first\n").unwrap();
    for name in ["A", "B"] {
        run_plain(
            "proc",
            &["hello", name],
            WasiHost::builder().stdout(Output::append_path(&file)),
        );
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "first\nhello A\nhello B\n"
    );
    // A missing file is created.
    let fresh = dir.join("fresh.txt");
    run_plain(
        "proc",
        &["hello", "C"],
        WasiHost::builder()
            .stderr(Output::append_path(&fresh))
            .stdout(Output::Null),
    );
    assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "");
    run_plain(
        "proc",
        &["hello", "D"],
        WasiHost::builder().stdout(Output::append_path(&fresh)),
    );
    assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "hello D\n");
}

#[test]
fn stdout_to_an_open_file() {
    let dir = scratch_dir("stdout_file");
    let path = dir.join("f.txt");
    let file = std::fs::File::create(&path).unwrap();
    run_plain(
        "proc",
        &["hello", "file"],
        WasiHost::builder().stdout(Output::File(file)),
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello file\n");
}

#[test]
fn missing_output_directory_is_a_config_error() {
    let dir = scratch_dir("stdout_missing");
    let e = WasiHost::builder()
        .stdout(Output::path(dir.join("no/such/dir/out.txt")))
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(e.io_kind(), Some(io::ErrorKind::NotFound));
}

/// Runs `stdio echo <chunk>` with `stdin`; gives (stdout, stderr).
fn echo(stdin: Input, chunk: usize) -> (Vec<u8>, String) {
    let ran = run_with(
        "stdio",
        WasiHost::builder()
            .args(["stdio", "echo", &chunk.to_string()])
            .stdin(stdin),
    );
    assert_eq!(ran.outcome, Outcome::Exit(0), "{}", ran.err());
    (ran.stdout.clone(), ran.err())
}

#[test]
fn stdin_bytes_in_small_chunks() {
    let (out, report) = echo(Input::bytes("0123456789abcdefg"), 7);
    assert_eq!(out, b"0123456789abcdefg");
    assert_eq!(
        report,
        "read 7\nread 7\nread 3\nread 0\nagain errno=0 n=0\n"
    );
}

#[test]
fn stdin_scattered_reads_and_bad_buffers() {
    let ran = run_with(
        "stdio",
        WasiHost::builder()
            .args(["stdio", "readv"])
            .stdin(Input::bytes("abcdefghij")),
    );
    // The faulting reads consume nothing: the good read still starts at "a".
    assert_eq!(
        ran.ok(),
        "bad_buf errno=21 n=999\n\
         bad_iovs errno=21 n=999\n\
         bad_nread errno=21\n\
         readv errno=0 n=7\n\
         a 616263\n\
         b 64656667\n\
         rest errno=0 n=3\n\
         c 68696a\n\
         eof errno=0 n=0\n\
         no_iovs errno=0 n=0\n\
         read_total_4g errno=28 n=999\n"
    );
}

#[test]
fn stdin_null_is_at_eof() {
    for input in [Some(Input::Null), None] {
        let mut b = WasiHost::builder().args(["stdio", "echo", "16"]);
        if let Some(i) = input {
            b = b.stdin(i);
        }
        let ran = run_with("stdio", b);
        assert_eq!(ran.outcome, Outcome::Exit(0));
        assert_eq!(ran.out(), "");
        assert_eq!(ran.err(), "read 0\nagain errno=0 n=0\n");
    }
}

#[test]
fn stdin_from_a_file_path() {
    let dir = scratch_dir("stdin_path");
    let file = dir.join("in.txt");
    std::fs::write(&file, "line one\nline two\n").unwrap();
    let ran = run_with(
        "stdio",
        WasiHost::builder()
            .args(["stdio", "filter"])
            .stdin(Input::path(&file)),
    );
    assert_eq!(ran.ok(), "LINE ONE\nLINE TWO\n");

    // The same file as a regular file on fd 0.
    let ran = run_with(
        "fds",
        WasiHost::builder()
            .args(["fds", "stat"])
            .stdin(Input::path(&file)),
    );
    assert_eq!(ran.outcome, Outcome::Exit(0));
    let report = ran.err();
    assert_eq!(
        line_with(&report, "fd 0 fdstat "),
        "fd 0 fdstat errno=0 filetype=4 flags=0 \
         rights=fd_read|fd_fdstat_set_flags|fd_filestat_get|poll_fd_readwrite inheriting=none"
    );
    assert_eq!(
        line_with(&report, "fd 0 filestat "),
        "fd 0 filestat errno=0 filetype=4 size=18 has_ino=1 has_mtim=1"
    );

    // Chunked raw reads of an open file.
    let (out, report) = echo(Input::File(std::fs::File::open(&file).unwrap()), 10);
    assert_eq!(out, b"line one\nline two\n");
    assert_eq!(report, "read 10\nread 8\nread 0\nagain errno=0 n=0\n");
}

#[test]
fn stdin_missing_file_is_a_config_error() {
    let dir = scratch_dir("stdin_missing");
    let e = WasiHost::builder()
        .stdin(Input::path(dir.join("absent.txt")))
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(e.io_kind(), Some(io::ErrorKind::NotFound));
}

/// A reader that gives at most `piece` bytes per read.
struct Pieces {
    data: Vec<u8>,
    pos: usize,
    piece: usize,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.piece.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn pieces(data: &[u8], piece: usize) -> Input {
    Input::reader(Pieces {
        data: data.to_vec(),
        pos: 0,
        piece,
    })
}

#[test]
fn stdin_reader_one_byte_at_a_time() {
    let data = b"one byte at a time\n";
    let (out, report) = echo(pieces(data, 1), 16);
    assert_eq!(out, data);
    // Every read gives some bytes until end of file, which then stays.
    let lines: Vec<&str> = report.lines().collect();
    let (last2, reads) = lines.split_at(lines.len() - 2);
    assert_eq!(reads, ["read 0", "again errno=0 n=0"], "{report}");
    let total: usize = last2
        .iter()
        .map(|l| {
            let n: usize = l.strip_prefix("read ").unwrap().parse().unwrap();
            assert!((1..=16).contains(&n), "{report}");
            n
        })
        .sum();
    assert_eq!(total, data.len());

    // libc's line reading on top of 1-byte reads.
    let ran = run_with(
        "stdio",
        WasiHost::builder()
            .args(["stdio", "filter"])
            .stdin(pieces(b"ab\ncd\n\nlast line without newline", 1)),
    );
    assert_eq!(ran.ok(), "AB\nCD\n\nLAST LINE WITHOUT NEWLINE");
}

#[test]
fn stdin_reader_error_reaches_guest() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::ConnectionReset))
        }
    }
    let (out, report) = echo(Input::reader(Failing), 16);
    assert!(out.is_empty());
    assert_eq!(
        report, "read errno=15\n",
        "ConnectionReset is connreset (15)"
    );
}

#[test]
fn one_mib_through_stdin_to_stdout() {
    let data = pattern(1 << 20, 7);
    let ran = run_with(
        "stdio",
        WasiHost::builder()
            .args(["stdio", "copy"])
            .stdin(Input::bytes(data.clone())),
    );
    assert_eq!(ran.outcome, Outcome::Exit(0), "{}", ran.err());
    assert_eq!(ran.err(), "copied 1048576\n");
    assert!(ran.stdout == data, "1 MiB copy differs");

    // The same through a reader giving odd-sized pieces, into a callback.
    let got: Arc<Mutex<Vec<u8>>> = Arc::default();
    let sink = got.clone();
    let err = Capture::new(1 << 16);
    run_plain(
        "stdio",
        &["copy"],
        WasiHost::builder()
            .stdin(pieces(&data, 1000))
            .stdout(Output::callback(move |b: &[u8]| {
                sink.lock().unwrap().extend_from_slice(b);
                Ok(())
            }))
            .stderr(Output::Capture(err.clone())),
    );
    assert_eq!(err.contents(), b"copied 1048576\n");
    assert!(
        *got.lock().unwrap() == data,
        "1 MiB copy via reader differs"
    );
}

/// A host pipe: the read end as a `File`, and the write end.
fn pipe() -> (std::fs::File, std::io::PipeWriter) {
    let (r, w) = std::io::pipe().expect("pipe");
    (std::fs::File::from(std::os::fd::OwnedFd::from(r)), w)
}

#[test]
fn stdin_from_a_pipe_fed_by_a_thread() {
    let (r, mut w) = pipe();
    let data = pattern(300_000, 3);
    let feed = data.clone();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        for chunk in feed.chunks(7_000) {
            w.write_all(chunk).unwrap();
        }
    });
    let ran = run_with(
        "stdio",
        WasiHost::builder()
            .args(["stdio", "copy"])
            .stdin(Input::File(r)),
    );
    writer.join().unwrap();
    assert_eq!(ran.outcome, Outcome::Exit(0), "{}", ran.err());
    assert_eq!(ran.err(), "copied 300000\n");
    assert!(ran.stdout == data, "pipe copy differs");
}

#[test]
fn stdout_to_a_pipe_drained_by_a_thread() {
    let (mut r, w) = pipe();
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        got
    });
    let data = pattern(1 << 20, 11);
    let err = Capture::new(1 << 16);
    run_plain(
        "stdio",
        &["copy"],
        WasiHost::builder()
            .stdin(Input::bytes(data.clone()))
            .stdout(Output::File(std::fs::File::from(
                std::os::fd::OwnedFd::from(w),
            )))
            .stderr(Output::Capture(err.clone())),
    );
    // The host dropped the write end with the run, so the reader ends.
    let got = reader.join().unwrap();
    assert_eq!(err.contents(), b"copied 1048576\n");
    assert!(got == data, "pipe output differs");
}

#[test]
fn writing_to_a_pipe_without_reader_is_epipe() {
    let (r, w) = pipe();
    drop(r);
    let err = Capture::new(1 << 16);
    run_plain(
        "stdio",
        &["writes"],
        WasiHost::builder()
            .stdout(Output::File(std::fs::File::from(
                std::os::fd::OwnedFd::from(w),
            )))
            .stderr(Output::Capture(err.clone())),
    );
    assert_eq!(
        String::from_utf8(err.contents()).unwrap(),
        "w1 errno=64 n=999\nw2 errno=64 n=999\nw3 errno=64 n=999\n"
    );
}

#[test]
fn stdout_and_stderr_sharing_one_capture_interleave_in_order() {
    let both = Capture::new(1 << 16);
    run_plain(
        "stdio",
        &["libc"],
        WasiHost::builder()
            .stdout(Output::Capture(both.clone()))
            .stderr(Output::Capture(both.clone())),
    );
    // stderr is unbuffered. wasi-libc (musl) flushes stdout's first line at
    // its newline, finds out there that stdout is not a terminal, and then
    // buffers fully until fflush and exit.
    assert_eq!(
        String::from_utf8(both.contents()).unwrap(),
        "printf 42 x\nto stderr 7\nfputs\nputs\nwrite\nwrite returned 6\n"
    );
}

/// A writer that takes one byte per call, after an `Interrupted` on every
/// other call, into a shared buffer.
struct Trickle {
    sink: Arc<Mutex<Vec<u8>>>,
    calls: usize,
}

impl io::Write for Trickle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls % 2 == 1 {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        match buf.first() {
            Some(b) => {
                self.sink.lock().unwrap().push(*b);
                Ok(1)
            }
            None => Ok(0),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn short_and_interrupted_writer_writes_are_completed() {
    let sink: Arc<Mutex<Vec<u8>>> = Arc::default();
    let err = Capture::new(1 << 16);
    run_plain(
        "stdio",
        &["writes"],
        WasiHost::builder()
            .stdout(Output::writer(Trickle {
                sink: sink.clone(),
                calls: 0,
            }))
            .stderr(Output::Capture(err.clone())),
    );
    assert_eq!(
        String::from_utf8(err.contents()).unwrap(),
        "w1 errno=0 n=3\nw2 errno=0 n=8\nw3 errno=0 n=4\n"
    );
    assert_eq!(*sink.lock().unwrap(), b"onetwothreefour");
}

#[test]
fn writer_that_writes_nothing_is_an_io_error() {
    struct Zero;
    impl io::Write for Zero {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Ok(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let err = Capture::new(1 << 16);
    run_plain(
        "stdio",
        &["writes"],
        WasiHost::builder()
            .stdout(Output::writer(Zero))
            .stderr(Output::Capture(err.clone())),
    );
    assert_eq!(
        String::from_utf8(err.contents()).unwrap(),
        "w1 errno=29 n=999\nw2 errno=29 n=999\nw3 errno=29 n=999\n"
    );
}

#[test]
fn interrupted_reader_reads_are_retried() {
    struct Stutter {
        data: &'static [u8],
        calls: usize,
    }
    impl Read for Stutter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls % 2 == 1 {
                return Err(io::Error::from(io::ErrorKind::Interrupted));
            }
            let n = 3.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }
    let ran = run_with(
        "stdio",
        WasiHost::builder()
            .args(["stdio", "filter"])
            .stdin(Input::reader(Stutter {
                data: b"interrupted\nreads\n",
                calls: 0,
            })),
    );
    assert_eq!(ran.ok(), "INTERRUPTED\nREADS\n");
}

#[test]
fn nonblocking_read_of_an_empty_pipe_is_again() {
    use std::io::Write;
    let (r, mut w) = pipe();
    w.write_all(b"xy").unwrap();
    let ran = run_with(
        "stdio",
        WasiHost::builder()
            .args(["stdio", "nonblock"])
            .stdin(Input::File(r)),
    );
    drop(w); // open, so the drained pipe has no data but no end of file
    assert_eq!(
        ran.ok(),
        "set errno=0\nread errno=0 n=2\nread errno=6 n=999\n"
    );
    // In-memory input never blocks: end of file, not again.
    let ran = run_with(
        "stdio",
        WasiHost::builder()
            .args(["stdio", "nonblock"])
            .stdin(Input::bytes("xy")),
    );
    assert_eq!(
        ran.ok(),
        "set errno=0\nread errno=0 n=2\nread errno=0 n=0\n"
    );
}
