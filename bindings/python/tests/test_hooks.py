"""The programmable host: call handlers, the trace, deterministic mode, clocks, random.

Most tests use PROBE, a WAT module whose exports each make one WASI call
with out-pointers pre-filled with a sentinel and return the errno and
what the out-pointer holds afterwards: so a test sees exactly what the
guest got. The others run examples/guests/hostdemo.c.
"""

from __future__ import annotations

import gc
import io
import json
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import wasihost
from wasihost import (
    CAPTURE,
    ArgKind,
    Call,
    CallError,
    ClockId,
    Config,
    Errno,
    Instance,
    Module,
    TraceRecord,
    TrapCode,
    _callbacks,
)

WALL_2000_NS = 946_684_800 * 10**9  # the deterministic wall clock
SENTINEL64 = 0x5555  # what an i64 out-pointer holds before the call
SENTINEL32 = 0x7777  # what an i32 out-pointer holds before the call
PATH_AT = 1024  # "hello.txt" in PROBE's memory

PROBE_WAT = r"""(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "hello.txt")
  (data (i32.const 1100) "written by the guest\n")
  (func (export "_start"))
  ;; clock_time_get(id): errno, the i64 out-value
  (func (export "clock") (param $id i32) (result i32 i64)
    (i64.store (i32.const 64) (i64.const 0x5555))
    (call $clock (local.get $id) (i64.const 1) (i32.const 64))
    (i64.load (i32.const 64)))
  ;; path_open(3, symlink_follow, ptr, len, ...): errno, opened fd
  (func (export "open") (param $ptr i32) (param $len i32) (result i32 i32)
    (i32.store (i32.const 72) (i32.const 0x7777))
    (call $open (i32.const 3) (i32.const 1) (local.get $ptr) (local.get $len) (i32.const 0)
      (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 72))
    (i32.load (i32.const 72)))
  ;; fd_read(fd) into the iovecs (2000, 4) and (2100, 8): errno, nread
  (func (export "read") (param $fd i32) (result i32 i32)
    (i32.store (i32.const 200) (i32.const 2000)) (i32.store (i32.const 204) (i32.const 4))
    (i32.store (i32.const 208) (i32.const 2100)) (i32.store (i32.const 212) (i32.const 8))
    (i32.store (i32.const 80) (i32.const 0x7777))
    (call $read (local.get $fd) (i32.const 200) (i32.const 2) (i32.const 80))
    (i32.load (i32.const 80)))
  ;; fd_read with a count of iovecs far past memory: errno
  (func (export "badread") (param $fd i32) (result i32)
    (call $read (local.get $fd) (i32.const 200) (i32.const 0x10000000) (i32.const 80)))
  ;; fd_write(fd) of "written by the guest\n" as (1100, 8) (1108, 13): errno, nwritten
  (func (export "write") (param $fd i32) (result i32 i32)
    (i32.store (i32.const 300) (i32.const 1100)) (i32.store (i32.const 304) (i32.const 8))
    (i32.store (i32.const 308) (i32.const 1108)) (i32.store (i32.const 312) (i32.const 13))
    (i32.store (i32.const 88) (i32.const 0x7777))
    (call $write (local.get $fd) (i32.const 300) (i32.const 2) (i32.const 88))
    (i32.load (i32.const 88)))
  ;; fd_seek(fd, offset, whence): errno, the new offset
  (func (export "seek") (param $fd i32) (param $off i64) (param $whence i32) (result i32 i64)
    (i64.store (i32.const 96) (i64.const 0x5555))
    (call $seek (local.get $fd) (local.get $off) (local.get $whence) (i32.const 96))
    (i64.load (i32.const 96)))
  ;; random_get(3000, len): errno
  (func (export "random") (param $len i32) (result i32)
    (call $random (i32.const 3000) (local.get $len)))
  (func (export "load8") (param $a i32) (result i32) (i32.load8_u (local.get $a)))
  (func (export "close") (param $fd i32) (result i32) (call $close (local.get $fd)))
  (func (export "exit") (param $c i32) (call $exit (local.get $c))))
"""


@pytest.fixture(scope="module")
def probe() -> Iterator[Module]:
    with Module.from_wat(PROBE_WAT) as m:
        yield m


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """A directory for the guest (preopened at fd 3): hello.txt and secret.key."""
    d = tmp_path / "box"
    d.mkdir()
    (d / "hello.txt").write_text("hello, world")
    (d / "secret.key").write_text("k3y")
    return d


@pytest.fixture
def hostdemo(module: Callable[[str], Module]) -> Module:
    return module("hostdemo")


def load(inst: Instance, address: int, n: int) -> bytes:
    return bytes(inst.call("load8", address + k, results=1) for k in range(n))


# --- Errno and CallError ---------------------------------------------------------


def test_errno_names_are_the_witx_ones() -> None:
    assert len(Errno) == 77 and [e.value for e in Errno] == list(range(77))
    assert (Errno.SUCCESS, Errno.TOOBIG, Errno.NOENT, Errno.NOTCAPABLE) == (0, 1, 44, 76)
    assert Errno.TOOBIG.wasi_name == "2big" and str(Errno.NOENT) == "noent"
    assert Errno.from_name("2big") is Errno.TOOBIG
    assert all(Errno.from_name(e.wasi_name) is e for e in Errno)
    with pytest.raises(ValueError, match="bogus"):
        Errno.from_name("bogus")


