//! Calls as values: what the [table](super::table) derives for code that
//! handles every WASI call the same way.
//!
//! * [`CallId`], [`CallSpec`] and [`CALLS`]: each import's name, group,
//!   parameters and results, for lookup by name and for display.
//! * [`Call`]: one call in flight, with its arguments as integers, its
//!   result slots, a view of guest memory and a way to run the default
//!   implementation ([`Call::call_default`]).
//! * [`Hooks`]: per-call handlers ([`CallHandler`]) and a [`Tracer`] that
//!   the glue consults before a call. A store without hooks pays one
//!   branch per call; a call no hook asked for pays one more.
//! * [`HandlerImports`]: a [`NativeWasiImports`] made of one handler, the
//!   test double of the crate's own tests.

#![allow(clippy::too_many_arguments)]

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::memory::{Ctx, GuestType, IoVec, WasmSlicePtr};
use super::native::NativeWasiImports;
use super::table::wasi_calls;
use super::types::*;

/// The most parameters an import has (`path_open`).
pub const MAX_ARGS: usize = 8;
/// The most results an import returns through out-pointers.
pub const MAX_RESULTS: usize = 2;
/// The size of the largest result (`filestat`).
pub const RESULT_BYTES: usize = 64;

// ---------------------------------------------------------------------------
// Arguments: from wasm values, to and from the u64 a handler sees
// ---------------------------------------------------------------------------

/// A parameter type of the trait: how the glue reads it from its wasm
/// value, and how a [`Call`] carries it as a `u64`.
pub trait WasiArg: Copy {
    /// The wasm value type of the parameter (`i32` or `i64`).
    type Wasm: wasmtime::WasmTy;
    /// The value of a wasm argument; `None` when it has bits beyond its
    /// witx type (the call then fails with [`errno::inval`]).
    fn from_wasm(v: Self::Wasm) -> Option<Self>;
    /// The value as a `u64` (a signed value as its two's complement).
    fn to_raw(self) -> u64;
    /// The value of a `u64`; `None` when it does not fit the type.
    fn from_raw(v: u64) -> Option<Self>;
}

