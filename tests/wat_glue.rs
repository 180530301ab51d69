//! The wasmtime glue (`src/wasi_snapshot_preview1/link.rs`), tested through
//! WAT guests and a recording mock `NativeWasiImports`: the mock logs every
//! call with the arguments it received and answers canned values, so a test
//! sees exactly what the glue decoded and what it wrote back to guest
//! memory.

mod wat_common;

use std::sync::{Arc, Mutex, PoisonError};

use wasihost_core::wasi_snapshot_preview1::calls::ParamKind;
use wasihost_core::wasi_snapshot_preview1::link::HostPanic;
use wasihost_core::wasi_snapshot_preview1::{
    Call, CallHandler, GuestType, HandlerImports, Verdict, errno, fdflags, fdstat, filestat,
    filetype, prestat, rights, roflags,
};
use wasihost_core::{ErrorKind, Module, Outcome};
use wat_common::{
    BADF, FAULT, Guest, INVAL, IO, NOTSOCK, NOTSUP, PAGE, SIGS, SUCCESS, assert_patched, engine,
};

// ---------------------------------------------------------------------------
// The recording mock
// ---------------------------------------------------------------------------

const SIZE_A: u32 = 0x1122_3344;
const SIZE_B: u32 = 0x5566_7788;
const TS: u64 = 0xF00D_0000_0000_BEEF;
const SEEK_POS: u64 = 0xFEDC_BA98_7654_3210;
const TELL_POS: u64 = 0x8877_6655_4433_2211;
const NBYTES: u32 = 0x0BAD_F00D;
const OPENED_FD: u32 = 0x7FFF_FFF0;
const NEVENTS: u32 = 0x0000_0003;
const PR_NAME_LEN: u32 = 0x0A0B_0C0D;

fn canned_fdstat(ty: filetype) -> fdstat {
    fdstat {
        fs_filetype: ty,
        fs_flags: fdflags::from_raw(0x0015),
        fs_rights_base: rights::from_raw(0x8000_0000_0000_0001),
        fs_rights_inheriting: rights::from_raw(0x0123_4567_89AB_CDEF),
    }
}

fn canned_filestat() -> filestat {
    filestat {
        dev: 0x0102_0304_0506_0708,
        ino: 0x1112_1314_1516_1718,
        filetype: filetype::directory,
        nlink: 0x2122_2324_2526_2728,
        size: 0x3132_3334_3536_3738,
        atim: 0x4142_4344_4546_4748,
        mtim: 0x5152_5354_5556_5758,
        ctim: 0x6162_6364_6566_6768,
    }
}

/// The bytes of `canned_filestat()` as the glue must write them; `None`
/// is a padding byte that must stay as it was.
fn canned_filestat_bytes() -> Vec<(usize, Vec<u8>)> {
    let st = canned_filestat();
    vec![
        (0, st.dev.to_le_bytes().to_vec()),
        (8, st.ino.to_le_bytes().to_vec()),
        (16, vec![st.filetype.raw]),
        (24, st.nlink.to_le_bytes().to_vec()),
        (32, st.size.to_le_bytes().to_vec()),
        (40, st.atim.to_le_bytes().to_vec()),
        (48, st.mtim.to_le_bytes().to_vec()),
        (56, st.ctim.to_le_bytes().to_vec()),
    ]
}

/// A call handler that records each call with the arguments it received
/// and answers canned values; as a [`HandlerImports`], it is a
/// `NativeWasiImports` whose every method goes through it.
#[derive(Default)]
struct Recorder {
    log: Mutex<Vec<String>>,
    /// Every method answers this errno (with canned results) when set.
    fail: Option<errno>,
    /// The method that panics instead of answering.
    panic_in: Option<&'static str>,
    /// The file type `fd_fdstat_get` reports.
    filetype: filetype,
}

/// The recording mock.
type Mock = HandlerImports<Recorder>;

fn mock() -> Mock {
    HandlerImports::new(Recorder::default())
}

fn failing(e: errno) -> Mock {
    HandlerImports::new(Recorder {
        fail: Some(e),
        ..Recorder::default()
    })
}

fn panicking(name: &'static str) -> Mock {
    HandlerImports::new(Recorder {
        panic_in: Some(name),
        ..Recorder::default()
    })
}

fn with_filetype(filetype: filetype) -> Mock {
    HandlerImports::new(Recorder {
        filetype,
        ..Recorder::default()
    })
}

