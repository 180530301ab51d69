"""The exception hierarchy."""

from __future__ import annotations

import errno
import os
import pickle
from pathlib import Path

import pytest

import wasihost
from wasihost import errors

KINDS = {
    1: wasihost.InvalidArgumentError,
    2: wasihost.ConfigError,
    3: wasihost.HostIOError,
    4: wasihost.ModuleError,
    5: wasihost.LinkError,
    6: wasihost.EngineError,
    7: wasihost.Trap,
    8: wasihost.GuestExit,
    9: wasihost.Interrupted,
    10: wasihost.InternalError,
    11: wasihost.TimedOut,
    12: wasihost.FuelExhausted,
    13: wasihost.MemoryLimitError,
}


def test_the_kinds_are_the_headers() -> None:
    from wasihost import _ffi

    kinds = {v for k, v in _ffi.CONSTANTS.items() if k.startswith("WASIHOST_ERROR_KIND_")}
    assert kinds == set(KINDS)


def test_outcome_classes_fit_builtin_handlers() -> None:
    timed_out = errors.make(11, "the guest ran past its timeout")
    assert isinstance(timed_out, wasihost.Interrupted) and isinstance(timed_out, TimeoutError)
    assert str(timed_out) == "the guest ran past its timeout" and timed_out.kind_name == "timeout"
    assert isinstance(errors.make(13, "m"), MemoryError)
    for kind in (11, 12, 13):
        copy = pickle.loads(pickle.dumps(errors.make(kind, "m")))
        assert type(copy) is KINDS[kind] and copy.kind == kind


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_has_its_class(kind: int) -> None:
    e = errors.make(kind, "message")
    assert type(e) is KINDS[kind]
    assert isinstance(e, wasihost.WasiHostError)
    assert str(e) == e.message == "message"
    assert e.kind == kind


@pytest.mark.parametrize(
    "wasi_errno, builtin, posix",
    [
        (44, FileNotFoundError, errno.ENOENT),
        (2, PermissionError, errno.EACCES),
        (63, PermissionError, errno.EPERM),
        (76, PermissionError, errno.EPERM),
        (20, FileExistsError, errno.EEXIST),
        (54, NotADirectoryError, errno.ENOTDIR),
        (31, IsADirectoryError, errno.EISDIR),
    ],
)
def test_errnos_map_to_builtins(wasi_errno: int, builtin: type, posix: int) -> None:
    e = errors.make(wasihost.ConfigError.KIND, "preopen failed", wasi_errno)
    assert isinstance(e, builtin) and isinstance(e, wasihost.ConfigError)
    assert (e.wasi_errno, e.errno) == (wasi_errno, posix)
    assert str(e) == "preopen failed"  # not "[Errno 2] ..."
    assert type(e).__name__ == "ConfigError"


def test_other_errnos_are_not_os_errors() -> None:
    e = errors.make(wasihost.HostIOError.KIND, "io", 29)
    assert not isinstance(e, OSError) and e.wasi_errno == 29


def test_errors_pickle_with_their_class_and_fields() -> None:
    for e in (errors.make(2, "gone", 44), errors.make(8, "exit", 0, 3), errors.make(7, "trap")):
        e2 = pickle.loads(pickle.dumps(e))
        assert type(e2) is type(e)
        assert (e2.message, e2.kind, e2.wasi_errno) == (e.message, e.kind, e.wasi_errno)
        assert getattr(e2, "code", None) == getattr(e, "code", None)


def test_library_errors_carry_kind_name_and_message(tmp_path: Path) -> None:
    with pytest.raises(wasihost.WasiHostError) as e:
        wasihost.Module.from_file(tmp_path / "missing.wasm")
    assert e.value.kind_name == "io"
    assert "missing.wasm" in e.value.message


def test_the_library_error_is_freed_at_once() -> None:
    # The exception copies what it needs: it stays valid after more calls.
    with pytest.raises(wasihost.ModuleError) as e:
        wasihost.Module(b"junk")
    msg = str(e.value)
    for _ in range(3):
        with pytest.raises(wasihost.ModuleError):
            wasihost.Module(b"more junk")
    assert str(e.value) == msg and msg


def test_a_bad_host_fd_reports_badf() -> None:
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)  # now a closed fd
    with wasihost.Config() as c, pytest.raises(wasihost.ConfigError) as e:
        c.set_stdout(fd)
    assert "Bad file descriptor" in str(e.value)
    assert e.value.wasi_errno == 8


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kind_names_are_the_librarys(kind: int) -> None:
    from wasihost import _ffi

    assert _ffi.lib().wasihost_error_kind_name(kind).decode() == KINDS[kind].KIND_NAME