def test_call_error_takes_an_errno_other_than_success() -> None:
    assert CallError(Errno.NOSPC).errno is Errno.NOSPC
    assert CallError(51).errno is Errno.NOSPC
    assert "nospc" in str(CallError(51))
    for bad in (0, 77, -1):
        with pytest.raises(ValueError):
            CallError(bad)
    for bad_type in (True, "nospc", 51.0):
        with pytest.raises(TypeError):
            CallError(bad_type)


# --- handlers: arguments --------------------------------------------------------


def test_arguments_by_name_and_index(probe: Module, box: Path) -> None:
    seen: dict[str, Any] = {}

    def h(call: Call) -> Errno:
        seen.update(
            name=call.name,
            names=call.arg_names,
            args=dict(call.args),
            by_index=[call.args[i] for i in range(len(call.args))],
            last=call.args[-1],
            path=call.path,
            path_bytes=call.arg_bytes("path"),
            kinds=[call.arg_kind(n) for n in call.arg_names],
            results=call.result_names,
            contains=("path" in call.args, "nope" in call.args),
        )
        with pytest.raises(KeyError, match="path_open has no argument 'nope'"):
            call.args["nope"]
        with pytest.raises(IndexError):
            call.args[8]
        with pytest.raises(TypeError, match="not a path"):
            call.arg_bytes("fd")
        return Errno.NOENT

    with Config(dirs={"/d": box}) as c:
        c.on_call("path_open", h)
        with Instance(probe, c) as inst:
            assert inst.call("open", PATH_AT, 9, results=2) == (44, SENTINEL32)
    names = (
        "fd",
        "dirflags",
        "path",
        "path_len",
        "oflags",
        "fs_rights_base",
        "fs_rights_inherting",  # (sic: the witx spelling)
        "fdflags",
    )
    assert seen["name"] == "path_open" and seen["names"] == names
    assert seen["args"] == dict(
        zip(names, [3, 1, PATH_AT, 9, 0, 0x1FFFFFFF, 0x1FFFFFFF, 0], strict=True)
    )
    assert seen["by_index"] == list(seen["args"].values()) and seen["last"] == 0
    assert seen["path"] == seen["path_bytes"] == b"hello.txt"
    assert seen["kinds"] == [
        ArgKind.FD,
        ArgKind.FLAGS,
        ArgKind.PATH,
        ArgKind.LEN,
        ArgKind.FLAGS,
        ArgKind.FLAGS,
        ArgKind.FLAGS,
        ArgKind.FLAGS,
    ]
    assert seen["results"] == ("opened_fd",) and seen["contains"] == (True, False)


def test_a_signed_argument_reads_negative(probe: Module, box: Path) -> None:
    seen = []

    def h(call: Call) -> Errno | None:
        seen.append((call.arg_kind("offset"), call.args["offset"], call.args["whence"]))
        if call.args["offset"] == -5:
            call.args["offset"] = 3  # seek to 3 instead
        return None

    with Config(dirs={"/d": box}) as c:
        c.on_call("fd_seek", h)
        with Instance(probe, c) as inst:
            errno, fd = inst.call("open", PATH_AT, 9, results=2)
            assert errno == 0
            assert inst.call("seek", fd, wasihost.i64(-5), 1, results=2) == (0, 3)
            # And an argument that does not fit its type: the default says inval.
            assert inst.call("seek", fd, wasihost.i64(0), 7, results=2) == (28, SENTINEL64)
    assert seen == [(ArgKind.SIGNED, -5, 1), (ArgKind.SIGNED, 0, 7)]


def test_paths_outside_guest_memory_are_a_fault(probe: Module, box: Path) -> None:
    def h(call: Call) -> Errno:
        _ = call.path  # raises CallError(FAULT): the guest gets fault, as from the default
        return Errno.SUCCESS

    with Config(dirs={"/d": box}) as c:
        with Instance(probe, c) as inst:
            assert inst.call("open", 0xFFF0, 100, results=2) == (21, SENTINEL32)
        c.on_call("path_open", h)
        with Instance(probe, c) as inst:
            assert inst.call("open", 0xFFF0, 100, results=2) == (21, SENTINEL32)


# --- handlers: the default, results, verdicts -----------------------------------


def test_results_reach_the_guest_only_on_success(probe: Module) -> None:
    def h(call: Call) -> Errno:
        call.results["time"] = 1234
        assert call.results["time"] == 1234 and call.results[0] == 1234
        return Errno.SUCCESS if call.args["id"] == 0 else Errno.INVAL

    with Config() as c:
        c.on_call("clock_time_get", h)
        with Instance(probe, c) as inst:
            assert inst.call("clock", 0, results=2) == (0, 1234)
            assert inst.call("clock", 1, results=2) == (28, SENTINEL64)


def test_call_default_fills_results_that_the_handler_may_change(probe: Module) -> None:
    seen = []

    def h(call: Call) -> Errno:
        seen.append(call.errno)  # None: no default yet
        e = call.call_default()
        seen.append((e, call.errno, call.results["time"]))
        call.results["time"] += 1
        return e

    with Config(deterministic=True) as c:
        c.on_call("clock_time_get", h)
        with Instance(probe, c) as inst:
            assert inst.call("clock", 0, results=2) == (0, WALL_2000_NS + 1)
    assert seen == [None, (Errno.SUCCESS, Errno.SUCCESS, WALL_2000_NS)]


