"""The programmable host: call handlers, the trace stream, clocks and random sources.

The library calls a handler with a ``wasihost_call_t *`` that is valid
only during the callback; :class:`Call` wraps it, and is closed (every
method raises ``ValueError``, the memoryviews it gave out are released)
once the handler returns. As for stdio callbacks (:mod:`._callbacks`),
nothing a handler raises crosses into C: the trampoline turns it into the
verdict the handler's ``on_error`` chose and keeps the exception for the
thread running the guest, where ``run()`` / ``call()`` raise it.
"""

from __future__ import annotations

import ctypes
import enum
import io
import json
import operator
import os
from ctypes import byref, c_size_t, c_void_p
from typing import Any, Callable, Iterable, Iterator, Mapping, NoReturn, Union

from . import _callbacks, _ffi
from .errors import ERRNOS, CallError, CallExit, CallTrap, Errno, errno_value

__all__ = [
    "ArgKind",
    "Call",
    "CallArgs",
    "CallResults",
    "ClockId",
    "TraceRecord",
    "Handler",
    "TRAP",
]

_U64 = (1 << 64) - 1

TRAP = "trap"
"""``on_error=`` value: a handler that fails traps the guest (the default)."""


class ArgKind(enum.IntEnum):
    """How to read an argument of a WASI call (``WASIHOST_ARG_*``): :meth:`Call.arg_kind`."""

    FD = _ffi.WASIHOST_ARG_FD
    """A file descriptor."""
    INT = _ffi.WASIHOST_ARG_INT
    """An unsigned number (a size, an offset, a timestamp)."""
    SIGNED = _ffi.WASIHOST_ARG_SIGNED
    """A signed number (``fd_seek``'s offset); read as a negative int when it is one."""
    FLAGS = _ffi.WASIHOST_ARG_FLAGS
    """A set of flags (an int of bits)."""
    ENUM = _ffi.WASIHOST_ARG_ENUM
    """An enumeration value (a clock id, a ``whence``)."""
    PTR = _ffi.WASIHOST_ARG_PTR
    """An offset into guest memory (a structure or an array)."""
    PATH = _ffi.WASIHOST_ARG_PATH
    """Bytes the call reads, such as a path (:meth:`Call.arg_bytes`); the next argument is
    the length."""
    BUF = _ffi.WASIHOST_ARG_BUF
    """Bytes the call fills (:meth:`Call.buffer`); the next argument is the length."""
    IOVS = _ffi.WASIHOST_ARG_IOVS
    """An array of iovecs (:meth:`Call.iovecs`); the next argument is the count."""
    LEN = _ffi.WASIHOST_ARG_LEN
    """The length or count of the argument before."""


class ClockId(enum.IntEnum):
    """A WASI clock, as a clock callback (:meth:`Config.set_clock`) is asked for it."""

    REALTIME = 0
    """The wall clock: nanoseconds since 1970-01-01T00:00:00Z."""
    MONOTONIC = 1
    """A clock that never goes back; its start is arbitrary."""
    PROCESS_CPUTIME_ID = 2
    """The CPU time of the process."""
    THREAD_CPUTIME_ID = 3
    """The CPU time of the thread."""


# --- what a call looks like (static per call name) ---------------------------


class _Spec:
    """The names and kinds of one WASI call's arguments and results."""

    __slots__ = (
        "name",
        "arg_names",
        "arg_kinds",
        "arg_index",
        "result_names",
        "result_sizes",
        "result_structs",
        "result_index",
        "fills_iovecs",
    )

    def __init__(self, lib: Any, ptr: int, name: str) -> None:
        self.name = name
        n = lib.wasihost_call_arg_count(ptr)
        self.arg_names = tuple(lib.wasihost_call_arg_name(ptr, i).decode() for i in range(n))
        self.arg_kinds = tuple(ArgKind(lib.wasihost_call_arg_kind(ptr, i)) for i in range(n))
        self.arg_index = {a: i for i, a in enumerate(self.arg_names)}
        m = lib.wasihost_call_result_count(ptr)
        self.result_names = tuple(lib.wasihost_call_result_name(ptr, i).decode() for i in range(m))
        sizes = []
        for i in range(m):
            size = c_size_t(0)
            lib.wasihost_call_result_bytes(ptr, i, byref(size))
            sizes.append(size.value)
        self.result_sizes = tuple(sizes)
        self.result_structs = tuple(
            bool(lib.wasihost_call_result_is_struct(ptr, i)) for i in range(m)
        )
        self.result_index = {r: i for i, r in enumerate(self.result_names)}
        # The calls whose iovecs the host fills (the library lets a handler write them).
        self.fills_iovecs = name in ("fd_read", "fd_pread", "sock_recv")


