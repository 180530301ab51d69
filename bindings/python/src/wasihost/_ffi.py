"""The C API of ``libwasihost_core`` (``include/wasihost.h``) in ctypes.

Finding the library, and one declaration per C function, struct and
constant. Nothing here is public: the classes in :mod:`wasihost` wrap it.
``tests/test_header.py`` parses the header and fails when it and these
declarations drift apart, in either direction.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    Union,
    c_bool,
    c_char_p,
    c_double,
    c_float,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any

LIBRARY_ENV = "WASIHOST_LIBRARY"
"""The environment variable that names the shared library to load."""

_SONAME = "libwasihost_core.so"

# --- constants (the header's #defines) --------------------------------------

WASIHOST_PREOPEN_READONLY = 1
WASIHOST_OUTPUT_APPEND = 1
WASIHOST_STDIN = 0
WASIHOST_STDOUT = 1
WASIHOST_STDERR = 2
WASIHOST_ERROR_KIND_INVALID_ARGUMENT = 1
WASIHOST_ERROR_KIND_CONFIG = 2
WASIHOST_ERROR_KIND_IO = 3
WASIHOST_ERROR_KIND_MODULE = 4
WASIHOST_ERROR_KIND_LINK = 5
WASIHOST_ERROR_KIND_ENGINE = 6
WASIHOST_ERROR_KIND_TRAP = 7
WASIHOST_ERROR_KIND_EXIT = 8
WASIHOST_ERROR_KIND_INTERRUPTED = 9
WASIHOST_ERROR_KIND_PANIC = 10
WASIHOST_ERROR_KIND_TIMEOUT = 11
WASIHOST_ERROR_KIND_FUEL_EXHAUSTED = 12
WASIHOST_ERROR_KIND_MEMORY_LIMIT = 13
WASIHOST_ENGINE_INTERRUPTIBLE = 1
WASIHOST_ENGINE_FUEL = 2
WASIHOST_TRAP_OTHER = 0
WASIHOST_TRAP_UNREACHABLE = 1
WASIHOST_TRAP_MEMORY_OUT_OF_BOUNDS = 2
WASIHOST_TRAP_INTEGER_DIVISION_BY_ZERO = 3
WASIHOST_TRAP_INTEGER_OVERFLOW = 4
WASIHOST_TRAP_BAD_CONVERSION_TO_INTEGER = 5
WASIHOST_TRAP_STACK_OVERFLOW = 6
WASIHOST_TRAP_INDIRECT_CALL_TO_NULL = 7
WASIHOST_TRAP_BAD_SIGNATURE = 8
WASIHOST_TRAP_TABLE_OUT_OF_BOUNDS = 9
WASIHOST_TRAP_NULL_REFERENCE = 10
WASIHOST_TRAP_HEAP_MISALIGNED = 11
WASIHOST_TRAP_HOST_PANIC = 12
WASIHOST_VAL_I32 = 0
WASIHOST_VAL_I64 = 1
WASIHOST_VAL_F32 = 2
WASIHOST_VAL_F64 = 3
WASIHOST_CACHE_HIT = 1
WASIHOST_CACHE_MISS = 2
WASIHOST_CACHE_REBUILT = 3
WASIHOST_CACHE_NOT_STORED = 4
WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR = 1
WASIHOST_CALL_EXIT = -1
WASIHOST_CALL_TRAP = -2
WASIHOST_ARG_FD = 0
WASIHOST_ARG_INT = 1
WASIHOST_ARG_SIGNED = 2
WASIHOST_ARG_FLAGS = 3
WASIHOST_ARG_ENUM = 4
WASIHOST_ARG_PTR = 5
WASIHOST_ARG_PATH = 6
WASIHOST_ARG_BUF = 7
WASIHOST_ARG_IOVS = 8
WASIHOST_ARG_LEN = 9
WASIHOST_TRAP_HANDLER = 13

WASIHOST_CACHE_DEFAULT_MAX_SIZE = 1073741824

# A #define the header test cannot read as a number (UINT64_MAX).
CACHE_UNBOUNDED = (1 << 64) - 1
"""``WASIHOST_CACHE_UNBOUNDED``: ``wasihost_cache_set_max_size``'s value for no limit."""

CONSTANTS: dict[str, int] = {
    name: value for name, value in globals().items() if name.startswith("WASIHOST_")
}
"""Every #define of the header, by name."""