def test_changed_arguments_reach_the_default(probe: Module) -> None:
    def h(call: Call) -> Errno:
        call.args["id"] = ClockId.MONOTONIC  # the realtime clock asked, monotonic given
        return call.call_default()

    with Config(deterministic=True) as c:
        c.on_call("clock_time_get", h)
        with Instance(probe, c) as inst:
            assert inst.call("clock", ClockId.REALTIME, results=2) == (0, 0)


def test_returning_none_is_the_default_errno(probe: Module) -> None:
    def nothing(call: Call) -> None:
        return None  # the default runs

    def after_default(call: Call) -> None:
        call.call_default()
        call.results["time"] = 42

    with Config(deterministic=True) as c:
        c.on_call("clock_time_get", nothing)
        with Instance(probe, c) as inst:
            assert inst.call("clock", 0, results=2) == (0, WALL_2000_NS)
            assert inst.call("clock", 9, results=2) == (28, SENTINEL64)  # no clock 9
        c.on_call("clock_time_get", after_default)
        with Instance(probe, c) as inst:
            assert inst.call("clock", 0, results=2) == (0, 42)


def test_call_error_is_returning_its_errno(probe: Module) -> None:
    def h(call: Call) -> Errno:
        raise CallError(Errno.PERM)

    with Config() as c:
        c.on_call("clock_time_get", h)
        with Instance(probe, c) as inst:
            assert inst.call("clock", 0, results=2) == (63, SENTINEL64)  # nothing re-raised


def test_a_handler_may_end_the_guest_with_an_exit(
    probe: Module, hostdemo: Module, box: Path
) -> None:
    def h(call: Call) -> Errno:
        call.exit(7)

    with Config() as c:
        c.on_call("clock_time_get", h)
        with Instance(probe, c) as inst, pytest.raises(wasihost.GuestExit) as e:
            inst.call("clock", 0, results=2)
        assert e.value.code == 7
    r = wasihost.run(hostdemo, ["time", "/d"], dirs={"/d": box}, handlers={"clock": h})
    assert (r.exit_code, r.stdout) == (7, b"")
    with pytest.raises(ValueError):
        wasihost.CallExit(-1)


def test_a_handler_may_trap_the_guest(probe: Module) -> None:
    def h(call: Call) -> Errno:
        call.trap("no clocks in here")

    with Config() as c:
        c.on_call("clock_time_get", h)
        with Instance(probe, c) as inst, pytest.raises(wasihost.Trap) as e:
            inst.call("clock", 0, results=2)
    assert e.value.code is TrapCode.HANDLER
    assert "no clocks in here" in e.value.message


def test_exit_and_trap_are_not_caught_by_except_exception(probe: Module) -> None:
    def h(call: Call) -> Errno:
        try:
            call.exit(3)
        except Exception:  # noqa: BLE001 - what a careless handler does
            return Errno.IO
        return Errno.SUCCESS

    with Config() as c:
        c.on_call("clock_time_get", h)
        with Instance(probe, c) as inst, pytest.raises(wasihost.GuestExit) as e:
            inst.call("clock", 0, results=2)
    assert e.value.code == 3


# --- handlers: the guest's buffers ------------------------------------------------


def test_fd_read_iovecs_are_filled_by_a_handler(probe: Module, box: Path) -> None:
    virtual_fd = 1 << 20
    lens = []

    def h(call: Call) -> Errno:
        if call.args["fd"] != virtual_fd:
            return call.call_default()
        views = call.iovecs()
        lens.append([(len(v), v.readonly) for v in views])
        call.results["nread"] = call.fill_iovecs(b"abcdefghijKLMNOP")  # 16 bytes: 12 fit
        return Errno.SUCCESS

    with Config(dirs={"/d": box}) as c:
        c.on_call("fd_read", h)
        with Instance(probe, c) as inst:
            assert inst.call("read", virtual_fd, results=2) == (0, 12)
            assert load(inst, 2000, 4) == b"abcd" and load(inst, 2100, 8) == b"efghijKL"
            # Other fds fall through to the default: hello.txt's first bytes.
            errno, fd = inst.call("open", PATH_AT, 9, results=2)
            assert inst.call("read", fd, results=2) == (0, 12)
            assert load(inst, 2000, 4) == b"hell" and load(inst, 2100, 8) == b"o, world"
    assert lens == [[(4, False), (8, False)]]


def test_fd_write_iovecs_are_read_only_and_can_be_gathered(probe: Module) -> None:
    got = []

    def h(call: Call) -> Errno:
        views = call.iovecs("iovs")
        assert [v.readonly for v in views] == [True, True]
        data = call.gather_iovecs()
        got.append(data)
        if call.args["fd"] == 2:
            return Errno.NOSPC
        call.results["nwritten"] = len(data)
        return Errno.SUCCESS

    with Config(stdout=CAPTURE, stderr=CAPTURE) as c:
        c.on_call("fd_write", h)
        with Instance(probe, c) as inst:
            assert inst.call("write", 1, results=2) == (0, 21)
            assert inst.call("write", 2, results=2) == (51, SENTINEL32)
            # The handler took the bytes: nothing reached the real stdout.
            assert inst.captured("stdout").data == b"" == inst.captured("stderr").data
    assert got == [b"written by the guest\n"] * 2