impl WasiArg for u32 {
    type Wasm = i32;
    #[inline(always)]
    fn from_wasm(v: i32) -> Option<u32> {
        Some(v as u32)
    }
    #[inline(always)]
    fn to_raw(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn from_raw(v: u64) -> Option<u32> {
        u32::try_from(v).ok()
    }
}

/// `WasiArg` for the narrow integers of flags and enumerations: a wasm
/// `i32` with bits beyond the type is refused.
macro_rules! narrow_arg {
    ($($t:ty),*) => {$(
        impl WasiArg for $t {
            type Wasm = i32;
            #[inline(always)]
            fn from_wasm(v: i32) -> Option<$t> {
                <$t>::try_from(v as u32).ok()
            }
            #[inline(always)]
            fn to_raw(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn from_raw(v: u64) -> Option<$t> {
                <$t>::try_from(v).ok()
            }
        }
    )*};
}

narrow_arg!(u8, u16);

impl WasiArg for u64 {
    type Wasm = i64;
    #[inline(always)]
    fn from_wasm(v: i64) -> Option<u64> {
        Some(v as u64)
    }
    #[inline(always)]
    fn to_raw(self) -> u64 {
        self
    }
    #[inline(always)]
    fn from_raw(v: u64) -> Option<u64> {
        Some(v)
    }
}

impl WasiArg for i64 {
    type Wasm = i64;
    #[inline(always)]
    fn from_wasm(v: i64) -> Option<i64> {
        Some(v)
    }
    #[inline(always)]
    fn to_raw(self) -> u64 {
        self as u64
    }
    #[inline(always)]
    fn from_raw(v: u64) -> Option<i64> {
        Some(v as i64)
    }
}

impl<T> WasiArg for WasmSlicePtr<T> {
    type Wasm = i32;
    #[inline(always)]
    fn from_wasm(v: i32) -> Option<Self> {
        Some(WasmSlicePtr::new(v as u32))
    }
    #[inline(always)]
    fn to_raw(self) -> u64 {
        self.offset() as u64
    }
    #[inline(always)]
    fn from_raw(v: u64) -> Option<Self> {
        u32::try_from(v).ok().map(WasmSlicePtr::new)
    }
}

/// `WasiArg` for the enumeration and flag newtypes, through their
/// representation.
macro_rules! newtype_arg {
    ($($t:ident: $repr:ty),* $(,)?) => {$(
        impl WasiArg for $t {
            type Wasm = <$repr as WasiArg>::Wasm;
            #[inline(always)]
            fn from_wasm(v: Self::Wasm) -> Option<$t> {
                <$repr as WasiArg>::from_wasm(v).map($t::from_raw)
            }
            #[inline(always)]
            fn to_raw(self) -> u64 {
                self.raw as u64
            }
            #[inline(always)]
            fn from_raw(v: u64) -> Option<$t> {
                <$repr as WasiArg>::from_raw(v).map($t::from_raw)
            }
        }
    )*};
}

newtype_arg!(
    clockid: u32,
    advice: u8,
    whence: u8,
    signal: u8,
    lookupflags: u32,
    oflags: u16,
    fdflags: u16,
    fstflags: u16,
    rights: u64,
    riflags: u16,
    siflags: u16,
    sdflags: u8,
);

/// Names the flags set in `raw` as a JSON array; bits without a name
/// come last as one number.
fn flags_json(names: &[(&str, u64)], raw: u64, out: &mut String) {
    out.push('[');
    let mut rest = raw;
    let mut first = true;
    for &(name, bit) in names {
        if bit != 0 && raw & bit == bit {
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(out, "\"{name}\"");
            rest &= !bit;
        }
    }
    if rest != 0 {
        if !first {
            out.push(',');
        }
        let _ = write!(out, "{rest}");
    }
    out.push(']');
}

/// A type's value as JSON, for the [trace](Tracer).
pub trait ToJson {
    /// Appends the JSON form of the value `raw` (as a [`Call`] carries it).
    fn raw_json(raw: u64, out: &mut String) {
        let _ = write!(out, "{raw}");
    }
}

impl ToJson for u8 {}
impl ToJson for u16 {}
impl ToJson for u32 {}
impl ToJson for u64 {}
impl<T> ToJson for WasmSlicePtr<T> {}
impl ToJson for i64 {
    fn raw_json(raw: u64, out: &mut String) {
        let _ = write!(out, "{}", raw as i64);
    }
}

macro_rules! flags_to_json {
    ($($t:ident),*) => {$(
        impl ToJson for $t {
            fn raw_json(raw: u64, out: &mut String) {
                let mut names = [("", 0u64); 32];
                for (slot, &(n, b)) in names.iter_mut().zip($t::NAMES) {
                    *slot = (n, b as u64);
                }
                flags_json(&names[..$t::NAMES.len().min(32)], raw, out);
            }
        }
    )*};
}

flags_to_json!(
    lookupflags,
    oflags,
    fdflags,
    fstflags,
    rights,
    riflags,
    siflags,
    sdflags,
    roflags
);

/// Names of the values of the enumerations a call takes.
macro_rules! enum_to_json {
    ($($t:ident: [$($v:ident),*]),* $(,)?) => {$(
        impl ToJson for $t {
            fn raw_json(raw: u64, out: &mut String) {
                $(if raw == $t::$v.raw as u64 {
                    out.push_str(concat!("\"", stringify!($v), "\""));
                    return;
                })*
                let _ = write!(out, "{raw}");
            }
        }
    )*};
}

enum_to_json!(
    clockid: [realtime, monotonic, process_cputime_id, thread_cputime_id],
    advice: [normal, sequential, random, willneed, dontneed, noreuse],
    whence: [set, cur, end],
);
impl ToJson for signal {}

/// The JSON form of a result, decoded from its guest-layout bytes.
pub trait ResultJson: GuestType {
    /// Whether the result is a structure (read and set as bytes in the
    /// layout of guest memory) rather than a number.
    const IS_STRUCT: bool = false;

    /// Appends the JSON form of `self`.
    fn json(&self, out: &mut String);
}

macro_rules! scalar_result_json {
    ($($t:ty),*) => {$(
        impl ResultJson for $t {
            fn json(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
scalar_result_json!(u32, u64);

impl ResultJson for roflags {
    fn json(&self, out: &mut String) {
        roflags::raw_json(self.raw as u64, out);
    }
}

impl ResultJson for fdstat {
    const IS_STRUCT: bool = true;

    fn json(&self, out: &mut String) {
        let _ = write!(out, "{{\"filetype\":{},\"flags\":", self.fs_filetype.raw);
        fdflags::raw_json(self.fs_flags.raw as u64, out);
        let _ = write!(
            out,
            ",\"rights_base\":{},\"rights_inheriting\":{}}}",
            self.fs_rights_base.raw, self.fs_rights_inheriting.raw
        );
    }
}

impl ResultJson for filestat {
    const IS_STRUCT: bool = true;

    fn json(&self, out: &mut String) {
        let _ = write!(
            out,
            "{{\"dev\":{},\"ino\":{},\"filetype\":{},\"nlink\":{},\"size\":{},\"atim\":{},\
             \"mtim\":{},\"ctim\":{}}}",
            self.dev,
            self.ino,
            self.filetype.raw,
            self.nlink,
            self.size,
            self.atim,
            self.mtim,
            self.ctim
        );
    }
}

impl ResultJson for prestat {
    const IS_STRUCT: bool = true;

    fn json(&self, out: &mut String) {
        let _ = write!(
            out,
            "{{\"tag\":{},\"pr_name_len\":{}}}",
            self.tag.raw, self.u.dir.pr_name_len
        );
    }
}

fn result_json<R: ResultJson>(bytes: &[u8], out: &mut String) {
    R::read_from(&bytes[..R::SIZE as usize]).json(out)
}

// ---------------------------------------------------------------------------
// Descriptors
// ---------------------------------------------------------------------------

/// The group of an import, for choosing calls by family (the CLIs'
/// `--trace-filter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Group {
    /// `args_*` and `environ_*`.
    Args,
    /// `clock_*`.
    Clock,
    /// `fd_*`.
    Fd,
    /// `path_*`.
    Path,
    /// `poll_oneoff`.
    Poll,
    /// `proc_exit`, `proc_raise`, `sched_yield`.
    Proc,
    /// `random_get`.
    Random,
    /// `sock_*`.
    Sock,
}

impl Group {
    /// Every group.
    pub const ALL: [Group; 8] = [
        Group::Args,
        Group::Clock,
        Group::Fd,
        Group::Path,
        Group::Poll,
        Group::Proc,
        Group::Random,
        Group::Sock,
    ];

    /// The group's name as the CLIs spell it: `args`, `clock`, `fd`,
    /// `path`, `poll`, `proc`, `random`, `sock`.
    pub fn name(self) -> &'static str {
        match self {
            Group::Args => "args",
            Group::Clock => "clock",
            Group::Fd => "fd",
            Group::Path => "path",
            Group::Poll => "poll",
            Group::Proc => "proc",
            Group::Random => "random",
            Group::Sock => "sock",
        }
    }
}

/// How to read a parameter's `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ParamKind {
    /// A file descriptor.
    Fd,
    /// An unsigned number (a size, an offset, a timestamp, a cookie).
    Int,
    /// A signed number (`filedelta`).
    Signed,
    /// A set of flags.
    Flags,
    /// An enumeration value.
    Enum,
    /// A pointer into guest memory to a structure or array.
    Ptr,
    /// A pointer to bytes the call reads (a path); the next parameter is
    /// their length.
    Path,
    /// A pointer to bytes the call fills; the next parameter is their
    /// length.
    Buf,
    /// A pointer to an array of iovecs; the next parameter is their count.
    Iovs,
    /// The length or count of the parameter before it.
    Len,
}

/// A parameter of an import.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// Its name in the trait (`in` for `poll_oneoff`'s `r#in`).
    pub name: &'static str,
    /// `name` with a NUL byte after it, for C.
    pub(crate) c_name: &'static str,
    /// How to read it.
    pub kind: ParamKind,
    /// Whether its wasm type is `i64` (else `i32`).
    pub wide: bool,
    json: fn(u64, &mut String),
}

/// A result an import writes through an out-pointer.
#[derive(Clone, Copy, Debug)]
pub struct ResultSpec {
    /// Its witx name.
    pub name: &'static str,
    /// `name` with a NUL byte after it, for C.
    pub(crate) c_name: &'static str,
    /// Its size in guest memory (1 to [`RESULT_BYTES`]).
    pub size: u32,
    /// Whether it is a structure (`fdstat`, `filestat`, `prestat`)
    /// rather than a number.
    pub is_struct: bool,
    json: fn(&[u8], &mut String),
}

/// One import of `wasi_snapshot_preview1`.
#[derive(Clone, Copy, Debug)]
pub struct CallSpec {
    /// Its identifier.
    pub id: CallId,
    /// Its name, e.g. `"path_open"`.
    pub name: &'static str,
    /// `name` with a NUL byte after it, for C.
    pub(crate) c_name: &'static str,
    /// Its group.
    pub group: Group,
    /// Its parameters, in order (the out-pointers are not parameters).
    pub params: &'static [ParamSpec],
    /// Its results, in order.
    pub results: &'static [ResultSpec],
}

impl CallSpec {
    /// The index of the parameter called `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// The index of the result called `name`.
    pub fn result_index(&self, name: &str) -> Option<usize> {
        self.results.iter().position(|r| r.name == name)
    }

    /// The wasm parameter types of the import, space-separated as WAT
    /// writes them: the parameters, then one `i32` out-pointer per result
    /// (`"i32 i64 i32"` for `clock_time_get`).
    pub fn wasm_params(&self) -> String {
        self.params
            .iter()
            .map(|p| if p.wide { "i64" } else { "i32" })
            .chain(self.results.iter().map(|_| "i32"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether the import returns an errno (all but `proc_exit`).
    pub fn returns_errno(&self) -> bool {
        self.id != CallId::proc_exit
    }
}

/// A parameter's name without the `r#` of a raw identifier (only `r#in`
/// has one), with or without a NUL after it.
const fn param_name(name: &'static str) -> &'static str {
    match name.as_bytes() {
        b"r#in" => "in",
        b"r#in\0" => "in\0",
        _ => name,
    }
}

macro_rules! describe {
    ([] $(
        $(#[$doc:meta])*
        [$group:ident]
        $name:ident($($p:ident: $pty:ty = $pk:ident),* $(,)?) -> ($($r:ident: $rty:ty),* $(,)?);
    )*) => {
        /// Identifies an import of `wasi_snapshot_preview1`; its value is
        /// its index in [`CALLS`].
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum CallId {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                $name,
            )*
            /// `proc_exit`
            proc_exit,
            /// `sock_accept`
            sock_accept,
        }

        /// Every import, indexed by [`CallId`].
        pub static CALLS: &[CallSpec] = &[
            $(CallSpec {
                id: CallId::$name,
                name: stringify!($name),
                c_name: concat!(stringify!($name), "\0"),
                group: group_of(stringify!($group)),
                params: &[$(ParamSpec {
                    name: param_name(stringify!($p)),
                    c_name: param_name(concat!(stringify!($p), "\0")),
                    kind: ParamKind::$pk,
                    wide: size_of::<<$pty as WasiArg>::Wasm>() == 8,
                    json: <$pty as ToJson>::raw_json,
                }),*],
                results: &[$(ResultSpec {
                    name: stringify!($r),
                    c_name: concat!(stringify!($r), "\0"),
                    size: <$rty as GuestType>::SIZE,
                    is_struct: <$rty as ResultJson>::IS_STRUCT,
                    json: result_json::<$rty>,
                }),*],
            },)*
            CallSpec {
                id: CallId::proc_exit,
                name: "proc_exit",
                c_name: "proc_exit\0",
                group: Group::Proc,
                params: &[ParamSpec {
                    name: "rval",
                    c_name: "rval\0",
                    kind: ParamKind::Int,
                    wide: false,
                    json: <u32 as ToJson>::raw_json,
                }],
                results: &[],
            },
            CallSpec {
                id: CallId::sock_accept,
                name: "sock_accept",
                c_name: "sock_accept\0",
                group: Group::Sock,
                params: &[
                    ParamSpec {
                        name: "fd",
                        c_name: "fd\0",
                        kind: ParamKind::Fd,
                        wide: false,
                        json: <u32 as ToJson>::raw_json,
                    },
                    ParamSpec {
                        name: "flags",
                        c_name: "flags\0",
                        kind: ParamKind::Flags,
                        wide: false,
                        json: <fdflags as ToJson>::raw_json,
                    },
                ],
                results: &[ResultSpec {
                    name: "fd",
                    c_name: "fd\0",
                    size: 4,
                    is_struct: false,
                    json: result_json::<u32>,
                }],
            },
        ];

        /// Runs the call of `id` on `imp` with the arguments `args`,
        /// storing its results in `results`. An argument that does not fit
        /// its type gives [`errno::inval`].
        pub(crate) fn dispatch<T: NativeWasiImports + ?Sized>(
            imp: &T,
            ctx: &mut Ctx,
            id: CallId,
            args: &[u64; MAX_ARGS],
            results: &mut Results,
        ) -> Result<errno, exitcode> {
            match id {
                $(CallId::$name => {
                    #[allow(unused_mut, unused_variables)]
                    let mut it = args.iter();
                    $(let Some($p) = it.next().and_then(|v| <$pty as WasiArg>::from_raw(*v)) else {
                        return Ok(errno::inval);
                    };)*
                    let r = imp.$name(ctx, $($p),*);
                    Ok(store_results!(results, r, $($rty),*))
                })*
                CallId::proc_exit => {
                    let Some(rval) = u32::from_raw(args[0]) else {
                        return Ok(errno::inval);
                    };
                    match imp.proc_exit(ctx, rval) {
                        Ok(never) => match never {},
                        Err(code) => Err(code),
                    }
                }
                CallId::sock_accept => {
                    let (Some(fd), Some(flags)) = (u32::from_raw(args[0]), fdflags::from_raw_u64(args[1])) else {
                        return Ok(errno::inval);
                    };
                    let (e, fd) = sock_accept(imp, ctx, fd, flags);
                    results.set(0, fd);
                    Ok(e)
                }
            }
        }

        impl<H: CallHandler> NativeWasiImports for HandlerImports<H> {
            $(
                fn $name(&self, ctx: &mut Ctx, $($p: $pty),*) -> ret_ty!($($rty),*) {
                    #[allow(unused_mut)]
                    let mut args = [0u64; MAX_ARGS];
                    #[allow(unused_mut, unused_variables)]
                    let mut slots = args.iter_mut();
                    $(if let Some(s) = slots.next() { *s = $p.to_raw(); })*
                    #[allow(unused_variables)]
                    let (e, results) = self.run(ctx, CallId::$name, args);
                    load_results!(results, e, $($rty),*)
                }
            )*

            fn proc_exit(&self, ctx: &mut Ctx, rval: exitcode) -> Result<Infallible, exitcode> {
                let mut args = [0u64; MAX_ARGS];
                args[0] = rval as u64;
                let _ = self.run(ctx, CallId::proc_exit, args);
                Err(rval)
            }
        }
    };
}

/// The return type of a trait method with these result types.
macro_rules! ret_ty {
    () => {
        errno
    };
    ($a:ty) => {
        (errno, $a)
    };
    ($a:ty, $b:ty) => {
        (errno, $a, $b)
    };
}
pub(crate) use ret_ty;

/// Stores a trait method's return value in result slots; gives its errno.
macro_rules! store_results {
    ($res:ident, $r:ident,) => {
        $r
    };
    ($res:ident, $r:ident, $a:ty) => {{
        $res.set(0, $r.1);
        $r.0
    }};
    ($res:ident, $r:ident, $a:ty, $b:ty) => {{
        $res.set(0, $r.1);
        $res.set(1, $r.2);
        $r.0
    }};
}

/// A trait method's return value from result slots.
macro_rules! load_results {
    ($res:ident, $e:ident,) => {
        $e
    };
    ($res:ident, $e:ident, $a:ty) => {
        ($e, $res.get::<$a>(0))
    };
    ($res:ident, $e:ident, $a:ty, $b:ty) => {
        ($e, $res.get::<$a>(0), $res.get::<$b>(1))
    };
}

impl fdflags {
    fn from_raw_u64(v: u64) -> Option<fdflags> {
        <fdflags as WasiArg>::from_raw(v)
    }
}

pub(crate) const fn group_of(name: &str) -> Group {
    match name.as_bytes() {
        b"args" => Group::Args,
        b"clock" => Group::Clock,
        b"fd" => Group::Fd,
        b"path" => Group::Path,
        b"poll" => Group::Poll,
        b"proc" => Group::Proc,
        b"random" => Group::Random,
        _ => Group::Sock,
    }
}

wasi_calls!(describe);

/// The number of imports.
pub const CALL_COUNT: usize = CallId::sock_accept as usize + 1;

impl CallId {
    /// Every import, in [`CALLS`] order.
    pub fn all() -> impl Iterator<Item = CallId> {
        CALLS.iter().map(|s| s.id)
    }

    /// The import called `name`.
    pub fn from_name(name: &str) -> Option<CallId> {
        CALLS.iter().find(|s| s.name == name).map(|s| s.id)
    }

    /// The import's descriptor.
    #[inline]
    pub fn spec(self) -> &'static CallSpec {
        &CALLS[self as usize]
    }

    /// The import's name.
    pub fn name(self) -> &'static str {
        self.spec().name
    }
}

/// `sock_accept` is not a method of the trait: answer it from what the
/// trait can tell. A bad fd gives the errno of `fd_fdstat_get` (`badf`); a
/// socket gives `notsup` (the trait has no way to accept); anything else
/// gives `notsock`.
pub(crate) fn sock_accept<T: NativeWasiImports + ?Sized>(
    imp: &T,
    ctx: &mut Ctx,
    fd: fd,
    _flags: fdflags,
) -> (errno, fd) {
    let (e, st) = imp.fd_fdstat_get(ctx, fd);
    if e != errno::success {
        return (e, 0);
    }
    if st.fs_filetype == filetype::socket_stream || st.fs_filetype == filetype::socket_dgram {
        (errno::notsup, 0)
    } else {
        (errno::notsock, 0)
    }
}

// ---------------------------------------------------------------------------
// Sets of calls
// ---------------------------------------------------------------------------

/// A set of imports (a bit per [`CallId`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CallSet(u64);

impl CallSet {
    /// No import.
    pub const fn none() -> CallSet {
        CallSet(0)
    }

    /// Every import.
    pub const fn all() -> CallSet {
        CallSet((1u64 << CALL_COUNT) - 1)
    }

    /// The import `id` alone.
    pub const fn of(id: CallId) -> CallSet {
        CallSet(1u64 << id as u32)
    }

    /// The imports of `group`.
    pub fn group(group: Group) -> CallSet {
        CALLS
            .iter()
            .filter(|s| s.group == group)
            .fold(CallSet::none(), |set, s| set.with(s.id))
    }

    /// This set and `id`.
    pub const fn with(self, id: CallId) -> CallSet {
        CallSet(self.0 | 1u64 << id as u32)
    }

    /// The imports in either set.
    pub const fn union(self, other: CallSet) -> CallSet {
        CallSet(self.0 | other.0)
    }

    /// Whether `id` is in the set.
    #[inline(always)]
    pub const fn contains(self, id: CallId) -> bool {
        self.0 & (1u64 << id as u32) != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The imports in the set.
    pub fn iter(self) -> impl Iterator<Item = CallId> {
        CallId::all().filter(move |&id| self.contains(id))
    }

    /// Parses a comma-separated list of group names (`args`, `clock`,
    /// `fd`, `path`, `poll`, `proc`, `random`, `sock`; `fs` for `fd` and
    /// `path`; `all`) and import names (`path_open`). The error names the
    /// word it does not know.
    pub fn parse(list: &str) -> Result<CallSet, String> {
        let mut set = CallSet::none();
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            set = set.union(match word {
                "all" => CallSet::all(),
                "fs" => CallSet::group(Group::Fd).union(CallSet::group(Group::Path)),
                _ => match Group::ALL.iter().find(|g| g.name() == word) {
                    Some(&g) => CallSet::group(g),
                    None => match CallId::from_name(word) {
                        Some(id) => CallSet::of(id),
                        None => {
                            return Err(format!(
                                "unknown call or group `{word}` (groups: all, fs, args, clock, \
                                 fd, path, poll, proc, random, sock; or a call name such as \
                                 path_open)"
                            ));
                        }
                    },
                },
            });
        }
        if set.is_empty() {
            return Err("the list of calls and groups is empty".to_string());
        }
        Ok(set)
    }
}

// ---------------------------------------------------------------------------
// A call in flight
// ---------------------------------------------------------------------------

/// The result slots of a call: each result in its guest-memory layout.
#[derive(Clone, Copy)]
pub struct Results([[u8; RESULT_BYTES]; MAX_RESULTS]);

impl Default for Results {
    fn default() -> Self {
        Results([[0; RESULT_BYTES]; MAX_RESULTS])
    }
}

impl Results {
    #[inline(always)]
    pub(crate) fn set<R: GuestType>(&mut self, index: usize, value: R) {
        value.write_to(&mut self.0[index][..R::SIZE as usize]);
    }

    #[inline(always)]
    pub(crate) fn get<R: GuestType>(&self, index: usize) -> R {
        R::read_from(&self.0[index][..R::SIZE as usize])
    }
}

/// How a handled call ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The guest gets this errno; on [`errno::success`] the call's result
    /// slots are written to its out-pointers.
    Return(errno),
    /// The guest ends as if it called `proc_exit` with this code.
    Exit(exitcode),
    /// The guest traps with this message (the run's outcome is a trap).
    Trap(String),
}

/// The default implementation as a [`Call`] reaches it.
pub(crate) type DefaultFn<'a, 'm> =
    dyn FnMut(&mut Ctx<'m>, &[u64; MAX_ARGS], &mut Results) -> Result<errno, exitcode> + 'a;

/// One WASI call in flight, as a [`CallHandler`] and a [`Tracer`] see it.
///
/// The arguments are `u64`s in the order of [`CallSpec::params`]
/// (pointers are offsets into guest memory, flags their bits, a signed
/// value its two's complement); the results are slots in the layout of
/// guest memory, written to the guest's out-pointers only when the call
/// returns [`errno::success`].
pub struct Call<'a, 'm> {
    spec: &'static CallSpec,
    args: [u64; MAX_ARGS],
    results: Results,
    errno: Option<errno>,
    exit: Option<exitcode>,
    instance: u64,
    ctx: &'a mut Ctx<'m>,
    default: &'a mut DefaultFn<'a, 'm>,
}

impl<'a, 'm> Call<'a, 'm> {
    pub(crate) fn new(
        id: CallId,
        args: [u64; MAX_ARGS],
        ctx: &'a mut Ctx<'m>,
        default: &'a mut DefaultFn<'a, 'm>,
    ) -> Self {
        Call {
            spec: id.spec(),
            args,
            results: Results::default(),
            errno: None,
            exit: None,
            instance: 0,
            ctx,
            default,
        }
    }

    /// The number of the instance that made the call (unique in the
    /// process, from 1; see `Instance::number`); 0 in a
    /// [`HandlerImports`].
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// The import's identifier.
    pub fn id(&self) -> CallId {
        self.spec.id
    }

    /// The import's name.
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// The import's descriptor: its parameters and results.
    pub fn spec(&self) -> &'static CallSpec {
        self.spec
    }

    /// The arguments, one per parameter.
    pub fn args(&self) -> &[u64] {
        &self.args[..self.spec.params.len()]
    }

    /// Argument `index`; 0 past the last one.
    pub fn arg(&self, index: usize) -> u64 {
        if index < self.spec.params.len() {
            self.args[index]
        } else {
            0
        }
    }

    /// Sets argument `index` for a later [`Call::call_default`]. A value
    /// that does not fit the parameter's type makes the default answer
    /// [`errno::inval`]. Returns false for an index past the last one.
    pub fn set_arg(&mut self, index: usize, value: u64) -> bool {
        if index < self.spec.params.len() {
            self.args[index] = value;
            true
        } else {
            false
        }
    }

    /// The bytes of argument `index` when it is a [`ParamKind::Path`] or
    /// [`ParamKind::Buf`] (its pointer and the length after it), borrowed
    /// from guest memory; [`errno::fault`] when they lie outside it,
    /// [`errno::inval`] for another kind of parameter.
    pub fn bytes(&self, index: usize) -> Result<&[u8], errno> {
        let (ptr, len) = self.byte_range(index)?;
        self.ctx.bytes(ptr, len)
    }

    /// [`Call::bytes`], writable (to fill a [`ParamKind::Buf`]).
    pub fn bytes_mut(&mut self, index: usize) -> Result<&mut [u8], errno> {
        let (ptr, len) = self.byte_range(index)?;
        self.ctx.bytes_mut(ptr, len)
    }

    fn byte_range(&self, index: usize) -> Result<(WasmSlicePtr<u8>, u32), errno> {
        match self.spec.params.get(index).map(|p| p.kind) {
            Some(ParamKind::Path | ParamKind::Buf) => Ok((
                WasmSlicePtr::new(self.args[index] as u32),
                self.args[index + 1] as u32,
            )),
            _ => Err(errno::inval),
        }
    }

    /// Iovec `k` of argument `index` when it is a [`ParamKind::Iovs`]: the
    /// buffer's offset and length in guest memory (read it with
    /// [`Call::memory`]). The count is the argument after `index`.
    pub fn iovec(&self, index: usize, k: u32) -> Result<(u32, u32), errno> {
        match self.spec.params.get(index).map(|p| p.kind) {
            Some(ParamKind::Iovs) if k < self.args[index + 1] as u32 => {
                let v: iovec = self
                    .ctx
                    .read_at(WasmSlicePtr::new(self.args[index] as u32), k)?;
                let (ptr, len) = v.parts();
                Ok((ptr.offset(), len))
            }
            Some(ParamKind::Iovs) => Err(errno::inval),
            _ => Err(errno::inval),
        }
    }

    /// The guest's linear memory, valid during the call.
    pub fn memory(&self) -> &[u8] {
        self.ctx.memory()
    }

    /// The guest's linear memory, writable, valid during the call.
    pub fn memory_mut(&mut self) -> &mut [u8] {
        self.ctx.memory_mut()
    }

    /// The context the default implementation runs with.
    pub fn ctx(&mut self) -> &mut Ctx<'m> {
        self.ctx
    }

    /// Result `index` as a number (its little-endian bytes; a structure
    /// gives its first 8 bytes); 0 past the last result.
    pub fn result(&self, index: usize) -> u64 {
        match self.spec.results.get(index) {
            Some(r) => {
                let n = (r.size as usize).min(8);
                let mut b = [0u8; 8];
                b[..n].copy_from_slice(&self.results.0[index][..n]);
                u64::from_le_bytes(b)
            }
            None => 0,
        }
    }

    /// Sets result `index` to a number (truncated to the result's size).
    /// Returns false for a structure result or an index past the last.
    pub fn set_result(&mut self, index: usize, value: u64) -> bool {
        match self.spec.results.get(index) {
            Some(r) if !r.is_struct => {
                let n = r.size as usize;
                self.results.0[index][..n].copy_from_slice(&value.to_le_bytes()[..n]);
                true
            }
            _ => false,
        }
    }

    /// Result `index` in its guest-memory layout (a structure such as
    /// `filestat` as the WASI headers define it); empty past the last.
    pub fn result_bytes(&self, index: usize) -> &[u8] {
        match self.spec.results.get(index) {
            Some(r) => &self.results.0[index][..r.size as usize],
            None => &[],
        }
    }

    /// [`Call::result_bytes`], writable.
    pub fn result_bytes_mut(&mut self, index: usize) -> &mut [u8] {
        match self.spec.results.get(index) {
            Some(r) => &mut self.results.0[index][..r.size as usize],
            None => &mut [],
        }
    }

    /// Runs the default implementation with the current arguments, which
    /// fills the result slots. Returns its errno; for `proc_exit`, records
    /// the exit (see [`Call::exit_code`]) and returns success.
    pub fn call_default(&mut self) -> errno {
        let e = match (self.default)(self.ctx, &self.args, &mut self.results) {
            Ok(e) => e,
            Err(code) => {
                self.exit = Some(code);
                errno::success
            }
        };
        self.errno = Some(e);
        e
    }

    pub(crate) fn results(&self) -> &Results {
        &self.results
    }

    /// The errno of the last [`Call::call_default`], if it ran.
    pub fn default_errno(&self) -> Option<errno> {
        self.errno
    }

    /// The exit code the default `proc_exit` asked for, if it ran.
    pub fn exit_code(&self) -> Option<exitcode> {
        self.exit
    }

    /// Appends the arguments as a JSON object: paths as text (at most
    /// 1024 bytes, then `...`), flags and enumerations by name, the rest
    /// as numbers.
    pub fn args_json(&self, out: &mut String) {
        out.push('{');
        for (i, p) in self.spec.params.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "\"{}\":", p.name);
            match p.kind {
                ParamKind::Path => match self.bytes(i) {
                    Ok(b) => json_string(b, 1024, out),
                    Err(_) => out.push_str("null"),
                },
                _ => (p.json)(self.args[i], out),
            }
        }
        out.push('}');
    }

    /// Appends the results as a JSON object (empty unless `e` is success).
    pub fn results_json(&self, e: errno, out: &mut String) {
        out.push('{');
        if e == errno::success {
            for (i, r) in self.spec.results.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "\"{}\":", r.name);
                (r.json)(&self.results.0[i][..r.size as usize], out);
            }
        }
        out.push('}');
    }
}