impl Recorder {
    /// The calls recorded so far, leaving the log empty.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Sets result `index` to a structure, in its guest layout.
fn set_struct<T: GuestType>(call: &mut Call, index: usize, value: T) {
    value.write_to(call.result_bytes_mut(index));
}

impl CallHandler for Recorder {
    fn handle(&self, call: &mut Call) -> Verdict {
        let name = call.name();
        // Each argument as the guest passed it: numbers in decimal, a
        // signed offset with its sign, pointers as offsets.
        let args: Vec<String> = call
            .spec()
            .params
            .iter()
            .zip(call.args())
            .map(|(p, &v)| match p.kind {
                ParamKind::Signed => (v as i64).to_string(),
                _ => v.to_string(),
            })
            .collect();
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(format!("{name}({})", args.join(",")));
        if self.panic_in == Some(name) {
            panic!("mock panic in {name}");
        }
        match name {
            "args_sizes_get" => {
                call.set_result(0, SIZE_A.into());
                call.set_result(1, SIZE_B.into());
            }
            "environ_sizes_get" => {
                call.set_result(0, SIZE_B.into());
                call.set_result(1, SIZE_A.into());
            }
            "clock_res_get" | "clock_time_get" => {
                call.set_result(0, TS);
            }
            "fd_fdstat_get" => set_struct(call, 0, canned_fdstat(self.filetype)),
            "fd_filestat_get" | "path_filestat_get" => set_struct(call, 0, canned_filestat()),
            "fd_prestat_get" => set_struct(call, 0, prestat::dir(PR_NAME_LEN)),
            "fd_seek" => {
                call.set_result(0, SEEK_POS);
            }
            "fd_tell" => {
                call.set_result(0, TELL_POS);
            }
            "path_open" => {
                call.set_result(0, OPENED_FD.into());
            }
            "poll_oneoff" => {
                call.set_result(0, NEVENTS.into());
            }
            "sock_recv" => {
                call.set_result(0, NBYTES.into());
                call.set_result(1, roflags::recv_data_truncated.raw.into());
            }
            _ => {
                call.set_result(0, NBYTES.into());
            }
        }
        Verdict::Return(self.fail.unwrap_or(errno::success))
    }
}

/// A guest over a fresh mock.
fn mock_guest() -> Guest<Mock> {
    Guest::new(mock())
}

impl Guest<Mock> {
    fn log(&self) -> Vec<String> {
        self.inst.imports().handler().take()
    }
}

/// `x` as the raw bits the guest passes for an unsigned 64-bit argument.
fn u(x: u64) -> i64 {
    x as i64
}

// ---------------------------------------------------------------------------
// Linking
// ---------------------------------------------------------------------------

#[test]
fn every_import_is_linked() {
    assert_eq!(SIGS.len(), 46, "45 trait methods plus sock_accept");
    let mut names: Vec<&str> = SIGS.iter().map(|s| s.0).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 46, "names are unique");
    // The forwarder imports all 46 with their preview1 signatures: it links.
    let mut g = mock_guest();
    assert_eq!(g.call("sched_yield", &[]), SUCCESS);
    assert_eq!(g.log(), ["sched_yield()"]);
    assert_eq!(g.snapshot().len(), PAGE);
}

#[test]
fn unknown_import_or_wrong_signature_fails_to_link() {
    // The control experiment for `every_import_is_linked`: a missing
    // function or a wrong signature is a link error, not a silent stub.
    let missing = Module::from_wat(
        engine(),
        r#"(module (import "wasi_snapshot_preview1" "fd_frobnicate" (func (param i32) (result i32))))"#,
    )
    .unwrap();
    let err = missing.instantiate(mock()).expect_err("link error");
    assert_eq!(err.kind(), ErrorKind::Link);
    let wrong = Module::from_wat(
        engine(),
        r#"(module (import "wasi_snapshot_preview1" "fd_close" (func (param i64) (result i32))))"#,
    )
    .unwrap();
    let err = wrong.instantiate(mock()).expect_err("link error");
    assert_eq!(err.kind(), ErrorKind::Link);
}

// ---------------------------------------------------------------------------
// Argument decoding
// ---------------------------------------------------------------------------

#[test]
fn i64_arguments_arrive_unchanged() {
    let top = 0x8000_0000_0000_0001u64;
    let max = u64::MAX;
    let big = 0xFEDC_BA98_7654_3210u64;
    let mut g = mock_guest();
    let cases: &[(&str, Vec<i64>, String)] = &[
        (
            "clock_time_get",
            vec![1, u(top), 64],
            format!("clock_time_get(1,{top})"),
        ),
        (
            "fd_advise",
            vec![3, u(top), u(max), 5],
            format!("fd_advise(3,{top},{max},5)"),
        ),
        (
            "fd_allocate",
            vec![3, u(max), u(top)],
            format!("fd_allocate(3,{max},{top})"),
        ),
        (
            "fd_fdstat_set_rights",
            vec![3, u(top), u(max)],
            format!("fd_fdstat_set_rights(3,{top},{max})"),
        ),
        (
            "fd_filestat_set_size",
            vec![3, u(big)],
            format!("fd_filestat_set_size(3,{big})"),
        ),
        (
            "fd_filestat_set_times",
            vec![3, u(top), u(max), 0xF],
            format!("fd_filestat_set_times(3,{top},{max},15)"),
        ),
        (
            "fd_pread",
            vec![3, 16, 2, u(top), 64],
            format!("fd_pread(3,16,2,{top})"),
        ),
        (
            "fd_pwrite",
            vec![3, 16, 2, u(max), 64],
            format!("fd_pwrite(3,16,2,{max})"),
        ),
        (
            "fd_readdir",
            vec![3, 16, 100, u(big), 64],
            format!("fd_readdir(3,16,100,{big})"),
        ),
        ("fd_seek", vec![3, -1, 1, 64], "fd_seek(3,-1,1)".to_string()),
        (
            "fd_seek",
            vec![3, i64::MIN, 2, 64],
            format!("fd_seek(3,{},2)", i64::MIN),
        ),
        (
            "fd_seek",
            vec![3, i64::MAX, 0, 64],
            format!("fd_seek(3,{},0)", i64::MAX),
        ),
        (
            "path_filestat_set_times",
            vec![3, 1, 16, 5, u(max), u(top), 0xA],
            format!("path_filestat_set_times(3,1,16,5,{max},{top},10)"),
        ),
        (
            "path_open",
            vec![3, 1, 16, 5, 0x9, u(top), u(max), 0x11, 64],
            format!("path_open(3,1,16,5,9,{top},{max},17)"),
        ),
    ];
    for (name, args, want) in cases {
        assert_eq!(g.call(name, args), SUCCESS, "{name}{args:?}");
        assert_eq!(g.log(), std::slice::from_ref(want), "{name}{args:?}");
    }
}