def test_too_many_iovecs_are_a_fault(probe: Module) -> None:
    def h(call: Call) -> Errno:
        call.iovecs()
        return Errno.SUCCESS

    with Config() as c:
        c.on_call("fd_read", h)
        with Instance(probe, c) as inst:
            assert inst.call("badread", 0, results=1) == 21


def test_a_buffer_argument_is_writable_and_a_path_read_only(probe: Module, box: Path) -> None:
    readonly = []

    def fill(call: Call) -> Errno:
        buf = call.buffer("buf")
        readonly.append(buf.readonly)
        buf[:] = bytes(range(len(buf)))
        return Errno.SUCCESS

    def path(call: Call) -> Errno:
        view = call.buffer("path")
        readonly.append(view.readonly)
        assert view.tobytes() == b"hello.txt"
        return Errno.NOENT

    with Config(dirs={"/d": box}) as c:
        c.on_call("random_get", fill)
        c.on_call("path_open", path)
        with Instance(probe, c) as inst:
            assert inst.call("random", 16, results=1) == 0
            assert load(inst, 3000, 16) == bytes(range(16))
            assert inst.call("open", PATH_AT, 9, results=2) == (44, SENTINEL32)
    assert readonly == [False, True]


def test_guest_memory_is_a_writable_view(probe: Module, box: Path) -> None:
    def h(call: Call) -> Errno:
        mem = call.memory
        at, n = call.args["path"], call.args["path_len"]
        assert mem[at : at + n] == b"hello.txt"
        mem[at : at + 5] = b"HELLO"
        return Errno.NOENT

    with Config(dirs={"/d": box}) as c:
        c.on_call("path_open", h)
        with Instance(probe, c) as inst:
            assert inst.call("open", PATH_AT, 9, results=2) == (44, SENTINEL32)
            assert load(inst, PATH_AT, 9) == b"HELLO.txt"


def test_a_call_and_its_views_end_with_the_handler(probe: Module) -> None:
    kept: list[Any] = []

    def h(call: Call) -> Errno:
        kept.extend([call, call.memory, call.args])
        assert not call.closed
        return call.call_default()

    with Config() as c:
        c.on_call("clock_time_get", h)
        with Instance(probe, c) as inst:
            inst.call("clock", 1, results=2)
    call, memory, args = kept
    assert call.closed and repr(call) == "<wasihost.Call (over)>"
    with pytest.raises(ValueError, match="the call is over"):
        _ = call.name
    with pytest.raises(ValueError, match="the call is over"):
        args["id"]
    with pytest.raises(ValueError, match="released"):
        memory[0]


# --- handlers that fail -------------------------------------------------------------


def open_twice(hostdemo: Module, box: Path, handler: Any, **kw: Any) -> tuple[BaseException, bytes]:
    """Runs hostdemo open /d/hello.txt /d/secret.key with ``handler`` on path_open."""
    config = Config(
        args=["hostdemo", "open", "/d/hello.txt", "/d/secret.key"],
        dirs={"/d": box},
        stdout=CAPTURE,
    )
    with config:
        config.on_call("path_open", handler, **kw)
        with Instance(hostdemo, config) as inst:
            with pytest.raises(BaseException) as e:
                inst.run()
            return e.value, inst.captured("stdout").data


def test_an_exception_traps_the_guest_and_is_raised_after_the_run(
    hostdemo: Module, box: Path
) -> None:
    calls = []

    def h(call: Call) -> Errno:
        calls.append(call.path)
        raise LookupError("policy database is down")

    exc, out = open_twice(hostdemo, box, h)
    assert isinstance(exc, LookupError) and str(exc) == "policy database is down"
    assert (calls, out) == ([b"hello.txt"], b"")  # the guest stopped at its first open


def test_on_error_chooses_the_errno_instead(hostdemo: Module, box: Path) -> None:
    calls = []

    def h(call: Call) -> Errno:
        calls.append(call.path)
        raise LookupError(f"fails on {call.path!r}")

    exc, out = open_twice(hostdemo, box, h, on_error=Errno.NOSYS)
    # The guest went on; the first exception is raised after the run.
    assert isinstance(exc, LookupError) and str(exc) == "fails on b'hello.txt'"
    assert calls == [b"hello.txt", b"secret.key"]
    assert out == (
        b"/d/hello.txt: error Function not implemented\n"
        b"/d/secret.key: error Function not implemented\n"
    )


@pytest.mark.parametrize("value", [True, 77, -1, "success", 1.0, Errno, object()])
def test_a_return_value_that_is_no_errno_is_a_failure(
    probe: Module, hostdemo: Module, box: Path, value: Any
) -> None:
    exc, out = open_twice(hostdemo, box, lambda call: value)
    assert isinstance(exc, TypeError) and "the handler of path_open returned" in str(exc)
    assert out == b""
    records: list[TraceRecord] = []
    with Config() as c:
        c.on_call("clock_time_get", lambda call: value, on_error=Errno.IO)
        c.set_trace(records.append)
        with Instance(probe, c) as inst, pytest.raises(TypeError):
            inst.call("clock", 0, results=2)
    assert [(r.name, r.errno) for r in records] == [("clock_time_get", Errno.IO)]


def test_base_exceptions_from_handlers_are_raised_after_the_run(probe: Module) -> None:
    def h(call: Call) -> Errno:
        raise KeyboardInterrupt

    with Config() as c:
        c.on_call("clock_time_get", h)
        with Instance(probe, c) as inst, pytest.raises(KeyboardInterrupt):
            inst.call("clock", 0, results=2)