/// Appends `bytes` as a JSON string, replacing invalid UTF-8 and cutting
/// it after `max` bytes with `...`.
fn json_string(bytes: &[u8], max: usize, out: &mut String) {
    let (head, cut) = if bytes.len() > max {
        (&bytes[..max], true)
    } else {
        (bytes, false)
    };
    out.push('"');
    for c in String::from_utf8_lossy(head).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    if cut {
        out.push_str("...");
    }
    out.push('"');
}

// ---------------------------------------------------------------------------
// Hooks
// ---------------------------------------------------------------------------

/// Handles some WASI calls in place of (or around) the default
/// implementation.
///
/// A handler runs on the thread of the guest, during the call; it may
/// call [`Call::call_default`] any number of times, before or after
/// changing arguments, and change results afterwards. It must not panic
/// (a panic becomes a trap of the guest, as in a trait method).
pub trait CallHandler: Send + Sync + 'static {
    /// Handles `call`; the verdict is what the guest sees.
    fn handle(&self, call: &mut Call<'_, '_>) -> Verdict;
}

impl<F> CallHandler for F
where
    F: Fn(&mut Call<'_, '_>) -> Verdict + Send + Sync + 'static,
{
    fn handle(&self, call: &mut Call<'_, '_>) -> Verdict {
        self(call)
    }
}

