"""Typed wasm values for :meth:`wasihost.Instance.call`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

from . import _ffi, _validate

__all__ = ["Value", "i32", "i64", "f32", "f64", "WasmArg"]


@dataclass(frozen=True)
class Value:
    """A wasm value of an explicit type; make one with :func:`i32`, :func:`i64`,
    :func:`f32` or :func:`f64`."""

    kind: int
    value: int | float

    def __repr__(self) -> str:
        return f"{_NAMES[self.kind]}({self.value!r})"


_NAMES = {
    _ffi.WASIHOST_VAL_I32: "i32",
    _ffi.WASIHOST_VAL_I64: "i64",
    _ffi.WASIHOST_VAL_F32: "f32",
    _ffi.WASIHOST_VAL_F64: "f64",
}


def _int(value: int, bits: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if not hasattr(value, "__index__"):
            raise TypeError(f"{name} needs an int, not {type(value).__name__}")
        value = value.__index__()
    lo, hi = -(1 << (bits - 1)), (1 << bits) - 1
    if not lo <= value <= hi:
        raise OverflowError(f"{value} does not fit in {name} (from {lo} to {hi})")
    # wasm integers have no sign: values above the signed range wrap.
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def i32(value: int) -> Value:
    """A 32-bit integer: from -2**31 to 2**32-1 (unsigned values wrap to negative)."""
    return Value(_ffi.WASIHOST_VAL_I32, _int(value, 32, "i32"))


def i64(value: int) -> Value:
    """A 64-bit integer: from -2**63 to 2**64-1 (unsigned values wrap to negative)."""
    return Value(_ffi.WASIHOST_VAL_I64, _int(value, 64, "i64"))


def f32(value: float) -> Value:
    """A 32-bit float (rounded to single precision)."""
    v = _validate.real(value, "f32 value")
    if math.isfinite(v) and abs(v) > 3.4028234663852886e38:
        raise OverflowError(f"{value} does not fit in f32")
    return Value(_ffi.WASIHOST_VAL_F32, v)


def f64(value: float) -> Value:
    """A 64-bit float."""
    return Value(_ffi.WASIHOST_VAL_F64, _validate.real(value, "f64 value"))


WasmArg = Union[Value, int, float]


def to_c(arg: WasmArg, out: _ffi.wasihost_val_t, index: int, kind: int | None = None) -> None:
    """Writes ``arg`` into ``out``: a Value as is; an int as i32 and a float as f64,
    or as the parameter's type ``kind`` (i64, f32) when it is known."""
    if isinstance(arg, Value):
        v = arg
    elif isinstance(arg, int):  # bool too: 0 or 1
        if kind == _ffi.WASIHOST_VAL_I64:
            try:
                v = i64(arg)
            except OverflowError as e:
                raise OverflowError(f"argument {index}: {e}") from None
        else:
            try:
                v = i32(arg)
            except OverflowError:
                hint = f"; pass wasihost.i64({arg})" if kind is None else " (the parameter's type)"
                raise OverflowError(f"argument {index}: {arg} does not fit in i32{hint}") from None
    elif isinstance(arg, float):
        if kind == _ffi.WASIHOST_VAL_F32:
            try:
                v = f32(arg)
            except OverflowError as e:
                raise OverflowError(f"argument {index}: {e}") from None
        else:
            v = f64(arg)
    else:
        raise TypeError(
            f"argument {index}: a wasm value is an int (i32), a float (f64) or"
            f" wasihost.i32/i64/f32/f64(...), not {type(arg).__name__}"
        )
    out.kind = v.kind
    if v.kind == _ffi.WASIHOST_VAL_I32:
        out.of.i32 = int(v.value)
    elif v.kind == _ffi.WASIHOST_VAL_I64:
        out.of.i64 = int(v.value)
    elif v.kind == _ffi.WASIHOST_VAL_F32:
        out.of.f32 = float(v.value)
    else:
        out.of.f64 = float(v.value)


def from_c(val: _ffi.wasihost_val_t) -> int | float:
    """The Python value of a result: int for i32/i64, float for f32/f64."""
    k = val.kind
    if k == _ffi.WASIHOST_VAL_I32:
        return int(val.of.i32)
    if k == _ffi.WASIHOST_VAL_I64:
        return int(val.of.i64)
    if k == _ffi.WASIHOST_VAL_F32:
        return float(val.of.f32)
    if k == _ffi.WASIHOST_VAL_F64:
        return float(val.of.f64)
    raise ValueError(f"unknown wasm value kind {k}")
