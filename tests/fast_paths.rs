//! The host's fast paths, called directly through `NativeWasiImports`:
//! the file position the host keeps for regular files the guest opened
//! (`fd_tell`, `fd_seek`, `fd_read`, `fd_write` and their mixes with
//! `fd_pread`, `fd_pwrite`, `append`, `fd_renumber`, set-size), the
//! answer of `poll_oneoff` when only clocks are due, and `path_open` of a
//! plain name (one `openat`), with the cases that must still go through
//! cap-std.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasihost_core::wasi_snapshot_preview1::types::{
    ciovec, clockid, errno, event, eventtype, fd, fdflags, filedelta, filesize, filetype, iovec,
    lookupflags, oflags, rights, subclockflags, subscription, subscription_clock, subscription_u,
    whence,
};
use wasihost_core::wasi_snapshot_preview1::{Ctx, NativeWasiImports, WasmSlicePtr};
use wasihost_core::{Input, VirtualClock, WasiHost, WasiHostBuilder};

/// Where the test puts things in guest memory.
const PATH: u32 = 0;
const IOVS: u32 = 4096;
const DATA: u32 = 8192;
const SUBS: u32 = 16384;
const EVENTS: u32 = 32768;
const MEM: usize = 65536;

/// The preopen's fd.
const ROOT: fd = 3;

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fast-paths")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A host with `dir` preopened at fd 3, and a guest memory to call it
/// with.
struct Guest {
    host: WasiHost,
    mem: Vec<u8>,
    /// The rights `path_open` asks for.
    rights: rights,
}

const FILE_RW: rights = rights::from_raw(
    rights::fd_read.raw
        | rights::fd_write.raw
        | rights::fd_seek.raw
        | rights::fd_tell.raw
        | rights::fd_filestat_get.raw
        | rights::fd_filestat_set_size.raw
        | rights::fd_readdir.raw
        | rights::fd_fdstat_set_flags.raw
        | rights::path_open.raw,
);

/// What opening a directory, or in a read-only preopen, asks for.
const READ_ONLY: rights = rights::from_raw(
    rights::fd_read.raw
        | rights::fd_seek.raw
        | rights::fd_tell.raw
        | rights::fd_readdir.raw
        | rights::path_open.raw,
);

impl Guest {
    fn new(dir: &Path) -> Guest {
        Guest::with(WasiHost::builder().preopen_dir(dir, "/d"))
    }

    fn with(builder: WasiHostBuilder) -> Guest {
        Guest {
            host: builder.build().unwrap(),
            mem: vec![0; MEM],
            rights: FILE_RW,
        }
    }

    fn open_at(
        &mut self,
        dirfd: fd,
        path: &str,
        dirflags: lookupflags,
        of: oflags,
        flags: fdflags,
    ) -> Result<fd, errno> {
        let mut ctx = Ctx::new(&mut self.mem);
        ctx.copy_to(WasmSlicePtr::new(PATH), path.as_bytes())
            .unwrap();
        let (e, fd) = self.host.path_open(
            &mut ctx,
            dirfd,
            dirflags,
            WasmSlicePtr::new(PATH),
            path.len() as u32,
            of,
            self.rights,
            self.rights,
            flags,
        );
        if e == errno::success { Ok(fd) } else { Err(e) }
    }

    fn open(&mut self, path: &str, of: oflags, flags: fdflags) -> fd {
        self.open_at(ROOT, path, lookupflags::symlink_follow, of, flags)
            .unwrap_or_else(|e| panic!("open {path}: {e:?}"))
    }

    fn write(&mut self, fd: fd, parts: &[&[u8]]) -> Result<u32, errno> {
        let mut ctx = Ctx::new(&mut self.mem);
        let mut at = DATA;
        for (i, p) in parts.iter().enumerate() {
            ctx.copy_to(WasmSlicePtr::new(at), p).unwrap();
            ctx.write_at(
                WasmSlicePtr::<ciovec>::new(IOVS),
                i as u32,
                ciovec {
                    buf: WasmSlicePtr::new(at),
                    buf_len: p.len() as u32,
                },
            )
            .unwrap();
            at += p.len() as u32;
        }
        let (e, n) = self
            .host
            .fd_write(&mut ctx, fd, WasmSlicePtr::new(IOVS), parts.len() as u32);
        if e == errno::success { Ok(n) } else { Err(e) }
    }