#[test]
fn pointers_above_2_31_arrive_as_u32() {
    let mut g = mock_guest();
    let hi: i64 = 0x8000_0000;
    let top: i64 = 0xFFFF_FFFF;
    let cases: &[(&str, Vec<i64>, &str)] = &[
        ("args_get", vec![hi, top], "args_get(2147483648,4294967295)"),
        (
            "environ_get",
            vec![0xC000_0000, hi + 4],
            "environ_get(3221225472,2147483652)",
        ),
        (
            "fd_prestat_dir_name",
            vec![3, top, hi],
            "fd_prestat_dir_name(3,4294967295,2147483648)",
        ),
        (
            "fd_read",
            vec![0, 0xFFFF_FFF8, hi + 1, 64],
            "fd_read(0,4294967288,2147483649)",
        ),
        (
            "fd_write",
            vec![1, hi, top, 64],
            "fd_write(1,2147483648,4294967295)",
        ),
        (
            "fd_pread",
            vec![3, top, top, 0, 64],
            "fd_pread(3,4294967295,4294967295,0)",
        ),
        (
            "fd_pwrite",
            vec![3, hi, hi, 0, 64],
            "fd_pwrite(3,2147483648,2147483648,0)",
        ),
        (
            "fd_readdir",
            vec![3, top, hi, 0, 64],
            "fd_readdir(3,4294967295,2147483648,0)",
        ),
        (
            "path_create_directory",
            vec![3, hi, top],
            "path_create_directory(3,2147483648,4294967295)",
        ),
        (
            "path_filestat_get",
            vec![3, 0, top, hi, 64],
            "path_filestat_get(3,0,4294967295,2147483648)",
        ),
        (
            "path_filestat_set_times",
            vec![3, 0, hi, top, 0, 0, 0],
            "path_filestat_set_times(3,0,2147483648,4294967295,0,0,0)",
        ),
        (
            "path_link",
            vec![3, 0, hi, top, 4, top, hi],
            "path_link(3,0,2147483648,4294967295,4,4294967295,2147483648)",
        ),
        (
            "path_open",
            vec![3, 0, top, hi, 0, 0, 0, 0, 64],
            "path_open(3,0,4294967295,2147483648,0,0,0,0)",
        ),
        (
            "path_readlink",
            vec![3, hi, top, top, hi, 64],
            "path_readlink(3,2147483648,4294967295,4294967295,2147483648)",
        ),
        (
            "path_remove_directory",
            vec![3, top, top],
            "path_remove_directory(3,4294967295,4294967295)",
        ),
        (
            "path_rename",
            vec![3, hi, top, 4, top, hi],
            "path_rename(3,2147483648,4294967295,4,4294967295,2147483648)",
        ),
        (
            "path_symlink",
            vec![hi, top, 3, top, hi],
            "path_symlink(2147483648,4294967295,3,4294967295,2147483648)",
        ),
        (
            "path_unlink_file",
            vec![3, hi, hi],
            "path_unlink_file(3,2147483648,2147483648)",
        ),
        (
            "poll_oneoff",
            vec![hi, 0xFFFF_FFF0, top, 64],
            "poll_oneoff(2147483648,4294967280,4294967295)",
        ),
        (
            "random_get",
            vec![top, hi],
            "random_get(4294967295,2147483648)",
        ),
        (
            "sock_recv",
            vec![3, top, hi, 0, 64, 72],
            "sock_recv(3,4294967295,2147483648,0)",
        ),
        (
            "sock_send",
            vec![3, hi, top, 0, 64],
            "sock_send(3,2147483648,4294967295,0)",
        ),
    ];
    for (name, args, want) in cases {
        assert_eq!(g.call(name, args), SUCCESS, "{name}{args:?}");
        assert_eq!(g.log(), [want.to_string()], "{name}{args:?}");
    }
}

#[test]
fn fd_all_ones_arrives_as_u32_max() {
    let mut g = mock_guest();
    let m = u32::MAX;
    let cases: &[(&str, Vec<i64>, String)] = &[
        ("fd_close", vec![-1], format!("fd_close({m})")),
        ("fd_datasync", vec![-1], format!("fd_datasync({m})")),
        ("fd_sync", vec![-1], format!("fd_sync({m})")),
        ("fd_fdstat_get", vec![-1, 64], format!("fd_fdstat_get({m})")),
        (
            "fd_fdstat_set_flags",
            vec![-1, 1],
            format!("fd_fdstat_set_flags({m},1)"),
        ),
        (
            "fd_filestat_get",
            vec![-1, 64],
            format!("fd_filestat_get({m})"),
        ),
        (
            "fd_prestat_get",
            vec![-1, 64],
            format!("fd_prestat_get({m})"),
        ),
        ("fd_tell", vec![-1, 64], format!("fd_tell({m})")),
        (
            "fd_renumber",
            vec![-1, 0x8000_0000],
            format!("fd_renumber({m},2147483648)"),
        ),
        (
            "fd_renumber",
            vec![0x7FFF_FFFF, 0xFFFF_FFFF],
            format!("fd_renumber(2147483647,{m})"),
        ),
        (
            "path_link",
            vec![-1, 0, 0, 0, -1, 0, 0],
            format!("path_link({m},0,0,0,{m},0,0)"),
        ),
        (
            "sock_shutdown",
            vec![-1, 3],
            format!("sock_shutdown({m},3)"),
        ),
        ("proc_raise", vec![255], "proc_raise(255)".to_string()),
        ("clock_res_get", vec![-1, 64], format!("clock_res_get({m})")),
    ];
    for (name, args, want) in cases {
        assert_eq!(g.call(name, args), SUCCESS, "{name}{args:?}");
        assert_eq!(g.log(), std::slice::from_ref(want), "{name}{args:?}");
    }
}