def _lookup(call: str, key: Key, index: dict[str, int], names: tuple[str, ...], what: str) -> int:
    """The position of an argument or result (``what``) given by name or by
    (possibly negative) position; ``KeyError``/``IndexError`` name the call."""
    if isinstance(key, str):
        i = index.get(key)
        if i is None:
            raise KeyError(
                f"{call} has no {what} {key!r}; its {what}s: {', '.join(names) or 'none'}"
            )
        return i
    i = operator.index(key)
    n = len(names)
    if i < 0:
        i += n
    if not 0 <= i < n:
        article = "an" if what[0] in "aeiou" else "a"
        raise IndexError(f"{call} has {n} {what}s, not {article} {what} {key}")
    return i


_specs: dict[bytes, _Spec] = {}


def _spec_of(lib: Any, ptr: int) -> _Spec:
    raw = lib.wasihost_call_name(ptr) or b""
    spec = _specs.get(raw)
    if spec is None:
        spec = _specs[raw] = _Spec(lib, ptr, raw.decode())
    return spec


# --- Call ----------------------------------------------------------------------

Key = Union[str, int]
"""An argument or result: its name (``"path"``) or its index."""


class Call:
    """One WASI call in flight, as a handler (:meth:`Config.on_call`) gets it.

    Valid only during the handler, on its thread: afterwards every method
    raises ``ValueError``, and the memoryviews it gave out are released.
    Do not keep it, nor any view into guest memory.

    * :attr:`name` (``"path_open"``); :attr:`args`, by name or index
      (``call.args["fd"]``, ``call.args[0]``; assignable, for
      :meth:`call_default`); :attr:`path` and :meth:`arg_bytes` for paths;
      :meth:`buffer` and :meth:`iovecs` for the guest's buffers as
      memoryviews (writable where the call fills them); :attr:`memory`.
    * :meth:`call_default` runs the built-in implementation (with the
      current arguments) and fills :attr:`results`, which the handler may
      read and change (``call.results["opened_fd"]``).
    * The handler returns an :class:`~wasihost.Errno` (or an int 0 to 76),
      or None for the errno of the default (which runs then if it did not
      yet); the results reach the guest only with ``Errno.SUCCESS``. Or it
      ends the guest: :meth:`exit` (as ``proc_exit``), :meth:`trap`.

    A traced call (:attr:`TraceRecord.call`) is the same, read-only.
    """

    __slots__ = ("_ptr", "_spec_", "_traced", "_views", "_mem")

    def __init__(self, ptr: int, traced: bool = False) -> None:
        # Cheap: a handler that only calls the default touches nothing else.
        self._ptr: int | None = ptr
        self._spec_: _Spec | None = None
        self._traced = traced
        self._views: list[memoryview] | None = None  # made on the first view
        self._mem: tuple[int, memoryview] | None = None

    # -- life cycle

    def _p(self) -> int:
        ptr = self._ptr
        if ptr is None:
            raise ValueError(
                "the call is over: a wasihost.Call is valid only during its handler"
                " (or trace callback)"
            )
        return ptr

    def _close(self) -> None:
        """Ends the call: releases the views it gave out (those not exported further)."""
        self._ptr = None
        views = self._views
        if views is None:
            return
        self._views = None
        self._mem = None
        for v in reversed(views):
            try:
                v.release()
            except BufferError:  # something else holds a buffer of it: cannot release
                pass

    def _keep(self, view: memoryview) -> memoryview:
        """Remembers ``view``, to release it when the call ends."""
        if self._views is None:
            self._views = []
        self._views.append(view)
        return view

    @property
    def closed(self) -> bool:
        """Whether the call is over (the handler returned)."""
        return self._ptr is None

    @property
    def _spec(self) -> _Spec:
        spec = self._spec_
        if spec is None:
            spec = self._spec_ = _spec_of(_ffi.lib(), self._p())
        return spec

    # -- arguments

    @property
    def name(self) -> str:
        """The WASI call, e.g. ``"path_open"``."""
        return self._spec.name

    @property
    def instance(self) -> int:
        """The number of the instance making the call (:attr:`Instance.number`)."""
        return int(_ffi.lib().wasihost_call_instance(self._p()))

    @property
    def arg_names(self) -> tuple[str, ...]:
        """The names of the arguments, in order, as the witx spells them (``"fd"``, ``"path"``)."""
        return self._spec.arg_names

    @property
    def result_names(self) -> tuple[str, ...]:
        """The names of the results (``"opened_fd"``, ``"nread"``); empty for most calls."""
        return self._spec.result_names

    @property
    def args(self) -> CallArgs:
        """The arguments, by name or index: ``call.args["fd"]``; assign to change them."""
        return CallArgs(self)

    @property
    def results(self) -> CallResults:
        """The results, by name or index: ``call.results["nread"] = 5``."""
        return CallResults(self)

    def _arg_index(self, key: Key) -> int:
        spec = self._spec
        return _lookup(spec.name, key, spec.arg_index, spec.arg_names, "argument")

    def arg_kind(self, key: Key) -> ArgKind:
        """How argument ``key`` (a name or an index) is read: an :class:`ArgKind`."""
        return self._spec.arg_kinds[self._arg_index(key)]

    def _get_arg(self, key: Key) -> int:
        i = self._arg_index(key)
        v = int(_ffi.lib().wasihost_call_arg(self._p(), i))
        if self._spec.arg_kinds[i] is ArgKind.SIGNED and v > 0x7FFF_FFFF_FFFF_FFFF:
            v -= 1 << 64
        return v

    def _set_arg(self, key: Key, value: int) -> None:
        i = self._arg_index(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"an argument is an int, not {type(value).__name__}")
        signed = self._spec.arg_kinds[i] is ArgKind.SIGNED
        if not (-(1 << 63) if signed else 0) <= value <= _U64:
            raise ValueError(f"argument {self._spec.arg_names[i]} cannot be {value}")
        if not _ffi.lib().wasihost_call_set_arg(self._p(), i, value & _U64):
            raise ValueError("a traced call cannot be changed")

    # -- guest memory

    @property
    def memory(self) -> memoryview:
        """The guest's linear memory, valid during the call (writable in a handler)."""
        base, mem = self._memory()
        return self._keep(mem[:] if not self._traced else mem.toreadonly())

    def _memory(self) -> tuple[int, memoryview]:
        if self._mem is None:
            n = c_size_t(0)
            base = _ffi.lib().wasihost_call_memory(self._p(), byref(n)) or 0
            if base and n.value:
                raw = self._keep(memoryview((ctypes.c_char * n.value).from_address(base)))
                mem = raw.cast("B")
            else:
                mem = memoryview(bytearray())
            self._keep(mem)
            self._mem = (base, mem)
        return self._mem

    def _view(self, address: int, length: int, writable: bool) -> memoryview:
        """A view of ``length`` bytes of guest memory at the host address ``address``."""
        if length == 0:
            return memoryview(bytearray() if writable else b"")
        base, mem = self._memory()
        offset = address - base
        view = mem[offset : offset + length]
        if not writable or self._traced:
            view = view.toreadonly()
        return self._keep(view)

    def _span(self, key: Key, kinds: tuple[ArgKind, ...], what: str) -> tuple[int, int, int]:
        """The argument's index, host address and length; raises for another kind."""
        i = self._arg_index(key)
        kind = self._spec.arg_kinds[i]
        if kind not in kinds:
            raise TypeError(
                f"argument {self._spec.arg_names[i]} of {self._spec.name} is {kind.name},"
                f" not {what}"
            )
        data, n = c_void_p(), c_size_t(0)
        rc = _ffi.lib().wasihost_call_arg_bytes(self._p(), i, byref(data), byref(n))
        if rc:
            # Outside guest memory: what the default would answer.
            raise CallError(
                rc,
                f"argument {self._spec.arg_names[i]} of {self._spec.name} lies outside guest"
                " memory",
            )
        return i, data.value or 0, n.value

    def arg_bytes(self, key: Key) -> bytes:
        """A copy of the bytes of a :attr:`ArgKind.PATH` (or ``BUF``) argument.

        Raises ``TypeError`` for another kind of argument, and
        :class:`~wasihost.CallError` (``Errno.FAULT``) when they lie outside
        guest memory (a handler that lets it propagate answers ``fault``,
        as the default would).
        """
        _, address, n = self._span(key, (ArgKind.PATH, ArgKind.BUF), "a path or a buffer")
        return ctypes.string_at(address, n) if n else b""

    @property
    def path(self) -> bytes | None:
        """The argument named ``path`` as bytes (``b"urandom"``), or None when there is none.

        Calls with two paths name them ``old_path`` and ``new_path``: read
        them with :meth:`arg_bytes`. The path is as the guest gave it, relative
        to the directory fd ``args["fd"]``.
        """
        if "path" not in self._spec.arg_index:
            return None
        return self.arg_bytes("path")

    def buffer(self, key: Key) -> memoryview:
        """The guest's buffer of a ``BUF`` argument (or read-only, of a ``PATH``) as a memoryview.

        A ``BUF`` is the space a call fills (``random_get``'s ``buf``,
        ``fd_readdir``'s ``buf``): writable in a handler. Valid during the
        call only. Errors as :meth:`arg_bytes`.
        """
        i, address, n = self._span(key, (ArgKind.PATH, ArgKind.BUF), "a path or a buffer")
        return self._view(address, n, self._spec.arg_kinds[i] is ArgKind.BUF)

    def _iovs_index(self, key: Key | None) -> int:
        if key is not None:
            i = self._arg_index(key)
            if self._spec.arg_kinds[i] is not ArgKind.IOVS:
                raise TypeError(
                    f"argument {self._spec.arg_names[i]} of {self._spec.name} is"
                    f" {self._spec.arg_kinds[i].name}, not IOVS"
                )
            return i
        for i, kind in enumerate(self._spec.arg_kinds):
            if kind is ArgKind.IOVS:
                return i
        raise TypeError(f"{self._spec.name} has no iovec argument")

    def iovecs(self, key: Key | None = None) -> list[memoryview]:
        """The buffers of an iovec argument (the call's only one when ``key`` is None).

        Writable for the calls that fill them (``fd_read``, ``fd_pread``,
        ``sock_recv``), read-only for the others (``fd_write``: the bytes
        the guest writes). Valid during the call only. An iovec outside
        guest memory raises :class:`~wasihost.CallError` (``Errno.FAULT``).
        """
        i = self._iovs_index(key)
        ptr = self._p()
        lib = _ffi.lib()
        count = int(lib.wasihost_call_arg(ptr, i + 1))
        _, mem = self._memory()
        if count * 8 > len(mem):  # 8 bytes per iovec: they cannot all be in memory
            raise CallError(Errno.FAULT, f"{count} iovecs do not fit in guest memory")
        writable = self._spec.fills_iovecs and not self._traced
        views = []
        data, n = c_void_p(), c_size_t(0)
        for k in range(count):
            rc = lib.wasihost_call_iovec(ptr, i, k, byref(data), byref(n))
            if rc:
                raise CallError(rc, f"iovec {k} of {self._spec.name} lies outside guest memory")
            views.append(self._view(data.value or 0, n.value, writable))
        return views

    def fill_iovecs(self, data: bytes | bytearray | memoryview, key: Key | None = None) -> int:
        """Copies ``data`` into the iovecs in order; returns how many bytes fit.

        For a handler of ``fd_read`` (and ``fd_pread``, ``sock_recv``), which
        then sets the result: ``call.results["nread"] = call.fill_iovecs(data)``.
        """
        src = memoryview(data).cast("B")
        done = 0
        for view in self.iovecs(key):
            if done >= len(src):
                break
            n = min(len(view), len(src) - done)
            view[:n] = src[done : done + n]
            done += n
        return done

    def gather_iovecs(self, key: Key | None = None) -> bytes:
        """The bytes of all the iovecs, joined (what ``fd_write`` would write)."""
        return b"".join(v.tobytes() for v in self.iovecs(key))

    # -- the default, results and verdicts

    def call_default(self) -> Errno:
        """Runs the built-in implementation with the current arguments; returns its errno.

        It fills :attr:`results` (on success), which the handler may change
        before it returns. It may run any number of times. For
        ``proc_exit`` it records the exit, which happens when the handler
        returns. In a trace callback it does nothing and gives ``NOSYS``.
        """
        ptr = self._ptr
        if ptr is None:
            self._p()  # raises
        rc: int = _fns.default(ptr)
        return ERRNOS[rc]

    @property
    def errno(self) -> Errno | None:
        """The errno of the last :meth:`call_default` (None before one ran).

        For a traced call: how it ended (None for an exit or a trap).
        """
        rc = _ffi.lib().wasihost_call_errno(self._p())
        return ERRNOS[rc] if 0 <= rc < len(ERRNOS) else None

    def _result_index(self, key: Key) -> int:
        spec = self._spec
        return _lookup(spec.name, key, spec.result_index, spec.result_names, "result")

    def result_buffer(self, key: Key) -> memoryview:
        """Result ``key`` in the layout of guest memory (a ``filestat`` as wasi/api.h's
        ``__wasi_filestat_t``), writable in a handler; valid during the call only."""
        i = self._result_index(key)
        n = c_size_t(0)
        address = _ffi.lib().wasihost_call_result_bytes(self._p(), i, byref(n)) or 0
        view = self._keep(memoryview((ctypes.c_char * n.value).from_address(address)))
        view = view.cast("B")
        if self._traced:
            view = view.toreadonly()
        return self._keep(view)

    def _get_result(self, key: Key) -> int | bytes:
        i = self._result_index(key)
        if self._spec.result_structs[i]:
            return self.result_buffer(i).tobytes()
        return int(_ffi.lib().wasihost_call_result(self._p(), i))

    def _set_result(self, key: Key, value: Any) -> None:
        i = self._result_index(key)
        size = self._spec.result_sizes[i]
        name = self._spec.result_names[i]
        if self._traced:
            raise ValueError("a traced call cannot be changed")
        if self._spec.result_structs[i]:
            if not isinstance(value, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"result {name} is a structure of {size} bytes: give bytes in the layout of"
                    " wasi/api.h, or change call.result_buffer() in place"
                )
            src = memoryview(value).cast("B")
            if len(src) != size:
                raise ValueError(f"result {name} is {size} bytes, not {len(src)}")
            self.result_buffer(i)[:] = src
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"result {name} is an int, not {type(value).__name__}")
        if not 0 <= value < 1 << (8 * size):
            raise ValueError(f"result {name} ({size} bytes) cannot be {value}")
        if not _ffi.lib().wasihost_call_set_result(self._p(), i, value):
            raise ValueError(f"result {name} cannot be set")

    def exit(self, code: int) -> NoReturn:
        """Ends the guest as if it called ``proc_exit(code)``.

        Raises :class:`~wasihost.CallExit`, which the trampoline turns into the exit.
        """
        raise CallExit(code)

    def trap(self, message: str = "") -> NoReturn:
        """Ends the guest with a trap carrying ``message`` (raises :class:`~wasihost.CallTrap`).

        The run raises :class:`~wasihost.Trap` with ``code``
        :attr:`~wasihost.TrapCode.HANDLER`.
        """
        raise CallTrap(message)

    def __repr__(self) -> str:
        if self._ptr is None:
            return "<wasihost.Call (over)>"
        parts = []
        for name, kind in zip(self._spec.arg_names, self._spec.arg_kinds, strict=True):
            if kind is ArgKind.PATH:
                try:
                    parts.append(f"{name}={self.arg_bytes(name)!r}")
                except CallError:
                    parts.append(f"{name}=<fault>")
            else:
                parts.append(f"{name}={self._get_arg(name)}")
        return f"<wasihost.Call {self._spec.name}({', '.join(parts)})>"