    fn pwrite(&mut self, fd: fd, data: &[u8], offset: filesize) -> Result<u32, errno> {
        let mut ctx = Ctx::new(&mut self.mem);
        ctx.copy_to(WasmSlicePtr::new(DATA), data).unwrap();
        ctx.write(
            WasmSlicePtr::<ciovec>::new(IOVS),
            ciovec {
                buf: WasmSlicePtr::new(DATA),
                buf_len: data.len() as u32,
            },
        )
        .unwrap();
        let (e, n) = self
            .host
            .fd_pwrite(&mut ctx, fd, WasmSlicePtr::new(IOVS), 1, offset);
        if e == errno::success { Ok(n) } else { Err(e) }
    }

    /// Reads into buffers of the given sizes; the bytes read.
    fn read_split(&mut self, fd: fd, sizes: &[u32]) -> Result<Vec<u8>, errno> {
        let mut ctx = Ctx::new(&mut self.mem);
        let mut at = DATA;
        for (i, &len) in sizes.iter().enumerate() {
            ctx.write_at(
                WasmSlicePtr::<iovec>::new(IOVS),
                i as u32,
                iovec {
                    buf: WasmSlicePtr::new(at),
                    buf_len: len,
                },
            )
            .unwrap();
            at += len;
        }
        let (e, n) = self
            .host
            .fd_read(&mut ctx, fd, WasmSlicePtr::new(IOVS), sizes.len() as u32);
        if e != errno::success {
            return Err(e);
        }
        Ok(ctx.bytes(WasmSlicePtr::new(DATA), n).unwrap().to_vec())
    }

    fn read(&mut self, fd: fd, len: u32) -> Result<Vec<u8>, errno> {
        self.read_split(fd, &[len])
    }

    fn pread(&mut self, fd: fd, len: u32, offset: filesize) -> Result<Vec<u8>, errno> {
        let mut ctx = Ctx::new(&mut self.mem);
        ctx.write(
            WasmSlicePtr::<iovec>::new(IOVS),
            iovec {
                buf: WasmSlicePtr::new(DATA),
                buf_len: len,
            },
        )
        .unwrap();
        let (e, n) = self
            .host
            .fd_pread(&mut ctx, fd, WasmSlicePtr::new(IOVS), 1, offset);
        if e != errno::success {
            return Err(e);
        }
        Ok(ctx.bytes(WasmSlicePtr::new(DATA), n).unwrap().to_vec())
    }

    fn tell(&mut self, fd: fd) -> Result<filesize, errno> {
        let mut ctx = Ctx::new(&mut self.mem);
        let (e, at) = self.host.fd_tell(&mut ctx, fd);
        // `fd_seek(fd, 0, cur)` is the other way to ask: same answer.
        let (e2, at2) = self.host.fd_seek(&mut ctx, fd, 0, whence::cur);
        assert_eq!((e, at), (e2, at2), "fd_tell and fd_seek(0, cur) differ");
        if e == errno::success { Ok(at) } else { Err(e) }
    }

    fn seek(&mut self, fd: fd, offset: filedelta, wh: whence) -> Result<filesize, errno> {
        let mut ctx = Ctx::new(&mut self.mem);
        let (e, at) = self.host.fd_seek(&mut ctx, fd, offset, wh);
        if e == errno::success { Ok(at) } else { Err(e) }
    }

    fn size(&mut self, fd: fd) -> filesize {
        let mut ctx = Ctx::new(&mut self.mem);
        let (e, st) = self.host.fd_filestat_get(&mut ctx, fd);
        assert_eq!(e, errno::success);
        st.size
    }

    fn filetype(&mut self, fd: fd) -> filetype {
        let mut ctx = Ctx::new(&mut self.mem);
        let (e, st) = self.host.fd_fdstat_get(&mut ctx, fd);
        assert_eq!(e, errno::success);
        st.fs_filetype
    }