def test_a_handler_cannot_reenter_the_running_instance(probe: Module) -> None:
    instances: list[Instance] = []

    def h(call: Call) -> Errno:
        instances[0].call("load8", 0, results=1)
        return Errno.SUCCESS

    with Config() as c:
        c.on_call("clock_time_get", h)
        with Instance(probe, c) as inst:
            instances.append(inst)
            with pytest.raises(RuntimeError, match="in use by a call in progress"):
                inst.call("clock", 0, results=2)


@pytest.mark.parametrize(
    "on_error, error",
    [
        (0, ValueError),
        (77, ValueError),
        ("ignore", ValueError),
        (True, TypeError),
        (None, TypeError),
    ],
)
def test_on_error_is_checked(on_error: Any, error: type[Exception]) -> None:
    with Config() as c, pytest.raises(error):
        c.on_call("path_open", lambda call: None, on_error=on_error)


# --- registering, replacing, removing, sharing ---------------------------------------


@pytest.mark.parametrize(
    "calls, error",
    [
        ("bogus", "unknown call or group `bogus`"),
        ("fs,path_opn", "path_opn"),
        ("", "empty"),
        (",", "empty"),
        (["clock", "nope"], "nope"),
    ],
)
def test_unknown_calls_are_refused(calls: Any, error: str) -> None:
    with Config() as c, pytest.raises(wasihost.InvalidArgumentError, match=error):
        c.on_call(calls, lambda call: None)


@pytest.mark.parametrize("calls", [5, b"path_open", None, [b"fd"], ["fd", 3]])
def test_calls_must_be_text(calls: Any) -> None:
    with Config() as c, pytest.raises(TypeError):
        c.on_call(calls, lambda call: None)


def test_handler_must_be_callable() -> None:
    with Config() as c, pytest.raises(TypeError, match="callable"):
        c.on_call("path_open", "deny")


def test_groups_lists_replacing_and_removing(probe: Module) -> None:
    seen: list[str] = []

    def h(call: Call) -> None:
        seen.append(call.name)

    def run_probe(c: Config) -> list[str]:
        seen.clear()
        with Instance(probe, c) as inst:
            inst.call("clock", 0, results=2)
            inst.call("random", 4, results=1)
            inst.call("write", 99, results=2)  # fd_write to a bad fd: badf
        return list(seen)

    with Config() as c:
        c.on_call(["clock", "random_get"], h)
        assert run_probe(c) == ["clock_time_get", "random_get"]
        c.on_call("all", h)
        assert run_probe(c) == ["clock_time_get", "random_get", "fd_write"]
        c.on_call("clock_time_get", None)  # removes one call's handler
        assert run_probe(c) == ["random_get", "fd_write"]
        c.on_call("all", None)
        assert run_probe(c) == []


def test_the_decorator_form(probe: Module) -> None:
    with Config() as c:

        @c.on_call("clock_time_get", on_error=Errno.IO)
        def deny(call: Call) -> Errno:
            return Errno.ACCES

        assert callable(deny) and deny(None) is Errno.ACCES  # the function itself
        with Instance(probe, c) as inst:
            assert inst.call("clock", 0, results=2) == (2, SENTINEL64)


def test_an_instance_keeps_the_handlers_it_was_made_with(probe: Module) -> None:
    with Config(deterministic=True) as c:
        before = Instance(probe, c)
        c.on_call("clock_time_get", lambda call: Errno.ACCES)
        with before, Instance(probe, c) as after:
            assert before.call("clock", 0, results=2) == (0, WALL_2000_NS)
            assert after.call("clock", 0, results=2) == (2, SENTINEL64)


def test_one_handler_serves_instances_on_several_threads(probe: Module) -> None:
    lock = threading.Lock()
    counts: dict[int, int] = {}
    instances: set[int] = set()

    def h(call: Call) -> Errno:
        with lock:
            counts[threading.get_ident()] = counts.get(threading.get_ident(), 0) + 1
        return call.call_default()

    def trace(record: TraceRecord) -> None:
        with lock:
            instances.add(record.instance)

    with Config(deterministic=True) as c:
        c.on_call("clock_time_get", h)
        c.set_trace(trace, filter="clock_time_get")

        def one(k: int) -> list[tuple[int, int]]:
            out = []
            for _ in range(2):
                with Instance(probe, c) as inst:
                    out += [inst.call("clock", 0, results=2) for _ in range(25)]
            return out

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(one, range(4), timeout=300))
    assert all(r == [(0, WALL_2000_NS)] * 50 for r in results)
    assert sum(counts.values()) == 200
    assert len(instances) == 8  # every instance has its own number


def test_a_closed_config_takes_no_handler_and_keeps_nothing() -> None:
    c = Config()
    c.close()
    before = len(_callbacks._registry)
    for register in (
        lambda: c.on_call("path_open", lambda call: None),
        lambda: c.set_trace(lambda record: None),
        lambda: c.set_clock(lambda clock_id: 0),
        lambda: c.set_random(lambda n: b"\0" * n),
    ):
        with pytest.raises(ValueError, match="closed"):
            register()
    assert len(_callbacks._registry) == before


def test_handlers_are_released_after_the_last_user(probe: Module) -> None:
    class Handler:
        def __call__(self, call: Call) -> None:
            return None

    h = Handler()
    ref = weakref.ref(h)
    c = Config()
    c.on_call("clock_time_get", h)
    inst = Instance(probe, c)
    del h
    c.close()
    gc.collect()
    assert ref() is not None  # the instance still uses it
    inst.close()
    gc.collect()
    assert ref() is None


