//! Guests reading their arguments, environment, clocks and random bytes.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{lines, run_args, run_mode, run_with};
use wasihost_core::{ErrorKind, RandomSource, WasiHost, WasiHostBuilder};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `args.c` prints for these raw args and `NAME=VALUE` env items.
fn expected_dump(args: &[&[u8]], env: &[&[u8]], getenv: Option<&str>) -> String {
    let mut s = String::new();
    for (kind, item, list) in [("args", "arg", args), ("environ", "env", env)] {
        let size: usize = list.iter().map(|a| a.len() + 1).sum();
        s += &format!("{kind}_sizes errno=0 count={} size={size}\n", list.len());
        s += &format!("{kind}_get errno=0\n");
        for (i, a) in list.iter().enumerate() {
            s += &format!("{item} {i} {}\n", hex(a));
        }
        s += &format!("{kind}_layout ok\n");
    }
    s += &format!("libc_argc {}\n", args.len());
    s += "libc_argv ok\n";
    s += &format!("getenv {}\n", getenv.unwrap_or("(null)"));
    s
}

fn dump(builder: WasiHostBuilder) -> String {
    run_with("args", builder).ok()
}

#[test]
fn no_args_no_env() {
    assert_eq!(
        dump(WasiHost::builder()),
        expected_dump(&[], &[], None),
        "a host grants no args and no env by default"
    );
}

#[test]
fn several_args() {
    let args: [&[u8]; 4] = [b"prog", b"a", b"bc", b"--flag=x y"];
    let out = dump(WasiHost::builder().args(args));
    assert_eq!(out, expected_dump(&args, &[], None));
    assert!(
        out.starts_with("args_sizes errno=0 count=4 size=21\n"),
        "{out}"
    );
}

#[test]
fn empty_string_args() {
    let args: [&[u8]; 4] = [b"prog", b"", b"x", b""];
    let out = dump(WasiHost::builder().arg("prog").arg("").arg("x").arg(""));
    assert_eq!(out, expected_dump(&args, &[], None));
    assert!(
        out.starts_with("args_sizes errno=0 count=4 size=9\n"),
        "{out}"
    );
}

#[test]
fn utf8_and_non_utf8_args() {
    let args: [&[u8]; 6] = [
        b"prog",
        "h\u{e9}llo".as_bytes(),
        "\u{65e5}\u{672c}\u{8a9e}".as_bytes(),
        "crab \u{1f980}".as_bytes(),
        &[0xff, 0xfe, 0x80],
        &[b'a', 0xc3], // a truncated UTF-8 sequence
    ];
    let out = dump(WasiHost::builder().args(args));
    assert_eq!(out, expected_dump(&args, &[], None));
    assert!(out.contains("arg 4 fffe80\n"), "{out}");
}

#[test]
fn many_and_long_args() {
    let mut owned: Vec<Vec<u8>> = (0..1000)
        .map(|i| format!("arg-{i:04}").into_bytes())
        .collect();
    owned.push(vec![b'L'; 64 * 1024]);
    let args: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
    let out = dump(WasiHost::builder().args(&args));
    assert_eq!(out, expected_dump(&args, &[], None));
    assert!(
        out.starts_with(&format!(
            "args_sizes errno=0 count=1001 size={}\n",
            1000 * 9 + 64 * 1024 + 1
        )),
        "{}",
        &out[..100]
    );
}

#[test]
fn environment() {
    let env: [&[u8]; 4] = [
        b"GUEST_VAR=second",
        b"EMPTY=",
        "UTF=\u{fc}".as_bytes(),
        &[b'R', b'A', b'W', b'=', 0xff],
    ];
    let out = dump(
        WasiHost::builder()
            .arg("prog")
            .env("GUEST_VAR", "first")
            .env("EMPTY", "")
            .env("UTF", "\u{fc}")
            .env("RAW", [0xff])
            .env("GUEST_VAR", "second"),
    );
    assert_eq!(out, expected_dump(&[b"prog"], &env, Some("second")));
}

#[test]
fn inherit_env_var() {
    // PATH is set wherever cargo runs.
    let path = std::env::var("PATH").expect("PATH is set");
    let out = dump(
        WasiHost::builder()
            .inherit_env_var("PATH")
            .inherit_env_var("NO_SUCH_VAR_XYZ"),
    );
    let item = format!("PATH={path}");
    assert_eq!(out, expected_dump(&[], &[item.as_bytes()], None));
}

#[test]
fn builder_rejects_bad_strings() {
    let e = WasiHost::builder().arg("a\0b").build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    for (name, value) in [("A=B", "v"), ("", "v"), ("NUL\0", "v"), ("V", "x\0y")] {
        let e = WasiHost::builder().env(name, value).build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "env {name:?}={value:?}");
    }
}

/// The hostile-pointer cases of `args_fault.c`, for `args_get` or
/// `environ_get`: out of bounds gives fault (21), misaligned gives inval
/// (28), and nothing is written either way.
fn expected_fault_report() -> &'static str {
    "ptrs_cross_end errno=21 untouched=1\n\
     buf_cross_end errno=21 untouched=1\n\
     ptrs_bad errno=21 untouched=1\n\
     buf_bad errno=21 untouched=1\n\
     ptrs_misaligned errno=28 untouched=1\n\
     exact_fit errno=0 ok=1\n\
     sizes_count_bad errno=21 untouched=1\n\
     sizes_size_bad errno=21 untouched=1\n\
     sizes_size_at_end errno=21 untouched=1\n\
     sizes_misaligned errno=28 untouched=1\n\
     sizes_at_end errno=0 ok=1\n"
}

