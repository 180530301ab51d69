"""Limits: engines with interruption and fuel, timeouts, interrupts, fuel, memory caps.

The guests are tests/guests/limits.c (spin, sleep, read, grow, count) and
tests/guests/start_loop.wat (a start function that never returns). Every
assertion is on an outcome (the exception, the exit code, the output),
never on a timing; HANG is only an upper bound against a hang.
"""

from __future__ import annotations

import os
import pickle
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import wasihost
from wasihost import Config, Engine, Instance, InterruptHandle, Module, TrapCode

REPO = Path(__file__).resolve().parents[3]
START_LOOP = REPO / "tests" / "guests" / "start_loop.wat"
HANG = 20.0  # seconds: far above any outcome here, only to stop a hang
MIB = 1 << 20

TRAP_WAT = '(module (func (export "_start") unreachable))'
DIV0_WAT = """(module (func (export "_start")
  (drop (i32.div_s (i32.const 1) (i32.const 0)))))"""
BIG_MEMORY_WAT = '(module (memory 100) (func (export "_start")))'  # 6.25 MiB
BIG_TABLE_WAT = '(module (table 100 funcref) (func (export "_start")))'
SPIN_WAT = '(module (func (export "_start")) (func (export "spin") (loop $l (br $l))))'


@pytest.fixture
def pipe() -> Iterator[int]:
    """The read end of a pipe whose write end stays open: a read never ends."""
    r, w = os.pipe()
    try:
        yield r
    finally:
        os.close(r)
        os.close(w)


def bounded(fn: Callable[[], Any]) -> Any:
    """fn(), failing the test if it took longer than HANG (a limit did not hold)."""
    start = time.monotonic()
    try:
        return fn()
    finally:
        assert time.monotonic() - start < HANG, "the limit did not stop the guest"


# name -> (guest, args, needs a stdin pipe)
STOPPABLE = {
    "start_function": ("start_loop", [], False),
    "sleep": ("limits", ["sleep", "100"], False),
    "read": ("limits", ["read"], True),
    "spin": ("limits", ["spin"], False),
}


def guest_path(guests: dict[str, Path], name: str) -> Path:
    return START_LOOP if name == "start_loop" else guests[name]


# --- engines ------------------------------------------------------------------


def test_engine_flags() -> None:
    with Engine() as plain, Engine(interruptible=True) as i, Engine(fuel=True) as f:
        assert (plain.interruptible, plain.fuel) == (False, False)
        assert (i.interruptible, i.fuel) == (True, False)
        assert (f.interruptible, f.fuel) == (False, True)
        assert "interruptible=True" in repr(i)
    with Engine(interruptible=True, fuel=True) as both:
        assert both.interruptible and both.fuel
        with Module.from_wat(SPIN_WAT, engine=both) as m:
            assert m.interruptible and m.fuel
    with Module.from_wat(SPIN_WAT) as m:  # the default engine: neither
        assert not m.interruptible and not m.fuel


def test_default_engine_is_one_per_variant() -> None:
    plain = wasihost.default_engine()
    assert plain is wasihost.default_engine(False, False)
    assert not plain.interruptible and not plain.fuel
    i = wasihost.default_engine(interruptible=True)
    assert i is wasihost.default_engine(interruptible=True) and i is not plain
    assert i.interruptible and not i.fuel
    f = wasihost.default_engine(fuel=True)
    assert f.fuel and not f.interruptible and f is not i
    both = wasihost.default_engine(interruptible=True, fuel=True)
    assert both.fuel and both.interruptible and len({id(plain), id(i), id(f), id(both)}) == 4


@pytest.mark.parametrize("kwargs", [{"interruptible": 1}, {"fuel": "yes"}, {"fuel": None}])
def test_engine_flags_are_bools(kwargs: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match=next(iter(kwargs))):
        Engine(**kwargs)
    with pytest.raises(TypeError):
        wasihost.default_engine(**kwargs)


# --- timeouts -----------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(STOPPABLE))
def test_run_timeout_stops_the_guest(guests: dict[str, Path], pipe: int, case: str) -> None:
    name, args, needs_pipe = STOPPABLE[case]
    stdin = pipe if needs_pipe else wasihost.DEVNULL
    # A path: run() picks an interruptible engine by itself.
    with pytest.raises(wasihost.TimedOut) as e:
        bounded(lambda: wasihost.run(guest_path(guests, name), args, timeout=0.1, stdin=stdin))
    assert isinstance(e.value, wasihost.Interrupted) and isinstance(e.value, TimeoutError)
    assert e.value.kind == 11 and e.value.kind_name == "timeout"
    # The message names the timeout (also for the start function, run while
    # the instance is made).
    assert str(e.value) == e.value.message == "the guest timed out after 0.1 s"