    fn set_flags(&mut self, fd: fd, flags: fdflags) {
        let mut ctx = Ctx::new(&mut self.mem);
        assert_eq!(
            self.host.fd_fdstat_set_flags(&mut ctx, fd, flags),
            errno::success
        );
    }

    fn close(&mut self, fd: fd) {
        let mut ctx = Ctx::new(&mut self.mem);
        assert_eq!(self.host.fd_close(&mut ctx, fd), errno::success);
    }

    /// `poll_oneoff` over `subs`: the events.
    fn poll(&mut self, subs: &[subscription]) -> Result<Vec<event>, errno> {
        let mut ctx = Ctx::new(&mut self.mem);
        for (i, s) in subs.iter().enumerate() {
            ctx.write_at(WasmSlicePtr::new(SUBS), i as u32, *s).unwrap();
        }
        let (e, n) = self.host.poll_oneoff(
            &mut ctx,
            WasmSlicePtr::new(SUBS),
            WasmSlicePtr::new(EVENTS),
            subs.len() as u32,
        );
        if e != errno::success {
            return Err(e);
        }
        Ok((0..n)
            .map(|i| ctx.read_at(WasmSlicePtr::<event>::new(EVENTS), i).unwrap())
            .collect())
    }

    /// The `..` inode `fd_readdir` reports for directory `fd`.
    fn dotdot_ino(&mut self, fd: fd) -> u64 {
        let mut ctx = Ctx::new(&mut self.mem);
        let (e, n) = self
            .host
            .fd_readdir(&mut ctx, fd, WasmSlicePtr::new(DATA), 4096, 0);
        assert_eq!(e, errno::success);
        let buf = ctx.bytes(WasmSlicePtr::new(DATA), n).unwrap();
        let mut at = 0usize;
        while at + 24 <= buf.len() {
            let ino = u64::from_le_bytes(buf[at + 8..at + 16].try_into().unwrap());
            let len = u32::from_le_bytes(buf[at + 16..at + 20].try_into().unwrap()) as usize;
            if &buf[at + 24..at + 24 + len] == b".." {
                return ino;
            }
            at += 24 + len;
        }
        panic!("no `..` entry");
    }
}

fn clock_sub(userdata: u64, id: clockid, timeout: u64, flags: subclockflags) -> subscription {
    subscription {
        userdata,
        u: subscription_u::clock(subscription_clock {
            id,
            timeout,
            precision: 0,
            flags,
        }),
    }
}

const ABS: subclockflags = subclockflags::subscription_clock_abstime;
const NONE: fdflags = fdflags::empty();

#[test]
fn reads_and_writes_move_the_position_the_host_keeps() {
    let dir = scratch("rw");
    std::fs::write(dir.join("f"), b"0123456789").unwrap();
    let mut g = Guest::new(&dir);
    let f = g.open("f", oflags::empty(), NONE);
    assert_eq!(g.filetype(f), filetype::regular_file);
    assert_eq!(g.tell(f), Ok(0));
    assert_eq!(g.read(f, 3).unwrap(), b"012");
    assert_eq!(g.tell(f), Ok(3));
    // Several buffers: filled in order, the position moves by the total.
    assert_eq!(g.read_split(f, &[2, 0, 3]).unwrap(), b"34567");
    assert_eq!(g.tell(f), Ok(8));
    // fd_pread and fd_pwrite leave the position alone.
    assert_eq!(g.pread(f, 4, 1).unwrap(), b"1234");
    assert_eq!(g.pwrite(f, b"AB", 0), Ok(2));
    assert_eq!(g.tell(f), Ok(8));
    // A write goes at the position and moves it.
    assert_eq!(g.write(f, &[b"xy", b"z"]), Ok(3));
    assert_eq!(g.tell(f), Ok(11));
    assert_eq!(std::fs::read(dir.join("f")).unwrap(), b"AB234567xyz");
    // At the end: 0 bytes, the position stays.
    assert_eq!(g.read(f, 4).unwrap(), b"");
    assert_eq!(g.tell(f), Ok(11));
    assert_eq!(g.seek(f, 2, whence::set), Ok(2));
    assert_eq!(g.read(f, 2).unwrap(), b"23");
    assert_eq!(g.seek(f, -3, whence::cur), Ok(1));
    assert_eq!(g.write(f, &[b"-"]), Ok(1));
    assert_eq!(g.seek(f, -1, whence::end), Ok(10));
    assert_eq!(g.read(f, 5).unwrap(), b"z");
    assert_eq!(std::fs::read(dir.join("f")).unwrap(), b"A-234567xyz");
}