class CallArgs(Mapping[str, int]):
    """The arguments of a :class:`Call`: a mapping by name, also indexed by position.

    ``args["path_len"]``, ``args[3]``; ``args["fd"] = 4`` changes an
    argument for a later :meth:`Call.call_default` (a value that does not
    fit its type makes the default answer ``inval``). Pointers are offsets
    into guest memory; a ``SIGNED`` argument reads as a negative int when
    it is one.
    """

    __slots__ = ("_call",)

    def __init__(self, call: Call) -> None:
        self._call = call

    def __getitem__(self, key: Key) -> int:
        return self._call._get_arg(key)

    def __setitem__(self, key: Key, value: int) -> None:
        self._call._set_arg(key, value)

    def __contains__(self, key: object) -> bool:
        return key in self._call._spec.arg_index

    def __iter__(self) -> Iterator[str]:
        return iter(self._call._spec.arg_names)

    def __len__(self) -> int:
        return len(self._call._spec.arg_names)

    def __repr__(self) -> str:
        return f"CallArgs({dict(self)!r})"


class CallResults(Mapping[str, Union[int, bytes]]):
    """The results of a :class:`Call`, by name or position (``results["opened_fd"]``).

    A number is an ``int``; a structure (the ``stat`` of ``fd_filestat_get``,
    ``path_filestat_get`` and ``fd_fdstat_get``, the ``prestat`` of
    ``fd_prestat_get``) is ``bytes`` in the layout of guest memory (see
    :meth:`Call.result_buffer`). Assign to set one;
    the guest gets them only when the handler returns ``Errno.SUCCESS``.
    """

    __slots__ = ("_call",)

    def __init__(self, call: Call) -> None:
        self._call = call

    def __getitem__(self, key: Key) -> int | bytes:
        return self._call._get_result(key)

    def __setitem__(self, key: Key, value: int | bytes) -> None:
        self._call._set_result(key, value)

    def __contains__(self, key: object) -> bool:
        return key in self._call._spec.result_index

    def __iter__(self) -> Iterator[str]:
        return iter(self._call._spec.result_names)

    def __len__(self) -> int:
        return len(self._call._spec.result_names)

    def __repr__(self) -> str:
        return f"CallResults({dict(self)!r})"