def test_config_timeout_covers_each_call_anew(engine: Engine) -> None:
    with Module.from_wat(SPIN_WAT, engine=engine) as m, Instance(m, Config(timeout=0.1)) as inst:
        for _ in range(2):
            with pytest.raises(wasihost.TimedOut, match=r"^the guest timed out after 0\.1 s$"):
                bounded(lambda: inst.call("spin"))


def test_the_timeout_message_names_the_timeout_in_force(engine: Engine) -> None:
    with Module.from_wat(SPIN_WAT, engine=engine) as m, Config(timeout=0.1) as config:
        config.set_timeout(0.15)  # the config's latest setting
        with Instance(m, config) as inst:
            config.set_timeout(5)  # after the instance is made: not its timeout
            with pytest.raises(TimeoutError, match=r"timed out after 0\.15 s"):
                bounded(lambda: inst.call("spin"))
            inst.set_timeout(0.125)
            with pytest.raises(TimeoutError, match=r"timed out after 0\.125 s"):
                bounded(lambda: inst.call("spin"))


def test_instance_set_timeout(engine: Engine) -> None:
    with Module.from_wat(SPIN_WAT, engine=engine) as m, Instance(m) as inst:
        inst.set_timeout(0.1)
        with pytest.raises(wasihost.TimedOut):
            bounded(lambda: inst.call("spin"))
        inst.set_timeout(None)
        assert inst.run() == 0
    with Module.from_wat(SPIN_WAT) as m, Instance(m) as inst:
        inst.set_timeout(None)  # nothing to refuse
        with pytest.raises(wasihost.ConfigError, match=r"Engine\(interruptible=True\)"):
            inst.set_timeout(1)


def test_a_generous_timeout_lets_the_guest_finish(guests: dict[str, Path]) -> None:
    r = wasihost.run(guests["limits"], ["count", "1000"], timeout=600)
    assert (r.exit_code, r.stdout) == (0, b"counted 1000\n")


# --- interrupts from another thread ---------------------------------------------


def interrupt_soon(stop: Callable[[], None]) -> threading.Timer:
    t = threading.Timer(0.1, stop)
    t.daemon = True
    t.start()
    return t


@pytest.mark.parametrize("case", sorted(STOPPABLE))
def test_interrupt_from_another_thread_stops_the_guest(
    guests: dict[str, Path], engine: Engine, pipe: int, case: str
) -> None:
    name, args, needs_pipe = STOPPABLE[case]
    config = Config(args=[name, *args], stdin=pipe if needs_pipe else wasihost.DEVNULL)
    with config, Module.from_file(guest_path(guests, name), engine=engine) as m:
        if case == "start_function":
            # The instance does not exist while its start function runs: a
            # handle made before stops it.
            with InterruptHandle() as h:
                assert not h.interrupted
                t = interrupt_soon(h.interrupt)
                with pytest.raises(wasihost.Interrupted) as e:
                    bounded(lambda: Instance(m, config, interrupt_handle=h))
                assert h.interrupted
        else:
            with Instance(m, config) as inst:
                t = interrupt_soon(inst.interrupt)
                with pytest.raises(wasihost.Interrupted) as e:
                    bounded(inst.run)
        t.join()
    assert not isinstance(e.value, wasihost.TimedOut) and e.value.kind == 9


def test_an_interrupt_handle_given_to_the_instance_stops_it_later(engine: Engine) -> None:
    with Module.from_wat(SPIN_WAT, engine=engine) as m, InterruptHandle() as h:
        with Instance(m, interrupt_handle=h) as inst:
            assert inst.run() == 0
            t = interrupt_soon(h.interrupt)
            with pytest.raises(wasihost.Interrupted):
                bounded(lambda: inst.call("spin"))
            t.join()
            with inst.interrupt_handle() as own:  # the same token
                assert own.interrupted


# --- an engine without interruption or fuel ---------------------------------------


def test_a_timeout_needs_an_interruptible_engine(guests: dict[str, Path]) -> None:
    fix = r"Engine\(interruptible=True\)"
    with Engine() as plain:
        with pytest.raises(wasihost.ConfigError, match="interruptible") as e:
            wasihost.run(guests["limits"], ["spin"], timeout=0.1, engine=plain)
        assert "Engine(interruptible=True)" in str(e.value)
    with Module.from_file(guests["limits"]) as m:  # the default engine: plain
        with pytest.raises(wasihost.ConfigError, match=fix):
            wasihost.run(m, ["spin"], timeout=0.1)
        with pytest.raises(wasihost.ConfigError, match=fix):
            Instance(m, Config(timeout=1))
        with pytest.raises(wasihost.ConfigError, match=fix), InterruptHandle() as h:
            Instance(m, interrupt_handle=h)
        with Instance(m) as inst:
            with pytest.raises(wasihost.ConfigError, match=fix):
                inst.interrupt()
            with pytest.raises(wasihost.ConfigError, match=fix):
                inst.interrupt_handle()
            inst.close()
            with pytest.raises(ValueError, match="closed"):
                inst.interrupt()