#[test]
fn seeking_past_the_end_and_below_zero() {
    let dir = scratch("seek");
    std::fs::write(dir.join("f"), b"abc").unwrap();
    let mut g = Guest::new(&dir);
    let f = g.open("f", oflags::empty(), NONE);
    assert_eq!(g.seek(f, 10, whence::end), Ok(13));
    assert_eq!(g.read(f, 4).unwrap(), b"");
    assert_eq!(g.tell(f), Ok(13));
    // A write there leaves a hole of zeros.
    assert_eq!(g.write(f, &[b"!"]), Ok(1));
    assert_eq!(g.tell(f), Ok(14));
    let mut want = b"abc".to_vec();
    want.extend([0; 10]);
    want.push(b'!');
    assert_eq!(std::fs::read(dir.join("f")).unwrap(), want);
    // Below 0 is `inval`, whatever the base, and the position stays.
    assert_eq!(g.seek(f, -1, whence::set), Err(errno::inval));
    assert_eq!(g.seek(f, -15, whence::cur), Err(errno::inval));
    assert_eq!(g.seek(f, -15, whence::end), Err(errno::inval));
    assert_eq!(g.tell(f), Ok(14));
    assert_eq!(g.seek(f, -14, whence::end), Ok(0));
    // Up to 2^64 - 1, beyond is `inval`; out there a read sees the end of
    // the file and a write is `fbig`.
    assert_eq!(g.seek(f, i64::MAX, whence::set), Ok(i64::MAX as u64));
    assert_eq!(g.seek(f, i64::MAX, whence::cur), Ok(u64::MAX - 1));
    assert_eq!(g.seek(f, 1, whence::cur), Ok(u64::MAX));
    assert_eq!(g.seek(f, 1, whence::cur), Err(errno::inval));
    assert_eq!(g.tell(f), Ok(u64::MAX));
    assert_eq!(g.read(f, 4).unwrap(), b"");
    assert_eq!(g.write(f, &[b"x"]), Err(errno::fbig));
    assert_eq!(g.tell(f), Ok(u64::MAX));
    assert_eq!(g.size(f), 14);
    // Back to a real position: reads work again.
    assert_eq!(g.seek(f, 1, whence::set), Ok(1));
    assert_eq!(g.read(f, 2).unwrap(), b"bc");
}

#[test]
fn append_writes_at_the_end_and_leaves_the_position_there() {
    let dir = scratch("append");
    std::fs::write(dir.join("f"), b"start").unwrap();
    let mut g = Guest::new(&dir);
    let f = g.open("f", oflags::empty(), fdflags::append);
    assert_eq!(g.tell(f), Ok(0));
    // Another writer makes the file longer meanwhile: the append still
    // goes to the end, and the position is the new end (wasmtime's
    // behaviour: the size after the write).
    std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("f"))
        .unwrap()
        .write_all_at_end(b"+other");
    assert_eq!(g.write(f, &[b"-one"]), Ok(4));
    assert_eq!(g.tell(f), Ok(15));
    assert_eq!(g.seek(f, 0, whence::set), Ok(0));
    assert_eq!(g.write(f, &[b"-t", b"wo"]), Ok(4));
    assert_eq!(g.tell(f), Ok(19));
    assert_eq!(
        std::fs::read(dir.join("f")).unwrap(),
        b"start+other-one-two"
    );
    // fd_pwrite on an append fd also appends (Linux's pwrite, and
    // wasmtime), and leaves the position alone.
    assert_eq!(g.seek(f, 2, whence::set), Ok(2));
    assert_eq!(g.pwrite(f, b"!", 0), Ok(1));
    assert_eq!(g.tell(f), Ok(2));
    assert_eq!(g.read(f, 3).unwrap(), b"art");
    assert_eq!(g.tell(f), Ok(5));
    // Append cleared: writes go at the position again.
    g.set_flags(f, NONE);
    assert_eq!(g.write(f, &[b"_"]), Ok(1));
    assert_eq!(g.tell(f), Ok(6));
    // And set again: to the end, position the new end.
    g.set_flags(f, fdflags::append);
    assert_eq!(g.write(f, &[b"."]), Ok(1));
    assert_eq!(g.tell(f), Ok(21));
    assert_eq!(
        std::fs::read(dir.join("f")).unwrap(),
        b"start_other-one-two!."
    );
}