# --- handlers --------------------------------------------------------------------

HandlerFn = Callable[[Call], Union[Errno, int, None]]


class Handler:
    """A registered handler and what the guest sees when it fails."""

    __slots__ = ("fn", "on_error")

    def __init__(self, fn: HandlerFn, on_error: int) -> None:
        self.fn = fn
        self.on_error = on_error  # an errno 1..76, or WASIHOST_CALL_TRAP


def on_error_value(on_error: Any) -> int:
    """``on_error=`` as the trampoline uses it: an errno 1..76, or ``WASIHOST_CALL_TRAP``."""
    if on_error == TRAP and isinstance(on_error, str):
        return _ffi.WASIHOST_CALL_TRAP
    if isinstance(on_error, str):
        raise ValueError(f'on_error must be "trap" or a wasihost.Errno, not {on_error!r}')
    return errno_value(on_error, "on_error", allow_success=False)


def _trap(lib: Any, ptr: int, message: str) -> int:
    m = message.encode("utf-8", "replace")
    return int(lib.wasihost_call_set_trap(ptr, m, len(m)))


def _bad_return(call: Call, value: object) -> TypeError:
    return TypeError(
        f"the handler of {call.name} returned {value!r}: return a wasihost.Errno (or an int"
        " 0 to 76), or None for the errno of call.call_default(); end the guest with"
        " call.exit(code) or call.trap(message)"
    )