# --- types -----------------------------------------------------------------

# Integer typedefs of the header, by name (the tests resolve them).
INT_TYPEDEFS: dict[str, Any] = {
    "wasihost_stream_t": c_uint32,
    "wasihost_engine_flags_t": c_uint32,
    "wasihost_error_kind_t": c_uint32,
    "wasihost_trap_code_t": c_uint32,
    "wasihost_valkind_t": c_uint32,
    "wasihost_cache_status_t": c_uint32,
    "wasihost_cache_flags_t": c_uint32,
}

# Opaque handles are plain addresses (c_void_p): ctypes gives them back as
# Python ints (None for NULL), which the wrappers keep.
OPAQUE_TYPES = (
    "wasihost_config_t",
    "wasihost_engine_t",
    "wasihost_error_t",
    "wasihost_instance_t",
    "wasihost_interrupt_handle_t",
    "wasihost_module_t",
    "wasihost_call_t",
    "wasihost_cache_t",
)


class wasihost_valunion_t(Union):
    """The payload of a wasm value."""

    _fields_ = [("i32", c_int32), ("i64", c_int64), ("f32", c_float), ("f64", c_double)]


class wasihost_val_t(Structure):
    """A wasm value: a kind and its payload."""

    _fields_ = [("kind", c_uint32), ("of", wasihost_valunion_t)]


class wasihost_capture_t(Structure):
    """What the guest wrote to a captured stream (borrowed from the instance)."""

    _fields_ = [
        ("data", POINTER(c_uint8)),
        ("len", c_size_t),
        ("total_written", c_uint64),
        ("truncated", c_bool),
    ]


class wasihost_bytes_t(Structure):
    """Bytes owned by the library, freed with wasihost_bytes_delete."""

    _fields_ = [("data", POINTER(c_uint8)), ("len", c_size_t)]


STRUCTS: dict[str, Any] = {
    "wasihost_valunion_t": wasihost_valunion_t,
    "wasihost_val_t": wasihost_val_t,
    "wasihost_capture_t": wasihost_capture_t,
    "wasihost_bytes_t": wasihost_bytes_t,
}

# Callback types. Byte buffers are passed as addresses (c_void_p), which
# is cheaper in ctypes than a POINTER object per call.
wasihost_read_callback_t = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t, POINTER(c_size_t))
wasihost_write_callback_t = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t)
wasihost_finalizer_t = CFUNCTYPE(None, c_void_p)
# The programmable host: a call handler gets the call (an opaque
# wasihost_call_t *); a trace callback also the JSON line (an address,
# not NUL-terminated, and its length).
wasihost_call_handler_t = CFUNCTYPE(c_int32, c_void_p, c_void_p)
wasihost_trace_callback_t = CFUNCTYPE(None, c_void_p, c_void_p, c_void_p, c_size_t)
wasihost_clock_now_t = CFUNCTYPE(c_int32, c_void_p, c_uint32, POINTER(c_uint64))
wasihost_clock_sleep_t = CFUNCTYPE(c_int32, c_void_p, c_uint64)
wasihost_random_callback_t = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t)

CALLBACK_TYPES: dict[str, Any] = {
    "wasihost_read_callback_t": wasihost_read_callback_t,
    "wasihost_write_callback_t": wasihost_write_callback_t,
    "wasihost_finalizer_t": wasihost_finalizer_t,
    "wasihost_call_handler_t": wasihost_call_handler_t,
    "wasihost_trace_callback_t": wasihost_trace_callback_t,
    "wasihost_clock_now_t": wasihost_clock_now_t,
    "wasihost_clock_sleep_t": wasihost_clock_sleep_t,
    "wasihost_random_callback_t": wasihost_random_callback_t,
}

_p = c_void_p  # any opaque handle
_pp = POINTER(c_void_p)  # an out-parameter for a handle
_b = c_char_p  # const uint8_t * / const char *: bytes in (or NULL)
_err = c_void_p  # wasihost_error_t *, NULL on success
# wasihost_module_export_func_type and wasihost_instance_export_func_type:
# the handle, the name, then the params and results arrays with their caps
# and count out-parameters.
_EXPORT_FUNC_TYPE_ARGS = [
    _p,
    _b,
    c_size_t,
    POINTER(c_uint32),
    c_size_t,
    POINTER(c_size_t),
    POINTER(c_uint32),
    c_size_t,
    POINTER(c_size_t),
]
_addr = c_void_p  # a pointer into guest memory (uint8_t *), as an int
_addr_out = POINTER(c_void_p)  # uint8_t **: an out-parameter for such a pointer

