"""The exceptions of wasihost.

Every error the library reports is a :class:`WasiHostError`, of the
subclass for its kind (:class:`Trap`, :class:`ModuleError`, ...). When its
WASI errno has a built-in counterpart, the exception is an instance of that
built-in too, so ordinary handlers work::

    try:
        config.preopen("./missing", "/data")
    except FileNotFoundError as e:      # also a wasihost.ConfigError
        print(e.wasi_errno, e)          # 44 cannot grant the host directory ...

The C error is read into the exception (kind, message, errno, exit code)
and freed at once: an exception never holds library memory, so it may be
kept, pickled or printed at any time.
"""

from __future__ import annotations

import ctypes
import enum
import errno as _errno
from typing import Any, ClassVar

from . import _ffi

__all__ = [
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
    "CallError",
    "CallExit",
    "CallTrap",
]

LibraryNotFoundError = _ffi.LibraryNotFoundError


class WasiHostError(Exception):
    """An error reported by the wasihost library.

    Attributes:
        message: the library's message, with the context to act on it.
        kind: the ``WASIHOST_ERROR_KIND_*`` number (0 when not from the library).
        kind_name: the library's name for the kind (``"config"``, ``"trap"``, ...).
        wasi_errno: the WASI errno that best describes the error, or 0.
    """

    KIND: ClassVar[int] = 0
    KIND_NAME: ClassVar[str] = "error"

    message: str
    kind: int
    kind_name: str
    wasi_errno: int

    def __init__(self, message: str, *, wasi_errno: int = 0, kind: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = self.KIND if kind is None else kind
        self.kind_name = self.KIND_NAME
        self.wasi_errno = wasi_errno
        posix = _POSIX_ERRNO.get(wasi_errno)
        if posix is not None and isinstance(self, OSError):
            # OSError's own fields, for code that checks e.errno == errno.ENOENT.
            as_os_error: OSError = self
            as_os_error.errno = posix
            as_os_error.strerror = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Any:
        return (make, (self.kind, self.message, self.wasi_errno, getattr(self, "code", None)))


class TrapCode(enum.IntEnum):
    """Why the guest trapped (``WASIHOST_TRAP_*``): :attr:`Trap.code`."""

    OTHER = _ffi.WASIHOST_TRAP_OTHER
    """Any other cause: a host error that aborted the guest, or a kind not listed here."""
    UNREACHABLE = _ffi.WASIHOST_TRAP_UNREACHABLE
    """The ``unreachable`` instruction (C's ``abort()``, Rust's panic)."""
    MEMORY_OUT_OF_BOUNDS = _ffi.WASIHOST_TRAP_MEMORY_OUT_OF_BOUNDS
    """A memory access out of bounds."""
    INTEGER_DIVISION_BY_ZERO = _ffi.WASIHOST_TRAP_INTEGER_DIVISION_BY_ZERO
    """Integer division by zero."""
    INTEGER_OVERFLOW = _ffi.WASIHOST_TRAP_INTEGER_OVERFLOW
    """Integer overflow (``INT_MIN / -1``)."""
    BAD_CONVERSION_TO_INTEGER = _ffi.WASIHOST_TRAP_BAD_CONVERSION_TO_INTEGER
    """A float to integer conversion out of range."""
    STACK_OVERFLOW = _ffi.WASIHOST_TRAP_STACK_OVERFLOW
    """The call stack is exhausted."""
    INDIRECT_CALL_TO_NULL = _ffi.WASIHOST_TRAP_INDIRECT_CALL_TO_NULL
    """An indirect call to a null table entry."""
    BAD_SIGNATURE = _ffi.WASIHOST_TRAP_BAD_SIGNATURE
    """An indirect call with the wrong signature."""
    TABLE_OUT_OF_BOUNDS = _ffi.WASIHOST_TRAP_TABLE_OUT_OF_BOUNDS
    """A table access out of bounds."""
    NULL_REFERENCE = _ffi.WASIHOST_TRAP_NULL_REFERENCE
    """A null reference was used."""
    HEAP_MISALIGNED = _ffi.WASIHOST_TRAP_HEAP_MISALIGNED
    """A misaligned atomic access."""
    HOST_PANIC = _ffi.WASIHOST_TRAP_HOST_PANIC
    """A WASI method of the host panicked (a bug in wasihost)."""
    HANDLER = _ffi.WASIHOST_TRAP_HANDLER
    """A call handler trapped the guest (:meth:`Call.trap`, or a handler that
    failed under ``on_error="trap"``)."""


def _trap_code(value: int | None) -> TrapCode:
    """A :class:`TrapCode`; a number this binding does not know is ``OTHER``."""
    try:
        return TrapCode(value or 0)
    except ValueError:
        return TrapCode.OTHER


class _GuestEnded(WasiHostError):
    """A way the guest ended that is reported as an error.

    Raised by :func:`wasihost.run` with ``stdout`` and ``stderr``: what the
    guest wrote before (when captured, else None), and
    ``memory_limit_reached``: whether a ``memory.grow`` was refused by the
    memory cap before (often the reason for a trap).
    """

    stdout: bytes | None = None
    stderr: bytes | None = None
    memory_limit_reached: bool = False


class InvalidArgumentError(WasiHostError, ValueError):
    """A value the library refused: text that is not UTF-8, an unknown stream, ..."""

    KIND = _ffi.WASIHOST_ERROR_KIND_INVALID_ARGUMENT
    KIND_NAME = "invalid argument"


class ConfigError(WasiHostError):
    """The configuration cannot be applied: a missing preopened directory, a NUL byte, ..."""

    KIND = _ffi.WASIHOST_ERROR_KIND_CONFIG
    KIND_NAME = "config"


class HostIOError(WasiHostError):
    """A host file (a module file, a cache entry) cannot be read or written."""

    KIND = _ffi.WASIHOST_ERROR_KIND_IO
    KIND_NAME = "io"


class ModuleError(WasiHostError):
    """Not a valid module: invalid wasm, WAT that does not parse, a corrupt serialized module."""

    KIND = _ffi.WASIHOST_ERROR_KIND_MODULE
    KIND_NAME = "module"


class LinkError(WasiHostError):
    """An import the host lacks, a missing export, or a call whose types do not match."""

    KIND = _ffi.WASIHOST_ERROR_KIND_LINK
    KIND_NAME = "link"


class EngineError(WasiHostError):
    """The engine cannot be created."""

    KIND = _ffi.WASIHOST_ERROR_KIND_ENGINE
    KIND_NAME = "engine"


class Trap(_GuestEnded):
    """The guest trapped; the message says why, with a wasm backtrace.

    Raised by :func:`wasihost.run` with ``stdout`` and ``stderr``
    attributes: what the guest wrote before (when captured, else None).

    Attributes:
        code: the kind of trap, a :class:`TrapCode` (``TrapCode.UNREACHABLE``
            for C's ``abort()``, ...).
    """

    KIND = _ffi.WASIHOST_ERROR_KIND_TRAP
    KIND_NAME = "trap"
    code: TrapCode

    def __init__(self, message: str, *, code: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.code = _trap_code(code)


class GuestExit(_GuestEnded):
    """The guest called ``proc_exit`` where a return was expected.

    Raised by :meth:`Instance.call` (and by creating an instance whose start
    function exits); :meth:`Instance.run` returns the code instead.

    Attributes:
        code: the guest's exit code.
    """

    KIND = _ffi.WASIHOST_ERROR_KIND_EXIT
    KIND_NAME = "exit"
    code: int

    def __init__(self, message: str, *, code: int = 0, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.code = code


class Interrupted(_GuestEnded):
    """The guest was stopped by :meth:`Instance.interrupt` (or an :class:`InterruptHandle`).

    Its subclass :class:`TimedOut` is a stop by a timeout.
    """

    KIND = _ffi.WASIHOST_ERROR_KIND_INTERRUPTED
    KIND_NAME = "interrupted"


class TimedOut(Interrupted, TimeoutError):
    """The guest ran past its timeout (``timeout=`` of :class:`Config` or :func:`run`).

    The message names it: ``the guest timed out after 0.5 s``.

    Also while it waited in a host call (a sleep, a read of stdin or of a
    pipe). A :class:`Interrupted` (code written for the earlier
    ``run(timeout=...)``, which raised that, still catches it) and a
    built-in ``TimeoutError``.
    """

    KIND = _ffi.WASIHOST_ERROR_KIND_TIMEOUT
    KIND_NAME = "timeout"


class FuelExhausted(_GuestEnded):
    """The guest used up its fuel (``fuel=`` of :class:`Config` or :func:`run`)."""

    KIND = _ffi.WASIHOST_ERROR_KIND_FUEL_EXHAUSTED
    KIND_NAME = "fuel exhausted"


class MemoryLimitError(WasiHostError, MemoryError):
    """The module's memories (or tables), as declared, exceed the config's cap.

    Raised when the instance is made (``max_memory=``,
    ``max_table_elements=``). A ``memory.grow`` refused later is no error:
    the guest sees -1 (see :attr:`Instance.memory_limit_reached`).
    """

    KIND = _ffi.WASIHOST_ERROR_KIND_MEMORY_LIMIT
    KIND_NAME = "memory limit"


class InternalError(WasiHostError):
    """A bug in wasihost (a panic caught at the C boundary); please report it."""

    KIND = _ffi.WASIHOST_ERROR_KIND_PANIC
    KIND_NAME = "panic"


_KIND_CLASSES: dict[int, type[WasiHostError]] = {
    cls.KIND: cls
    for cls in (
        InvalidArgumentError,
        ConfigError,
        HostIOError,
        ModuleError,
        LinkError,
        EngineError,
        Trap,
        GuestExit,
        Interrupted,
        TimedOut,
        FuelExhausted,
        MemoryLimitError,
        InternalError,
    )
}

# WASI errno (src/wasi_snapshot_preview1/types.rs) -> the built-in exception
# and the POSIX errno it stands for.
_BUILTIN_FOR_ERRNO: dict[int, tuple[type[OSError], int]] = {
    44: (FileNotFoundError, _errno.ENOENT),  # noent
    2: (PermissionError, _errno.EACCES),  # acces
    63: (PermissionError, _errno.EPERM),  # perm
    76: (PermissionError, _errno.EPERM),  # notcapable: refused by a capability
    20: (FileExistsError, _errno.EEXIST),  # exist
    54: (NotADirectoryError, _errno.ENOTDIR),  # notdir
    31: (IsADirectoryError, _errno.EISDIR),  # isdir
}
_POSIX_ERRNO = {k: v for k, (_, v) in _BUILTIN_FOR_ERRNO.items()}

_combined: dict[tuple[type[WasiHostError], type[OSError]], type[WasiHostError]] = {}


def error_class(kind: int, wasi_errno: int) -> type[WasiHostError]:
    """The exception class for an error of ``kind`` with ``wasi_errno``.

    The kind's class, or a class deriving from it and from the built-in
    exception of the errno (e.g. ConfigError + FileNotFoundError).
    """
    base = _KIND_CLASSES.get(kind, WasiHostError)
    builtin = _BUILTIN_FOR_ERRNO.get(wasi_errno)
    if builtin is None:
        return base
    key = (base, builtin[0])
    cls = _combined.get(key)
    if cls is None:
        cls = type(
            base.__name__,
            (base, builtin[0]),
            {"__module__": base.__module__, "__doc__": base.__doc__},
        )
        _combined[key] = cls
    return cls


def make(kind: int, message: str, wasi_errno: int = 0, code: int | None = None) -> WasiHostError:
    """An exception for an error of ``kind``."""
    cls = error_class(kind, wasi_errno)
    if issubclass(cls, GuestExit):
        return cls(message, code=code or 0, wasi_errno=wasi_errno, kind=kind)
    if issubclass(cls, Trap):
        return cls(message, code=code, wasi_errno=wasi_errno, kind=kind)
    return cls(message, wasi_errno=wasi_errno, kind=kind)


# The library names the fix for an engine without interruption or fuel in
# Rust and C terms; say it in Python's too.
_PYTHON_FIXES = (
    (
        "WASIHOST_ENGINE_INTERRUPTIBLE",
        "in Python: compile the module with engine=wasihost.Engine(interruptible=True)",
    ),
    (
        "WASIHOST_ENGINE_FUEL",
        "in Python: compile the module with engine=wasihost.Engine(fuel=True)",
    ),
)


def _for_python(kind: int, message: str) -> str:
    if kind == _ffi.WASIHOST_ERROR_KIND_CONFIG:
        for marker, fix in _PYTHON_FIXES:
            if marker in message and fix not in message:
                return f"{message}; {fix}"
    return message


def take(ptr: int) -> WasiHostError:
    """Reads the C error at ``ptr`` into an exception, and frees it."""
    lib = _ffi.lib()
    try:
        kind = int(lib.wasihost_error_kind(ptr))
        raw = lib.wasihost_error_message(ptr) or b""
        wasi_errno = int(lib.wasihost_error_errno(ptr))
        code = ctypes.c_uint32()
        has_code = bool(lib.wasihost_error_exit_code(ptr, ctypes.byref(code)))
        if not has_code:
            has_code = bool(lib.wasihost_error_trap_code(ptr, ctypes.byref(code)))
    finally:
        lib.wasihost_error_delete(ptr)
    message = _for_python(kind, raw.decode("utf-8", "replace"))
    exc = make(kind, message, wasi_errno, code.value if has_code else None)
    exc.kind_name = (lib.wasihost_error_kind_name(kind) or b"unknown").decode()
    return exc


def check(ptr: int | None) -> None:
    """Raises the error at ``ptr``, if any (NULL means success)."""
    if ptr:
        raise take(ptr)


# --- WASI errnos, and how callbacks choose one ----------------------------------

# The witx names, in errno order (wasi/api.h's __WASI_ERRNO_*).
_ERRNO_NAMES = (
    "success 2big acces addrinuse addrnotavail afnosupport again already badf badmsg busy"
    " canceled child connaborted connrefused connreset deadlk destaddrreq dom dquot exist"
    " fault fbig hostunreach idrm ilseq inprogress intr inval io isconn isdir loop mfile"
    " mlink msgsize multihop nametoolong netdown netreset netunreach nfile nobufs nodev"
    " noent noexec nolck nolink nomem nomsg noprotoopt nospc nosys notconn notdir notempty"
    " notrecoverable notsock notsup notty nxio overflow ownerdead perm pipe proto"
    " protonosupport prototype range rofs spipe srch stale timedout txtbsy xdev notcapable"
).split()


class Errno(enum.IntEnum):
    """A WASI errno (0 to 76), as a guest sees it.

    Members are the witx names in capitals (``Errno.NOENT``,
    ``Errno.ACCES``, ``Errno.NOTCAPABLE``); ``2big`` is ``Errno.TOOBIG``.
    ``str()`` and :attr:`wasi_name` give the witx name (``"noent"``), as
    the trace spells it; :meth:`from_name` reads it back.
    """

    SUCCESS = 0
    TOOBIG = 1
    ACCES = 2
    ADDRINUSE = 3
    ADDRNOTAVAIL = 4
    AFNOSUPPORT = 5
    AGAIN = 6
    ALREADY = 7
    BADF = 8
    BADMSG = 9
    BUSY = 10
    CANCELED = 11
    CHILD = 12
    CONNABORTED = 13
    CONNREFUSED = 14
    CONNRESET = 15
    DEADLK = 16
    DESTADDRREQ = 17
    DOM = 18
    DQUOT = 19
    EXIST = 20
    FAULT = 21
    FBIG = 22
    HOSTUNREACH = 23
    IDRM = 24
    ILSEQ = 25
    INPROGRESS = 26
    INTR = 27
    INVAL = 28
    IO = 29
    ISCONN = 30
    ISDIR = 31
    LOOP = 32
    MFILE = 33
    MLINK = 34
    MSGSIZE = 35
    MULTIHOP = 36
    NAMETOOLONG = 37
    NETDOWN = 38
    NETRESET = 39
    NETUNREACH = 40
    NFILE = 41
    NOBUFS = 42
    NODEV = 43
    NOENT = 44
    NOEXEC = 45
    NOLCK = 46
    NOLINK = 47
    NOMEM = 48
    NOMSG = 49
    NOPROTOOPT = 50
    NOSPC = 51
    NOSYS = 52
    NOTCONN = 53
    NOTDIR = 54
    NOTEMPTY = 55
    NOTRECOVERABLE = 56
    NOTSOCK = 57
    NOTSUP = 58
    NOTTY = 59
    NXIO = 60
    OVERFLOW = 61
    OWNERDEAD = 62
    PERM = 63
    PIPE = 64
    PROTO = 65
    PROTONOSUPPORT = 66
    PROTOTYPE = 67
    RANGE = 68
    ROFS = 69
    SPIPE = 70
    SRCH = 71
    STALE = 72
    TIMEDOUT = 73
    TXTBSY = 74
    XDEV = 75
    NOTCAPABLE = 76

    @property
    def wasi_name(self) -> str:
        """The witx name: ``"noent"``, ``"2big"``, ``"success"``."""
        return _ERRNO_NAMES[self.value]

    @classmethod
    def from_name(cls, name: str) -> Errno:
        """The errno of a witx name (``"noent"``, ``"2big"``); ``ValueError`` for another."""
        try:
            return cls(_ERRNO_NAMES.index(name))
        except ValueError:
            raise ValueError(f"no WASI errno is called {name!r}") from None

    def __str__(self) -> str:
        return self.wasi_name


ERRNOS: tuple[Errno, ...] = tuple(Errno)
"""Every errno, indexed by its value (a fast ``Errno(n)`` for 0..76)."""


def errno_value(value: Any, what: str, *, allow_success: bool = True) -> int:
    """``value`` as an errno number, checked: an :class:`Errno` or an ``int`` 0..76 (1..76)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a wasihost.Errno or an int, not {type(value).__name__}")
    low = 0 if allow_success else 1
    if not low <= value <= 76:
        raise ValueError(f"{what} must be a WASI errno ({low} to 76), not {value}")
    return int(value)


class CallError(Exception):
    """Raised by a callback to fail the guest's WASI call with a chosen errno.

    From a call handler (see :meth:`Config.on_call`) it is the same as
    returning the errno; from a stdio callback (``stdout=``, ``stdin=`` a
    callable or a file-like object), a clock or a random source, the
    guest's call fails with ``errno`` (an :class:`Errno` or an int, 1 to 76)
    instead of ``io``::

        def sink(data: bytes) -> None:
            if len(data) > room:
                raise wasihost.CallError(wasihost.Errno.NOSPC)

    It is the answer the embedder chose, not a failure: unlike other
    exceptions, it is not raised again after the run.
    """

    errno: Errno

    def __init__(self, errno: Errno | int, message: str | None = None) -> None:
        n = errno_value(errno, "errno", allow_success=False)
        self.errno = ERRNOS[n]
        super().__init__(message or f"the call fails with errno {self.errno.wasi_name} ({n})")


class CallExit(BaseException):
    """Raised by :meth:`Call.exit`: the guest ends as if it called ``proc_exit(code)``.

    A ``BaseException``, as ``SystemExit`` is, so that a handler's
    ``except Exception`` does not swallow it.
    """

    code: int

    def __init__(self, code: int) -> None:
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"an exit code is an int, not {type(code).__name__}")
        if not 0 <= code <= 0xFFFF_FFFF:
            raise ValueError(f"an exit code is 0 to 2**32 - 1, not {code}")
        super().__init__(code)
        self.code = int(code)


class CallTrap(BaseException):
    """Raised by :meth:`Call.trap`: the guest traps with ``message``.

    The run raises :class:`Trap` (``code`` :attr:`TrapCode.HANDLER`) whose
    message carries ``message``. A ``BaseException``, as :class:`CallExit`.
    """

    message: str

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = str(message)