/// One finished call, as a [`Tracer`] gets it.
pub struct TraceEvent<'c, 'a, 'm> {
    /// The number of the instance that made the call (unique in the
    /// process, from 1).
    pub instance: u64,
    /// The call: its arguments and results.
    pub call: &'c Call<'a, 'm>,
    /// How it ended.
    pub verdict: &'c Verdict,
    /// How long the host took.
    pub duration: Duration,
}

impl TraceEvent<'_, '_, '_> {
    /// The event as one line of JSON (no newline):
    /// `{"instance":1,"call":"path_open","args":{...},"errno":"success",
    /// "results":{"opened_fd":4},"ns":5120}`; an exit gives `"exit":code`
    /// and a trap `"trap":"message"` in place of `errno`.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(160);
        let _ = write!(
            out,
            "{{\"instance\":{},\"call\":\"{}\",\"args\":",
            self.instance,
            self.call.name()
        );
        self.call.args_json(&mut out);
        match self.verdict {
            Verdict::Return(e) => {
                let _ = write!(out, ",\"errno\":\"{}\",\"results\":", e.name());
                self.call.results_json(*e, &mut out);
            }
            Verdict::Exit(code) => {
                let _ = write!(out, ",\"exit\":{code}");
            }
            Verdict::Trap(msg) => {
                out.push_str(",\"trap\":");
                json_string(msg.as_bytes(), 4096, &mut out);
            }
        }
        let _ = write!(out, ",\"ns\":{}}}", self.duration.as_nanos());
        out
    }
}

