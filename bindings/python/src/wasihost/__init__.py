"""wasihost: run WebAssembly (WASI preview1) programs in a sandbox, from Python.

A guest sees only what it is granted: its arguments, the environment
variables you give, the directories you preopen, and the stdio you wire::

    import wasihost

    result = wasihost.run("prog.wasm", ["--fast"], dirs=[("./data", "/data")],
                          stdin=b"input")
    print(result.exit_code, result.stdout.decode())

Limits: ``run(..., timeout=2.5, fuel=10**9, max_memory=256 << 20)``
raises :class:`TimedOut` or :class:`FuelExhausted` when the guest passes
them (a ``memory.grow`` past ``max_memory`` fails in the guest).

The programmable host: override any WASI call with fall-through to the
built-in (``Config.on_call``, ``run(handlers=)``, a :class:`Call` per
call), trace the calls (``Config.set_trace``, ``run(trace=)``), and make
runs reproducible (``run(deterministic=True)``, ``Config.set_clock``,
``Config.set_random``)::

    def deny_keys(call: wasihost.Call) -> wasihost.Errno | None:
        if call.path.endswith(b".key"):
            return wasihost.Errno.ACCES
        return call.call_default()

    wasihost.run("prog.wasm", dirs=[(".", "/d")], handlers={"path_open": deny_keys})

For more control (reusing a compiled module, calling exports, streaming
output, interrupting from another thread) use :class:`Module`,
:class:`Config` and :class:`Instance`; :class:`Cache` keeps compiled
modules on disk (``run(..., cache=True)``), bounded in size. Every handle has an idempotent
``close()``, works as a context manager and is freed by the garbage
collector as a fallback. Errors are :class:`WasiHostError` subclasses,
which are also ``FileNotFoundError``, ``PermissionError``, ... where a
built-in fits.

The package loads ``libwasihost_core.so`` on first use: from
``$WASIHOST_LIBRARY``, else next to the package, else the repository's
``build/lib/release`` or ``build/lib/debug``, else the system library path.
"""

from __future__ import annotations

from ._core import (
    CAPTURE,
    DEFAULT_CAPTURE_LIMIT,
    DEVNULL,
    INHERIT,
    Cache,
    CacheStatus,
    Capture,
    Captured,
    Config,
    Engine,
    FuncType,
    Instance,
    InterruptHandle,
    Module,
    Stream,
    default_engine,
    version,
)
from ._ffi import LIBRARY_ENV, library_path
from ._hooks import ArgKind, Call, CallArgs, CallResults, ClockId, TraceRecord
from ._run import RunResult, run
from ._values import Value, f32, f64, i32, i64
from .errors import (
    CallError,
    CallExit,
    CallTrap,
    ConfigError,
    EngineError,
    Errno,
    FuelExhausted,
    GuestExit,
    HostIOError,
    InternalError,
    Interrupted,
    InvalidArgumentError,
    LibraryNotFoundError,
    LinkError,
    MemoryLimitError,
    ModuleError,
    TimedOut,
    Trap,
    TrapCode,
    WasiHostError,
)

__version__ = "0.1.0"

STDIN = Stream.STDIN
STDOUT = Stream.STDOUT
STDERR = Stream.STDERR

__all__ = [
    "run",
    "RunResult",
    "Engine",
    "Module",
    "Config",
    "FuncType",
    "Instance",
    "InterruptHandle",
    "Captured",
    "Capture",
    "Cache",
    "CacheStatus",
    "Stream",
    "STDIN",
    "STDOUT",
    "STDERR",
    "INHERIT",
    "DEVNULL",
    "CAPTURE",
    "DEFAULT_CAPTURE_LIMIT",
    "Value",
    "i32",
    "i64",
    "f32",
    "f64",
    "default_engine",
    "version",
    "library_path",
    "LIBRARY_ENV",
    "WasiHostError",
    "InvalidArgumentError",
    "ConfigError",
    "HostIOError",
    "ModuleError",
    "LinkError",
    "EngineError",
    "Trap",
    "TrapCode",
    "GuestExit",
    "Interrupted",
    "TimedOut",
    "FuelExhausted",
    "MemoryLimitError",
    "InternalError",
    "LibraryNotFoundError",
    "Errno",
    "Call",
    "CallArgs",
    "CallResults",
    "ArgKind",
    "ClockId",
    "TraceRecord",
    "CallError",
    "CallExit",
    "CallTrap",
]
