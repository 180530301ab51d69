"""Instance.call: typed arguments and results, exits and traps inside calls."""

from __future__ import annotations

import math

import pytest

import wasihost
from wasihost import Instance, Module, f32, f64, i32, i64

WAT = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $counter (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "half32") (param f32) (result f32) (f32.div (local.get 0) (f32.const 2)))
  (func (export "sqrt64") (param f64) (result f64) (f64.sqrt (local.get 0)))
  (func (export "mixed") (param i32 i64 f32 f64) (result f64)
    (f64.add
      (f64.add (f64.convert_i32_s (local.get 0)) (f64.convert_i64_s (local.get 1)))
      (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))))
  (func (export "pair") (param i32) (result i32 i64)
    (local.get 0) (i64.extend_i32_s (i32.mul (local.get 0) (i32.const 2))))
  (func (export "bump") (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
  (func (export "count") (result i32) (global.get $counter))
  (func (export "bye") (param i32) (call $exit (local.get 0)))
  (func (export "crash") unreachable)
  (func (export "spin") (loop $l (br $l)))
  (func (export "_start")))
"""


@pytest.fixture(scope="module")
def calc(engine: wasihost.Engine) -> Module:
    with Module.from_wat(WAT, engine=engine) as m:  # interruptible: test_interrupt_...
        yield m


@pytest.fixture
def inst(calc: Module) -> Instance:
    with Instance(calc) as i:
        yield i


def test_int_and_float_defaults(inst: Instance) -> None:
    assert inst.call("add", 2, 3, results=1) == 5
    assert inst.call("sqrt64", 2.0, results=1) == math.sqrt(2.0)


def test_i32_wraps_like_wasm(inst: Instance) -> None:
    assert inst.call("add", 2**31 - 1, 1, results=1) == -(2**31)
    assert inst.call("add", 0xFFFFFFFF, 0, results=1) == -1  # unsigned input wraps
    with pytest.raises(OverflowError, match="i64"):
        inst.call("add", 2**32, 0, results=1)


def test_explicit_types(inst: Instance) -> None:
    assert inst.call("add64", i64(2**40), i64(-1), results=1) == 2**40 - 1
    assert inst.call("add64", i64(2**64 - 1), i64(0), results=1) == -1
    assert inst.call("half32", f32(3.0), results=1) == 1.5
    assert inst.call("half32", f32(0.1), results=1) == pytest.approx(0.05, rel=1e-6)
    assert inst.call("mixed", i32(1), i64(2), f32(0.5), f64(0.25), results=1) == 3.75
    assert repr(i64(5)) == "i64(5)"


def test_multiple_and_no_results(inst: Instance) -> None:
    assert inst.call("pair", 21, results=2) == (21, 42)
    assert inst.call("bump") is None
    inst.call("bump")
    assert inst.call("count", results=1) == 2  # state persists between calls


def test_type_mismatch_is_a_link_error_naming_the_type(inst: Instance) -> None:
    with pytest.raises(wasihost.LinkError, match=r"\(i32, i32\) -> \(i32\)"):
        inst.call("add", 1, 2, results=0)  # but it returns one
    with pytest.raises(wasihost.LinkError, match="i64"):
        inst.call("add64", 1, 2, results=1)  # with results=, ints are i32 unless marked
    with pytest.raises(wasihost.LinkError, match=r"\(i32, i32\) -> \(i32\)"):
        inst.call("add", 1)  # one argument short
    with pytest.raises(wasihost.LinkError, match="i32"):
        inst.call("add", i64(1), 2)  # a marker must match the parameter
    with pytest.raises(wasihost.LinkError, match="nope"):
        inst.call("nope")
    with pytest.raises(wasihost.LinkError, match="no function named"):
        inst.call("nope", results=0)


def test_results_and_argument_types_come_from_the_module(inst: Instance, calc: Module) -> None:
    # No results= needed: the module says what each export returns and takes.
    assert inst.call("add", 2, 3) == 5
    assert inst.call("add64", 2**40, -1) == 2**40 - 1  # ints as the i64 parameters
    assert inst.call("add64", 2**64 - 1, 0) == -1
    assert inst.call("half32", 3.0) == 1.5  # a float as the f32 parameter
    assert inst.call("mixed", 1, 2, 0.5, 0.25) == 3.75
    assert inst.call("pair", 21) == (21, 42)
    assert inst.call("bump") is None
    with pytest.raises(OverflowError, match="argument 0"):
        inst.call("add64", 2**64, 0)
    with pytest.raises(OverflowError, match="argument 0"):
        inst.call("half32", 1e39)
    assert str(calc.export_type("mixed")) == "(i32, i64, f32, f64) -> (f64)"
    t = calc.export_type("pair")
    assert (t.params, t.results) == (("i32",), ("i32", "i64"))
    assert calc.export_type("bump") == wasihost.FuncType((), ())
    with pytest.raises(wasihost.LinkError, match="nope"):
        calc.export_type("nope")


def test_after_the_module_is_closed_types_come_from_the_instance() -> None:
    m = Module.from_wat(WAT)
    with Instance(m) as inst:
        assert inst.call("add", 1, 2) == 3  # looked up while open
        m.close()
        assert inst.call("add", 1, 5) == 6
        # Never looked up before the module's close: no results= needed.
        assert inst.call("count") == 0
        assert inst.call("pair", 4) == (4, 8)
        assert inst.call("add64", 2**40, -1) == 2**40 - 1  # ints as i64: the type is known
        assert inst.call("half32", 3.0) == 1.5
        assert inst.call("bump") is None
        assert inst.call("count") == 1
        assert inst.call("count", results=1) == 1  # results= still works
        assert str(inst.export_type("mixed")) == "(i32, i64, f32, f64) -> (f64)"
        with pytest.raises(wasihost.LinkError, match=r"\(i32, i32\) -> \(i32\)"):
            inst.call("add", 1)
        with pytest.raises(wasihost.LinkError, match='no function named "nope"'):
            inst.call("nope")
        with pytest.raises(ValueError, match="closed module"):
            m.export_type("add")
    with pytest.raises(ValueError, match="closed instance"):
        inst.export_type("add")
    with pytest.raises(ValueError, match="closed instance"):
        inst.call("add", 1, 2)


def test_instance_export_type_is_the_modules(inst: Instance, calc: Module) -> None:
    for name in ("add", "add64", "half32", "sqrt64", "mixed", "pair", "bump", "count"):
        assert inst.export_type(name) == calc.export_type(name), name
    t = inst.export_type("pair")
    assert isinstance(t, wasihost.FuncType)
    assert (t.params, t.results) == (("i32",), ("i32", "i64"))
    assert str(t) == "(i32) -> (i32, i64)"
    assert inst.export_type("bump") == wasihost.FuncType((), ())
    for query in (inst.export_type, calc.export_type):
        with pytest.raises(wasihost.LinkError, match='no function named "nope"'):
            query("nope")
        with pytest.raises(wasihost.LinkError, match='no function named "memory"'):
            query("memory")  # a memory, not a function


def test_export_type_refuses_v128_and_references(engine: wasihost.Engine) -> None:
    wat = """(module
      (func (export "vec") (param i32 v128) (result i32) (local.get 0))
      (func (export "ref") (param funcref)))"""
    with Module.from_wat(wat, engine=engine) as m, Instance(m) as inst:
        for query in (inst.export_type, m.export_type):
            with pytest.raises(wasihost.LinkError, match='"vec" takes or returns a v128'):
                query("vec")
            with pytest.raises(
                wasihost.LinkError, match=r'"ref" takes or returns a \(ref null func\)'
            ):
                query("ref")
        with pytest.raises(wasihost.LinkError, match="v128"):
            inst.call("vec", 1, 2)


def test_bad_python_values(inst: Instance) -> None:
    with pytest.raises(TypeError, match="argument 0"):
        inst.call("add", "1", 2, results=1)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        i32(-(2**31) - 1)
    with pytest.raises(OverflowError):
        f32(1e39)
    with pytest.raises(ValueError):
        inst.call("count", results=-1)


def test_proc_exit_in_a_call_raises_guest_exit(inst: Instance) -> None:
    with pytest.raises(wasihost.GuestExit) as e:
        inst.call("bye", 5)
    assert e.value.code == 5 and e.value.kind == 8


def test_trap_in_a_call(inst: Instance) -> None:
    with pytest.raises(wasihost.Trap, match="unreachable"):
        inst.call("crash")


def test_interrupt_stops_a_call_and_later_ones(inst: Instance) -> None:
    inst.interrupt()  # before the call: it stops at its first loop iteration
    with pytest.raises(wasihost.Interrupted):
        inst.call("spin")
    with pytest.raises(wasihost.Interrupted):
        inst.call("count", results=1)