#[test]
fn lookupflags_keep_all_32_bits() {
    // `lookupflags` is a u32 in witx: the glue passes it through whole.
    let mut g = mock_guest();
    assert_eq!(g.call("path_filestat_get", &[3, -1, 0, 0, 64]), SUCCESS);
    assert_eq!(g.log(), [format!("path_filestat_get(3,{},0,0)", u32::MAX)]);
}

// ---------------------------------------------------------------------------
// Flags narrowing
// ---------------------------------------------------------------------------

#[test]
fn flags_above_16_bits_are_inval_and_not_called() {
    let mut g = mock_guest();
    for bad in [0x1_0000i64, 0x1_0001, 0x8000_0000, -1] {
        let cases: &[(&str, Vec<i64>)] = &[
            ("fd_fdstat_set_flags", vec![3, bad]),
            ("path_open", vec![3, 0, 0, 0, bad, 0, 0, 0, 64]),
            ("path_open", vec![3, 0, 0, 0, 0, 0, 0, bad, 64]),
            ("fd_filestat_set_times", vec![3, 0, 0, bad]),
            ("path_filestat_set_times", vec![3, 0, 0, 0, 0, 0, bad]),
            ("sock_recv", vec![3, 0, 0, bad, 64, 72]),
            ("sock_send", vec![3, 0, 0, bad, 64]),
            ("sock_accept", vec![3, bad, 64]),
        ];
        for (name, args) in cases {
            g.fill(0xAA);
            let before = g.snapshot();
            assert_eq!(g.call(name, args), INVAL, "{name}{args:?}");
            assert_eq!(g.log(), Vec::<String>::new(), "{name}{args:?} called");
            assert_patched(name, &before, &g.snapshot(), &[]);
        }
    }
}

#[test]
fn flags_at_16_bits_are_passed_through() {
    // Bits within the width reach the implementation, defined or not: it
    // is the implementation's call whether they are valid.
    let mut g = mock_guest();
    let cases: &[(&str, Vec<i64>, &str)] = &[
        (
            "fd_fdstat_set_flags",
            vec![3, 0xFFFF],
            "fd_fdstat_set_flags(3,65535)",
        ),
        (
            "path_open",
            vec![3, 0, 0, 0, 0xFFFF, 0, 0, 0x8000, 64],
            "path_open(3,0,0,0,65535,0,0,32768)",
        ),
        (
            "fd_filestat_set_times",
            vec![3, 0, 0, 0xFFFF],
            "fd_filestat_set_times(3,0,0,65535)",
        ),
        (
            "path_filestat_set_times",
            vec![3, 0, 0, 0, 0, 0, 0xFFFF],
            "path_filestat_set_times(3,0,0,0,0,0,65535)",
        ),
        (
            "sock_recv",
            vec![3, 0, 0, 0xFFFF, 64, 72],
            "sock_recv(3,0,0,65535)",
        ),
        (
            "sock_send",
            vec![3, 0, 0, 0xFFFF, 64],
            "sock_send(3,0,0,65535)",
        ),
    ];
    for (name, args, want) in cases {
        assert_eq!(g.call(name, args), SUCCESS, "{name}{args:?}");
        assert_eq!(g.log(), [want.to_string()], "{name}{args:?}");
    }
}