# name -> (restype, argtypes), in the header's order.
FUNCTIONS: dict[str, tuple[Any, list[Any]]] = {
    "wasihost_version": (c_char_p, []),
    "wasihost_cache_new": (_err, [_b, c_size_t, _pp]),
    "wasihost_cache_delete": (None, [_p]),
    "wasihost_cache_set_max_size": (_err, [_p, c_uint64]),
    "wasihost_cache_set_flags": (_err, [_p, c_uint32]),
    "wasihost_cache_load": (_err, [_p, _p, _b, c_size_t, POINTER(c_uint32), _pp]),
    "wasihost_cache_load_file": (_err, [_p, _p, _b, c_size_t, POINTER(c_uint32), _pp]),
    "wasihost_cache_disk_usage": (_err, [_p, POINTER(c_uint64)]),
    "wasihost_cache_clear": (_err, [_p, POINTER(c_uint64)]),
    "wasihost_config_new": (_p, []),
    "wasihost_config_delete": (None, [_p]),
    "wasihost_config_push_arg": (_err, [_p, _b, c_size_t]),
    "wasihost_config_set_env": (_err, [_p, _b, c_size_t, _b, c_size_t]),
    "wasihost_config_inherit_env": (_err, [_p]),
    "wasihost_config_inherit_env_var": (_err, [_p, _b, c_size_t]),
    "wasihost_config_preopen_dir": (_err, [_p, _b, c_size_t, _b, c_size_t, c_uint32]),
    # The NUL-terminated conveniences for C (the binding uses the
    # (pointer, length) functions), declared so that the header check sees them.
    "wasihost_config_push_arg_str": (_err, [_p, c_char_p]),
    "wasihost_config_set_env_str": (_err, [_p, c_char_p, c_char_p]),
    "wasihost_config_preopen_dir_str": (_err, [_p, c_char_p, c_char_p, c_uint32]),
    "wasihost_module_from_file_str": (_err, [_p, c_char_p, _pp]),
    "wasihost_module_export_func_type": (_err, _EXPORT_FUNC_TYPE_ARGS),
    "wasihost_instance_export_func_type": (_err, _EXPORT_FUNC_TYPE_ARGS),
    "wasihost_config_set_max_open_fds": (_err, [_p, c_size_t]),
    "wasihost_config_set_timeout_ns": (_err, [_p, c_uint64]),
    "wasihost_config_set_fuel": (_err, [_p, c_uint64]),
    "wasihost_config_set_max_memory": (_err, [_p, c_uint64]),
    "wasihost_config_set_max_table_elements": (_err, [_p, c_uint64]),
    "wasihost_config_stdin_inherit": (_err, [_p]),
    "wasihost_config_stdin_null": (_err, [_p]),
    "wasihost_config_stdin_bytes": (_err, [_p, _b, c_size_t]),
    "wasihost_config_stdin_file": (_err, [_p, _b, c_size_t]),
    "wasihost_config_stdin_fd": (_err, [_p, c_int32]),
    "wasihost_config_stdin_callback": (
        _err,
        [_p, wasihost_read_callback_t, c_void_p, wasihost_finalizer_t],
    ),
    "wasihost_config_output_inherit": (_err, [_p, c_uint32]),
    "wasihost_config_output_null": (_err, [_p, c_uint32]),
    "wasihost_config_output_file": (_err, [_p, c_uint32, _b, c_size_t, c_uint32]),
    "wasihost_config_output_fd": (_err, [_p, c_uint32, c_int32]),
    "wasihost_config_output_capture": (_err, [_p, c_uint32, c_size_t]),
    "wasihost_config_output_callback": (
        _err,
        [_p, c_uint32, wasihost_write_callback_t, c_void_p, wasihost_finalizer_t],
    ),
    "wasihost_engine_new": (_err, [_pp]),
    "wasihost_engine_new_with_flags": (_err, [c_uint32, _pp]),
    "wasihost_engine_flags": (c_uint32, [_p]),
    "wasihost_engine_delete": (None, [_p]),
    "wasihost_error_kind": (c_uint32, [_p]),
    "wasihost_error_message": (c_char_p, [_p]),
    "wasihost_error_errno": (c_uint16, [_p]),
    "wasihost_error_exit_code": (c_bool, [_p, POINTER(c_uint32)]),
    "wasihost_error_trap_code": (c_bool, [_p, POINTER(c_uint32)]),
    "wasihost_error_kind_name": (c_char_p, [c_uint32]),
    "wasihost_error_delete": (None, [_p]),
    "wasihost_config_set_call_handler": (
        _err,
        [_p, _b, c_size_t, wasihost_call_handler_t, c_void_p, wasihost_finalizer_t],
    ),
    "wasihost_config_set_trace_file": (_err, [_p, _b, c_size_t, _b, c_size_t]),
    "wasihost_config_set_trace_callback": (
        _err,
        [_p, _b, c_size_t, wasihost_trace_callback_t, c_void_p, wasihost_finalizer_t],
    ),
    "wasihost_config_set_deterministic": (_err, [_p, c_uint64]),
    "wasihost_config_set_clock": (
        _err,
        [_p, wasihost_clock_now_t, wasihost_clock_sleep_t, c_void_p, wasihost_finalizer_t],
    ),
    "wasihost_config_set_random_callback": (
        _err,
        [_p, wasihost_random_callback_t, c_void_p, wasihost_finalizer_t],
    ),
    "wasihost_call_name": (c_char_p, [_p]),
    "wasihost_call_arg_count": (c_size_t, [_p]),
    "wasihost_call_arg_name": (c_char_p, [_p, c_size_t]),
    "wasihost_call_arg_index": (c_int32, [_p, _b, c_size_t]),
    "wasihost_call_arg_kind": (c_uint32, [_p, c_size_t]),
    "wasihost_call_arg": (c_uint64, [_p, c_size_t]),
    "wasihost_call_set_arg": (c_bool, [_p, c_size_t, c_uint64]),
    "wasihost_call_arg_bytes": (c_int32, [_p, c_size_t, _addr_out, POINTER(c_size_t)]),
    "wasihost_call_iovec": (c_int32, [_p, c_size_t, c_uint32, _addr_out, POINTER(c_size_t)]),
    "wasihost_call_memory": (_addr, [_p, POINTER(c_size_t)]),
    "wasihost_call_default": (c_int32, [_p]),
    "wasihost_call_result_count": (c_size_t, [_p]),
    "wasihost_call_result_name": (c_char_p, [_p, c_size_t]),
    "wasihost_call_result": (c_uint64, [_p, c_size_t]),
    "wasihost_call_result_is_struct": (c_bool, [_p, c_size_t]),
    "wasihost_call_set_result": (c_bool, [_p, c_size_t, c_uint64]),
    "wasihost_call_result_bytes": (_addr, [_p, c_size_t, POINTER(c_size_t)]),
    "wasihost_call_set_exit": (c_int32, [_p, c_uint32]),
    "wasihost_call_set_trap": (c_int32, [_p, _b, c_size_t]),
    "wasihost_call_errno": (c_int32, [_p]),
    "wasihost_call_exit_code": (c_uint32, [_p]),
    "wasihost_call_duration_ns": (c_uint64, [_p]),
    "wasihost_call_instance": (c_uint64, [_p]),
    "wasihost_instance_new": (_err, [_p, _p, _pp]),
    "wasihost_instance_new_with_handle": (_err, [_p, _p, _p, _pp]),
    "wasihost_instance_run": (_err, [_p, POINTER(c_uint32)]),
    "wasihost_instance_call": (
        _err,
        [_p, _b, c_size_t, POINTER(wasihost_val_t), c_size_t, POINTER(wasihost_val_t), c_size_t],
    ),
    "wasihost_instance_capture": (_err, [_p, c_uint32, POINTER(wasihost_capture_t)]),
    "wasihost_instance_interrupt_handle": (_err, [_p, _pp]),
    "wasihost_interrupt_handle_new": (_err, [_pp]),
    "wasihost_interrupt_handle_is_interrupted": (c_bool, [_p]),
    "wasihost_interrupt_handle_interrupt": (None, [_p]),
    "wasihost_instance_set_timeout_ns": (_err, [_p, c_uint64]),
    "wasihost_instance_memory_limit_reached": (c_bool, [_p]),
    "wasihost_instance_number": (c_uint64, [_p]),
    "wasihost_instance_fuel_left": (c_bool, [_p, POINTER(c_uint64)]),
    "wasihost_interrupt_handle_delete": (None, [_p]),
    "wasihost_instance_delete": (None, [_p]),
    "wasihost_module_new": (_err, [_p, _b, c_size_t, _pp]),
    "wasihost_module_from_wat": (_err, [_p, _b, c_size_t, _pp]),
    "wasihost_module_from_file": (_err, [_p, _b, c_size_t, _pp]),
    "wasihost_module_new_cached": (
        _err,
        [_p, _b, c_size_t, _b, c_size_t, POINTER(c_uint32), _pp],
    ),
    "wasihost_module_new_cached_flags": (
        _err,
        [_p, _b, c_size_t, _b, c_size_t, c_uint32, POINTER(c_uint32), _pp],
    ),
    "wasihost_module_serialize": (_err, [_p, POINTER(wasihost_bytes_t)]),
    "wasihost_module_deserialize": (_err, [_p, _b, c_size_t, _pp]),
    "wasihost_module_has_export": (c_bool, [_p, _b, c_size_t]),
    "wasihost_bytes_delete": (None, [POINTER(wasihost_bytes_t)]),
    "wasihost_module_delete": (None, [_p]),
}