/// Receives every traced call after it finished.
pub trait Tracer: Send + Sync + 'static {
    /// Records `event`. Runs on the guest's thread, during the call.
    fn event(&self, event: &TraceEvent<'_, '_, '_>);

    /// Called when instance number `instance` is dropped (to flush what is
    /// buffered). Does nothing by default.
    fn finish(&self, instance: u64) {
        let _ = instance;
    }
}

impl<F> Tracer for F
where
    F: Fn(&TraceEvent<'_, '_, '_>) + Send + Sync + 'static,
{
    fn event(&self, event: &TraceEvent<'_, '_, '_>) {
        self(event)
    }
}

/// A [`Tracer`] that writes each event as a line of JSON to a writer
/// (a file: `--trace FILE` in the CLIs). Lines are buffered and written
/// out when the buffer fills and when the tracer is dropped.
pub struct JsonLines {
    out: std::sync::Mutex<std::io::BufWriter<Box<dyn std::io::Write + Send>>>,
}

impl JsonLines {
    /// A tracer writing to `out`.
    pub fn new(out: impl std::io::Write + Send + 'static) -> JsonLines {
        JsonLines {
            out: std::sync::Mutex::new(std::io::BufWriter::new(Box::new(out))),
        }
    }

    /// Writes out what is buffered.
    pub fn flush(&self) -> std::io::Result<()> {
        use std::io::Write;
        self.out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .flush()
    }
}

impl Tracer for JsonLines {
    fn finish(&self, _instance: u64) {
        // A trace that cannot be written does not fail the run.
        let _ = self.flush();
    }

    fn event(&self, event: &TraceEvent<'_, '_, '_>) {
        use std::io::Write;
        let mut line = event.to_json();
        line.push('\n');
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A trace that cannot be written does not stop the guest.
        let _ = out.write_all(line.as_bytes());
    }
}

struct HooksInner {
    handlers: [Option<Arc<dyn CallHandler>>; CALL_COUNT],
    handled: CallSet,
    tracer: Option<Arc<dyn Tracer>>,
    traced: CallSet,
}

/// What an instance's glue consults before each WASI call: handlers for
/// some calls and a tracer for some calls. Cheap to clone; each instance
/// created with it gets its own number (see [`TraceEvent::instance`]).
#[derive(Clone)]
pub struct Hooks {
    inner: Arc<HooksInner>,
    watched: CallSet,
    instance: u64,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks::new()
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("handled", &self.inner.handled)
            .field("traced", &self.inner.traced)
            .field("instance", &self.instance)
            .finish()
    }
}