#[test]
fn enums_above_8_bits_are_inval_and_not_called() {
    let mut g = mock_guest();
    for bad in [256i64, 0x1FF, 0x1_0000, 0x8000_0000, -1] {
        let cases: &[(&str, Vec<i64>)] = &[
            ("fd_advise", vec![3, 0, 0, bad]),
            ("fd_seek", vec![3, 0, bad, 64]),
            ("sock_shutdown", vec![3, bad]),
            ("proc_raise", vec![bad]),
        ];
        for (name, args) in cases {
            g.fill(0xAA);
            let before = g.snapshot();
            assert_eq!(g.call(name, args), INVAL, "{name}{args:?}");
            assert_eq!(g.log(), Vec::<String>::new(), "{name}{args:?} called");
            assert_patched(name, &before, &g.snapshot(), &[]);
        }
    }
    // 255 fits: it reaches the implementation.
    let cases: &[(&str, Vec<i64>, &str)] = &[
        ("fd_advise", vec![3, 0, 0, 255], "fd_advise(3,0,0,255)"),
        ("fd_seek", vec![3, 0, 255, 64], "fd_seek(3,0,255)"),
        ("sock_shutdown", vec![3, 255], "sock_shutdown(3,255)"),
        ("proc_raise", vec![255], "proc_raise(255)"),
    ];
    for (name, args, want) in cases {
        assert_eq!(g.call(name, args), SUCCESS, "{name}{args:?}");
        assert_eq!(g.log(), [want.to_string()], "{name}{args:?}");
    }
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

/// Bytes expected at offsets of guest memory.
type Patches = Vec<(usize, Vec<u8>)>;

/// Each function with out-pointers, called with them in the middle of
/// memory, and the exact bytes the glue must write there on success.
fn result_cases() -> Vec<(&'static str, Vec<i64>, Patches)> {
    let st = canned_fdstat(filetype::regular_file);
    let filestat_at = |base: usize| -> Vec<(usize, Vec<u8>)> {
        canned_filestat_bytes()
            .into_iter()
            .map(|(off, b)| (base + off, b))
            .collect()
    };
    vec![
        (
            "args_sizes_get",
            vec![100, 200],
            vec![
                (100, SIZE_A.to_le_bytes().to_vec()),
                (200, SIZE_B.to_le_bytes().to_vec()),
            ],
        ),
        (
            "environ_sizes_get",
            vec![204, 104],
            vec![
                (204, SIZE_B.to_le_bytes().to_vec()),
                (104, SIZE_A.to_le_bytes().to_vec()),
            ],
        ),
        (
            "clock_res_get",
            vec![1, 1024],
            vec![(1024, TS.to_le_bytes().to_vec())],
        ),
        (
            "clock_time_get",
            vec![0, 7, 1032],
            vec![(1032, TS.to_le_bytes().to_vec())],
        ),
        (
            "fd_fdstat_get",
            vec![5, 2048],
            vec![
                (2048, vec![st.fs_filetype.raw]),
                (2050, st.fs_flags.raw.to_le_bytes().to_vec()),
                (2056, st.fs_rights_base.raw.to_le_bytes().to_vec()),
                (2064, st.fs_rights_inheriting.raw.to_le_bytes().to_vec()),
            ],
        ),
        ("fd_filestat_get", vec![5, 3072], filestat_at(3072)),
        (
            "path_filestat_get",
            vec![5, 0, 0, 0, 4096],
            filestat_at(4096),
        ),
        (
            "fd_prestat_get",
            vec![5, 5000],
            vec![(5000, vec![0]), (5004, PR_NAME_LEN.to_le_bytes().to_vec())],
        ),
        (
            "fd_seek",
            vec![5, -3, 1, 6000],
            vec![(6000, SEEK_POS.to_le_bytes().to_vec())],
        ),
        (
            "fd_tell",
            vec![5, 6008],
            vec![(6008, TELL_POS.to_le_bytes().to_vec())],
        ),
        (
            "fd_read",
            vec![0, 16, 1, 7000],
            vec![(7000, NBYTES.to_le_bytes().to_vec())],
        ),
        (
            "fd_write",
            vec![1, 16, 1, 7004],
            vec![(7004, NBYTES.to_le_bytes().to_vec())],
        ),
        (
            "fd_pread",
            vec![5, 16, 1, 0, 7008],
            vec![(7008, NBYTES.to_le_bytes().to_vec())],
        ),
        (
            "fd_pwrite",
            vec![5, 16, 1, 0, 7012],
            vec![(7012, NBYTES.to_le_bytes().to_vec())],
        ),
        (
            "fd_readdir",
            vec![5, 16, 1, 0, 7016],
            vec![(7016, NBYTES.to_le_bytes().to_vec())],
        ),
        (
            "path_readlink",
            vec![5, 16, 1, 32, 1, 7020],
            vec![(7020, NBYTES.to_le_bytes().to_vec())],
        ),
        (
            "sock_send",
            vec![5, 16, 1, 0, 7024],
            vec![(7024, NBYTES.to_le_bytes().to_vec())],
        ),
        (
            "sock_recv",
            vec![5, 16, 1, 0, 8000, 8006],
            vec![
                (8000, NBYTES.to_le_bytes().to_vec()),
                (
                    8006,
                    roflags::recv_data_truncated.raw.to_le_bytes().to_vec(),
                ),
            ],
        ),
        (
            "path_open",
            vec![5, 0, 16, 1, 0, 0, 0, 0, 9000],
            vec![(9000, OPENED_FD.to_le_bytes().to_vec())],
        ),
        (
            "poll_oneoff",
            vec![0, 4096, 1, 9004],
            vec![(9004, NEVENTS.to_le_bytes().to_vec())],
        ),
    ]
}

#[test]
fn results_are_written_exactly_on_success() {
    let mut g = Guest::new(with_filetype(filetype::regular_file));
    for (name, args, expected) in result_cases() {
        g.fill(0xAA);
        let before = g.snapshot();
        assert_eq!(g.call(name, &args), SUCCESS, "{name}{args:?}");
        assert_eq!(g.log().len(), 1, "{name} called once");
        let patches: Vec<(usize, &[u8])> =
            expected.iter().map(|(o, b)| (*o, b.as_slice())).collect();
        assert_patched(name, &before, &g.snapshot(), &patches);
    }
}

#[test]
fn results_are_not_written_on_error() {
    let mut g = Guest::new(failing(errno::io));
    for (name, args, _) in result_cases() {
        g.fill(0xAA);
        let before = g.snapshot();
        assert_eq!(g.call(name, &args), IO, "{name}{args:?}");
        assert_eq!(g.log().len(), 1, "{name} called once");
        assert_patched(name, &before, &g.snapshot(), &[]);
    }
    // Errors other than io come back unchanged too.
    let mut g = Guest::new(failing(errno::notcapable));
    g.fill(0x55);
    let before = g.snapshot();
    assert_eq!(g.call("fd_fdstat_get", &[3, 64]), 76);
    assert_patched("fd_fdstat_get", &before, &g.snapshot(), &[]);
}

#[test]
fn plain_errno_results_pass_through() {
    // Functions without out-pointers return the implementation's errno.
    let mut g = Guest::new(failing(errno::badf));
    let cases: &[(&str, Vec<i64>)] = &[
        ("args_get", vec![0, 0]),
        ("environ_get", vec![0, 0]),
        ("fd_advise", vec![3, 0, 0, 0]),
        ("fd_allocate", vec![3, 0, 0]),
        ("fd_close", vec![3]),
        ("fd_datasync", vec![3]),
        ("fd_fdstat_set_flags", vec![3, 0]),
        ("fd_fdstat_set_rights", vec![3, 0, 0]),
        ("fd_filestat_set_size", vec![3, 0]),
        ("fd_filestat_set_times", vec![3, 0, 0, 0]),
        ("fd_prestat_dir_name", vec![3, 0, 0]),
        ("fd_renumber", vec![3, 4]),
        ("fd_sync", vec![3]),
        ("path_create_directory", vec![3, 0, 0]),
        ("path_filestat_set_times", vec![3, 0, 0, 0, 0, 0, 0]),
        ("path_link", vec![3, 0, 0, 0, 3, 0, 0]),
        ("path_remove_directory", vec![3, 0, 0]),
        ("path_rename", vec![3, 0, 0, 3, 0, 0]),
        ("path_symlink", vec![0, 0, 3, 0, 0]),
        ("path_unlink_file", vec![3, 0, 0]),
        ("proc_raise", vec![1]),
        ("sched_yield", vec![]),
        ("random_get", vec![0, 0]),
        ("sock_shutdown", vec![3, 1]),
        ("sock_accept", vec![3, 0, 64]),
    ];
    for (name, args) in cases {
        g.fill(0xAA);
        let before = g.snapshot();
        assert_eq!(g.call(name, args), BADF, "{name}{args:?}");
        assert_eq!(g.log().len(), 1, "{name} called once");
        assert_patched(name, &before, &g.snapshot(), &[]);
    }
}

// ---------------------------------------------------------------------------
// Out-pointers are checked before the call
// ---------------------------------------------------------------------------

/// For each function with out-pointers: arguments with one out-pointer
/// replaced by `bad` (u32 results) or `bad8` (8-aligned results).
fn bad_out_cases(bad4: i64, bad8: i64, bad2: i64) -> Vec<(&'static str, Vec<i64>)> {
    vec![
        ("args_sizes_get", vec![bad4, 200]),
        ("args_sizes_get", vec![100, bad4]),
        ("environ_sizes_get", vec![bad4, 200]),
        ("environ_sizes_get", vec![100, bad4]),
        ("clock_res_get", vec![0, bad8]),
        ("clock_time_get", vec![0, 0, bad8]),
        ("fd_fdstat_get", vec![3, bad8]),
        ("fd_filestat_get", vec![3, bad8]),
        ("path_filestat_get", vec![3, 0, 0, 0, bad8]),
        ("fd_prestat_get", vec![3, bad4]),
        ("fd_seek", vec![3, 0, 0, bad8]),
        ("fd_tell", vec![3, bad8]),
        ("fd_read", vec![0, 16, 1, bad4]),
        ("fd_write", vec![1, 16, 1, bad4]),
        ("fd_pread", vec![3, 16, 1, 0, bad4]),
        ("fd_pwrite", vec![3, 16, 1, 0, bad4]),
        ("fd_readdir", vec![3, 16, 1, 0, bad4]),
        ("path_readlink", vec![3, 16, 1, 32, 1, bad4]),
        ("path_open", vec![3, 0, 16, 1, 0, 0, 0, 0, bad4]),
        ("poll_oneoff", vec![0, 4096, 1, bad4]),
        ("sock_send", vec![3, 16, 1, 0, bad4]),
        ("sock_recv", vec![3, 16, 1, 0, bad4, 8006]),
        ("sock_recv", vec![3, 16, 1, 0, 8000, bad2]),
        ("sock_accept", vec![3, 0, bad4]),
    ]
}

fn assert_rejected_without_call(cases: Vec<(&'static str, Vec<i64>)>, want: i32, what: &str) {
    let mut g = mock_guest();
    for (name, args) in cases {
        g.fill(0xAA);
        let before = g.snapshot();
        assert_eq!(g.call(name, &args), want, "{what}: {name}{args:?}");
        assert_eq!(
            g.log(),
            Vec::<String>::new(),
            "{what}: {name}{args:?} reached the implementation"
        );
        assert_patched(name, &before, &g.snapshot(), &[]);
    }
}

#[test]
fn out_pointer_at_end_of_memory_faults_without_call() {
    let end = PAGE as i64;
    assert_rejected_without_call(bad_out_cases(end, end, end), FAULT, "at end");
}

#[test]
fn out_pointer_straddling_end_faults_without_call() {
    // Aligned, starting inside memory, ending past it. (An aligned u32 or
    // u64 cannot straddle; the structs can.)
    let end = PAGE as i64;
    let cases = vec![
        ("fd_fdstat_get", vec![3, end - 16]),
        ("fd_fdstat_get", vec![3, end - 8]),
        ("fd_filestat_get", vec![3, end - 56]),
        ("fd_filestat_get", vec![3, end - 8]),
        ("path_filestat_get", vec![3, 0, 0, 0, end - 32]),
        ("fd_prestat_get", vec![3, end - 4]),
    ];
    assert_rejected_without_call(cases, FAULT, "straddling");
}

#[test]
fn out_pointer_far_out_of_bounds_faults_without_call() {
    assert_rejected_without_call(
        bad_out_cases(0xFFFF_FFFC, 0xFFFF_FFF8, 0xFFFF_FFFE),
        FAULT,
        "near 4 GiB",
    );
    assert_rejected_without_call(
        bad_out_cases(0x8000_0000, 0x8000_0000, 0x8000_0000),
        FAULT,
        "2 GiB",
    );
}

#[test]
fn misaligned_out_pointer_is_inval_without_call() {
    assert_rejected_without_call(bad_out_cases(2, 4, 1), INVAL, "misaligned");
    assert_rejected_without_call(bad_out_cases(1, 12, 7), INVAL, "misaligned");
    // Misaligned and out of bounds: alignment is checked first.
    assert_rejected_without_call(
        bad_out_cases(0xFFFF_FFFF, 0xFFFF_FFFC, 0xFFFF_FFFF),
        INVAL,
        "misaligned near 4 GiB",
    );
}

#[test]
fn out_pointer_exactly_at_the_end_fits() {
    let mut g = mock_guest();
    let end = PAGE as i64;
    g.fill(0xAA);
    let before = g.snapshot();
    assert_eq!(g.call("clock_time_get", &[0, 0, end - 8]), SUCCESS);
    assert_eq!(g.call("fd_filestat_get", &[3, end - 64]), SUCCESS);
    assert_eq!(g.call("args_sizes_get", &[end - 4, end - 8]), SUCCESS);
    let mut fs = Vec::new();
    for (off, b) in canned_filestat_bytes() {
        fs.push((PAGE - 64 + off, b));
    }
    let mut patches: Vec<(usize, &[u8])> = fs.iter().map(|(o, b)| (*o, b.as_slice())).collect();
    let ts = TS.to_le_bytes();
    let (a, b) = (SIZE_A.to_le_bytes(), SIZE_B.to_le_bytes());
    // Written in call order: the later calls overwrite the earlier ones.
    patches.insert(0, (PAGE - 8, &ts));
    patches.push((PAGE - 4, &a));
    patches.push((PAGE - 8, &b));
    assert_patched("end", &before, &g.snapshot(), &patches);
}

// ---------------------------------------------------------------------------
// sock_accept (linked, not a trait method)
// ---------------------------------------------------------------------------

#[test]
fn sock_accept_answers_from_fd_fdstat_get() {
    let mut g = mock_guest();
    g.fill(0xAA);
    let before = g.snapshot();
    assert_eq!(g.call("sock_accept", &[5, 0, 64]), NOTSOCK);
    assert_eq!(g.log(), ["fd_fdstat_get(5)"]);
    assert_patched("sock_accept", &before, &g.snapshot(), &[]);

    for ty in [filetype::socket_stream, filetype::socket_dgram] {
        let mut g = Guest::new(with_filetype(ty));
        assert_eq!(g.call("sock_accept", &[-1, 0, 64]), NOTSUP);
        assert_eq!(g.log(), [format!("fd_fdstat_get({})", u32::MAX)]);
    }

    let mut g = Guest::new(failing(errno::badf));
    assert_eq!(g.call("sock_accept", &[9, 0, 64]), BADF);
    assert_eq!(g.log(), ["fd_fdstat_get(9)"]);
}

// ---------------------------------------------------------------------------
// proc_exit, panics, no memory, Arc
// ---------------------------------------------------------------------------

fn run_wat(wat: &str, mock: &Arc<Mock>) -> Outcome {
    let module = Module::from_wat(engine(), wat).expect("module");
    module.run(Arc::clone(mock)).expect("run")
}

#[test]
fn proc_exit_ends_the_run_with_its_code() {
    let wat = |code: u32| {
        format!(
            r#"(module
                (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
                (memory (export "memory") 1)
                (func (export "_start")
                  (drop (call $yield))
                  (call $exit (i32.const {code}))
                  (drop (call $yield))))"#
        )
    };
    let mock = Arc::new(mock());
    assert_eq!(run_wat(&wat(7), &mock), Outcome::Exit(7));
    assert_eq!(mock.handler().take(), ["sched_yield()", "proc_exit(7)"]);
    assert_eq!(run_wat(&wat(u32::MAX), &mock), Outcome::Exit(u32::MAX));
    assert_eq!(
        mock.handler().take(),
        [
            "sched_yield()".to_string(),
            format!("proc_exit({})", u32::MAX)
        ]
    );
    assert_eq!(run_wat(&wat(0), &mock), Outcome::Exit(0));
    assert_eq!(mock.handler().take(), ["sched_yield()", "proc_exit(0)"]);
}

#[test]
fn proc_exit_through_an_export_call_is_a_proc_exit_error() {
    let mut g = mock_guest();
    let err = g
        .try_call("proc_exit", &[42])
        .expect_err("proc_exit ends the call");
    let exit = err
        .downcast_ref::<wasihost_core::wasi_snapshot_preview1::ProcExit>()
        .expect("ProcExit error");
    assert_eq!(exit.0, 42);
    assert_eq!(g.log(), ["proc_exit(42)"]);
}

#[test]
fn panicking_method_traps_the_guest_not_the_host() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "_start") (drop (call $w (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))))"#;
    let mock = Arc::new(panicking("fd_write"));
    match run_wat(wat, &mock) {
        Outcome::Trap(t) => {
            assert_eq!(t.code, wasihost_core::TrapCode::HostPanic);
            let msg = t.message;
            assert!(msg.contains("panicked"), "{msg}");
            assert!(msg.contains("fd_write"), "{msg}");
            assert!(
                msg.contains("host implementation of fd_write panicked"),
                "{msg}"
            );
            assert!(msg.contains("mock panic in fd_write"), "{msg}");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(mock.handler().take(), ["fd_write(1,0,0)"]);
}

#[test]
fn panic_in_every_kind_of_method_is_a_host_panic_trap() {
    // Through an instance: the error is a HostPanic naming the function,
    // nothing is written, and the instance stays usable.
    let cases: &[(&'static str, Vec<i64>)] = &[
        ("args_sizes_get", vec![100, 200]),
        ("clock_time_get", vec![0, 0, 64]),
        ("fd_fdstat_get", vec![1, 64]),
        ("proc_exit", vec![3]),
        ("sched_yield", vec![]),
        ("random_get", vec![0, 16]),
        ("sock_recv", vec![3, 0, 0, 0, 64, 72]),
    ];
    for (name, args) in cases {
        let mut g = Guest::new(panicking(name));
        g.fill(0xAA);
        let before = g.snapshot();
        let err = g.try_call(name, args).expect_err("trap");
        let hp = err
            .downcast_ref::<HostPanic>()
            .unwrap_or_else(|| panic!("{name}: not a HostPanic: {err:?}"));
        assert_eq!(hp.function, *name);
        assert_eq!(hp.message, format!("mock panic in {name}"));
        assert_eq!(g.log().len(), 1, "{name}");
        assert_patched(name, &before, &g.snapshot(), &[]);
        // The store survives: another call works.
        assert_eq!(
            g.call("fd_tell", &[3, 64]),
            SUCCESS,
            "{name}: call after the panic"
        );
        assert_eq!(g.log().len(), 1);
    }
}

#[test]
fn module_without_memory_export() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
        (import "wasi_snapshot_preview1" "clock_time_get" (func $time (param i32 i64 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
        (memory 1)
        (func (export "yield") (result i32) (call $yield))
        (func (export "time") (result i32) (call $time (i32.const 0) (i64.const 0) (i32.const 0)))
        (func (export "write") (result i32) (call $write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
        (func (export "sizes") (result i32) (call $sizes (i32.const 0) (i32.const 0)))
        (func (export "random") (result i32) (call $random (i32.const 0) (i32.const 0)))
        (func (export "_start")
          (if (i32.ne (call $yield) (i32.const 0)) (then unreachable))
          (if (i32.ne (call $time (i32.const 0) (i64.const 0) (i32.const 0)) (i32.const 21)) (then unreachable))))"#;
    let module = Module::from_wat(engine(), wat).unwrap();
    let mut inst = module.instantiate(mock()).unwrap();
    let mut call = |name: &str| -> i32 {
        let i = inst.wasmtime();
        let f = i.get_typed_func::<(), i32>(inst.store_mut(), name).unwrap();
        f.call(inst.store_mut(), ()).unwrap()
    };
    assert_eq!(call("yield"), SUCCESS);
    assert_eq!(call("time"), FAULT);
    assert_eq!(call("write"), FAULT);
    assert_eq!(call("sizes"), FAULT);
    // No out-pointer: the implementation runs against an empty memory.
    assert_eq!(call("random"), SUCCESS);
    assert_eq!(call("yield"), SUCCESS);
    assert_eq!(
        inst.imports().handler().take(),
        ["sched_yield()", "random_get(0,0)", "sched_yield()"]
    );

    let mock = Arc::new(mock());
    assert_eq!(run_wat(wat, &mock), Outcome::Exit(0));
    assert_eq!(mock.handler().take(), ["sched_yield()"]);
}

#[test]
fn arc_of_an_implementation_is_an_implementation() {
    let mock = Arc::new(mock());
    let mut g = Guest::new(Arc::clone(&mock));
    // Every kind of call goes through the Arc to the same mock.
    g.fill(0xAA);
    let before = g.snapshot();
    assert_eq!(g.call("fd_tell", &[4, 64]), SUCCESS);
    assert_eq!(g.call("sock_recv", &[4, 0, 0, 2, 80, 84]), SUCCESS);
    assert_eq!(g.call("fd_close", &[4]), SUCCESS);
    assert_patched(
        "arc",
        &before,
        &g.snapshot(),
        &[
            (64, &TELL_POS.to_le_bytes()),
            (80, &NBYTES.to_le_bytes()),
            (84, &roflags::recv_data_truncated.raw.to_le_bytes()),
        ],
    );
    assert_eq!(
        mock.handler().take(),
        ["fd_tell(4)", "sock_recv(4,0,0,2)", "fd_close(4)"]
    );
    assert!(Arc::ptr_eq(g.inst.imports(), &mock));
}
