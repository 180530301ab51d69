"""Each stdio mode: stdin sources, stdout/stderr sinks, captures, callbacks."""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import wasihost
from wasihost import CAPTURE, DEVNULL, INHERIT, Capture, Config, Instance, Module, _callbacks


def echo(pyguest: Module, stdin: Any, mode: str = "echo") -> bytes:
    r = wasihost.run(pyguest, [mode], stdin=stdin)
    assert r.exit_code == 0
    return r.stdout


# --- stdin --------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"bytes in", bytearray(b"bytearray in"), memoryview(b"view in")])
def test_stdin_bytes_like(pyguest: Module, data: Any) -> None:
    assert echo(pyguest, data) == bytes(data)


def test_stdin_default_is_end_of_file(pyguest: Module) -> None:
    assert echo(pyguest, DEVNULL) == b""
    with Config(args=["p", "echo"], stdout=CAPTURE) as c, Instance(pyguest, c) as inst:
        assert inst.run() == 0 and inst.captured().data == b""


def test_stdin_path_str_and_pathlike(pyguest: Module, tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_bytes(b"from a file\n")
    assert echo(pyguest, str(f)) == b"from a file\n"
    assert echo(pyguest, f) == b"from a file\n"


def test_stdin_missing_file_fails_the_instance(pyguest: Module, tmp_path: Path) -> None:
    with Config(stdin=tmp_path / "missing") as c, pytest.raises(FileNotFoundError) as e:
        Instance(pyguest, c)
    assert isinstance(e.value, wasihost.WasiHostError)


def test_stdin_fd_is_duplicated(pyguest: Module, tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_bytes(b"via fd")
    fd = os.open(f, os.O_RDONLY)
    with Config(args=["p", "echo"], stdout=CAPTURE) as c:
        c.set_stdin(fd)
        os.close(fd)  # the library holds its own duplicate
        with Instance(pyguest, c) as inst:
            assert inst.run() == 0
            assert inst.captured().data == b"via fd"


def test_stdin_file_object_with_fileno(pyguest: Module, tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_bytes(b"via file object")
    with open(f, "rb") as fobj:
        assert echo(pyguest, fobj) == b"via file object"


def test_bytesio_round_trip(pyguest: Module) -> None:
    data = bytes(range(256)) * 1000  # larger than any one read
    src, dst = io.BytesIO(data), io.BytesIO()
    r = wasihost.run(pyguest, ["echo"], stdin=src, stdout=dst)
    assert r.exit_code == 0 and r.stdout is None
    assert dst.getvalue() == data


def test_stdin_object_with_only_read(pyguest: Module) -> None:
    class Source:
        def __init__(self) -> None:
            self.chunks = [b"ab", b"", b"cd"]  # b"" ends the input

        def read(self, n: int) -> bytes:
            return self.chunks.pop(0)

    assert echo(pyguest, Source()) == b"ab"


def test_stdin_callable_returning_more_than_asked(pyguest: Module) -> None:
    parts = [b"x" * 100_000, b"tail"]
    assert echo(pyguest, lambda n: parts.pop(0) if parts else b"") == b"x" * 100_000 + b"tail"


def test_stdin_text_stream_is_utf8(pyguest: Module) -> None:
    assert echo(pyguest, io.StringIO("héllo ünï\n"), "upper") == "HéLLO üNï\n".encode()


def test_stdin_callback_that_raises_is_reraised(pyguest: Module) -> None:
    def boom(n: int) -> bytes:
        raise LookupError("no input today")

    with (
        Config(args=["p", "readerr"], stdin=boom, stderr=CAPTURE) as c,
        Instance(pyguest, c) as inst,
    ):
        with pytest.raises(LookupError, match="no input today"):
            inst.run()
        # The guest saw an I/O error (errno 29) and went on.
        assert inst.captured("stderr").data == b"read errno=29 n=0\n"


def test_stdin_inherit(guests: dict[str, Path]) -> None:
    code = (
        "import sys, wasihost\n"
        "r = wasihost.run(sys.argv[1], ['upper'], stdin=wasihost.INHERIT)\n"
        "sys.stdout.buffer.write(r.stdout)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code, str(guests["pyguest"])],
        input=b"from the parent\n",
        capture_output=True,
        timeout=300,
        env=_child_env(),
    )
    assert p.stderr == b"" and p.returncode == 0
    assert p.stdout == b"FROM THE PARENT\n"


# --- stdout / stderr ------------------------------------------------------------


def test_output_to_a_path_truncates_or_appends(pyguest: Module, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old content that is long\n")
    for _ in range(2):
        wasihost.run(pyguest, ["echo"], stdin=b"one\n", stdout=str(out))
    assert out.read_bytes() == b"one\n"
    with Config(args=["p", "echo"], stdin=b"two\n") as c:
        c.set_stdout(out, append=True)
        for _ in range(2):
            with Instance(pyguest, c) as inst:
                inst.run()
    assert out.read_bytes() == b"one\ntwo\ntwo\n"


def test_stderr_to_a_path(pyguest: Module, tmp_path: Path) -> None:
    err = tmp_path / "err.txt"
    r = wasihost.run(pyguest, ["stderr", "to the file"], stderr=err)
    assert r.stderr is None
    assert err.read_bytes() == b"to the file"


def test_output_to_an_fd(pyguest: Module, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT)
    try:
        wasihost.run(pyguest, ["echo"], stdin=b"through fd", stdout=fd)
    finally:
        os.close(fd)
    assert out.read_bytes() == b"through fd"


def test_output_to_a_file_object_keeps_the_order(pyguest: Module, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with open(out, "wb") as f:
        f.write(b"python first\n")  # still in Python's buffer: flushed before the guest
        wasihost.run(pyguest, ["echo"], stdin=b"guest second\n", stdout=f)
        f.write(b"python third\n")
    assert out.read_bytes() == b"python first\nguest second\npython third\n"


def test_output_to_a_callable(pyguest: Module) -> None:
    got: list[bytes] = []
    r = wasihost.run(pyguest, ["writes"], stdout=got.append)
    assert got == [b"line 1\n", b"line 2\n", b"line 3\n"]
    assert r.stderr == b"write 1 errno=0\nwrite 2 errno=0\nwrite 3 errno=0\n"


def test_output_to_a_writer_with_short_writes(pyguest: Module) -> None:
    class Trickle:
        def __init__(self) -> None:
            self.data = bytearray()

        def write(self, b: Any) -> int:
            self.data += bytes(b[:3])
            return min(3, len(b))

    t = Trickle()
    wasihost.run(pyguest, ["echo"], stdin=b"0123456789", stdout=t)
    assert bytes(t.data) == b"0123456789"


def test_writers_get_bytes(pyguest: Module) -> None:
    class Concat:
        text = b""

        def write(self, b: bytes) -> None:
            self.text += b  # bytes + bytes: a memoryview would fail here

    c = Concat()
    wasihost.run(pyguest, ["writes"], stdout=c)
    assert c.text == b"line 1\nline 2\nline 3\n"


def test_output_to_text_streams(pyguest: Module, capsys: pytest.CaptureFixture[str]) -> None:
    s = io.StringIO()
    wasihost.run(pyguest, ["echo"], stdin="ünï 日本\n".encode(), stdout=s)
    assert s.getvalue() == "ünï 日本\n"
    # sys.stdout under pytest has no real fd: its bytes go through a callback.
    wasihost.run(pyguest, ["echo"], stdin=b"to sys.stdout\n", stdout=sys.stdout)
    wasihost.run(pyguest, ["echo"], stdin=b"to sys.stdout.buffer\n", stdout=sys.stdout.buffer)
    assert capsys.readouterr().out == "to sys.stdout\nto sys.stdout.buffer\n"


def test_output_inherit(pyguest: Module, capfd: pytest.CaptureFixture[str]) -> None:
    r = wasihost.run(pyguest, ["echo"], stdin=b"to fd 1\n", stdout=INHERIT, stderr=INHERIT)
    assert (r.stdout, r.stderr) == (None, None)
    wasihost.run(pyguest, ["stderr", "to fd 2\n"], stdout=INHERIT, stderr=INHERIT)
    assert capfd.readouterr() == ("to fd 1\n", "to fd 2\n")


def test_output_devnull(pyguest: Module) -> None:
    r = wasihost.run(pyguest, ["writes"], stdout=DEVNULL)
    assert r.stdout is None
    assert r.stderr == b"write 1 errno=0\nwrite 2 errno=0\nwrite 3 errno=0\n"


def test_capture_limit_and_truncation(pyguest: Module) -> None:
    r = wasihost.run(pyguest, ["big", "10000"], stdout=Capture(4096))
    assert r.stdout == b"x" * 4096 and r.stdout_truncated and r.truncated
    assert r.stderr == b"wrote 10000\n"  # the guest's writes all succeeded
    assert not r.stderr_truncated
    r = wasihost.run(pyguest, ["big", "10000"], capture_limit=10000)
    assert r.stdout == b"x" * 10000 and not r.truncated
    with Config(args=["p", "big", "5000"], stdout=Capture(100)) as c, Instance(pyguest, c) as inst:
        inst.run()
        cap = inst.captured(wasihost.STDOUT)
        assert (cap.data, cap.total_written, cap.truncated) == (b"x" * 100, 5000, True)


def test_write_callback_that_raises_is_reraised(pyguest: Module) -> None:
    calls = []

    def boom(data: bytes) -> None:
        calls.append(data)
        raise ValueError("sink is full")

    with (
        Config(args=["p", "writes"], stdout=boom, stderr=CAPTURE) as c,
        Instance(pyguest, c) as inst,
    ):
        with pytest.raises(ValueError, match="sink is full"):
            inst.run()
        # Each write failed for the guest with errno io (29); the run went on.
        assert inst.captured("stderr").data == (
            b"write 1 errno=29\nwrite 2 errno=29\nwrite 3 errno=29\n"
        )
    assert len(calls) == 3


def test_base_exceptions_from_callbacks_are_reraised_too(pyguest: Module) -> None:
    def stop(data: bytes) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        wasihost.run(pyguest, ["writes"], stdout=stop)


def test_a_failed_callback_does_not_leak_into_the_next_run(pyguest: Module) -> None:
    fail = [True]

    def flaky(data: bytes) -> None:
        if fail[0]:
            raise OSError("once")

    with Config(args=["p", "writes"], stdout=flaky) as c:
        with Instance(pyguest, c) as inst, pytest.raises(OSError):
            inst.run()
        fail[0] = False
        with Instance(pyguest, c) as inst:
            assert inst.run() == 0


def test_callbacks_stay_alive_while_the_library_needs_them(pyguest: Module) -> None:
    got = []
    before = len(_callbacks._registry)
    config = Config(args=["p", "writes"])
    config.set_stdout(lambda b: got.append(b))  # referenced by nothing else
    gc.collect()
    inst = Instance(pyguest, config)
    config.close()  # the instance still uses the callback
    gc.collect()
    assert inst.run() == 0 and len(got) == 3
    assert len(_callbacks._registry) == before + 1
    inst.close()  # the last user: the finalizer drops it
    assert len(_callbacks._registry) == before


def test_a_refused_callback_is_finalized_at_once() -> None:
    before = len(_callbacks._registry)
    with Config() as c, pytest.raises(wasihost.InvalidArgumentError):
        c._set_output(7, print, False)  # type: ignore[arg-type]  # no such stream
    assert len(_callbacks._registry) == before


@pytest.mark.parametrize(
    "sink, error",
    [
        (b"bytes are not a path", TypeError),
        (object(), TypeError),
    ],
)
def test_unusable_sinks_are_type_errors(sink: Any, error: type) -> None:
    with Config() as c, pytest.raises(error):
        c.set_stdout(sink)


def test_append_is_only_for_paths() -> None:
    with Config() as c, pytest.raises(TypeError):
        c.set_stdout(io.BytesIO(), append=True)


def test_unusable_stdin_is_a_type_error() -> None:
    with Config() as c, pytest.raises(TypeError):
        c.set_stdin(3.5)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault(wasihost.LIBRARY_ENV, wasihost.library_path())
    return env
