"""wasihost.run and Instance.run: exit codes, traps, load errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

import wasihost
from wasihost import Instance, Module

HELLO_WAT = rb"""(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wat\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 15))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""


@pytest.mark.parametrize("code", [0, 1, 7, 255, 256, 4_000_000_000])
def test_proc_exit_codes_are_results_not_python_exits(pyguest: Module, code: int) -> None:
    r = wasihost.run(pyguest, ["exit", str(code)])
    assert (r.exit_code, r.stdout) == (code, b"before exit\n")


@pytest.mark.parametrize("code", [0, 3, 42])
def test_return_from_main(module: Callable[[str], Module], code: int) -> None:
    r = wasihost.run(module("proc"), ["return", str(code)])
    assert r.exit_code == code and r.stdout == b"returning %d\n" % code


def test_check_raises_guest_exit_with_the_output(pyguest: Module) -> None:
    with pytest.raises(wasihost.GuestExit) as e:
        wasihost.run(pyguest, ["exit", "9"], check=True)
    assert e.value.code == 9 and e.value.stdout == b"before exit\n"
    assert wasihost.run(pyguest, ["exit", "0"], check=True).exit_code == 0


@pytest.mark.parametrize(
    "mode, why",
    [
        ("trap", "unreachable"),
        ("div0", "divide by zero"),
        ("oob", "out of bounds"),
        ("stack", "recurse"),  # the C shadow stack runs out of memory: a backtrace of recurse
    ],
)
def test_traps_raise_trap_with_the_output_so_far(
    module: Callable[[str], Module], mode: str, why: str
) -> None:
    with pytest.raises(wasihost.Trap) as e:
        wasihost.run(module("proc"), [mode])
    assert why in str(e.value).lower()
    assert e.value.stdout == b"before %s\n" % mode.encode()
    assert e.value.kind == 7 and e.value.kind_name == "trap"


def test_instance_run_raises_trap(pyguest: Module) -> None:
    with Instance(pyguest, wasihost.Config(args=["p", "trap"])) as inst:
        with pytest.raises(wasihost.Trap, match="unreachable"):
            inst.run()


def test_run_accepts_a_path_bytes_or_a_module(guests: dict[str, Path], pyguest: Module) -> None:
    path = guests["pyguest"]
    assert wasihost.run(str(path), ["args"]).stdout == f"argv[0]={path}\nargv[1]=args\n".encode()
    assert wasihost.run(path, ["args"], argv0="me").stdout == b"argv[0]=me\nargv[1]=args\n"
    assert wasihost.run(path.read_bytes(), ["args"]).stdout.startswith(b"argv[0]=module.wasm\n")
    assert wasihost.run(pyguest, ["args"], argv0="x").stdout == b"argv[0]=x\nargv[1]=args\n"
    assert not pyguest.closed  # run() does not close a module it was given


def test_wat_text_runs(tmp_path: Path) -> None:
    assert wasihost.run(HELLO_WAT).stdout == b"hello from wat\n"
    f = tmp_path / "hello.wat"
    f.write_bytes(HELLO_WAT)
    assert wasihost.run(f).stdout == b"hello from wat\n"
    with Module.from_wat(HELLO_WAT.decode()) as m:
        assert wasihost.run(m).stdout == b"hello from wat\n"


def test_invalid_wasm_is_a_module_error() -> None:
    with pytest.raises(wasihost.ModuleError) as e:
        Module(b"\0asm\x01\0\0\0garbage")
    assert e.value.kind == 4 and e.value.wasi_errno == 0
    with pytest.raises(wasihost.ModuleError):
        wasihost.run(b"not wasm at all")


def test_wat_syntax_errors_name_the_line() -> None:
    with pytest.raises(wasihost.ModuleError, match=r":2:"):
        Module.from_wat("(module\n  (func (bogus)))")


def test_module_takes_bytes_not_text() -> None:
    with pytest.raises(TypeError, match="from_wat"):
        Module("(module)")  # type: ignore[arg-type]


def test_missing_module_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as e:
        Module.from_file(tmp_path / "nope.wasm")
    assert isinstance(e.value, wasihost.HostIOError)
    assert e.value.wasi_errno == 44 and "nope.wasm" in str(e.value)
    with pytest.raises(FileNotFoundError):
        wasihost.run(tmp_path / "nope.wasm")


def test_module_without_start_is_a_link_error() -> None:
    with Module.from_wat('(module (func (export "f")))') as m:
        assert not m.has_export("_start") and m.has_export("f")
        with Instance(m) as inst, pytest.raises(wasihost.LinkError, match="_start"):
            inst.run()


def test_unknown_import_is_a_link_error() -> None:
    wat = '(module (import "env" "nope" (func)) (func (export "_start")))'
    with Module.from_wat(wat) as m, pytest.raises(wasihost.LinkError, match="nope"):
        Instance(m)


def test_timeout_interrupts(pyguest: Module) -> None:
    # The guest never returns: whenever the timer fires, the run is interrupted.
    with pytest.raises(wasihost.Interrupted) as e:
        wasihost.run(pyguest, ["spin"], timeout=0.2)
    assert e.value.stdout in (b"", b"spinning\n")  # empty if stopped before its first write


def test_run_through_the_cache(guests: dict[str, Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for _ in range(2):
        r = wasihost.run(guests["pyguest"], ["exit", "3"], cache=cache)
        assert r.exit_code == 3
    assert len(list(cache.glob("*.cwasm"))) == 1


def test_run_with_the_default_cache(
    guests: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WASIHOST_CACHE_DIR", str(tmp_path / "default"))
    assert wasihost.run(guests["pyguest"], ["exit", "4"], cache=True).exit_code == 4
    assert len(list((tmp_path / "default").glob("*.cwasm"))) == 1


START_TRAP = '(module (func $s unreachable) (start $s) (func (export "_start")))'
START_EXIT = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $s (call $exit (i32.const 7)))
  (start $s)
  (func (export "_start")))"""


def test_start_function_problems_fail_instantiation() -> None:
    for wat in (START_TRAP, START_EXIT):
        with Module.from_wat(wat) as m, pytest.raises(wasihost.WasiHostError):
            Instance(m)


def test_start_function_trap_is_a_trap() -> None:
    with Module.from_wat(START_TRAP) as m, pytest.raises(wasihost.Trap):
        Instance(m)


def test_start_function_exit_gives_its_code() -> None:
    with Module.from_wat(START_EXIT) as m:
        with pytest.raises(wasihost.GuestExit) as e:
            Instance(m)
        assert e.value.code == 7
        assert wasihost.run(m).exit_code == 7


def test_the_python_process_survives_every_outcome(pyguest: Module) -> None:
    # proc_exit, traps and interrupts end the guest, never this process.
    pid = os.getpid()
    for args in (["exit", "1"], ["trap"]):
        try:
            wasihost.run(pyguest, args)
        except wasihost.Trap:
            pass
    assert os.getpid() == pid
