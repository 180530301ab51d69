"""The ctypes declarations match include/wasihost.h, in both directions.

The header is parsed (function prototypes, callback typedefs, structs,
#defines), each C type is mapped to the ctypes type the binding must use,
and any difference fails: a header function the binding lacks, a binding
function the header lacks, or a different return type, argument count or
argument type.
"""

from __future__ import annotations

import ctypes
import re
from pathlib import Path
from typing import Any

import pytest

import wasihost
from wasihost import _ffi

HEADER = Path(__file__).resolve().parents[3] / "include" / "wasihost.h"

INT_TYPES: dict[str, Any] = {
    "int32_t": ctypes.c_int32,
    "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "uint16_t": ctypes.c_uint16,
    "uint8_t": ctypes.c_uint8,
    "size_t": ctypes.c_size_t,
    "bool": ctypes.c_bool,
    "float": ctypes.c_float,
    "double": ctypes.c_double,
}


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


class Header:
    """What the header declares."""

    def __init__(self, text: str) -> None:
        code = _strip_comments(text)
        self.defines = {
            m.group(1): int(m.group(2), 0)
            for m in re.finditer(r"^#define\s+(\w+)\s+(\S+)\s*$", text, re.M)
            if re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)", m.group(2))
        }
        self.opaque = set(re.findall(r"typedef\s+struct\s+(\w+)\s+\1\s*;", code))
        self.int_typedefs = dict(
            (name, base)
            for base, name in re.findall(r"typedef\s+(\w+)\s+(\w+)\s*;", code)
            if base in INT_TYPES
        )
        self.fnptrs = {
            name: (ret.strip(), self._params(params))
            for ret, name, params in re.findall(
                r"typedef\s+([\w\s\*]+?)\s*\(\s*\*\s*(\w+)\s*\)\s*\(([^)]*)\)\s*;", code
            )
        }
        self.records: dict[str, list[tuple[str, str]]] = {}
        for body, name in re.findall(r"typedef\s+(?:struct|union)\s*\{([^}]*)\}\s*(\w+)\s*;", code):
            fields = []
            for decl in body.split(";"):
                decl = decl.strip()
                if decl:
                    m = re.fullmatch(r"(.+?)\s*(\w+)", decl, re.S)
                    assert m, decl
                    fields.append((m.group(2), " ".join(m.group(1).split())))
            self.records[name] = fields
        start = code.index('extern "C" {')
        end = code.index("}", start)
        body = code[start + len('extern "C" {') : end]
        body = re.sub(r"#\w+[^\n]*", " ", body)
        self.functions: dict[str, tuple[str, list[str]]] = {}
        for proto in body.split(";"):
            proto = " ".join(proto.split())
            if not proto:
                continue
            m = re.fullmatch(r"(.+?)\s*\b(\w+)\s*\((.*)\)", proto)
            assert m, f"cannot parse prototype: {proto!r}"
            self.functions[m.group(2)] = (m.group(1).strip(), self._params(m.group(3)))

    @staticmethod
    def _params(text: str) -> list[str]:
        text = " ".join(text.split())
        if text in ("", "void"):
            return []
        out = []
        for p in text.split(","):
            # Drop the parameter name: the last identifier after the type.
            m = re.fullmatch(r"\s*(.*?[\s\*])\s*(\w+)\s*", p)
            assert m, f"cannot parse parameter {p!r}"
            out.append(m.group(1).strip())
        return out

    def expected(self, ctype: str) -> Any:
        """The ctypes type the binding must use for the C type ``ctype``."""
        t = " ".join(ctype.replace("*", " * ").split())
        stars = t.count("*")
        base = " ".join(w for w in t.replace("*", " ").split() if w != "const")
        if base in self.int_typedefs:
            base = self.int_typedefs[base]
        if stars == 0:
            if base == "void":
                return None
            if base in INT_TYPES:
                return INT_TYPES[base]
            if base in self.fnptrs:
                return ("callback", base)
            if base in self.records:
                return _ffi.STRUCTS[base]
            raise AssertionError(f"unmapped C type {ctype!r}")
        if stars == 1:
            if base in ("char", "uint8_t"):
                # Byte strings in (c_char_p takes bytes or None) or a buffer
                # address in a callback (c_void_p).
                return ("bytes",)
            if base == "void" or base in self.opaque:
                return ctypes.c_void_p
            if base in self.records:
                return ctypes.POINTER(_ffi.STRUCTS[base])
            if base in INT_TYPES:
                return ctypes.POINTER(INT_TYPES[base])
        if stars == 2 and (base in self.opaque or base == "uint8_t"):
            # An out-parameter for a handle, or for an address into guest
            # memory (wasihost_call_arg_bytes, wasihost_call_iovec).
            return ctypes.POINTER(ctypes.c_void_p)
        raise AssertionError(f"unmapped C type {ctype!r}")

    def matches(self, ctype: str, actual: Any) -> bool:
        want = self.expected(ctype)
        if want == ("bytes",):
            return actual in (ctypes.c_char_p, ctypes.c_void_p)
        if isinstance(want, tuple) and want[0] == "callback":
            return actual is _ffi.CALLBACK_TYPES.get(want[1])
        return actual is want


@pytest.fixture(scope="module")
def header() -> Header:
    return Header(HEADER.read_text())


def test_the_parser_sees_the_whole_header(header: Header) -> None:
    # A parser that silently found nothing would pass everything below.
    assert len(header.functions) >= 40
    assert "wasihost_instance_run" in header.functions
    assert {"wasihost_read_callback_t", "wasihost_write_callback_t", "wasihost_finalizer_t"} <= set(
        header.fnptrs
    )
    assert {"wasihost_val_t", "wasihost_capture_t", "wasihost_bytes_t"} <= set(header.records)
    assert header.functions["wasihost_module_new_cached"][1] == [
        "const wasihost_engine_t *",
        "const uint8_t *",
        "size_t",
        "const uint8_t *",
        "size_t",
        "wasihost_cache_status_t *",
        "wasihost_module_t **",
    ]