class _Fns:
    """The C functions a trampoline calls on every call, looked up once."""

    default: Any = None
    errno: Any = None

    @classmethod
    def bind(cls) -> None:
        lib = _ffi.lib()
        cls.errno = lib.wasihost_call_errno
        cls.default = lib.wasihost_call_default


_fns = _Fns


def bind() -> None:
    """Looks up the C functions of the trampolines (before the first handler or trace)."""
    if _fns.default is None:
        _fns.bind()


_registry = _callbacks._registry  # (the one dict, never rebound)


def _on_call(userdata: int | None, ptr: int | None) -> int:
    # The hot path of every handled call: keep it short.
    p = ptr or 0
    call = Call(p)
    entry: Handler | None = None
    try:
        entry = _registry[userdata or 0]
        try:
            rv = entry.fn(call)
        except CallError as e:
            return int(e.errno)
        except CallExit as e:
            return int(_ffi.lib().wasihost_call_set_exit(p, e.code))
        except CallTrap as e:
            return _trap(_ffi.lib(), p, e.message or f"the handler of {call.name} asked for a trap")
        if type(rv) is Errno:
            return rv  # (an int: ctypes takes it as the int32_t)
        if rv is None:
            rc: int = _fns.errno(p)
            if rc < 0:
                rc = _fns.default(p)
            return rc
        if isinstance(rv, int) and not isinstance(rv, bool) and 0 <= rv <= 76:
            return int(rv)
        raise _bad_return(call, rv)
    except BaseException as e:  # noqa: BLE001 - never unwind into C
        _callbacks.remember(e)
        on_error = entry.on_error if entry is not None else _ffi.WASIHOST_CALL_TRAP
        if on_error != _ffi.WASIHOST_CALL_TRAP:
            return on_error
        try:
            what = f"the handler of {call.name}"
        except BaseException:  # noqa: BLE001
            what = "a call handler"
        return _trap(_ffi.lib(), p, f"{what} raised {type(e).__name__}: {e}")
    finally:
        call._close()