impl Drop for Hooks {
    fn drop(&mut self) {
        if self.instance != 0
            && let Some(t) = &self.inner.tracer
        {
            t.finish(self.instance);
        }
    }
}

static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

/// A number for a new instance: unique in the process, from 1.
pub(crate) fn next_instance_number() -> u64 {
    NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed)
}

impl Hooks {
    /// No handler, no tracer.
    pub fn new() -> Hooks {
        Hooks {
            inner: Arc::new(HooksInner {
                handlers: [const { None }; CALL_COUNT],
                handled: CallSet::none(),
                tracer: None,
                traced: CallSet::none(),
            }),
            watched: CallSet::none(),
            instance: 0,
        }
    }

    fn inner_mut(&mut self) -> &mut HooksInner {
        if Arc::get_mut(&mut self.inner).is_none() {
            let old = &*self.inner;
            self.inner = Arc::new(HooksInner {
                handlers: old.handlers.clone(),
                handled: old.handled,
                tracer: old.tracer.clone(),
                traced: old.traced,
            });
        }
        Arc::get_mut(&mut self.inner).expect("unique after the copy")
    }

    /// Handles the calls in `calls` with `handler` (replacing a handler
    /// set before for any of them).
    pub fn handle(mut self, calls: CallSet, handler: impl CallHandler) -> Hooks {
        self.set_handler(calls, Some(Arc::new(handler)));
        self
    }