def test_every_header_function_is_declared(header: Header) -> None:
    missing = sorted(set(header.functions) - set(_ffi.FUNCTIONS))
    assert not missing, f"header functions the binding does not declare: {missing}"


def test_every_declared_function_is_in_the_header(header: Header) -> None:
    extra = sorted(set(_ffi.FUNCTIONS) - set(header.functions))
    assert not extra, f"binding declarations the header lacks: {extra}"


@pytest.mark.parametrize("name", sorted(_ffi.FUNCTIONS))
def test_signature_matches(header: Header, name: str) -> None:
    if name not in header.functions:
        pytest.skip("reported by test_every_declared_function_is_in_the_header")
    c_ret, c_params = header.functions[name]
    restype, argtypes = _ffi.FUNCTIONS[name]
    assert len(argtypes) == len(c_params), (
        f"{name}: {len(argtypes)} argtypes, the header has {len(c_params)}: {c_params}"
    )
    assert header.matches(c_ret, restype), f"{name}: restype {restype} for C {c_ret!r}"
    for i, (c, py) in enumerate(zip(c_params, argtypes, strict=True)):
        assert header.matches(c, py), f"{name}: argument {i} is {py}, C has {c!r}"


def test_pointer_results_are_not_truncated_to_int(header: Header) -> None:
    # Every function returning a pointer must have a pointer restype (not
    # ctypes' default c_int, which would cut an address to 32 bits).
    for name, (restype, _) in _ffi.FUNCTIONS.items():
        if "*" in header.functions.get(name, ("", []))[0]:
            assert restype in (ctypes.c_void_p, ctypes.c_char_p), name
        else:
            assert restype is not ctypes.c_int or header.functions[name][0] == "int32_t", name


def test_the_loaded_library_has_every_declaration_applied() -> None:
    lib = _ffi.lib()
    for name, (restype, argtypes) in _ffi.FUNCTIONS.items():
        fn = getattr(lib, name)
        assert fn.restype is restype or (restype is None and fn.restype is None), name
        assert list(fn.argtypes) == list(argtypes), name


@pytest.mark.parametrize("name", sorted(_ffi.CALLBACK_TYPES))
def test_callback_types_match(header: Header, name: str) -> None:
    assert name in header.fnptrs, f"{name} is not a callback type of the header"
    c_ret, c_params = header.fnptrs[name]
    cb = _ffi.CALLBACK_TYPES[name]
    assert header.matches(c_ret, cb._restype_)
    assert len(cb._argtypes_) == len(c_params), name
    for c, py in zip(c_params, cb._argtypes_, strict=True):
        assert header.matches(c, py), f"{name}: {py} for C {c!r}"


def test_every_header_callback_type_is_declared(header: Header) -> None:
    assert set(header.fnptrs) == set(_ffi.CALLBACK_TYPES)


def test_structs_match(header: Header) -> None:
    assert set(header.records) == set(_ffi.STRUCTS)
    for name, fields in header.records.items():
        py = _ffi.STRUCTS[name]._fields_
        assert [f[0] for f in py] == [f[0] for f in fields], name
        for (fname, ctype), (_, pytype) in zip(fields, py, strict=True):
            assert header.matches(ctype, pytype) or (
                # A borrowed byte pointer in a struct: POINTER(c_uint8).
                "uint8_t *" in ctype and pytype is ctypes.POINTER(ctypes.c_uint8)
            ), f"{name}.{fname}: {pytype} for C {ctype!r}"


def test_constants_match(header: Header) -> None:
    defines = {
        k: v
        for k, v in header.defines.items()
        if k != "WASIHOST_H" and not k.startswith(("WASIHOST_ERRNO_", "WASIHOST_VERSION_"))
    }
    assert defines == _ffi.CONSTANTS


def test_errno_macros_match_the_errno_enum(header: Header) -> None:
    errnos = {k: v for k, v in header.defines.items() if k.startswith("WASIHOST_ERRNO_")}
    assert errnos == {f"WASIHOST_ERRNO_{e.wasi_name.upper()}": e.value for e in wasihost.Errno}


def test_version_macros_match_the_library(header: Header) -> None:
    v = header.defines
    parts = (v[f"WASIHOST_VERSION_{p}"] for p in ("MAJOR", "MINOR", "PATCH"))
    version = ".".join(str(p) for p in parts)
    assert _ffi.lib().wasihost_version().decode() == version


def test_opaque_handles_are_known(header: Header) -> None:
    assert header.opaque == set(_ffi.OPAQUE_TYPES)


def test_int_typedefs_match(header: Header) -> None:
    assert {k: INT_TYPES[v] for k, v in header.int_typedefs.items()} == _ffi.INT_TYPEDEFS


def test_drift_is_detected(header: Header, monkeypatch: pytest.MonkeyPatch) -> None:
    # The checks above fail on a changed argument type and on a missing
    # function: shown on a doctored copy of the declarations.
    restype, argtypes = _ffi.FUNCTIONS["wasihost_config_preopen_dir"]
    c_ret, c_params = header.functions["wasihost_config_preopen_dir"]
    bad = list(argtypes)
    bad[-1] = ctypes.c_int64
    assert not all(header.matches(c, p) for c, p in zip(c_params, bad, strict=True))
    text = HEADER.read_text().replace(
        "void wasihost_module_delete(", "void wasihost_module_delete2("
    )
    assert set(Header(text).functions) != set(_ffi.FUNCTIONS)