/// Appends through a std file (a writer other than the guest).
trait WriteAllAtEnd {
    fn write_all_at_end(self, data: &[u8]);
}

impl WriteAllAtEnd for std::fs::File {
    fn write_all_at_end(mut self, data: &[u8]) {
        std::io::Write::write_all(&mut self, data).unwrap();
    }
}

#[test]
fn renumber_moves_the_position_with_the_fd() {
    let dir = scratch("renumber");
    std::fs::write(dir.join("a"), b"aaaaaa").unwrap();
    std::fs::write(dir.join("b"), b"bbbbbb").unwrap();
    let mut g = Guest::new(&dir);
    let a = g.open("a", oflags::empty(), NONE);
    let b = g.open("b", oflags::empty(), NONE);
    assert_eq!(g.read(a, 4).unwrap(), b"aaaa");
    assert_eq!(g.read(b, 1).unwrap(), b"b");
    let mut ctx = Ctx::new(&mut g.mem);
    assert_eq!(g.host.fd_renumber(&mut ctx, a, b), errno::success);
    assert_eq!(g.tell(a), Err(errno::badf));
    assert_eq!(g.tell(b), Ok(4));
    assert_eq!(g.read(b, 9).unwrap(), b"aa");
    assert_eq!(g.tell(b), Ok(6));
}

#[test]
fn two_opens_of_one_file_have_their_own_positions() {
    let dir = scratch("two");
    std::fs::write(dir.join("f"), b"0123456789").unwrap();
    let mut g = Guest::new(&dir);
    let x = g.open("f", oflags::empty(), NONE);
    let y = g.open("f", oflags::empty(), NONE);
    assert_eq!(g.read(x, 4).unwrap(), b"0123");
    assert_eq!(g.tell(y), Ok(0));
    assert_eq!(g.write(y, &[b"AB"]), Ok(2));
    assert_eq!(g.tell(x), Ok(4));
    assert_eq!(g.tell(y), Ok(2));
    // Each sees the other's writes: one file.
    assert_eq!(g.seek(x, 0, whence::set), Ok(0));
    assert_eq!(g.read(x, 3).unwrap(), b"AB2");
    assert_eq!(g.read(y, 2).unwrap(), b"23");
}

#[test]
fn set_size_leaves_the_position() {
    let dir = scratch("setsize");
    let mut g = Guest::new(&dir);
    let f = g.open("f", oflags::creat, NONE);
    assert_eq!(g.write(f, &[b"0123456789"]), Ok(10));
    let mut ctx = Ctx::new(&mut g.mem);
    assert_eq!(g.host.fd_filestat_set_size(&mut ctx, f, 3), errno::success);
    assert_eq!(g.tell(f), Ok(10));
    assert_eq!(g.size(f), 3);
    assert_eq!(g.read(f, 4).unwrap(), b"");
    assert_eq!(g.write(f, &[b"z"]), Ok(1));
    assert_eq!(std::fs::read(dir.join("f")).unwrap(), b"012\0\0\0\0\0\0\0z");
    assert_eq!(g.seek(f, 0, whence::end), Ok(11));
}