    /// Sets (or with `None`, removes) the handler of the calls in `calls`.
    pub fn set_handler(&mut self, calls: CallSet, handler: Option<Arc<dyn CallHandler>>) {
        let inner = self.inner_mut();
        for id in calls.iter() {
            inner.handlers[id as usize] = handler.clone();
        }
        inner.handled = CallSet(
            CallId::all()
                .filter(|&id| inner.handlers[id as usize].is_some())
                .fold(0, |m, id| m | 1u64 << id as u32),
        );
        self.watched = inner.handled.union(inner.traced);
    }

    /// Traces the calls in `calls` to `tracer` (replacing a tracer set
    /// before).
    pub fn trace(mut self, calls: CallSet, tracer: impl Tracer) -> Hooks {
        self.set_tracer(calls, Some(Arc::new(tracer)));
        self
    }

    /// Sets (or with `None`, removes) the tracer and the calls it sees.
    pub fn set_tracer(&mut self, calls: CallSet, tracer: Option<Arc<dyn Tracer>>) {
        let inner = self.inner_mut();
        inner.traced = if tracer.is_some() {
            calls
        } else {
            CallSet::none()
        };
        inner.tracer = tracer;
        self.watched = inner.handled.union(inner.traced);
    }

    /// The calls with a handler.
    pub fn handled(&self) -> CallSet {
        self.inner.handled
    }