def test_a_failed_registration_keeps_nothing() -> None:
    before = len(_callbacks._registry)
    with Config() as c, pytest.raises(wasihost.InvalidArgumentError):
        c.set_trace(lambda record: None, filter="nope")
    assert len(_callbacks._registry) == before


# --- the trace ------------------------------------------------------------------------


def test_trace_to_a_file(hostdemo: Module, box: Path, tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    r = wasihost.run(hostdemo, ["open", "/d/hello.txt", "/d/nope"], dirs={"/d": box}, trace=trace)
    assert r.stdout == b"/d/hello.txt: 12 bytes\n/d/nope: error No such file or directory\n"
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    opens = [x for x in lines if x["call"] == "path_open"]
    assert [(x["args"]["path"], x["errno"]) for x in opens] == [
        ("hello.txt", "success"),
        ("nope", "noent"),
    ]
    assert opens[0]["args"]["dirflags"] == ["symlink_follow"] and opens[1]["results"] == {}
    assert {"fd_read", "fd_write", "fd_close"} <= {x["call"] for x in lines}
    assert len({x["instance"] for x in lines}) == 1
    assert all(isinstance(x["ns"], int) for x in lines)


def test_trace_filter(hostdemo: Module, box: Path, tmp_path: Path) -> None:
    for filter_, calls in (
        ("path_open", {"path_open"}),
        (["fd_read", "path_open"], {"fd_read", "path_open"}),
        ("path,fd_close", {"path_open", "fd_close"}),
    ):
        trace = tmp_path / "trace.jsonl"
        wasihost.run(
            hostdemo, ["open", "/d/hello.txt"], dirs={"/d": box}, trace=trace, trace_filter=filter_
        )
        assert {json.loads(x)["call"] for x in trace.read_text().splitlines()} == calls


def test_trace_to_a_callable(hostdemo: Module, box: Path) -> None:
    records: list[TraceRecord] = []
    during: list[Any] = []

    def trace(record: TraceRecord) -> None:
        records.append(record)
        call = record.call
        if record.name == "path_open":
            during.append((call.path, call.args["fd"], call.errno))
            with pytest.raises(ValueError, match="traced call cannot be changed"):
                call.args["fd"] = 4
            with pytest.raises(ValueError, match="traced call cannot be changed"):
                call.results["opened_fd"] = 4
            assert call.call_default() is Errno.NOSYS
            assert call.memory.readonly and call.buffer("path").readonly

    r = wasihost.run(
        hostdemo,
        ["random", "/d/nope", "4"],
        dirs={"/d": box},
        trace=trace,
        trace_filter="path_open,proc_exit",
    )
    assert r.exit_code == 2
    open_, exit_ = records
    assert (open_.name, open_.errno, open_.exit_code, open_.trap) == (
        "path_open",
        Errno.NOENT,
        None,
        None,
    )
    assert open_.args["path"] == "nope" and open_.results == {}
    assert json.loads(open_.json) == open_.as_dict() and open_.as_dict()["errno"] == "noent"
    assert (exit_.name, exit_.errno, exit_.exit_code) == ("proc_exit", None, 2)
    assert exit_.as_dict()["exit"] == 2 and exit_.args == {"rval": 2}
    assert open_.instance == exit_.instance >= 1 and open_.duration_ns >= 0
    assert during == [(b"nope", 3, Errno.NOENT)]
    assert open_.call.closed  # over with the callback


def test_the_trace_shows_what_handlers_chose(hostdemo: Module, box: Path) -> None:
    records: list[TraceRecord] = []

    def deny(call: Call) -> Errno | None:
        if call.path.endswith(b".key"):
            return Errno.ACCES
        if call.path == b"boom":
            call.trap("no booms")
        return None

    r = wasihost.run(
        hostdemo,
        ["open", "/d/hello.txt", "/d/secret.key"],
        dirs={"/d": box},
        handlers={"path_open": deny},
        trace=records.append,
        trace_filter="path_open",
    )
    assert r.stdout == b"/d/hello.txt: 12 bytes\n/d/secret.key: error Permission denied\n"
    assert [(x.name, x.errno) for x in records] == [
        ("path_open", Errno.SUCCESS),
        ("path_open", Errno.ACCES),
    ]
    assert records[0].results["opened_fd"] >= 4
    records.clear()
    with pytest.raises(wasihost.Trap, match="no booms"):
        wasihost.run(
            hostdemo,
            ["open", "/d/boom"],
            dirs={"/d": box},
            handlers={"path_open": deny},
            trace=records.append,
            trace_filter="path_open",
        )
    assert [(x.name, x.errno, x.exit_code, x.trap) for x in records] == [
        ("path_open", None, None, "no booms")
    ]


def test_trace_to_file_objects(hostdemo: Module, box: Path) -> None:
    for sink in (io.StringIO(), io.BytesIO()):
        wasihost.run(
            hostdemo, ["open", "/d/hello.txt"], dirs={"/d": box}, trace=sink, trace_filter="path"
        )
        text = sink.getvalue()
        lines = (text.decode() if isinstance(text, bytes) else text).splitlines()
        assert [json.loads(x)["call"] for x in lines] == ["path_open"]


def test_an_exception_in_a_trace_callback_is_raised_after_the_run(
    hostdemo: Module, box: Path
) -> None:
    config = Config(args=["hostdemo", "open", "/d/hello.txt"], dirs={"/d": box}, stdout=CAPTURE)

    def trace(record: TraceRecord) -> None:
        raise RuntimeError(f"cannot log {record.name}")

    with config:
        config.set_trace(trace, filter="path_open")
        with Instance(hostdemo, config) as inst:
            with pytest.raises(RuntimeError, match="cannot log path_open"):
                inst.run()
            # The guest did not notice.
            assert inst.captured("stdout").data == b"/d/hello.txt: 12 bytes\n"


def test_set_trace_none_removes_it(hostdemo: Module, box: Path) -> None:
    records: list[TraceRecord] = []
    with Config(args=["hostdemo", "open", "/d/hello.txt"], dirs={"/d": box}) as c:
        c.set_trace(records.append)
        c.set_trace(None)
        with Instance(hostdemo, c) as inst:
            inst.run()
    assert records == []


def test_trace_errors(tmp_path: Path) -> None:
    with Config() as c:
        with pytest.raises(wasihost.InvalidArgumentError, match="bogus"):
            c.set_trace(tmp_path / "t.jsonl", filter="fs,bogus")
        assert not (tmp_path / "t.jsonl").exists()  # refused before it was created
        with pytest.raises(wasihost.ConfigError, match="no/such"):
            c.set_trace(tmp_path / "no" / "such" / "t.jsonl")
        with pytest.raises(TypeError):
            c.set_trace(42)
    with pytest.raises(ValueError, match="trace_filter needs trace"):
        Config(trace_filter="fs")
    with pytest.raises(ValueError, match="trace_filter needs trace"):
        wasihost.run(b"(module)", trace_filter="fs")


# --- deterministic mode, clocks, random --------------------------------------------


def test_deterministic_runs_print_the_same(hostdemo: Module, box: Path) -> None:
    def once(seed: Any) -> bytes:
        out = wasihost.run(hostdemo, ["time", "/d"], dirs={"/d": box}, deterministic=seed).stdout
        assert out is not None
        return out

    first = once(7)
    assert first == once(7)
    lines = first.decode().splitlines()
    assert lines[:3] == [
        "wall: 946684800 s",
        "monotonic: 0 ns",
        "monotonic after sleeping 1.5 s: 1500000000 ns (+1500000000)",
    ]
    assert lines[3].startswith("random: ") and sorted(lines[4:]) == [
        "entry: hello.txt",
        "entry: secret.key",
    ]
    assert once(8) != first and once(True) == once(0)
    assert b"wall: 946684800 s" not in once(None)  # the real clock


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (2**64, ValueError), ("1", TypeError)])
def test_bad_seeds(seed: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        Config(deterministic=seed)
    with pytest.raises(error):
        wasihost.run(b"(module)", deterministic=seed)


def test_embedder_clock(hostdemo: Module, box: Path) -> None:
    asked: list[Any] = []
    slept: list[int] = []
    mono = [10]

    def now(clock_id: ClockId) -> int:
        asked.append(clock_id)
        return 5 * 10**9 + 123 if clock_id is ClockId.REALTIME else mono[0]

    def sleep(ns: int) -> None:
        slept.append(ns)
        mono[0] += ns  # a virtual clock: no real wait

    with Config(args=["hostdemo", "time", "/d"], dirs={"/d": box}, stdout=CAPTURE) as c:
        c.set_clock(now, sleep)
        with Instance(hostdemo, c) as inst:
            assert inst.run() == 0
            lines = inst.captured().data.decode().splitlines()
    assert lines[:3] == [
        "wall: 5 s",
        "monotonic: 10 ns",
        "monotonic after sleeping 1.5 s: 1500000010 ns (+1500000000)",
    ]
    assert slept == [1_500_000_000]
    assert ClockId.REALTIME in asked and all(isinstance(a, ClockId) for a in asked)


def test_clock_errors(probe: Module) -> None:
    def now(clock_id: ClockId) -> Any:
        if clock_id is ClockId.PROCESS_CPUTIME_ID:
            raise CallError(Errno.INVAL)
        if clock_id is ClockId.THREAD_CPUTIME_ID:
            raise RuntimeError("clock broke")
        return {ClockId.REALTIME: "noon", ClockId.MONOTONIC: -1}[clock_id]

    with Config() as c:
        c.set_clock(now)
        with Instance(probe, c) as inst:
            assert inst.call("clock", 2, results=2) == (28, SENTINEL64)
            with pytest.raises(RuntimeError, match="clock broke"):
                inst.call("clock", 3, results=2)
            with pytest.raises(TypeError, match="int of nanoseconds"):
                inst.call("clock", 0, results=2)
            with pytest.raises(ValueError, match="-1"):
                inst.call("clock", 1, results=2)
        with pytest.raises(TypeError):
            c.set_clock(5)
        with pytest.raises(TypeError):
            c.set_clock(now, sleep=5)


def test_embedder_random(probe: Module, hostdemo: Module, box: Path) -> None:
    with Config() as c:
        c.set_random(lambda n: b"\xab" * n)
        with Instance(probe, c) as inst:
            assert inst.call("random", 16, results=1) == 0
            assert load(inst, 3000, 16) == b"\xab" * 16
    # Replaces the seed of deterministic mode, not its clock.
    r = wasihost.run(hostdemo, ["time", "/d"], dirs={"/d": box}, deterministic=True, stdout=CAPTURE)
    with Config(args=["hostdemo", "time", "/d"], dirs={"/d": box}, stdout=CAPTURE) as c:
        c.set_deterministic(0)
        c.set_random(lambda n: bytes(range(n)))
        with Instance(hostdemo, c) as inst:
            inst.run()
            out = inst.captured().data
    assert r.stdout is not None
    assert out.splitlines()[:3] == r.stdout.splitlines()[:3]
    assert b"random: 0001020304050607\n" in out


def test_random_errors(probe: Module) -> None:
    sources: list[Callable[[int], Any]] = [
        lambda n: b"short",
        lambda n: "text",
    ]
    errors = [ValueError, TypeError]
    for source, error in zip(sources, errors, strict=True):
        with Config() as c:
            c.set_random(source)
            with Instance(probe, c) as inst, pytest.raises(error):
                inst.call("random", 16, results=1)

    def nosys(n: int) -> bytes:
        raise CallError(Errno.NOSYS)

    with Config() as c:
        c.set_random(nosys)
        with Instance(probe, c) as inst:
            assert inst.call("random", 16, results=1) == 52


# --- stdio callbacks choose an errno ------------------------------------------------------


def test_a_write_callback_chooses_the_errno(pyguest: Module) -> None:
    def full(data: bytes) -> None:
        raise CallError(Errno.NOSPC)

    def returns(data: bytes) -> Errno:
        return Errno.PIPE

    class File(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            raise CallError(Errno.DQUOT)

    for sink, errno in ((full, 51), (returns, 64), (File(), 19)):
        r = wasihost.run(pyguest, ["writes"], stdout=sink)  # nothing raised
        assert r.stderr == b"".join(b"write %d errno=%d\n" % (k, errno) for k in (1, 2, 3))


def test_a_read_callback_chooses_the_errno(pyguest: Module) -> None:
    def again(n: int) -> bytes:
        raise CallError(Errno.AGAIN)

    for source in (again, lambda n: Errno.AGAIN):
        r = wasihost.run(pyguest, ["readerr"], stdin=source)
        assert r.stderr == b"read errno=6 n=0\n"


# --- run() ------------------------------------------------------------------------------


def test_run_takes_handlers(hostdemo: Module, box: Path) -> None:
    def deny(call: Call) -> Errno:
        return Errno.ACCES if call.path.endswith(b".key") else call.call_default()

    r = wasihost.run(
        hostdemo,
        ["open", "/d/hello.txt", "/d/secret.key"],
        dirs={"/d": box},
        handlers={"path_open": deny},
    )
    assert r.stdout == b"/d/hello.txt: 12 bytes\n/d/secret.key: error Permission denied\n"

    def broken(call: Call) -> Errno:
        raise ZeroDivisionError("policy")

    with pytest.raises(ZeroDivisionError, match="policy"):
        wasihost.run(hostdemo, ["open", "/d/hello.txt"], dirs={"/d": box}, handlers={"fs": broken})


@pytest.mark.parametrize(
    "handlers, error",
    [
        ([("path_open", lambda call: None)], TypeError),
        ({"path_open": 5}, TypeError),
        ({5: lambda call: None}, TypeError),
        ({"bogus": lambda call: None}, wasihost.InvalidArgumentError),
    ],
)
def test_run_checks_handlers(handlers: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        wasihost.run(b"(module)", handlers=handlers)


def test_calls_and_trace_records_carry_the_instance_number(probe: Module) -> None:
    seen: list[tuple[str, int]] = []
    with Config() as c:
        c.on_call("clock_time_get", lambda call: seen.append(("call", call.instance)))
        c.set_trace(lambda record: seen.append(("trace", record.instance)))
        with Instance(probe, c) as one, Instance(probe, c) as two:
            numbers = one.number, two.number
            two.call("clock", 0, results=2)
            one.call("clock", 0, results=2)
    assert 1 <= numbers[0] < numbers[1]
    assert seen == [
        ("call", numbers[1]),
        ("trace", numbers[1]),
        ("call", numbers[0]),
        ("trace", numbers[0]),
    ]


def test_a_trace_callback_cannot_end_the_guest(hostdemo: Module, box: Path) -> None:
    def trace(record: TraceRecord) -> None:
        record.call.exit(3)

    with pytest.raises(RuntimeError, match="only a call handler") as e:
        wasihost.run(hostdemo, ["open", "/d/hello.txt"], dirs={"/d": box}, trace=trace)
    assert isinstance(e.value.__cause__, wasihost.CallExit)


def test_fd_prestat_get_reads_as_a_structure(hostdemo: Module, box: Path) -> None:
    seen = []

    def h(call: Call) -> Errno:
        e = call.call_default()
        if e is Errno.SUCCESS:
            raw = call.result_buffer("prestat").tobytes()
            seen.append((call.results["prestat"], raw))
            with pytest.raises(TypeError, match="structure"):
                call.results["prestat"] = 5
        return e

    wasihost.run(hostdemo, ["open", "/d/x"], dirs={"/d": box}, handlers={"fd_prestat_get": h})
    # One preopen: tag 0 (a directory), its name "/d" is 2 bytes long.
    layout = bytes([0, 0, 0, 0, 2, 0, 0, 0])
    assert seen == [(layout, layout)]