#[test]
fn stdio_shared_with_the_embedder_keeps_the_host_offset() {
    // A file the embedder gives as stdin is read at its own offset, which
    // the embedder sees move (it may move it too), and cannot seek.
    let dir = scratch("stdio");
    std::fs::write(dir.join("in"), b"abcdef").unwrap();
    let file = std::fs::File::open(dir.join("in")).unwrap();
    let mine = file.try_clone().unwrap();
    let mut g = Guest::with(WasiHost::builder().stdin(Input::File(file)));
    assert_eq!(g.read(0, 2).unwrap(), b"ab");
    use std::io::Seek;
    let mut mine = mine;
    assert_eq!(mine.stream_position().unwrap(), 2);
    mine.seek(std::io::SeekFrom::Start(4)).unwrap();
    assert_eq!(g.read(0, 9).unwrap(), b"ef");
    assert_eq!(g.tell(0), Err(errno::spipe));
    assert_eq!(g.tell(1), Err(errno::spipe));
    assert_eq!(g.seek(0, 0, whence::set), Err(errno::spipe));
}

#[test]
fn directories_cannot_tell_and_readdir_still_lists() {
    let dir = scratch("dirs");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::write(dir.join("a/file"), b"").unwrap();
    std::os::unix::fs::symlink("a/b", dir.join("link")).unwrap();
    let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
    let mut g = Guest::new(&dir);
    g.rights = READ_ONLY;
    let a = g.open("a", oflags::directory, NONE);
    assert_eq!(g.tell(a), Err(errno::isdir));
    assert_eq!(g.seek(a, 0, whence::set), Err(errno::isdir));
    // `..` of a subdirectory is the directory it is in, however it was
    // opened: a plain name, with or without `directory`, a longer path,
    // through a symlink.
    assert_eq!(g.dotdot_ino(a), ino(&dir));
    let a2 = g.open("a", oflags::empty(), NONE);
    assert_eq!(g.filetype(a2), filetype::directory);
    assert_eq!(g.dotdot_ino(a2), ino(&dir));
    let b = g.open("a/b", oflags::directory, NONE);
    assert_eq!(g.dotdot_ino(b), ino(&dir.join("a")));
    let b2 = g.open_at(a, "b", lookupflags::empty(), oflags::empty(), NONE);
    assert_eq!(g.dotdot_ino(b2.unwrap()), ino(&dir.join("a")));
    let l = g.open("link", oflags::directory, NONE);
    assert_eq!(g.dotdot_ino(l), ino(&dir.join("a")));
    // The preopen's own `..` is itself (its parent is outside).
    assert_eq!(g.dotdot_ino(ROOT), ino(&dir));
    // `.` opened by name: its `..` would be outside, so it is itself.
    let dot = g.open(".", oflags::directory, NONE);
    assert_eq!(g.dotdot_ino(dot), ino(&dir));
}