HANDLER = _ffi.wasihost_call_handler_t(_on_call)
NO_HANDLER = _ffi.wasihost_call_handler_t()  # NULL: removes the handlers
NO_FINALIZER = _ffi.wasihost_finalizer_t()  # NULL


def call_list(calls: str | Iterable[str], what: str) -> bytes:
    """A list of calls and groups (``"path_open,fd_read"``, ``["fs", "clock"]``) as bytes."""
    if isinstance(calls, str):
        text = calls
    elif isinstance(calls, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} is a str or a list of str, not {type(calls).__name__}")
    else:
        try:
            items = list(calls)
        except TypeError:
            raise TypeError(
                f'{what} is a str ("path_open,fd_read") or a list of str, not'
                f" {type(calls).__name__}"
            ) from None
        for item in items:
            if not isinstance(item, str):
                raise TypeError(f"{what} holds {type(item).__name__}, not str")
        text = ",".join(items)
    return text.encode("utf-8")


# --- the trace -------------------------------------------------------------------


class TraceRecord:
    """One finished WASI call, as a trace callback (:meth:`Config.set_trace`) gets it.

    Attributes:
        name: the call (``"path_open"``).
        instance: the number of the instance that made it (unique in the
            process, from 1): tells apart the instances of one config.
        errno: how it returned, an :class:`~wasihost.Errno`; None when it
            ended the guest (:attr:`exit_code`, :attr:`trap`).
        exit_code: the exit code of a call that ended the guest
            (``proc_exit``, or a handler's :meth:`Call.exit`); else None.
        duration_ns: how long the host took, in nanoseconds (the handler included).
        json: the record as one line of JSON, without the newline: what
            ``--trace FILE`` writes.
        call: the call itself, read-only (:class:`Call`), valid during the
            callback only: raw arguments, paths as bytes, buffers.

    :attr:`args` and :attr:`results` are dicts decoded from the JSON: paths
    as text, flags as lists of names, enumerations by name, results only on
    success.
    """

    __slots__ = ("name", "instance", "errno", "exit_code", "duration_ns", "json", "call", "_d")

    def __init__(self, ptr: int, line: str) -> None:
        lib = _ffi.lib()
        self.call = Call(ptr, traced=True)
        self.name = self.call.name
        self.instance = int(lib.wasihost_call_instance(ptr))
        self.duration_ns = int(lib.wasihost_call_duration_ns(ptr))
        rc = int(lib.wasihost_call_errno(ptr))
        self.errno: Errno | None = ERRNOS[rc] if 0 <= rc < len(ERRNOS) else None
        self.exit_code: int | None = (
            int(lib.wasihost_call_exit_code(ptr)) if rc == _ffi.WASIHOST_CALL_EXIT else None
        )
        self.json = line
        self._d: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON record as a dict (``instance``, ``call``, ``args``, ``errno`` or ``exit``
        or ``trap``, ``results``, ``ns``)."""
        if self._d is None:
            self._d = json.loads(self.json)
        return self._d

    @property
    def args(self) -> dict[str, Any]:
        """The arguments: paths as text, flags as lists of names, enumerations by name."""
        return dict(self.as_dict().get("args", {}))

    @property
    def results(self) -> dict[str, Any]:
        """The results written to the guest (empty unless the call succeeded)."""
        return dict(self.as_dict().get("results", {}))

    @property
    def trap(self) -> str | None:
        """The message of a call that trapped the guest; else None."""
        t = self.as_dict().get("trap")
        return None if t is None else str(t)

    def __repr__(self) -> str:
        how = (
            f"errno={self.errno.wasi_name}"
            if self.errno is not None
            else (f"exit={self.exit_code}" if self.exit_code is not None else "trap")
        )
        return f"<wasihost.TraceRecord #{self.instance} {self.name} {how} {self.duration_ns} ns>"


def _on_trace(userdata: int | None, ptr: int | None, line: int | None, length: int) -> None:
    record = None
    try:
        fn = _callbacks._registry[userdata or 0]
        text = ctypes.string_at(line or 0, length).decode("utf-8", "replace") if length else ""
        record = TraceRecord(ptr or 0, text)
        fn(record)
    except (CallExit, CallTrap) as e:
        # record.call.exit() / .trap(): a finished call cannot end the guest.
        err = RuntimeError(
            f"{type(e).__name__} in a trace callback: only a call handler (Config.on_call)"
            " can end the guest"
        )
        err.__cause__ = e
        _callbacks.remember(err)
    except BaseException as e:  # noqa: BLE001 - never unwind into C
        _callbacks.remember(e)
    finally:
        if record is not None:
            record.call._close()


TRACE = _ffi.wasihost_trace_callback_t(_on_trace)
NO_TRACE = _ffi.wasihost_trace_callback_t()  # NULL: removes the trace


def trace_writer(sink: Any) -> Callable[[TraceRecord], None]:
    """A trace callback that writes each record's JSON line to ``sink`` (text or binary)."""
    write = sink.write
    if isinstance(sink, io.TextIOBase) or not isinstance(sink, (io.RawIOBase, io.BufferedIOBase)):

        def text(record: TraceRecord) -> None:
            write(record.json + "\n")

        return text

    def binary(record: TraceRecord) -> None:
        write(record.json.encode("utf-8") + b"\n")

    return binary