# --- finding and loading the library ----------------------------------------


class LibraryNotFoundError(OSError):
    """The shared library could not be found or loaded.

    The message lists every place that was tried, in order.
    """

    __module__ = "wasihost"


def _repo_root() -> Path | None:
    """The repository this package's source lies in, if it does.

    The source is ``<repo>/bindings/python/src/wasihost/``; an installed
    copy (site-packages) has no repository around it.
    """
    here = Path(__file__).resolve().parent
    if len(here.parents) < 4:
        return None
    root = here.parents[3]
    if (root / "include" / "wasihost.h").is_file():
        return root
    return None


def candidates() -> list[tuple[str, Path | str]]:
    """Where the library is looked for, in order: (how, path or name).

    First next to the package, where an installed wheel has it (``setup.py``
    bundles it); then, for the package used from the repository's source,
    the repository's builds; then the system's (``make install``).
    """
    found: list[tuple[str, Path | str]] = []
    found.append(("next to the package", Path(__file__).resolve().parent / _SONAME))
    root = _repo_root()
    if root is not None:
        for profile in ("release", "debug"):
            found.append(
                (f"the repository's {profile} build", root / "build" / "lib" / profile / _SONAME)
            )
    system = ctypes.util.find_library("wasihost_core")
    found.append(("the system library path", system or _SONAME + ".0"))
    return found