def test_fuel_needs_an_engine_with_fuel(guests: dict[str, Path], engine: Engine) -> None:
    with Module.from_file(guests["limits"], engine=engine) as m:
        with pytest.raises(wasihost.ConfigError, match=r"Engine\(fuel=True\)"):
            wasihost.run(m, ["count", "10"], fuel=1000)


def test_the_cache_keeps_each_engine_variant(guests: dict[str, Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = guests["limits"]
    assert wasihost.run(path, ["count", "5"], cache=cache).exit_code == 0
    assert wasihost.run(path, ["count", "5"], cache=cache, timeout=600).exit_code == 0
    assert wasihost.run(path, ["count", "5"], cache=cache, fuel=10**8).exit_code == 0
    assert len(list(cache.glob("*.cwasm"))) == 3
    with pytest.raises(wasihost.TimedOut):
        bounded(lambda: wasihost.run(path, ["spin"], cache=cache, timeout=0.1))
    with Module.from_file(path, cache=cache) as m:  # the default engine: plain
        assert m.cache_status is wasihost.CacheStatus.HIT and not m.interruptible
        with pytest.raises(wasihost.ConfigError, match=r"Engine\(interruptible=True\)"):
            wasihost.run(m, ["spin"], timeout=0.1)
    with (
        Engine(interruptible=True) as e,
        Module.from_file(path, cache=cache, engine=e) as m,
    ):
        assert m.cache_status is wasihost.CacheStatus.HIT and m.interruptible
        with pytest.raises(wasihost.TimedOut):
            bounded(lambda: wasihost.run(m, ["spin"], timeout=0.1))


# --- memory ----------------------------------------------------------------------


def test_memory_grow_past_the_cap_fails_in_the_guest(guests: dict[str, Path]) -> None:
    r = wasihost.run(guests["limits"], ["grow", "1000"], max_memory=64 * MIB)
    assert r.exit_code == 3 and r.memory_limit_reached
    assert r.stdout.startswith(b"grew ") and r.stdout.endswith(b" MiB, then refused\n")
    got = int(r.stdout.split()[1])
    assert 0 < got < 64
    r = wasihost.run(guests["limits"], ["grow", "10"], max_memory=64 * MIB)
    assert (r.exit_code, r.stdout, r.memory_limit_reached) == (0, b"grew 10 MiB\n", False)


def test_an_exception_from_run_says_the_memory_limit_was_reached() -> None:
    wat = b"""(module (memory 1)
      (func (export "_start")
        (if (i32.eq (memory.grow (i32.const 100)) (i32.const -1)) (then unreachable))))"""
    with pytest.raises(wasihost.Trap) as e:
        wasihost.run(wat, max_memory=MIB)
    assert e.value.memory_limit_reached and e.value.code is TrapCode.UNREACHABLE
    with pytest.raises(wasihost.Trap) as e:
        wasihost.run(TRAP_WAT.encode())
    assert not e.value.memory_limit_reached


def test_instance_memory_limit_reached(module: Callable[[str], Module]) -> None:
    config = Config(args=["limits", "grow", "1000"], max_memory=32 * MIB)
    with config, Instance(module("limits"), config) as inst:
        assert not inst.memory_limit_reached
        assert inst.run() == 3
        assert inst.memory_limit_reached


def test_memories_declared_above_the_cap_fail_instantiation() -> None:
    with Module.from_wat(BIG_MEMORY_WAT) as m:
        with pytest.raises(wasihost.MemoryLimitError) as e:
            Instance(m, Config(max_memory=MIB))
        assert isinstance(e.value, MemoryError) and e.value.kind == 13
        with pytest.raises(wasihost.MemoryLimitError):
            wasihost.run(m, max_memory=MIB)
        assert wasihost.run(m, max_memory=7 * MIB).exit_code == 0
    with Module.from_wat(BIG_TABLE_WAT) as m:
        with pytest.raises(wasihost.MemoryLimitError):
            wasihost.run(m, max_table_elements=10)
        assert wasihost.run(m, max_table_elements=100).exit_code == 0


def test_table_grow_past_the_cap() -> None:
    wat = """(module (table 1 funcref)
      (func (export "grow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
      (func (export "_start")))"""
    with Module.from_wat(wat) as m, Instance(m, Config(max_table_elements=5)) as inst:
        assert inst.call("grow", 3, results=1) == 1
        assert not inst.memory_limit_reached
        assert inst.call("grow", 3, results=1) == -1
        assert inst.memory_limit_reached


# --- fuel ------------------------------------------------------------------------


def test_fuel(guests: dict[str, Path]) -> None:
    with pytest.raises(wasihost.FuelExhausted) as e:
        bounded(lambda: wasihost.run(guests["limits"], ["count", "100000"], fuel=10000))
    assert e.value.kind == 12 and e.value.kind_name == "fuel exhausted"
    r = wasihost.run(guests["limits"], ["count", "100000"], fuel=10**8)
    assert (r.exit_code, r.stdout) == (0, b"counted 100000\n")


def test_fuel_left(guests: dict[str, Path]) -> None:
    with Engine(fuel=True) as e, Module.from_file(guests["limits"], engine=e) as m:
        config = Config(args=["limits", "count", "1000"], fuel=10**8)
        with config, Instance(m, config) as inst:
            before = inst.fuel_left
            assert before is not None and 0 < before <= 10**8
            assert inst.run() == 0
            after = inst.fuel_left
            assert after is not None and 0 < after < before
    with Module.from_wat(SPIN_WAT) as m, Instance(m) as inst:
        assert inst.fuel_left is None


# --- traps -----------------------------------------------------------------------


def test_trap_code() -> None:
    with pytest.raises(wasihost.Trap) as e:
        wasihost.run(TRAP_WAT.encode())
    assert e.value.code is TrapCode.UNREACHABLE and e.value.kind == 7
    copy = pickle.loads(pickle.dumps(e.value))
    assert type(copy) is wasihost.Trap and copy.code is TrapCode.UNREACHABLE
    with pytest.raises(wasihost.Trap) as e:
        wasihost.run(DIV0_WAT.encode())
    assert e.value.code is TrapCode.INTEGER_DIVISION_BY_ZERO
    assert wasihost.Trap("made in Python").code is TrapCode.OTHER


def test_trap_codes_mirror_the_header() -> None:
    from wasihost import _ffi

    for member in TrapCode:
        assert getattr(_ffi, f"WASIHOST_TRAP_{member.name}") == member.value
    assert len(TrapCode) == len([n for n in _ffi.CONSTANTS if n.startswith("WASIHOST_TRAP_")])


# --- argument checks ----------------------------------------------------------------


BAD_LIMITS = [
    ({"timeout": "1"}, TypeError),
    ({"timeout": 0}, ValueError),
    ({"timeout": -1.5}, ValueError),
    ({"fuel": "10"}, TypeError),
    ({"fuel": 1.5}, TypeError),
    ({"fuel": True}, TypeError),
    ({"fuel": 0}, ValueError),
    ({"fuel": -1}, ValueError),
    ({"fuel": 2**64}, OverflowError),
    ({"max_memory": "64M"}, TypeError),
    ({"max_memory": 1.0}, TypeError),
    ({"max_memory": -1}, ValueError),
    ({"max_memory": 2**64}, OverflowError),
    ({"max_table_elements": "x"}, TypeError),
    ({"max_table_elements": -1}, ValueError),
    ({"max_table_elements": 2**64}, OverflowError),
]


@pytest.mark.parametrize("kwargs, error", BAD_LIMITS)
def test_bad_limits_are_refused(
    guests: dict[str, Path], tmp_path: Path, kwargs: dict[str, Any], error: type
) -> None:
    name = next(iter(kwargs))
    with pytest.raises(error, match=name):
        Config(**kwargs)
    with pytest.raises(error, match=name):
        wasihost.run(tmp_path / "missing.wasm", **kwargs)  # checked before loading
    setter = getattr(Config(), f"set_{name}")
    with pytest.raises(error, match=name):
        setter(kwargs[name])


def test_good_limits_are_taken(guests: dict[str, Path]) -> None:
    with Config(max_memory=0, max_table_elements=0, fuel=2**64 - 1, timeout=2**20) as c:
        c.set_timeout(None).set_timeout(0.5).set_max_memory(2**64 - 1)
        c.set_max_table_elements(10).set_fuel(1)
    r = wasihost.run(guests["limits"], ["count", "3"], max_memory=2**64 - 1, timeout=1e6)
    assert r.stdout == b"counted 3\n"


def test_instance_and_handle_arguments(engine: Engine) -> None:
    with Module.from_wat(SPIN_WAT, engine=engine) as m:
        with pytest.raises(TypeError, match="interrupt_handle"):
            Instance(m, interrupt_handle="h")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            Instance(m, None, InterruptHandle())  # type: ignore[misc]
        with Instance(m) as inst:
            for bad, error in (("1", TypeError), (0, ValueError), (-1, ValueError)):
                with pytest.raises(error, match="timeout"):
                    inst.set_timeout(bad)
        h = InterruptHandle()
        h.close()
        with pytest.raises(ValueError, match="closed"):
            Instance(m, interrupt_handle=h)