def is_path(target: Any) -> bool:
    return isinstance(target, (str, bytes)) or isinstance(target, os.PathLike)


# --- clocks and random sources ---------------------------------------------------


class Clock:
    """The embedder's clock: ``now(clock_id) -> ns`` and an optional ``sleep(ns)``."""

    __slots__ = ("now", "sleep")

    def __init__(self, now: Callable[[ClockId], int], sleep: Callable[[int], Any] | None) -> None:
        self.now = now
        self.sleep = sleep


_CLOCK_IDS = tuple(ClockId)


def _on_clock_now(userdata: int | None, clock_id: int, time_out: Any) -> int:
    try:
        clock: Clock = _callbacks._registry[userdata or 0]
        cid: Any = _CLOCK_IDS[clock_id] if clock_id < len(_CLOCK_IDS) else int(clock_id)
        t = clock.now(cid)
        if isinstance(t, Errno) and t:
            return int(t)
        if isinstance(t, bool) or not isinstance(t, int):
            raise TypeError(
                f"a clock's now() returns an int of nanoseconds, not {type(t).__name__}"
            )
        if not 0 <= t <= _U64:
            raise ValueError(f"a clock's now() gave {t}, not 0 to 2**64 - 1 nanoseconds")
        time_out[0] = t
        return 0
    except CallError as e:
        return int(e.errno)
    except BaseException as e:  # noqa: BLE001 - never unwind into C
        _callbacks.remember(e)
        return _callbacks.IO