def _load() -> ctypes.CDLL:
    explicit = os.environ.get(LIBRARY_ENV)
    if explicit:
        # Named explicitly: that library or nothing, never a silent fallback.
        # A relative path is taken from the current directory, now.
        if os.sep in explicit:
            explicit = os.path.abspath(explicit)
        try:
            return ctypes.CDLL(explicit)
        except OSError as e:
            raise LibraryNotFoundError(
                f"cannot load the wasihost library named by ${LIBRARY_ENV}={explicit!r}: {e}"
            ) from None
    tried: list[str] = [f"${LIBRARY_ENV} (not set)"]
    for how, where in candidates():
        if isinstance(where, Path) and not where.is_file():
            tried.append(f"{how}: {where} (not found)")
            continue
        try:
            return ctypes.CDLL(str(where))
        except OSError as e:
            tried.append(f"{how}: {where} ({e})")
    raise LibraryNotFoundError(
        "cannot find the wasihost library (libwasihost_core.so). Looked in:\n  "
        + "\n  ".join(tried)
        + "\nInstall the package with its library (`pip install bindings/python` from the"
        " repository builds a wheel that bundles it), build it (`make lib` or"
        f" `make lib-debug` in the repository) or set ${LIBRARY_ENV} to its path."
    )


def declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Sets restype and argtypes of every function of ``lib``."""
    for name, (restype, argtypes) in FUNCTIONS.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


_lib: ctypes.CDLL | None = None
_lib_lock = threading.Lock()


def lib() -> ctypes.CDLL:
    """The loaded, declared library (loaded on first use)."""
    global _lib
    if _lib is None:
        with _lib_lock:
            if _lib is None:
                _lib = declare(_load())
    return _lib


def library_path() -> str:
    """The path of the loaded library (loads it if needed)."""
    return str(lib()._name)


__all__ = ["lib", "library_path", "LibraryNotFoundError", "LIBRARY_ENV"]
