"""Every public entry point checks its arguments at the call (wasihost._validate).

Nothing unchecked reaches ctypes, which would wrap an integer too large
for its C type (2**64 + 5 as a size_t is 5) or turn an int into bytes
(bytes(5) is five NUL bytes). The guests used here exit at once, so a
check that is missing makes a test fail, never hang.
"""

from __future__ import annotations

import ctypes
import math
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import pytest

import wasihost
from wasihost import Capture, Config, Instance, Module
from wasihost import cli as wasihost_cli

SIZE_MAX = (1 << (8 * ctypes.sizeof(ctypes.c_size_t))) - 1

ADD_WAT = """(module
  (func (export "add") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1))))"""


class Index:
    """An integer-like object that is not an int (as numpy's integers)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __index__(self) -> int:
        return self.n


# --- run(): args ---------------------------------------------------------------


@pytest.mark.parametrize("args", ["abc", b"abc", bytearray(b"abc"), Path("abc")])
def test_run_refuses_one_string_as_args(pyguest: Module, args: Any) -> None:
    # As Config(args="abc"): not split into ["a", "b", "c"].
    with pytest.raises(TypeError, match="args is a list"):
        wasihost.run(pyguest, args)
    with pytest.raises(TypeError, match="args is a list"):
        Config(args=args)


@pytest.mark.parametrize("args", [5, {"args": "x"}, [1], ["args", None]])
def test_run_refuses_args_that_are_not_a_list_of_text(pyguest: Module, args: Any) -> None:
    with pytest.raises(TypeError, match=r"args"):
        wasihost.run(pyguest, args)


def test_run_args_as_any_iterable_of_text(pyguest: Module) -> None:
    out = b"argv[0]=p\nargv[1]=args\nargv[2]=b\n"
    assert wasihost.run(pyguest, iter(["args", b"b"]), argv0="p").stdout == out
    assert wasihost.run(pyguest, ("args", Path("b")), argv0="p").stdout == out
    assert wasihost.run(pyguest, None, argv0="p").stdout == b""  # no mode: exit 2


# --- run(): timeout ------------------------------------------------------------


@pytest.mark.parametrize(
    "timeout, error",
    [
        ("1", TypeError),
        (b"1", TypeError),
        (True, TypeError),
        (False, TypeError),
        ([1], TypeError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        (-math.inf, ValueError),
        (-1, ValueError),
        (-0.5, ValueError),
        (0, ValueError),
        (0.0, ValueError),
        (1e300, OverflowError),  # beyond threading.TIMEOUT_MAX (and the C API's u64 ns)
        (2**2000, OverflowError),  # beyond any float
    ],
)
def test_run_refuses_bad_timeouts(pyguest: Module, timeout: Any, error: type) -> None:
    # None of these may reach the C API: wrapped or rounded to 0 ns, a
    # timeout would mean none (a guest that spins would run forever).
    with pytest.raises(error, match="timeout"):
        wasihost.run(pyguest, ["exit", "0"], timeout=timeout)


@pytest.mark.parametrize("timeout", [30, 30.0, Fraction(61, 2), None])
def test_run_takes_numeric_timeouts(pyguest: Module, timeout: Any) -> None:
    assert wasihost.run(pyguest, ["exit", "3"], timeout=timeout).exit_code == 3


def test_a_valid_timeout_still_stops_a_spinning_guest(pyguest: Module) -> None:
    with pytest.raises(wasihost.Interrupted):
        wasihost.run(pyguest, ["spin"], timeout=Fraction(1, 5))


# --- run(): integers for the C types ------------------------------------------


@pytest.mark.parametrize(
    "limit, error",
    [
        (2**64 + 10, OverflowError),  # wrapped to a 10-byte capture before the check
        (SIZE_MAX + 1, OverflowError),
        (-1, ValueError),
        (True, TypeError),
        (1.5, TypeError),
        ("10", TypeError),
    ],
)
def test_run_refuses_bad_capture_limits(pyguest: Module, limit: Any, error: type) -> None:
    with pytest.raises(error, match="capture_limit"):
        wasihost.run(pyguest, ["big", "100"], capture_limit=limit)


def test_run_capture_limit_in_range(pyguest: Module) -> None:
    r = wasihost.run(pyguest, ["big", "100"], capture_limit=Index(10))
    assert (r.stdout, r.stdout_truncated) == (b"x" * 10, True)
    r = wasihost.run(pyguest, ["big", "100"], capture_limit=0)
    assert (r.stdout, r.stdout_truncated) == (b"", True)


@pytest.mark.parametrize(
    "n, error",
    [
        (2**64 + 5, OverflowError),  # wrapped to 5 before the check
        (SIZE_MAX + 1, OverflowError),
        (-1, ValueError),
        (True, TypeError),  # not 1
        (8.0, TypeError),
        ("8", TypeError),
    ],
)
def test_run_refuses_bad_max_open_fds(
    pyguest: Module, tmp_path: Path, n: Any, error: type
) -> None:
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(error, match="max_open_fds"):
        wasihost.run(pyguest, ["openmany", "/d/f"], dirs={"/d": tmp_path}, max_open_fds=n)
    with pytest.raises(error, match="max_open_fds"):
        Config(max_open_fds=n)
    with Config() as c, pytest.raises(error, match="max_open_fds"):
        c.set_max_open_fds(n)


def test_max_open_fds_up_to_size_max(pyguest: Module, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"")
    r = wasihost.run(pyguest, ["openmany", "/d/f"], dirs={"/d": tmp_path}, max_open_fds=Index(8))
    assert r.stdout == b"opened 4 errno=33\n"  # 8 - stdio - the preopen; emfile
    with Config(max_open_fds=SIZE_MAX):
        pass


@pytest.mark.parametrize(
    "fd, error",
    [(2**32, OverflowError), (2**31, OverflowError), (2**64 + 1, OverflowError), (-1, ValueError)],
)
def test_fds_must_fit_a_c_int(pyguest: Module, fd: int, error: type) -> None:
    # 2**32 used to wrap to fd 0 (the process's stdin), 2**32 + 1 to fd 1.
    with pytest.raises(error, match="stdin"):
        wasihost.run(pyguest, ["exit", "0"], stdin=fd)
    for name in ("stdout", "stderr"):
        with pytest.raises(error, match=name):
            wasihost.run(pyguest, ["exit", "0"], **{name: fd + 1 if fd >= 0 else fd})
    with Config() as c:
        with pytest.raises(error, match="stdin"):
            c.set_stdin(fd)
        with pytest.raises(error, match="stdout"):
            c.set_stdout(fd)


@pytest.mark.parametrize("flag", [True, False])
def test_bools_are_not_fds(flag: bool) -> None:
    with Config() as c:
        for setter in (c.set_stdin, c.set_stdout, c.set_stderr):
            with pytest.raises(TypeError, match="bool"):
                setter(flag)


# --- run(): the other arguments -----------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"inherit_env": "no"}, "inherit_env"),  # a non-empty str is true: it inherited
        ({"inherit_env": 1}, "inherit_env"),
        ({"check": "yes"}, "check"),
        ({"env": [("A", "1")]}, "env"),
        ({"env": {"A": 1}}, "env"),
        ({"env": {1: "x"}}, "env name"),
        ({"dirs": [5]}, r"dirs\[0\]"),
        ({"dirs": [("/tmp", "/d", "x")]}, r"dirs\[0\]"),
        ({"dirs": 5}, "dirs"),
        ({"ro_dirs": "/tmp"}, "ro_dirs"),
        ({"ro_dirs": [("/tmp", 5)]}, r"ro_dirs\[0\]: guest_path"),
        ({"argv0": 5}, "argv0"),
        ({"cache": 1}, "cache"),
        ({"cache": None}, "cache"),
        ({"engine": "default"}, "engine"),
        ({"cache_allow_shared": "yes"}, "cache_allow_shared"),  # even without cache=
    ],
)
def test_run_refuses_wrong_types(pyguest: Module, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(TypeError, match=match):
        wasihost.run(pyguest, ["exit", "0"], **kwargs)


@pytest.mark.parametrize("wasm", [5, None, ["a.wasm"], "abc".encode().decode])
def test_run_refuses_a_wasm_of_the_wrong_type(wasm: Any) -> None:
    with pytest.raises(TypeError, match="wasm"):
        wasihost.run(wasm)


def test_bad_arguments_are_refused_before_compiling(tmp_path: Path) -> None:
    # A missing module file would raise FileNotFoundError when loaded: the
    # argument checks come first (and a bad stdio setting before compiling).
    missing = tmp_path / "missing.wasm"
    with pytest.raises(TypeError, match="timeout"):
        wasihost.run(missing, timeout="1")
    with pytest.raises(TypeError, match="stdout"):
        wasihost.run(missing, stdout=b"bytes")


# --- Capture, Config -----------------------------------------------------------


@pytest.mark.parametrize(
    "limit, error",
    [
        (-1, ValueError),
        (2**64, OverflowError),
        ("1", TypeError),
        (1.0, TypeError),
        (False, TypeError),
    ],
)
def test_capture_checks_its_limit_when_made(limit: Any, error: type) -> None:
    with pytest.raises(error, match="limit"):
        Capture(limit)


def test_capture_limit_up_to_size_max() -> None:
    assert Capture(SIZE_MAX).limit == SIZE_MAX
    limit = Capture(Index(5)).limit
    assert limit == 5 and type(limit) is int
    with Config(stdout=Capture(SIZE_MAX)):
        pass


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"inherit_env": "yes"}, TypeError, "inherit_env"),
        ({"inherit_env": None}, TypeError, "inherit_env"),
        ({"env": [("A", "1")]}, TypeError, "env"),
        ({"env": {"A": None}}, TypeError, "env"),
        ({"dirs": [["/tmp", "/d"]]}, TypeError, r"dirs\[0\]"),  # a pair is a tuple
        ({"dirs": "/tmp::/d"}, TypeError, "dirs"),
        ({"dirs": ["::/d"]}, ValueError, r"dirs\[0\].*HOST::GUEST"),
        ({"ro_dirs": {"/d": 5}}, TypeError, r"ro_dirs\['/d'\]: host_path"),
        ({"args": [b"ok", 3]}, TypeError, r"args\[1\]"),
        ({"args": 3}, TypeError, "args"),
        ({"stdin": True}, TypeError, "stdin"),
    ],
)
def test_config_refuses_wrong_types(kwargs: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Config(**kwargs)


def test_config_methods_name_the_bad_argument(tmp_path: Path) -> None:
    with Config() as c:
        with pytest.raises(TypeError, match="arg"):
            c.push_arg(5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="args is a list"):
            c.push_args(b"abc")
        with pytest.raises(TypeError, match=r"env\['A'\]"):
            c.set_env("A", 1)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="env"):
            c.update_env([("A", "1")])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="name"):
            c.inherit_env(5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="guest_path"):
            c.preopen(tmp_path, 5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="readonly"):
            c.preopen(tmp_path, "/d", readonly="yes")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="append"):
            c.set_stdout(tmp_path / "out", append=1)  # type: ignore[arg-type]
        # Nothing was applied by the refused calls: the config still works.
        c.preopen(tmp_path, "/d", readonly=True).set_stdout(tmp_path / "out", append=True)


# --- Module, Engine ------------------------------------------------------------


@pytest.mark.parametrize("wasm", [5, 0, True, None, 1.5, ["x"]])
def test_modules_take_bytes_not_ints(wasm: Any, tmp_path: Path) -> None:
    # bytes(5) is b"\0" * 5: an int used to become a ModuleError (or a huge allocation).
    with pytest.raises(TypeError, match="wasm"):
        Module(wasm)
    with pytest.raises(TypeError, match="wasm"):
        Module.cached(wasm, cache_dir=tmp_path)
    with pytest.raises(TypeError, match="data"):
        Module.deserialize(wasm)
    with pytest.raises(TypeError, match="wat"):
        Module.from_wat(wasm)


def test_modules_take_any_bytes_like_object() -> None:
    import array

    with Module(memoryview(bytearray(b"(module)"))), Module.from_wat(bytearray(b"(module)")):
        pass
    with Module(array.array("B", b"(module)")):
        pass


def test_module_methods_name_the_bad_argument(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="engine"):
        Module(b"(module)", engine="default")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="engine"):
        Module.from_wat("(module)", engine=wasihost.Config)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="path"):
        Module.from_file(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cache"):
        Module.from_file(tmp_path / "x.wasm", cache=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cache_dir"):
        Module.cached(b"(module)", cache_dir=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="allow_shared_dir"):
        Module.cached(b"(module)", cache_dir=tmp_path, allow_shared_dir=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cache_allow_shared"):
        Module.from_file(tmp_path / "x.wasm", cache_allow_shared="no")  # type: ignore[arg-type]
    with Module.from_wat('(module (func (export "f")))') as m:
        assert m.has_export("f") and m.has_export(b"f") and not m.has_export("g")
        with pytest.raises(TypeError, match="name"):
            m.has_export(5)  # type: ignore[arg-type]


# --- Instance ------------------------------------------------------------------


def test_call_checks_name_and_results() -> None:
    with Module.from_wat(ADD_WAT) as m, Instance(m) as inst:
        args = (wasihost.i64(2), wasihost.i64(3))
        assert inst.call("add", *args, results=Index(1)) == 5
        assert inst.call(b"add", *args, results=1) == 5
        with pytest.raises(TypeError, match="results"):
            inst.call("add", *args, results=True)  # not 1
        with pytest.raises(TypeError, match="results"):
            inst.call("add", *args, results=1.0)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="results"):
            inst.call("add", *args, results=-1)
        with pytest.raises(OverflowError, match="results"):
            inst.call("add", *args, results=SIZE_MAX + 2)
        # More than any wasm function returns: refused before a buffer of
        # that size is allocated (2**40 values would be 16 TiB).
        with pytest.raises(ValueError, match="at most 1000"):
            inst.call("add", *args, results=2**40)
        with pytest.raises(wasihost.LinkError, match="room for 1000 results"):
            inst.call("add", *args, results=1000)
        with pytest.raises(TypeError, match="name"):
            inst.call(5, *args, results=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [wasihost.f32, wasihost.f64])
def test_float_values_take_numbers_not_strings(make: Callable[[Any], Any]) -> None:
    with pytest.raises(TypeError, match="value"):
        make("1.5")
    with pytest.raises(TypeError, match="value"):
        make(True)
    assert make(Fraction(3, 2)).value == 1.5 and make(2).value == 2.0


def test_captured_checks_the_stream(pyguest: Module) -> None:
    with Config(stdout=wasihost.CAPTURE) as c, Instance(pyguest, c) as inst:
        assert inst.captured("stdout").data == b""
        assert inst.captured(wasihost.STDOUT).data == b""
        with pytest.raises(ValueError, match="stream"):
            inst.captured("stdnothing")
        with pytest.raises(TypeError, match="stream"):
            inst.captured(True)  # not Stream(1)
        with pytest.raises(TypeError, match="stream"):
            inst.captured(None)  # type: ignore[arg-type]


# --- the command line ----------------------------------------------------------


@pytest.mark.parametrize(
    "argv, match",
    [
        ("abc", "argv is a list"),
        (b"x.wasm", "argv"),
        ([b"x.wasm"], "argv"),
        (["x.wasm", 1], "argv"),
    ],
)
def test_cli_main_refuses_one_string(argv: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        wasihost_cli.main(argv)
