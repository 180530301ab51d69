"""The library's callback contract that the binding's keep-alive relies on.

Raw C calls through the declarations: a callback's finalizer runs exactly
once, only when no config or instance uses it any more, and at once when
the call that was given the callback fails.
"""

from __future__ import annotations

from collections import Counter
from ctypes import byref, c_void_p

import pytest

from wasihost import Module, _ffi

WAT = '(module (memory (export "memory") 1) (func (export "_start")))'


@pytest.fixture
def finalized() -> Counter[int]:
    return Counter()


def test_finalizer_runs_once_after_the_last_user(finalized: Counter[int]) -> None:
    lib = _ffi.lib()
    fin = _ffi.wasihost_finalizer_t(lambda ud: finalized.update([ud]))
    write = _ffi.wasihost_write_callback_t(lambda ud, data, n: 0)
    config = lib.wasihost_config_new()
    assert not lib.wasihost_config_output_callback(config, 1, write, 7, fin)
    with Module.from_wat(WAT) as m, m._use() as mp:
        instances = []
        for _ in range(2):
            out = c_void_p()
            assert not lib.wasihost_instance_new(mp, config, byref(out))
            instances.append(out.value)
    lib.wasihost_config_delete(config)
    assert finalized == Counter()  # the instances still use it
    lib.wasihost_instance_delete(instances[0])
    assert finalized == Counter()
    lib.wasihost_instance_delete(instances[1])
    assert finalized == Counter({7: 1})


def test_replaced_callback_is_finalized_with_its_config(finalized: Counter[int]) -> None:
    lib = _ffi.lib()
    fin = _ffi.wasihost_finalizer_t(lambda ud: finalized.update([ud]))
    read = _ffi.wasihost_read_callback_t(lambda ud, buf, cap, n: 0)
    config = lib.wasihost_config_new()
    assert not lib.wasihost_config_stdin_callback(config, read, 1, fin)
    assert not lib.wasihost_config_stdin_callback(config, read, 2, fin)
    assert not lib.wasihost_config_stdin_null(config)
    lib.wasihost_config_delete(config)
    assert finalized == Counter({1: 1, 2: 1})


def test_finalizer_runs_at_once_when_the_call_fails(finalized: Counter[int]) -> None:
    lib = _ffi.lib()
    fin = _ffi.wasihost_finalizer_t(lambda ud: finalized.update([ud]))
    write = _ffi.wasihost_write_callback_t(lambda ud, data, n: 0)
    config = lib.wasihost_config_new()
    err = lib.wasihost_config_output_callback(config, 0, write, 9, fin)  # stdin: refused
    assert err and lib.wasihost_error_kind(err) == _ffi.WASIHOST_ERROR_KIND_INVALID_ARGUMENT
    lib.wasihost_error_delete(err)
    assert finalized == Counter({9: 1})
    lib.wasihost_config_delete(config)
    assert finalized == Counter({9: 1})


def test_out_parameters_are_untouched_on_failure() -> None:
    lib = _ffi.lib()
    with Module.from_wat(WAT) as m, m._use() as mp:
        config = lib.wasihost_config_new()
        assert not lib.wasihost_config_stdin_file(config, b"/no/such/file", 13)
        out = c_void_p(0x1234)
        err = lib.wasihost_instance_new(mp, config, byref(out))
        assert err and out.value == 0x1234
        lib.wasihost_error_delete(err)
        lib.wasihost_config_delete(config)


def test_null_handles_are_errors_not_crashes() -> None:
    lib = _ffi.lib()
    err = lib.wasihost_config_push_arg(None, b"x", 1)
    assert lib.wasihost_error_kind(err) == _ffi.WASIHOST_ERROR_KIND_INVALID_ARGUMENT
    assert b"NULL" in lib.wasihost_error_message(err)
    lib.wasihost_error_delete(err)
    for deleter in ("config", "engine", "error", "instance", "interrupt_handle", "module"):
        getattr(lib, f"wasihost_{deleter}_delete")(None)