    /// The calls traced.
    pub fn traced(&self) -> CallSet {
        self.inner.traced
    }

    /// Whether no call is handled or traced.
    pub fn is_empty(&self) -> bool {
        self.watched.is_empty()
    }

    /// These hooks for a new instance, with its own number.
    pub(crate) fn for_instance(&self, number: u64) -> Hooks {
        Hooks {
            inner: self.inner.clone(),
            watched: self.watched,
            instance: number,
        }
    }

    /// The number of the instance these hooks serve (0 before one is
    /// created with them).
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// Whether the glue must route call `id` through [`Hooks::run`].
    #[inline(always)]
    pub(crate) fn wants(&self, id: CallId) -> bool {
        self.watched.contains(id)
    }

    /// Runs a call through its handler (or the default) and the tracer.
    #[cold]
    #[inline(never)]
    pub(crate) fn run(&self, call: &mut Call<'_, '_>) -> Verdict {
        let id = call.id();
        call.instance = self.instance;
        let traced = self.inner.traced.contains(id);
        let start = traced.then(std::time::Instant::now);
        let verdict = match &self.inner.handlers[id as usize] {
            Some(h) => {
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.handle(call))) {
                    Ok(v) => v,
                    Err(payload) => Verdict::Trap(format!(
                        "the handler of {} panicked: {}",
                        call.name(),
                        super::link::panic_message(&*payload)
                    )),
                }
            }
            None => {
                let e = call.call_default();
                match call.exit_code() {
                    Some(code) => Verdict::Exit(code),
                    None => Verdict::Return(e),
                }
            }
        };
        // The default proc_exit asked for an exit that the handler let
        // stand.
        let verdict = match (verdict, call.exit_code()) {
            (Verdict::Return(_), Some(code)) => Verdict::Exit(code),
            (v, _) => v,
        };
        if let (Some(t), Some(start)) = (&self.inner.tracer, start) {
            t.event(&TraceEvent {
                instance: self.instance,
                call,
                verdict: &verdict,
                duration: start.elapsed(),
            });
        }
        verdict
    }
}

// ---------------------------------------------------------------------------
// A NativeWasiImports made of one handler
// ---------------------------------------------------------------------------

/// A [`NativeWasiImports`] whose every method is a [`Call`] to one
/// [`CallHandler`]; [`Call::call_default`] answers [`errno::nosys`]. A
/// test double in a few lines: match on [`Call::name`], look at the
/// arguments, set results, return an errno.
///
/// `proc_exit` calls the handler, then exits with the code.
pub struct HandlerImports<H> {
    handler: H,
}

impl<H: CallHandler> HandlerImports<H> {
    /// The implementation whose methods call `handler`.
    pub fn new(handler: H) -> Self {
        HandlerImports { handler }
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    fn run(&self, ctx: &mut Ctx, id: CallId, args: [u64; MAX_ARGS]) -> (errno, Results) {
        let mut nosys = |_: &mut Ctx, _: &[u64; MAX_ARGS], _: &mut Results| Ok(errno::nosys);
        let mut call = Call::new(id, args, ctx, &mut nosys);
        let e = match self.handler.handle(&mut call) {
            Verdict::Return(e) => e,
            // A trait method cannot end the guest: an exit or trap asked
            // for here reads as an I/O error.
            Verdict::Exit(_) | Verdict::Trap(_) => errno::io,
        };
        (e, call.results)
    }
}