#[test]
fn plain_names_and_what_still_goes_through_cap_std() {
    let dir = scratch("open");
    let outside = scratch("open-outside");
    std::fs::write(outside.join("secret"), b"no").unwrap();
    std::fs::write(dir.join("f"), b"data").unwrap();
    std::os::unix::fs::symlink("f", dir.join("to_f")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret"), dir.join("abs")).unwrap();
    std::os::unix::fs::symlink("../open-outside/secret", dir.join("rel")).unwrap();
    std::os::unix::fs::symlink("missing", dir.join("dangling")).unwrap();
    let mut g = Guest::new(&dir);
    let follow = lookupflags::symlink_follow;
    let none = lookupflags::empty();
    // A symlink in the sandbox: followed when asked, `loop` otherwise.
    let t = g
        .open_at(ROOT, "to_f", follow, oflags::empty(), NONE)
        .unwrap();
    assert_eq!(g.read(t, 9).unwrap(), b"data");
    assert_eq!(
        g.open_at(ROOT, "to_f", none, oflags::empty(), NONE),
        Err(errno::r#loop)
    );
    assert_eq!(
        g.open_at(ROOT, "to_f", none, oflags::directory, NONE),
        Err(errno::r#loop)
    );
    // Symlinks out of the sandbox, and `..`: refused.
    for name in ["abs", "rel"] {
        assert_eq!(
            g.open_at(ROOT, name, follow, oflags::empty(), NONE),
            Err(errno::perm),
            "{name}"
        );
        assert_eq!(
            g.open_at(ROOT, name, none, oflags::empty(), NONE),
            Err(errno::r#loop),
            "{name}"
        );
    }
    assert_eq!(
        g.open_at(ROOT, "..", follow, oflags::directory, NONE),
        Err(errno::perm)
    );
    // Creating through a dangling symlink that is followed creates its
    // target inside the sandbox; not followed, `loop`.
    assert_eq!(
        g.open_at(ROOT, "dangling", none, oflags::creat, NONE),
        Err(errno::r#loop)
    );
    g.open_at(ROOT, "dangling", follow, oflags::creat, NONE)
        .unwrap();
    assert!(dir.join("missing").is_file());
    // Missing and existing names.
    assert_eq!(
        g.open_at(ROOT, "nothing", follow, oflags::empty(), NONE),
        Err(errno::noent)
    );
    assert_eq!(
        g.open_at(ROOT, "f", follow, oflags::creat.union(oflags::excl), NONE),
        Err(errno::exist)
    );
    assert_eq!(
        g.open_at(ROOT, "f", follow, oflags::directory, NONE),
        Err(errno::notdir)
    );
    // A new file made with `excl` is a regular file, empty, at 0.
    let n = g
        .open_at(ROOT, "new", follow, oflags::creat.union(oflags::excl), NONE)
        .unwrap();
    assert_eq!(g.filetype(n), filetype::regular_file);
    assert_eq!(g.tell(n), Ok(0));
    assert_eq!(g.write(n, &[b"hi"]), Ok(2));
    g.close(n);
    assert_eq!(std::fs::read(dir.join("new")).unwrap(), b"hi");
    // `trunc` empties it.
    let n = g.open("new", oflags::trunc, NONE);
    assert_eq!(g.size(n), 0);
    // Nothing outside was touched.
    assert_eq!(std::fs::read(outside.join("secret")).unwrap(), b"no");
}

#[test]
fn a_device_keeps_the_kernel_offset() {
    // /dev/zero through a preopen of /dev: not a regular file, read with
    // read(2), and its (kernel) position reported as the kernel has it.
    let mut g = Guest::with(WasiHost::builder().preopen_dir_readonly("/dev", "/dev"));
    g.rights = READ_ONLY;
    let z = g.open("zero", oflags::empty(), NONE);
    assert_eq!(g.filetype(z), filetype::character_device);
    assert_eq!(g.read(z, 4).unwrap(), vec![0; 4]);
    assert_eq!(g.tell(z), Ok(0));
}

#[test]
fn poll_answers_clocks_that_are_due() {
    let mut g = Guest::with(WasiHost::builder());
    let mono = clockid::monotonic;
    let real = clockid::realtime;
    let zero = subclockflags::empty();
    // Relative 0 on either clock: due at once.
    for id in [mono, real] {
        let ev = g.poll(&[clock_sub(7, id, 0, zero)]).unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].userdata, 7);
        assert_eq!(ev[0].error, errno::success);
        assert_eq!(ev[0].r#type, eventtype::clock);
        assert_eq!(ev[0].fd_readwrite.nbytes, 0);
    }
    // Only the due ones, in order: an absolute time in the past is due,
    // one far ahead and a relative 10 s are not.
    let ev = g
        .poll(&[
            clock_sub(1, mono, 10_000_000_000, zero),
            clock_sub(2, real, 1, ABS),
            clock_sub(3, mono, u64::MAX, ABS),
            clock_sub(4, mono, 0, zero),
            clock_sub(5, mono, 0, ABS),
        ])
        .unwrap();
    let got: Vec<u64> = ev.iter().map(|e| e.userdata).collect();
    assert_eq!(got, [2, 4, 5]);
    // A CPU-time clock is an event with `notsup`, with the due clock.
    let ev = g
        .poll(&[
            clock_sub(1, mono, 0, zero),
            clock_sub(2, clockid::process_cputime_id, 0, zero),
        ])
        .unwrap();
    let got: Vec<(u64, errno)> = ev.iter().map(|e| (e.userdata, e.error)).collect();
    assert_eq!(got, [(1, errno::success), (2, errno::notsup)]);
    // An undefined flag anywhere is `inval`, due clocks or not.
    assert_eq!(
        g.poll(&[
            clock_sub(1, mono, 0, zero),
            clock_sub(2, mono, 0, subclockflags::from_raw(2))
        ]),
        Err(errno::inval)
    );
    // A clock with an fd: both, the fd ready (stdout is a null sink).
    let ev = g
        .poll(&[
            clock_sub(1, mono, 0, zero),
            subscription {
                userdata: 2,
                u: subscription_u::fd_write(
                    wasihost_core::wasi_snapshot_preview1::types::subscription_fd_readwrite {
                        file_descriptor: 1,
                    },
                ),
            },
        ])
        .unwrap();
    let got: Vec<u64> = ev.iter().map(|e| e.userdata).collect();
    assert_eq!(got, [1, 2]);
    // A short relative wait still waits, then reports.
    let ev = g.poll(&[clock_sub(9, mono, 1_000_000, zero)]).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].userdata, 9);
}

#[test]
fn poll_due_clocks_on_a_virtual_clock() {
    let clock = Arc::new(VirtualClock::default());
    let mut g = Guest::with(WasiHost::builder().shared_clock(clock.clone()));
    let mono = clockid::monotonic;
    let zero = subclockflags::empty();
    // Due at once: the clock does not move.
    let ev = g
        .poll(&[clock_sub(1, mono, 0, zero), clock_sub(2, mono, 0, ABS)])
        .unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(clock.elapsed(), 0);
    // The wall clock is frozen at its instant: due at or after it only.
    let wall = VirtualClock::DEFAULT_WALL;
    let ev = g
        .poll(&[
            clock_sub(1, clockid::realtime, wall, ABS),
            clock_sub(2, clockid::realtime, wall + 1, ABS),
            clock_sub(3, mono, 5, zero),
        ])
        .unwrap();
    let got: Vec<u64> = ev.iter().map(|e| e.userdata).collect();
    assert_eq!(got, [1]);
    assert_eq!(clock.elapsed(), 0);
    // Nothing due: the clock advances by the wait.
    let ev = g.poll(&[clock_sub(3, mono, 5, zero)]).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(clock.elapsed(), 5);
    let ev = g.poll(&[clock_sub(4, mono, 5, ABS)]).unwrap();
    assert_eq!(ev[0].userdata, 4);
    assert_eq!(clock.elapsed(), 5);
}

#[test]
fn many_buffers_are_one_positioned_write_up_to_iov_max() {
    let dir = scratch("many");
    let mut g = Guest::new(&dir);
    let f = g.open("f", oflags::creat, NONE);
    // 20 buffers (more than the inlined gather), then 1030 one-byte
    // buffers: a short write of the first 1024 (IOV_MAX), as writev.
    let write_many = |g: &mut Guest, count: u32, byte: u8| {
        let mut ctx = Ctx::new(&mut g.mem);
        for i in 0..count {
            ctx.copy_to(WasmSlicePtr::new(DATA + i), &[byte]).unwrap();
            ctx.write_at(
                WasmSlicePtr::<ciovec>::new(SUBS),
                i,
                ciovec {
                    buf: WasmSlicePtr::new(DATA + i),
                    buf_len: 1,
                },
            )
            .unwrap();
        }
        let (e, n) = g.host.fd_write(&mut ctx, f, WasmSlicePtr::new(SUBS), count);
        assert_eq!(e, errno::success);
        n
    };
    assert_eq!(write_many(&mut g, 20, b'a'), 20);
    assert_eq!(g.tell(f), Ok(20));
    assert_eq!(g.seek(f, 10, whence::set), Ok(10));
    assert_eq!(write_many(&mut g, 1030, b'b'), 1024);
    assert_eq!(g.tell(f), Ok(1034));
    let mut want = vec![b'a'; 10];
    want.extend(vec![b'b'; 1024]);
    assert_eq!(std::fs::read(dir.join("f")).unwrap(), want);
}