#[test]
fn args_get_bad_pointers_fault_without_writing() {
    let ran = run_with(
        "args_fault",
        WasiHost::builder().args(["args_fault", "args", "second", "third"]),
    );
    assert_eq!(ran.ok(), expected_fault_report());
}

#[test]
fn environ_get_bad_pointers_fault_without_writing() {
    let ran = run_with(
        "args_fault",
        WasiHost::builder()
            .args(["args_fault", "env"])
            .env("ONE", "1")
            .env("TWO", "22")
            .env("THREE", "333"),
    );
    assert_eq!(ran.ok(), expected_fault_report());
}

#[test]
fn clocks_all_four_ids() {
    let out = run_mode("clocks", "basic");
    let mut expected = String::new();
    for id in 0..4 {
        expected +=
            &format!("clock {id} res_errno=0 res_pos=1 res_le_1s=1 time_errno=0 time_pos=1\n");
    }
    expected += "precision_max errno=0 time_pos=1\n";
    assert_eq!(out, expected);
}

#[test]
fn monotonic_clock_never_goes_back() {
    assert_eq!(
        run_mode("clocks", "mono"),
        "mono reads=1000 nondecreasing=1\n"
    );
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos()
}

#[test]
fn realtime_clock_matches_host() {
    let before = unix_nanos();
    let out = run_args("clocks", &["realtime", &before.to_string()]).ok();
    let after = unix_nanos();
    let ls = lines(&out);
    assert_eq!(ls.len(), 2, "{out}");
    assert_eq!(ls[0], "realtime_within_5s=1");
    let t: u128 = ls[1]
        .strip_prefix("realtime_ns=")
        .expect("realtime_ns line")
        .parse()
        .expect("a number");
    // The guest reads the same host clock as SystemTime, during the run.
    assert!(
        before <= t && t <= after,
        "guest realtime {t} outside host [{before}, {after}]"
    );
}

#[test]
fn invalid_clock_ids_give_inval() {
    let out = run_mode("clocks", "invalid");
    let expected: String = [4u32, 5, 100, 0x7FFF_FFFF, 0xFFFF_FFFF]
        .iter()
        .map(|id| format!("id {id} res_errno=28 time_errno=28 untouched=1\n"))
        .collect();
    assert_eq!(out, expected);
}

#[test]
fn clock_bad_result_pointers() {
    assert_eq!(
        run_mode("clocks", "fault"),
        "time_bad_ptr errno=21 untouched=1\n\
         time_at_end errno=21 untouched=1\n\
         time_past_end errno=21 untouched=1\n\
         time_misaligned errno=28 untouched=1\n\
         time_bad_id_bad_ptr errno=21 untouched=1\n\
         res_bad_ptr errno=21 untouched=1\n\
         res_at_end errno=21 untouched=1\n\
         res_misaligned errno=28 untouched=1\n\
         time_last_8 errno=0 written=1\n"
    );
}

/// `n` random bytes from one `random_get` of a guest on a host with
/// `source`.
fn random_bytes(source: Option<RandomSource>, n: usize) -> Vec<u8> {
    let mut b = WasiHost::builder().args(["random", "dump", &n.to_string()]);
    if let Some(s) = source {
        b = b.random(s);
    }
    let out = run_with("random", b).ok();
    let ls = lines(&out);
    assert_eq!(ls.len(), 2, "{out}");
    assert_eq!(ls[0], "errno 0");
    let h = ls[1].strip_prefix("random ").expect("random line");
    assert_eq!(h.len(), 2 * n);
    (0..n)
        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn all_equal(b: &[u8]) -> bool {
    b.iter().all(|x| *x == b[0])
}

#[test]
fn seeded_random_is_reproducible() {
    let a = random_bytes(Some(RandomSource::Seeded(42)), 256);
    let b = random_bytes(Some(RandomSource::Seeded(42)), 256);
    let c = random_bytes(Some(RandomSource::Seeded(43)), 256);
    assert_eq!(a, b, "same seed, same bytes");
    assert_ne!(a, c, "another seed, other bytes");
    assert!(!all_equal(&a));
}

#[test]
fn default_random_differs_between_runs() {
    let a = random_bytes(None, 4096);
    let b = random_bytes(None, 4096);
    assert!(!all_equal(&a) && !all_equal(&b));
    assert_ne!(a, b);
    let c = random_bytes(Some(RandomSource::Os), 4096);
    let d = random_bytes(Some(RandomSource::Os), 4096);
    assert!(!all_equal(&c));
    assert_ne!(c, d);
}

#[test]
fn zero_length_random() {
    assert_eq!(
        random_bytes(Some(RandomSource::Seeded(1)), 0),
        Vec::<u8>::new()
    );
}

#[test]
fn random_edge_cases() {
    for source in [
        RandomSource::OsSeeded,
        RandomSource::Os,
        RandomSource::Seeded(7),
    ] {
        let ran = run_with(
            "random",
            WasiHost::builder().args(["random", "edge"]).random(source),
        );
        assert_eq!(
            ran.ok(),
            "len0 errno=0 untouched=1\n\
             cross_end errno=21 untouched=1\n\
             bad_ptr errno=21 untouched=1\n\
             huge_len errno=21 untouched=1\n\
             huge_len_at_0 errno=21 untouched=1\n\
             len_past_end errno=21 untouched=1\n\
             last_16 errno=0 written=1\n\
             4096 errno=0 all_equal=0\n",
            "{source:?}"
        );
    }
}