def _on_clock_sleep(userdata: int | None, ns: int) -> int:
    try:
        clock: Clock = _callbacks._registry[userdata or 0]
        assert clock.sleep is not None
        rv = clock.sleep(int(ns))
        if isinstance(rv, Errno) and rv:
            return int(rv)
        return 0
    except CallError as e:
        return int(e.errno)
    except BaseException as e:  # noqa: BLE001 - never unwind into C
        _callbacks.remember(e)
        return _callbacks.IO


CLOCK_NOW = _ffi.wasihost_clock_now_t(_on_clock_now)
CLOCK_SLEEP = _ffi.wasihost_clock_sleep_t(_on_clock_sleep)
NO_SLEEP = _ffi.wasihost_clock_sleep_t()  # NULL: real sleeps


def _on_random(userdata: int | None, buf: int | None, length: int) -> int:
    try:
        source = _callbacks._registry[userdata or 0]
        data = source(length)
        if isinstance(data, Errno) and data:
            return int(data)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"a random source returns bytes, not {type(data).__name__}")
        data = bytes(data)
        if len(data) != length:
            raise ValueError(f"a random source gave {len(data)} bytes, not the {length} asked for")
        if length:
            ctypes.memmove(buf or 0, data, length)
        return 0
    except CallError as e:
        return int(e.errno)
    except BaseException as e:  # noqa: BLE001 - never unwind into C
        _callbacks.remember(e)
        return _callbacks.IO


RANDOM = _ffi.wasihost_random_callback_t(_on_random)


def seed_value(deterministic: Any, what: str = "deterministic") -> int | None:
    """``deterministic=`` as a seed: None/False off, True seed 0, an int (0 to 2**64 - 1)."""
    if deterministic is None or deterministic is False:
        return None
    if deterministic is True:
        return 0
    if not isinstance(deterministic, int):
        raise TypeError(
            f"{what} is True, False, None or an int seed, not {type(deterministic).__name__}"
        )
    if not 0 <= deterministic <= _U64:
        raise ValueError(f"{what} seed must be 0 to 2**64 - 1, not {deterministic}")
    return int(deterministic)


def handler_items(handlers: Any) -> list[tuple[Any, Any]]:
    """``handlers=`` (a mapping of calls to handlers) as a list of pairs, checked."""
    if not isinstance(handlers, Mapping):
        raise TypeError(
            'handlers is a dict of calls to handlers ({"path_open": fn}), not'
            f" {type(handlers).__name__}"
        )
    items = list(handlers.items())
    for calls, fn in items:
        call_list(calls, "a key of handlers")
        if not callable(fn):
            raise TypeError(f"the handler of {calls!r} is not callable: {type(fn).__name__}")
    return items
