"""Engine, Module, Config, Instance and InterruptHandle: the C handles as Python objects."""

from __future__ import annotations

import contextlib
import ctypes
import enum
import io
import os
import threading
from ctypes import byref, c_uint32, c_uint64, c_void_p
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable, Mapping, Union

from . import _callbacks, _ffi, _hooks, _validate
from ._handle import Handle
from ._hooks import ClockId, HandlerFn
from ._values import WasmArg, from_c, to_c
from .errors import InvalidArgumentError, TimedOut, WasiHostError, check, take
from .errors import make as make_error

__all__ = [
    "Engine",
    "Module",
    "Cache",
    "Config",
    "Instance",
    "InterruptHandle",
    "Captured",
    "Capture",
    "CacheStatus",
    "Stream",
    "INHERIT",
    "DEVNULL",
    "CAPTURE",
    "DEFAULT_CAPTURE_LIMIT",
    "version",
]

PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
"""A host path: ``str``, ``bytes`` or any ``os.PathLike``."""

DirsArg = Union[
    Iterable[Union[tuple[PathArg, PathArg], str, "os.PathLike[str]"]], Mapping[str, PathArg]
]
"""Directories to grant (``dirs=``, ``ro_dirs=``): ``(host, guest)`` pairs,
``"HOST::GUEST"`` strings or paths (host first, as :meth:`Config.preopen`),
or the earlier ``{guest path: host directory}`` dict."""

TextArg = Union[str, bytes]
"""Text for the guest: ``str`` (encoded like a file name, so ``sys.argv``
round-trips) or ``bytes`` as they are."""

DEFAULT_CAPTURE_LIMIT = 16 << 20
"""How many bytes a :data:`CAPTURE` keeps per stream (16 MiB)."""


def version() -> str:
    """The library's version, ``"MAJOR.MINOR.PATCH"``."""
    return (_ffi.lib().wasihost_version() or b"").decode()


def _bytes(s: TextArg | os.PathLike[Any], name: str = "argument") -> bytes:
    return _validate.text(s, name)


def _fileno(obj: Any) -> int | None:
    """The OS fd behind a file object, or None (BytesIO, pytest's capture, ...)."""
    fileno = getattr(obj, "fileno", None)
    if fileno is None:
        return None
    try:
        fd = fileno()
    except (OSError, ValueError, io.UnsupportedOperation, AttributeError):
        return None
    return fd if isinstance(fd, int) and fd >= 0 else None


#: The most values a wasm function can return (the limit wasmtime's
#: validator enforces); a larger ``results`` is refused before allocating.
_MAX_RESULTS = 1000


class Stream(enum.IntEnum):
    """A guest standard stream."""

    STDIN = _ffi.WASIHOST_STDIN
    STDOUT = _ffi.WASIHOST_STDOUT
    STDERR = _ffi.WASIHOST_STDERR


class _Special(enum.Enum):
    INHERIT = "inherit"
    DEVNULL = "devnull"

    def __repr__(self) -> str:
        return f"wasihost.{self.name}"


INHERIT = _Special.INHERIT
"""Stdio marker: the guest uses the host process's own stream."""

DEVNULL = _Special.DEVNULL
"""Stdio marker: stdin at end of file; stdout/stderr discarded (the defaults)."""


@dataclass(frozen=True)
class Capture:
    """Stdio marker for stdout/stderr: keep the output in memory, up to ``limit`` bytes.

    Writes past the limit still succeed for the guest; the capture reports
    that it was truncated. Read it with :meth:`Instance.captured`.
    """

    limit: int = DEFAULT_CAPTURE_LIMIT

    def __post_init__(self) -> None:
        # Checked when made; an int-like limit is kept as an int.
        object.__setattr__(self, "limit", _validate.size(self.limit, "Capture.limit"))


CAPTURE = Capture()
"""Capture with the default limit (:data:`DEFAULT_CAPTURE_LIMIT`)."""


class CacheStatus(enum.IntEnum):
    """What a cached load (:meth:`Cache.load`, :meth:`Module.cached`) found in the cache."""

    HIT = _ffi.WASIHOST_CACHE_HIT
    """A valid entry was loaded; nothing was compiled."""
    MISS = _ffi.WASIHOST_CACHE_MISS
    """No entry: the module was compiled and stored."""
    REBUILT = _ffi.WASIHOST_CACHE_REBUILT
    """A corrupt or stale entry was replaced."""
    NOT_STORED = _ffi.WASIHOST_CACHE_NOT_STORED
    """Compiled, but the cache could not be written (the module is fine)."""


@dataclass(frozen=True)
class Captured:
    """What the guest wrote to a captured stream."""

    data: bytes
    """The bytes kept (at most the capture's limit)."""
    total_written: int
    """How many bytes the guest wrote in all, kept or dropped."""
    truncated: bool
    """Whether bytes were dropped because the guest wrote more than the limit."""


# --- Engine -------------------------------------------------------------------


class Engine(Handle):
    """A compiler and runtime (Cranelift) with the wasm features toolchains emit.

    ``Engine()`` compiles guest code that runs at full speed and cannot be
    stopped from outside: no timeout, no interrupt. Ask for what you need:

    * ``interruptible=True``: guests can be stopped, by a timeout
      (``timeout=`` of :class:`Config` and :func:`run`) or by
      :meth:`Instance.interrupt` / an :class:`InterruptHandle`. Guest code
      then checks a counter at every loop iteration and function entry
      (as the wasmtime CLI's ``-W timeout``; some 15-45 % slower on
      compute-bound code).
    * ``fuel=True``: guest code meters fuel, so that ``fuel=`` can bound
      the instructions it runs (costs more than interruption).

    Modules compiled by engines of different flags are different code (the
    module cache keeps them apart). Share one engine between modules and
    threads; :func:`default_engine` keeps one of each kind.
    """

    _what = "engine"

    def __init__(self, *, interruptible: bool = False, fuel: bool = False) -> None:
        flags = 0
        if _validate.boolean(interruptible, "interruptible"):
            flags |= _ffi.WASIHOST_ENGINE_INTERRUPTIBLE
        if _validate.boolean(fuel, "fuel"):
            flags |= _ffi.WASIHOST_ENGINE_FUEL
        lib = _ffi.lib()
        out = c_void_p()
        check(lib.wasihost_engine_new_with_flags(flags, byref(out)))
        super().__init__(out.value or 0, lib.wasihost_engine_delete)
        self._flags = flags

    @property
    def interruptible(self) -> bool:
        """Whether guests of this engine can be stopped (timeouts, interrupts)."""
        return bool(self._flags & _ffi.WASIHOST_ENGINE_INTERRUPTIBLE)

    @property
    def fuel(self) -> bool:
        """Whether guests of this engine meter fuel (``fuel=`` limits)."""
        return bool(self._flags & _ffi.WASIHOST_ENGINE_FUEL)

    def __repr__(self) -> str:
        if self._closed:
            return super().__repr__()
        return (
            f"<wasihost.Engine 0x{self._ptr:x} interruptible={self.interruptible} fuel={self.fuel}>"
        )


_default_engines: dict[tuple[bool, bool], Engine] = {}
_default_engine_lock = threading.Lock()


def default_engine(interruptible: bool = False, fuel: bool = False) -> Engine:
    """The shared engine of these flags (see :class:`Engine`), created on first use.

    :class:`Module` uses ``default_engine()`` (neither flag) when given no
    engine; :func:`run` picks the one its ``timeout=`` and ``fuel=`` need.
    """
    key = (_validate.boolean(interruptible, "interruptible"), _validate.boolean(fuel, "fuel"))
    with _default_engine_lock:
        engine = _default_engines.get(key)
        if engine is None or engine.closed:
            engine = Engine(interruptible=key[0], fuel=key[1])
            _default_engines[key] = engine
        return engine


# --- Module -------------------------------------------------------------------


class Module(Handle):
    """A compiled module, ready to instantiate any number of times, from any thread.

    ``Module(wasm)`` compiles ``wasm``: the bytes of a binary module, or of
    WAT text. Other ways: :meth:`from_file`, :meth:`from_wat`,
    :meth:`cached`, :meth:`deserialize`. Invalid wasm raises
    :class:`~wasihost.ModuleError` with the offset of the problem.

    The engine (``engine=``, else ``default_engine()``) decides what its
    instances can be limited by: a timeout or an interrupt needs
    ``Engine(interruptible=True)``, a fuel limit ``Engine(fuel=True)``
    (:attr:`interruptible`, :attr:`fuel`); memory caps work on any engine.

    Attributes:
        cache_status: for a module loaded through the cache, what the cache
            held (:class:`CacheStatus`); else None.
    """

    _what = "module"
    cache_status: CacheStatus | None = None
    _engine_flags = 0

    def __init__(
        self, wasm: bytes | bytearray | memoryview, *, engine: Engine | None = None
    ) -> None:
        if isinstance(wasm, str):
            raise TypeError(
                "Module() takes bytes; use Module.from_wat(text) for WAT text"
                " or Module.from_file(path) for a file"
            )
        data = _validate.binary(wasm, "wasm")
        self._adopt(engine, lambda lib, e, out: lib.wasihost_module_new(e, data, len(data), out))

    def _adopt(self, engine: Engine | None, make: Callable[[Any, int, Any], Any]) -> None:
        _validate.instance_of(engine, Engine, "engine")
        lib = _ffi.lib()
        out = c_void_p()
        engine = engine or default_engine()
        with engine._use() as e:
            check(make(lib, e, byref(out)))
        Handle.__init__(self, out.value or 0, lib.wasihost_module_delete)
        self._engine_flags = engine._flags

    @property
    def interruptible(self) -> bool:
        """Whether the module's engine is interruptible (timeouts, interrupts work)."""
        return bool(self._engine_flags & _ffi.WASIHOST_ENGINE_INTERRUPTIBLE)

    @property
    def fuel(self) -> bool:
        """Whether the module's engine meters fuel (``fuel=`` limits work)."""
        return bool(self._engine_flags & _ffi.WASIHOST_ENGINE_FUEL)

    @classmethod
    def _make(cls, engine: Engine | None, make: Callable[[Any, int, Any], Any]) -> Module:
        self = cls.__new__(cls)
        self._adopt(engine, make)
        return self

    @classmethod
    def from_wat(cls, wat: str | bytes, *, engine: Engine | None = None) -> Module:
        """Compiles WAT text; a syntax error names its line and column."""
        data = wat.encode("utf-8") if isinstance(wat, str) else _validate.binary(wat, "wat")
        return cls._make(
            engine, lambda lib, e, out: lib.wasihost_module_from_wat(e, data, len(data), out)
        )

    @classmethod
    def from_file(
        cls,
        path: PathArg,
        *,
        engine: Engine | None = None,
        cache: bool | PathArg | Cache = False,
        cache_allow_shared: bool = False,
        cache_max_size: int | None = _ffi.WASIHOST_CACHE_DEFAULT_MAX_SIZE,
    ) -> Module:
        """Compiles the module (binary or WAT) in the file at ``path``.

        A missing file raises ``FileNotFoundError`` (a
        :class:`~wasihost.HostIOError`). With ``cache`` (True for the default
        directory, a directory, or a :class:`Cache`), the module goes
        through the compiled-module cache with :meth:`Cache.load_file`: a
        hit for a file seen before and unchanged since neither reads nor
        hashes it. ``cache_allow_shared`` and ``cache_max_size`` are the
        :class:`Cache`'s ``allow_shared_dir`` and ``max_size`` (not used with
        a :class:`Cache`, which has its own). With ``cache=True`` and no
        default directory (none of ``$WASIHOST_CACHE_DIR``,
        ``$XDG_CACHE_HOME`` and ``$HOME`` set), the module is compiled
        without the cache and :attr:`cache_status` is ``NOT_STORED``, as for
        :meth:`cached`.
        """
        p = _bytes(path, "path")
        _cache_options(cache, cache_allow_shared, cache_max_size)
        if cache is not False:
            return _through_cache(
                cache,
                cache_allow_shared,
                cache_max_size,
                lambda c: c.load_file(p, engine=engine),
                lambda: cls.from_file(p, engine=engine),
            )
        return cls._make(
            engine, lambda lib, e, out: lib.wasihost_module_from_file(e, p, len(p), out)
        )

    @classmethod
    def cached(
        cls,
        wasm: bytes | bytearray | memoryview,
        *,
        engine: Engine | None = None,
        cache_dir: PathArg | None = None,
        allow_shared_dir: bool = False,
    ) -> Module:
        """Loads ``wasm`` through the compiled-module cache in ``cache_dir``.

        ``cache_dir`` None selects the library's default:
        ``$WASIHOST_CACHE_DIR``, else ``$XDG_CACHE_HOME/wasihost``, else
        ``~/.cache/wasihost``. A valid entry is loaded without compiling;
        a missing, corrupt or stale one is compiled and stored. Cache
        trouble (a directory that cannot be created or written, a corrupt
        entry) does not fail the call: :attr:`cache_status` says what
        happened.

        The entries are machine code, so the directory must be private:
        what the cache creates is (0700, entries 0600), and an existing
        directory that its group or everyone may write, or that another
        user owns, raises :class:`PermissionError` (a
        :class:`~wasihost.HostIOError`) whose message names it and the fix.
        ``allow_shared_dir=True`` uses such a directory anyway: only when
        everyone who can write it is trusted.
        """
        _validate.boolean(allow_shared_dir, "allow_shared_dir")
        flags = _ffi.WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR if allow_shared_dir else 0
        data = _validate.binary(wasm, "wasm")
        d = None if cache_dir is None else _bytes(cache_dir, "cache_dir")
        status = c_uint32(0)
        module = cls._make(
            engine,
            lambda lib, e, out: lib.wasihost_module_new_cached_flags(
                e, data, len(data), d, len(d or b""), flags, byref(status), out
            ),
        )
        module.cache_status = CacheStatus(status.value) if status.value else None
        return module

    @classmethod
    def deserialize(
        cls, data: bytes | bytearray | memoryview, *, engine: Engine | None = None
    ) -> Module:
        """A module from :meth:`serialize`'s bytes, made with an engine of the same settings.

        The bytes are checked before use (a changed byte raises
        :class:`~wasihost.ModuleError`); still, load only bytes that only
        trusted users could have written.
        """
        b = _validate.binary(data, "data")
        return cls._make(
            engine, lambda lib, e, out: lib.wasihost_module_deserialize(e, b, len(b), out)
        )

    def serialize(self) -> bytes:
        """The compiled form of the module, for :meth:`deserialize`."""
        lib = _ffi.lib()
        out = _ffi.wasihost_bytes_t()
        with self._use() as m:
            check(lib.wasihost_module_serialize(m, byref(out)))
        try:
            return ctypes.string_at(out.data, out.len) if out.len else b""
        finally:
            lib.wasihost_bytes_delete(byref(out))

    def has_export(self, name: str) -> bool:
        """Whether the module exports a function named ``name``."""
        b = _validate.export_name(name, "name")
        with self._use() as m:
            return bool(_ffi.lib().wasihost_module_has_export(m, b, len(b)))

    def export_type(self, name: str) -> FuncType:
        """The parameter and result types of the exported function ``name``.

        Raises :class:`~wasihost.LinkError` when there is no such function, or
        when it takes or returns a type other than i32, i64, f32 and f64
        (v128, references), which :meth:`Instance.call` cannot pass.
        """
        return _func_type(self._export_kinds(_validate.export_name(name, "name")))

    def _export_kinds(self, name: bytes) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """``wasihost_module_export_func_type``: the kinds of ``name``'s params and results."""
        with self._use() as m:
            return _func_kinds(_ffi.lib().wasihost_module_export_func_type, m, name)


# --- Cache --------------------------------------------------------------------


class Cache(Handle):
    """A compiled-module cache: a directory of compiled modules, with a size limit.

    ``Cache(dir)`` names the directory; ``dir`` None selects the library's
    default: ``$WASIHOST_CACHE_DIR``, else ``$XDG_CACHE_HOME/wasihost``,
    else ``~/.cache/wasihost`` (:class:`~wasihost.InvalidArgumentError`
    when none of these is set). Nothing is created or checked until the
    first load, which creates the directory (mode 0700).

    :meth:`load` (bytes) and :meth:`load_file` (a path) give a
    :class:`Module` whose :attr:`Module.cache_status` says what the cache
    held: a valid entry is loaded without compiling; a missing, corrupt or
    stale one is compiled and stored. :meth:`load_file` also remembers the
    hash of the file against its identity and times, so a hit for a file
    seen before and unchanged since neither reads nor hashes it: the fast
    way to start a large module.

    ``max_size`` bounds the cache's files on disk (default
    :attr:`DEFAULT_MAX_SIZE`, 1 GiB; None: no bound): after each store,
    the least recently used entries are deleted until the cache fits (the
    entry just stored is kept even when it alone is larger).
    ``allow_shared_dir`` uses an existing directory that its group or
    everyone may write, or that another user owns (refused with
    :class:`PermissionError` otherwise, see :meth:`Module.cached`): only
    when everyone who can write it is trusted.

    :meth:`disk_usage` and :meth:`clear` report and free the cache's disk
    space. A cache is safe to share between threads (and processes); like
    every handle it has an idempotent ``close()`` and is a context manager.
    Closing it leaves the directory and its entries, and the modules it
    loaded, as they are.
    """

    _what = "cache"
    DEFAULT_MAX_SIZE: ClassVar[int] = _ffi.WASIHOST_CACHE_DEFAULT_MAX_SIZE
    """The size limit of a cache not given one: 1 GiB."""

    def __init__(
        self,
        dir: PathArg | None = None,
        *,
        max_size: int | None = DEFAULT_MAX_SIZE,
        allow_shared_dir: bool = False,
    ) -> None:
        d = None if dir is None else _bytes(dir, "dir")
        limit = _ffi.CACHE_UNBOUNDED if max_size is None else _validate.uint64(max_size, "max_size")
        flags = (
            _ffi.WASIHOST_CACHE_FLAG_ALLOW_SHARED_DIR
            if _validate.boolean(allow_shared_dir, "allow_shared_dir")
            else 0
        )
        lib = _ffi.lib()
        out = c_void_p()
        check(lib.wasihost_cache_new(d, len(d or b""), byref(out)))
        ptr = out.value or 0
        try:
            check(lib.wasihost_cache_set_max_size(ptr, limit))
            check(lib.wasihost_cache_set_flags(ptr, flags))
        except BaseException:
            lib.wasihost_cache_delete(ptr)
            raise
        super().__init__(ptr, lib.wasihost_cache_delete)
        self._dir = dir
        self._max_size = None if limit == _ffi.CACHE_UNBOUNDED else limit
        self._allow_shared_dir = bool(flags)

    @property
    def dir(self) -> PathArg | None:
        """The directory as given (None: the library's default)."""
        return self._dir

    @property
    def max_size(self) -> int | None:
        """The size limit in bytes (None: no bound)."""
        return self._max_size

    @property
    def allow_shared_dir(self) -> bool:
        """Whether a directory that others may write is used (see :class:`Cache`)."""
        return self._allow_shared_dir

    def _load(
        self,
        engine: Engine | None,
        call: Callable[[Any, int, int, Any, Any], Any],
    ) -> Module:
        status = c_uint32(0)
        with self._use() as c:
            module = Module._make(engine, lambda lib, e, out: call(lib, c, e, byref(status), out))
        module.cache_status = CacheStatus(status.value) if status.value else None
        return module

    def load(self, wasm: bytes | bytearray | memoryview, *, engine: Engine | None = None) -> Module:
        """The module in ``wasm`` (binary or WAT bytes), through the cache.

        ``engine`` defaults to ``default_engine()``. Invalid wasm raises
        :class:`~wasihost.ModuleError`; a directory that may not be used
        :class:`PermissionError`. Other cache trouble (a directory that
        cannot be created or written) does not fail the load:
        :attr:`Module.cache_status` says ``NOT_STORED``.
        """
        if isinstance(wasm, str):
            raise TypeError("Cache.load() takes bytes; use Cache.load_file(path) for a file")
        data = _validate.binary(wasm, "wasm")
        return self._load(
            engine,
            lambda lib, c, e, st, out: lib.wasihost_cache_load(c, e, data, len(data), st, out),
        )

    def load_file(self, path: PathArg, *, engine: Engine | None = None) -> Module:
        """The module in the file at ``path`` (binary or WAT), through the cache.

        As :meth:`load`; a file that cannot be read raises
        :class:`~wasihost.HostIOError` (``FileNotFoundError``, ...) naming it.
        """
        p = _bytes(path, "path")
        return self._load(
            engine,
            lambda lib, c, e, st, out: lib.wasihost_cache_load_file(c, e, p, len(p), st, out),
        )

    def disk_usage(self) -> int:
        """How many bytes of disk the cache's files take (0 when the directory is missing).

        Files in the directory that are not the cache's are not counted.
        """
        n = c_uint64(0)
        with self._use() as c:
            check(_ffi.lib().wasihost_cache_disk_usage(c, byref(n)))
        return n.value

    def clear(self) -> int:
        """Deletes every file of the cache; returns how many bytes of disk they took.

        Files in the directory that are not the cache's stay; modules
        already loaded (in this or another process) stay valid. A directory
        that others may write is refused as for a load.
        """
        n = c_uint64(0)
        with self._use() as c:
            check(_ffi.lib().wasihost_cache_clear(c, byref(n)))
        return n.value

    def __repr__(self) -> str:
        if self._closed:
            return super().__repr__()
        where = "default" if self._dir is None else repr(os.fsdecode(self._dir))
        return f"<wasihost.Cache dir={where} max_size={self._max_size}>"


def _cache_options(cache: Any, allow_shared: Any, max_size: Any) -> None:
    """Checks ``cache=``, ``cache_allow_shared=`` and ``cache_max_size=``."""
    if not isinstance(cache, Cache):
        _validate.cache(cache)
    _validate.boolean(allow_shared, "cache_allow_shared")
    if max_size is not None:
        _validate.uint64(max_size, "cache_max_size")


def _through_cache(
    cache: bool | PathArg | Cache,
    allow_shared: bool,
    max_size: int | None,
    load: Callable[[Cache], Module],
    without: Callable[[], Module],
) -> Module:
    """Loads through ``cache`` (a :class:`Cache`, True for the default directory, or a
    directory); with True and no default directory, ``without()``, marked ``NOT_STORED``."""
    if isinstance(cache, Cache):
        return load(cache)
    if cache is False:
        raise ValueError("no cache to load through")
    try:
        c = Cache(
            None if cache is True else cache, max_size=max_size, allow_shared_dir=allow_shared
        )
    except InvalidArgumentError:
        if cache is not True:
            raise
        module = without()
        module.cache_status = CacheStatus.NOT_STORED
        return module
    with c:
        return load(c)


def _func_kinds(query: Any, ptr: int, name: bytes) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The kinds of ``name``'s params and results, from ``query``.

    ``query`` is ``wasihost_module_export_func_type`` (``ptr`` a module) or
    ``wasihost_instance_export_func_type`` (``ptr`` an instance), which the
    caller keeps in use. Sized by a first call, then filled.
    """
    nparams, nresults = ctypes.c_size_t(), ctypes.c_size_t()
    check(query(ptr, name, len(name), None, 0, byref(nparams), None, 0, byref(nresults)))
    params = (c_uint32 * max(nparams.value, 1))()
    results = (c_uint32 * max(nresults.value, 1))()
    check(
        query(
            ptr,
            name,
            len(name),
            params,
            nparams.value,
            byref(nparams),
            results,
            nresults.value,
            byref(nresults),
        )
    )
    return tuple(params[: nparams.value]), tuple(results[: nresults.value])


def _func_type(kinds: tuple[tuple[int, ...], tuple[int, ...]]) -> FuncType:
    """The :class:`FuncType` of ``_func_kinds``'s kinds."""
    params, results = kinds
    return FuncType(tuple(_KIND_NAMES[k] for k in params), tuple(_KIND_NAMES[k] for k in results))


_KIND_NAMES = {
    _ffi.WASIHOST_VAL_I32: "i32",
    _ffi.WASIHOST_VAL_I64: "i64",
    _ffi.WASIHOST_VAL_F32: "f32",
    _ffi.WASIHOST_VAL_F64: "f64",
}


@dataclass(frozen=True)
class FuncType:
    """An exported function's type (:meth:`Module.export_type`,
    :meth:`Instance.export_type`): value types by name."""

    params: tuple[str, ...]
    """The parameter types, ``"i32"``, ``"i64"``, ``"f32"`` or ``"f64"`` each."""
    results: tuple[str, ...]
    """The result types."""

    def __str__(self) -> str:
        return f"({', '.join(self.params)}) -> ({', '.join(self.results)})"


# --- Config -------------------------------------------------------------------

StdinSource = Any
"""What :meth:`Config.set_stdin` accepts; see there."""
_UNSET: Any = object()  # on_call without a handler: a decorator
OutputSink = Any
"""What :meth:`Config.set_stdout` accepts; see there."""


def _preopen_error(e: WasiHostError, host: PathArg, guest: PathArg) -> WasiHostError:
    """``e`` (same class) with a message that says which path is the host's and which the guest's.

    The library says ``preopen "/guest" -> "/host": reason``.
    """
    reason = e.message
    if reason.startswith("preopen "):
        cut = reason.rfind('": ')
        if cut >= 0:
            reason = reason[cut + 3 :]
    message = (
        f"cannot grant the host directory {os.fsdecode(host)!r} at the guest path"
        f" {os.fsdecode(guest)!r}: {reason}"
    )
    return make_error(e.kind, message, e.wasi_errno)


class Config(Handle):
    """What a guest is granted (arguments, environment, directories, stdio) and its limits.

    A new config grants nothing: no arguments, no environment, no
    directories, stdin at end of file, stdout and stderr discarded; and
    sets no timeout and no fuel limit, at most 4 GiB in all memories, 10
    million table elements and 1024 open fds. Each
    setting is applied (and checked) at once: a missing directory raises
    here, not at the run. One config serves any number of instances, on
    any number of threads. The keyword arguments are shortcuts for the
    methods of the same name::

        config = Config(args=["prog", "-v"], env={"LANG": "C"},
                        dirs=[("./data", "/data")], stdout=wasihost.CAPTURE,
                        timeout=5, max_memory=256 << 20)

    ``dirs`` and ``ro_dirs`` read host first, as :meth:`preopen` and the
    CLI's ``--dir HOST::GUEST``: ``(host, guest)`` pairs, ``"HOST::GUEST"``
    strings, or a path alone (seen at the same path); the earlier dict form
    is keyed by guest path (``{"/data": "./data"}``). Their errors name the
    item (``dirs[0]``) and say which path is the host directory and which
    the guest path.

    A timeout needs a module compiled by an interruptible engine and a fuel
    limit one with fuel (:class:`Engine`): otherwise making the instance
    raises :class:`~wasihost.ConfigError`.

    The programmable host: :meth:`on_call` handles WASI calls in Python
    (``handlers={"path_open": fn}`` here), :meth:`set_trace` traces them
    (``trace=``, ``trace_filter=``), :meth:`set_deterministic`
    (``deterministic=True`` or a seed), :meth:`set_clock` and
    :meth:`set_random` decide what the guest's clocks and random bytes are.
    """

    _what = "config"
    _timeout_ns = 0  # the timeout set (0: none), which TimedOut's message names

    def __init__(
        self,
        *,
        args: Iterable[TextArg] | None = None,
        env: Mapping[TextArg, TextArg] | None = None,
        inherit_env: bool = False,
        dirs: DirsArg | None = None,
        ro_dirs: DirsArg | None = None,
        stdin: StdinSource = None,
        stdout: OutputSink = None,
        stderr: OutputSink = None,
        max_open_fds: int | None = None,
        timeout: float | None = None,
        fuel: int | None = None,
        max_memory: int | None = None,
        max_table_elements: int | None = None,
        handlers: Mapping[str | Iterable[str], HandlerFn] | None = None,
        trace: Any = None,
        trace_filter: str | Iterable[str] | None = None,
        deterministic: bool | int | None = None,
    ) -> None:
        # Whole-argument checks before anything is made; each item is
        # checked by the method that applies it.
        _validate.boolean(inherit_env, "inherit_env")
        handler_items = _hooks.handler_items(handlers) if handlers is not None else []
        seed = _hooks.seed_value(deterministic)
        if trace_filter is not None:
            _hooks.call_list(trace_filter, "trace_filter")
            if trace is None:
                raise ValueError("trace_filter needs trace (a path, a file or a callable)")
        timeout_ns = _validate.timeout_ns(timeout)
        if fuel is not None:
            _validate.uint64(fuel, "fuel", minimum=1)
        if max_memory is not None:
            _validate.uint64(max_memory, "max_memory")
        if max_table_elements is not None:
            _validate.uint64(max_table_elements, "max_table_elements")
        if args is not None:
            args = _validate.arg_list(args, "args")
        if env is not None:
            _validate.mapping(env, "env")
        preopens = [
            (item, readonly)
            for what, m, readonly in (("dirs", dirs, False), ("ro_dirs", ro_dirs, True))
            if m is not None
            for item in _validate.preopens(m, what)
        ]
        if max_open_fds is not None:
            _validate.size(max_open_fds, "max_open_fds")
        lib = _ffi.lib()
        ptr = lib.wasihost_config_new()
        if not ptr:
            raise MemoryError("wasihost_config_new failed")
        super().__init__(ptr, lib.wasihost_config_delete)
        try:
            if inherit_env:
                self.inherit_env()
            if args is not None:
                self.push_args(args)
            if env is not None:
                self.update_env(env)
            for (host, guest, label, from_dict), readonly in preopens:
                self._preopen_item(host, guest, readonly, label, from_dict)
            if stdin is not None:
                self.set_stdin(stdin)
            if stdout is not None:
                self.set_stdout(stdout)
            if stderr is not None:
                self.set_stderr(stderr)
            if max_open_fds is not None:
                self.set_max_open_fds(max_open_fds)
            if timeout_ns:
                self._apply(lib.wasihost_config_set_timeout_ns, timeout_ns)
                self._timeout_ns = timeout_ns
            if fuel is not None:
                self.set_fuel(fuel)
            if max_memory is not None:
                self.set_max_memory(max_memory)
            if max_table_elements is not None:
                self.set_max_table_elements(max_table_elements)
            for calls, fn in handler_items:
                self.on_call(calls, fn)
            if trace is not None:
                self.set_trace(trace, filter=trace_filter)
            if seed is not None:
                self.set_deterministic(seed)
        except BaseException:
            self.close()
            raise

    def _apply(self, call: Callable[..., Any], *args: Any) -> Config:
        with self._use(exclusive=True) as c:
            check(call(c, *args))
        return self

    def _apply_owned(self, key: int, call: Callable[..., Any], *args: Any) -> Config:
        """``_apply`` of a C function that takes over the callback registered under ``key``.

        The library finalizes ``key`` itself once called (also when it
        fails); if the call is never made (a closed config), it is dropped here.
        """
        made = False
        try:
            with self._use(exclusive=True) as c:
                made = True
                err = call(c, *args)
        finally:
            if not made:
                _callbacks.forget(key)
        check(err)
        return self

    def push_arg(self, arg: TextArg) -> Config:
        """Appends one guest argument; the first is the program name (``argv[0]``)."""
        return self._push_arg(arg, "arg")

    def _push_arg(self, arg: TextArg, what: str) -> Config:
        b = _bytes(arg, what)
        return self._apply(_ffi.lib().wasihost_config_push_arg, b, len(b))

    def push_args(self, args: Iterable[TextArg]) -> Config:
        """Appends each of ``args`` (a list: one ``str`` is refused, not split)."""
        for idx, a in enumerate(_validate.arg_list(args, "args")):
            self._push_arg(a, f"args[{idx}]")
        return self

    def set_env(self, name: TextArg, value: TextArg) -> Config:
        """Sets a guest environment variable (replacing an earlier setting)."""
        n = _bytes(name, "env name")
        v = _bytes(value, f"env[{name!r}]")
        return self._apply(_ffi.lib().wasihost_config_set_env, n, len(n), v, len(v))

    def update_env(self, env: Mapping[TextArg, TextArg]) -> Config:
        """Sets every variable of ``env``."""
        for name, value in _validate.mapping(env, "env").items():
            self.set_env(name, value)
        return self

    def inherit_env(self, name: TextArg | None = None) -> Config:
        """Copies the host's environment variable ``name``, or the whole environment.

        As it is at this call (nothing happens for a variable the host lacks);
        later :meth:`set_env` calls override it. Note that the library reads
        the process environment, which ``os.environ`` changes update (``os.putenv``).
        """
        lib = _ffi.lib()
        if name is None:
            return self._apply(lib.wasihost_config_inherit_env)
        n = _bytes(name, "name")
        return self._apply(lib.wasihost_config_inherit_env_var, n, len(n))

    def preopen(self, host_path: PathArg, guest_path: PathArg, readonly: bool = False) -> Config:
        """Grants the host directory ``host_path`` at ``guest_path`` (e.g. ``"/data"``).

        The guest reaches nothing outside it (``..``, absolute paths and
        symlinks that lead out fail with errno ``perm``); with ``readonly``
        every change fails with ``notcapable``. A missing directory raises
        ``FileNotFoundError`` (a :class:`~wasihost.ConfigError`) now.
        Preopens get guest fds 3, 4, ... in order.
        """
        h, g = _bytes(host_path, "host_path"), _bytes(guest_path, "guest_path")
        flags = _ffi.WASIHOST_PREOPEN_READONLY if _validate.boolean(readonly, "readonly") else 0
        try:
            return self._apply(_ffi.lib().wasihost_config_preopen_dir, h, len(h), g, len(g), flags)
        except WasiHostError as e:
            raise _preopen_error(e, host_path, guest_path) from None

    def _preopen_item(
        self, host: Any, guest: Any, readonly: bool, label: str, from_dict: bool
    ) -> None:
        """One item of ``dirs=``/``ro_dirs=``: its messages name the item and each side."""
        try:
            self.preopen(host, guest, readonly=readonly)
        except TypeError as e:
            raise TypeError(f"{label}: {e}") from None
        except WasiHostError as e:
            hint = ""
            missing = isinstance(e, FileNotFoundError)
            if missing and from_dict and isinstance(guest, str) and os.path.isdir(guest):
                # {"./data": "/data"}: the dict the other way round.
                hint = (
                    f" (the dict form is {{guest path: host directory}}: did you mean"
                    f" {{{host!r}: {guest!r}}}, or [({guest!r}, {host!r})], host first"
                    " as in Config.preopen and --dir HOST::GUEST?)"
                )
            raise make_error(e.kind, f"{label}: {e.message}{hint}", e.wasi_errno) from None

    def set_max_open_fds(self, n: int) -> Config:
        """The most fds the guest may hold open, stdio and preopens included (default 1024)."""
        n = _validate.size(n, "max_open_fds")
        return self._apply(_ffi.lib().wasihost_config_set_max_open_fds, n)

    def set_timeout(self, seconds: float | None) -> Config:
        """How long each entry into the guest may take, in seconds (None: no timeout).

        Each entry gets the whole timeout anew: making the instance (the
        module's start function), each :meth:`Instance.run`, each
        :meth:`Instance.call`. A guest past it raises
        :class:`~wasihost.TimedOut`, also while it waits in a host call (a
        sleep, a read of stdin or of a pipe; not inside a Python stdin
        callback, which cannot be interrupted). Needs a module compiled by
        ``Engine(interruptible=True)``: otherwise making the instance raises
        :class:`~wasihost.ConfigError`. ``seconds``: a finite number > 0.
        """
        ns = _validate.timeout_ns(seconds)
        self._apply(_ffi.lib().wasihost_config_set_timeout_ns, ns)
        self._timeout_ns = ns
        return self

    def set_fuel(self, fuel: int) -> Config:
        """The instruction budget of each instance over its whole life, in fuel units.

        About one unit per wasm instruction; a guest that uses it up raises
        :class:`~wasihost.FuelExhausted`. An int >= 1. Needs a module
        compiled by ``Engine(fuel=True)``: otherwise making the instance
        raises :class:`~wasihost.ConfigError`. (There is no unsetting it:
        use a config without it.)
        """
        n = _validate.uint64(fuel, "fuel", minimum=1)
        return self._apply(_ffi.lib().wasihost_config_set_fuel, n)

    def set_max_memory(self, nbytes: int) -> Config:
        """The most bytes all of an instance's memories may hold together (default 4 GiB).

        A ``memory.grow`` beyond it returns -1 to the guest, as wasm does
        when memory cannot grow (C's ``malloc`` returns NULL; see
        :attr:`Instance.memory_limit_reached`); a module whose memories
        start larger raises :class:`~wasihost.MemoryLimitError` when
        instantiated. Works on any engine, at no cost.
        """
        n = _validate.uint64(nbytes, "max_memory")
        return self._apply(_ffi.lib().wasihost_config_set_max_memory, n)

    def set_max_table_elements(self, n: int) -> Config:
        """The most elements all of an instance's tables may hold together (default 10 million).

        A ``table.grow`` beyond it returns -1 to the guest.
        """
        n = _validate.uint64(n, "max_table_elements")
        return self._apply(_ffi.lib().wasihost_config_set_max_table_elements, n)

    def set_stdin(self, source: StdinSource) -> Config:
        """Where the guest's stdin comes from.

        * :data:`DEVNULL` (the default): end of file at once.
        * :data:`INHERIT`: the host process's own stdin.
        * ``bytes`` (or ``bytearray``, ``memoryview``): these bytes, then end
          of file; every instance reads them from the start.
        * ``str`` or ``os.PathLike``: the host file at that path, opened for
          each instance.
        * an ``int``: that host fd (duplicated now; instances share its position).
        * an open file with a real ``fileno()``: its fd, as above. Bytes a
          Python buffered reader has already read ahead are not seen.
        * any object with ``readinto()`` or ``read()`` (``io.BytesIO``, a
          socket file, ...), or a callable ``(n) -> bytes``: read on demand,
          ``b""`` meaning end of file. Its exceptions are re-raised after the
          run (the guest sees an I/O error).
        """
        lib = _ffi.lib()
        if source is DEVNULL:
            return self._apply(lib.wasihost_config_stdin_null)
        if source is INHERIT:
            return self._apply(lib.wasihost_config_stdin_inherit)
        if isinstance(source, (bytes, bytearray, memoryview)):
            b = bytes(source)
            return self._apply(lib.wasihost_config_stdin_bytes, b, len(b))
        if isinstance(source, str) or hasattr(source, "__fspath__"):
            p = _bytes(source, "stdin")
            return self._apply(lib.wasihost_config_stdin_file, p, len(p))
        if isinstance(source, bool):
            raise TypeError("stdin cannot be a bool")
        if isinstance(source, int):
            return self._apply(lib.wasihost_config_stdin_fd, _validate.fd(source, "stdin fd"))
        fd = _fileno(source)
        if fd is not None:
            return self._apply(lib.wasihost_config_stdin_fd, fd)
        fill = _callbacks.reader_for(source)
        key = _callbacks.register(fill)
        return self._apply(
            lib.wasihost_config_stdin_callback, _callbacks.READ, key, _callbacks.FINALIZE
        )

    def set_stdout(self, sink: OutputSink, *, append: bool = False) -> Config:
        """Where the guest's stdout goes.

        * :data:`DEVNULL` (the default): discarded; the guest's writes succeed.
        * :data:`INHERIT`: the host process's own stdout (fd 1), unbuffered.
        * :data:`CAPTURE` or ``Capture(limit)``: kept in memory, read with
          :meth:`Instance.captured`.
        * ``str`` or ``os.PathLike``: the host file at that path, created or
          truncated for each instance (appended to with ``append=True``).
        * an ``int``: that host fd (duplicated now).
        * an open file with a real ``fileno()``: its fd (the file object is
          flushed first, so the order of writes is kept).
        * any object with ``write()`` (``io.BytesIO``, ``sys.stdout.buffer``
          under pytest's capture, ...), or a callable taking ``bytes``:
          called with each buffer the guest writes, on the thread running
          the guest. A text stream gets the bytes decoded as UTF-8. Its
          exceptions are re-raised after the run (the guest sees an I/O
          error).
        """
        return self._set_output(Stream.STDOUT, sink, append)

    def set_stderr(self, sink: OutputSink, *, append: bool = False) -> Config:
        """Where the guest's stderr goes; as :meth:`set_stdout` (fd 2 for :data:`INHERIT`)."""
        return self._set_output(Stream.STDERR, sink, append)

    def _set_output(self, stream: Stream, sink: OutputSink, append: bool) -> Config:
        lib = _ffi.lib()
        what = stream.name.lower() if isinstance(stream, Stream) else f"stream {stream}"
        is_path = isinstance(sink, str) or hasattr(sink, "__fspath__")
        if _validate.boolean(append, "append") and not is_path:
            raise TypeError("append=True is for a file path")
        if sink is DEVNULL:
            return self._apply(lib.wasihost_config_output_null, stream)
        if sink is INHERIT:
            return self._apply(lib.wasihost_config_output_inherit, stream)
        if isinstance(sink, Capture):
            limit = _validate.size(sink.limit, f"{what} capture limit")
            return self._apply(lib.wasihost_config_output_capture, stream, limit)
        if is_path:
            p = _bytes(sink, what)
            flags = _ffi.WASIHOST_OUTPUT_APPEND if append else 0
            return self._apply(lib.wasihost_config_output_file, stream, p, len(p), flags)
        if isinstance(sink, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"{stream.name.lower()} cannot be bytes: give a path as str or os.PathLike,"
                " or an io.BytesIO to collect the output"
            )
        if isinstance(sink, bool):
            raise TypeError(f"{what} cannot be a bool")
        if isinstance(sink, int):
            fd = _validate.fd(sink, f"{what} fd")
            return self._apply(lib.wasihost_config_output_fd, stream, fd)
        sink_fd = _fileno(sink)
        if sink_fd is not None:
            flush = getattr(sink, "flush", None)
            if flush is not None:
                flush()
            return self._apply(lib.wasihost_config_output_fd, stream, sink_fd)
        write = _callbacks.writer_for(sink)
        key = _callbacks.register(write)
        return self._apply(
            lib.wasihost_config_output_callback,
            stream,
            _callbacks.WRITE,
            key,
            _callbacks.FINALIZE,
        )

    # -- the programmable host: handlers, trace, clocks, random

    def on_call(
        self,
        calls: str | Iterable[str],
        handler: Any = _UNSET,
        *,
        on_error: Any = "trap",
    ) -> Any:
        """Handles the WASI calls ``calls`` with ``handler(call)``, in place of the built-in.

        ``calls``: call names and groups, as ``"path_open,fd_read"`` or a
        list: ``args``, ``clock``, ``fd``, ``path``, ``poll``, ``proc``,
        ``random``, ``sock``, ``fs`` (``fd`` and ``path``), ``all``. An
        unknown name raises :class:`~wasihost.InvalidArgumentError`. The
        handler replaces any handler set before for those calls;
        ``handler=None`` removes theirs. Without ``handler``, ``on_call``
        is a decorator::

            @config.on_call("path_open")
            def deny_keys(call: wasihost.Call) -> wasihost.Errno | None:
                if call.path.endswith(b".key"):
                    return wasihost.Errno.ACCES
                return call.call_default()

        The handler gets a :class:`~wasihost.Call` (valid during the call
        only) and returns an :class:`~wasihost.Errno` or an int 0 to 76 for
        the guest (the results reach it only on ``SUCCESS``); None for the
        errno of :meth:`Call.call_default <wasihost.Call.call_default>`,
        which runs then if it did not yet; or ends the guest with
        ``call.exit(code)`` or ``call.trap(message)``. Raising
        :class:`~wasihost.CallError` is returning its errno.

        A handler that raises anything else, or returns something else,
        fails: the guest traps (``on_error="trap"``, the default) or sees
        the errno ``on_error`` (an :class:`~wasihost.Errno` 1 to 76), and
        the exception is raised again from :meth:`Instance.run` /
        :meth:`Instance.call` once the guest returns, as for stdio callbacks.

        Every instance made from the config afterwards uses the handler
        (several at once, on several threads: it runs on the thread of the
        guest making the call). Calls without a handler cost nothing extra.
        A handler must not use the instance that is running.
        """
        if handler is _UNSET:

            def decorator(fn: HandlerFn) -> HandlerFn:
                self.on_call(calls, fn, on_error=on_error)
                return fn

            _hooks.call_list(calls, "calls")
            _hooks.on_error_value(on_error)
            return decorator
        c = _hooks.call_list(calls, "calls")
        verdict = _hooks.on_error_value(on_error)
        lib = _ffi.lib()
        _hooks.bind()
        if handler is None:
            return self._apply(
                lib.wasihost_config_set_call_handler,
                c,
                len(c),
                _hooks.NO_HANDLER,
                None,
                _hooks.NO_FINALIZER,
            )
        if not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        key = _callbacks.register(_hooks.Handler(handler, verdict))
        return self._apply_owned(
            key,
            lib.wasihost_config_set_call_handler,
            c,
            len(c),
            _hooks.HANDLER,
            key,
            _callbacks.FINALIZE,
        )

    def set_trace(self, target: Any, filter: str | Iterable[str] | None = None) -> Config:
        """Traces the WASI calls of every instance made from the config afterwards.

        ``target``:

        * a path (``str``, ``os.PathLike``): the file, created or truncated
          now, gets one JSON object per call and line, as ``--trace FILE``
          writes it: ``{"instance":1,"call":"path_open","args":{"fd":3,
          "dirflags":["symlink_follow"],"path":"a.txt",...},"errno":"success",
          "results":{"opened_fd":4},"ns":5120}`` (an exit gives ``"exit":N``
          and a trap ``"trap":"..."`` in place of ``errno``). An instance's
          lines are in the file once it is closed.
        * a file object (anything with ``write``): the same lines, written
          by Python.
        * a callable: called with a :class:`~wasihost.TraceRecord` after
          each call, on the guest's thread; what it raises is raised again
          after the run (the guest does not notice).
        * None: no trace.

        ``filter``: which calls, as for :meth:`on_call` (None: all). Replaces
        a trace set before.
        """
        f = b"" if filter is None else _hooks.call_list(filter, "filter")
        lib = _ffi.lib()
        _hooks.bind()
        if target is None:
            return self._apply(
                lib.wasihost_config_set_trace_callback,
                f,
                len(f),
                _hooks.NO_TRACE,
                None,
                _hooks.NO_FINALIZER,
            )
        if _hooks.is_path(target):
            p = _bytes(target, "trace")
            return self._apply(lib.wasihost_config_set_trace_file, p, len(p), f, len(f))
        if getattr(target, "write", None) is not None:
            fn = _hooks.trace_writer(target)
        elif callable(target):
            fn = target
        else:
            raise TypeError(
                "trace must be a path, a file object, a callable or None, not"
                f" {type(target).__name__}"
            )
        key = _callbacks.register(fn)
        return self._apply_owned(
            key,
            lib.wasihost_config_set_trace_callback,
            f,
            len(f),
            _hooks.TRACE,
            key,
            _callbacks.FINALIZE,
        )

    def set_deterministic(self, seed: int = 0) -> Config:
        """Deterministic time and randomness for the guests: two runs print the same.

        The wall clock is frozen at 2000-01-01T00:00:00Z, the monotonic
        clock starts at 0 and advances only by what the guest sleeps (at
        once, without waiting), and ``random_get`` gives bytes from
        ``seed`` (an int, 0 to 2**64 - 1). Replaces a clock or random source
        set before; a later :meth:`set_clock` or :meth:`set_random` replaces
        its clock or its random bytes.
        """
        n = _validate.uint64(seed, "seed")
        return self._apply(_ffi.lib().wasihost_config_set_deterministic, n)

    def set_clock(
        self,
        now: Callable[[ClockId], int],
        sleep: Callable[[int], Any] | None = None,
    ) -> Config:
        """The guests' clocks come from ``now(clock_id)``: nanoseconds, an int.

        ``clock_id`` is a :class:`~wasihost.ClockId` (``REALTIME``: since
        1970; ``MONOTONIC``; the CPU-time clocks). Raise
        :class:`~wasihost.CallError` (``Errno.INVAL`` for a clock it does not
        have) to fail the guest's call. ``sleep(ns)``, when given, makes the
        guest's waits (``poll_oneoff`` clock subscriptions: ``sleep()``,
        ``nanosleep()``) pass on that clock, e.g. by advancing a virtual
        time; without it they are real sleeps. Both run on the guest's
        thread; what else they raise fails the call with ``io`` and is
        raised again after the run. Shared by every instance of the config;
        replaces the clock of :meth:`set_deterministic`.
        """
        if not callable(now):
            raise TypeError(f"now must be callable, not {type(now).__name__}")
        if sleep is not None and not callable(sleep):
            raise TypeError(f"sleep must be callable or None, not {type(sleep).__name__}")
        key = _callbacks.register(_hooks.Clock(now, sleep))
        return self._apply_owned(
            key,
            _ffi.lib().wasihost_config_set_clock,
            _hooks.CLOCK_NOW,
            _hooks.CLOCK_SLEEP if sleep is not None else _hooks.NO_SLEEP,
            key,
            _callbacks.FINALIZE,
        )

    def set_random(self, source: Callable[[int], bytes]) -> Config:
        """The guests' ``random_get`` bytes come from ``source(n)``, which returns ``n`` bytes.

        ``os.urandom`` and ``random.Random(seed).randbytes`` fit. Runs on the
        guest's thread; raise :class:`~wasihost.CallError` to fail the call
        with an errno of your choice; anything else it raises (or a wrong
        length) fails it with ``io`` and is raised again after the run.
        Shared by every instance of the config; replaces the seed of
        :meth:`set_deterministic`.
        """
        if not callable(source):
            raise TypeError(f"source must be callable, not {type(source).__name__}")
        key = _callbacks.register(source)
        return self._apply_owned(
            key,
            _ffi.lib().wasihost_config_set_random_callback,
            _hooks.RANDOM,
            key,
            _callbacks.FINALIZE,
        )


# --- Instance -----------------------------------------------------------------


def _raise_after_call(err: int | None, timeout_ns: int = 0) -> None:
    """After a C call that may run guest code: a callback's exception first, then ``err``.

    ``timeout_ns``: the timeout in force, which a :class:`~wasihost.TimedOut` names.
    """
    pending = _callbacks.take_pending()
    if pending is not None:
        if err:
            take(err)  # freed; the callback's exception is the cause
        raise pending
    try:
        check(err)
    except TimedOut as e:
        if timeout_ns:
            e.message = f"the guest timed out after {timeout_ns / 1e9:g} s"
            e.args = (e.message,)
        raise


class InterruptHandle(Handle):
    """Stops instances from any thread; may outlive them.

    ``InterruptHandle()`` makes one before an instance exists: give it to
    ``Instance(module, config, interrupt_handle=handle)``, and interrupting
    it from another thread stops even the module's start function (which
    runs while the instance is made); later it stops that instance's runs
    and calls. One handle may serve several instances and stops them all.
    :meth:`Instance.interrupt_handle` gives a handle of an existing instance.

    The run or call in progress raises :class:`~wasihost.Interrupted` at
    the guest's next loop iteration or function entry, or at once when it
    waits in a host call (a sleep, a read of stdin or of a pipe; not inside
    a Python stdin callback); later runs and calls fail the same way.
    Needs instances of a module compiled by ``Engine(interruptible=True)``.
    """

    _what = "interrupt handle"

    def __init__(self) -> None:
        lib = _ffi.lib()
        out = c_void_p()
        check(lib.wasihost_interrupt_handle_new(byref(out)))
        super().__init__(out.value or 0, lib.wasihost_interrupt_handle_delete)

    @classmethod
    def _adopt(cls, ptr: int) -> InterruptHandle:
        h = cls.__new__(cls)
        Handle.__init__(h, ptr, _ffi.lib().wasihost_interrupt_handle_delete)
        return h

    def interrupt(self) -> None:
        """Stops the instances. Safe from any thread, any number of times."""
        with self._use() as h:
            _ffi.lib().wasihost_interrupt_handle_interrupt(h)

    @property
    def interrupted(self) -> bool:
        """Whether :meth:`interrupt` was called (on this or another handle of the instance)."""
        with self._use() as h:
            return bool(_ffi.lib().wasihost_interrupt_handle_is_interrupted(h))


class Instance(Handle):
    """A guest ready to run: its memory, its WASI state, its captured output.

    ``Instance(module, config)`` instantiates ``module`` with what
    ``config`` grants and under its limits (an empty config when None) and
    runs the module's start function, if any. ``interrupt_handle``: an
    :class:`InterruptHandle` that stops the instance, the start function
    included. An instance is used by one thread at a time (another
    thread's :meth:`run` raises ``RuntimeError``), but :meth:`interrupt`
    works from any thread.

    Stopping a guest (:meth:`interrupt`, an interrupt handle, a timeout)
    needs a module compiled by ``Engine(interruptible=True)``; with another
    engine they raise :class:`~wasihost.ConfigError`, whose message says so.
    """

    _what = "instance"
    _close_waits = False

    def __init__(
        self,
        module: Module,
        config: Config | None = None,
        *,
        interrupt_handle: InterruptHandle | None = None,
    ) -> None:
        if not isinstance(module, Module):
            raise TypeError(
                f"Instance() needs a wasihost.Module, not {type(module).__name__}"
                " (wasihost.run() takes a path or bytes)"
            )
        if config is not None and not isinstance(config, Config):
            raise TypeError(f"config must be a wasihost.Config, not {type(config).__name__}")
        _validate.instance_of(interrupt_handle, InterruptHandle, "interrupt_handle")
        lib = _ffi.lib()
        own_config = config is None
        cfg = Config() if config is None else config
        out = c_void_p()
        try:
            with contextlib.ExitStack() as stack:
                m = stack.enter_context(module._use())
                c = stack.enter_context(cfg._use())
                h = None
                if interrupt_handle is not None:
                    h = stack.enter_context(interrupt_handle._use())
                timeout_ns = cfg._timeout_ns
                _callbacks.clear_pending()
                err = lib.wasihost_instance_new_with_handle(m, c, h, byref(out))
            if err and out.value:  # not by the contract; never leak it
                lib.wasihost_instance_delete(out.value)
            _raise_after_call(err, timeout_ns)
        finally:
            if own_config:
                cfg.close()
        super().__init__(out.value or 0, lib.wasihost_instance_delete)
        self._timeout_ns = timeout_ns
        # The types of call() and export_type(): the instance's own (they
        # outlive the module), looked up once per name.
        self._types: dict[bytes, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        # The handle for interrupt(), made now: interrupt() must not need
        # the instance's lock, which a run holds.
        self._interrupter: InterruptHandle | None = None
        if module.interruptible:
            self._interrupter = self.interrupt_handle()

    def run(self) -> int:
        """Runs ``_start`` (a WASI command's main) and returns the guest's exit code.

        0 when ``_start`` returns, else the code given to ``proc_exit``. A
        trap raises :class:`~wasihost.Trap`, an interrupt
        :class:`~wasihost.Interrupted`, a module without ``_start``
        :class:`~wasihost.LinkError`. An exception raised by a stdio
        callback during the run is raised here, after the run returns.
        """
        code = c_uint32(0)
        with self._use(exclusive=True, wait=False) as i:
            _callbacks.clear_pending()
            err = _ffi.lib().wasihost_instance_run(i, byref(code))
            timeout_ns = self._timeout_ns
        _raise_after_call(err, timeout_ns)
        return int(code.value)

    def export_type(self, name: str) -> FuncType:
        """The parameter and result types of the exported function ``name``.

        As :meth:`Module.export_type` gives them for the instance's module,
        with the same errors, and also after the module was closed (the
        instance knows its exports' types). Looked up once per name, as
        :meth:`call` does.
        """
        return _func_type(self._export_kinds(_validate.export_name(name, "name")))

    def _export_kinds(
        self, name: bytes, wait: bool = True
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """``wasihost_instance_export_func_type``, kept per name: ``name``'s kinds.

        A lookup waits for a run on another thread unless not ``wait``
        (:meth:`call`, which would refuse to wait for it anyway).
        """
        if self._closed:
            raise self._closed_error()  # also for a type it knows
        kinds = self._types.get(name)
        if kinds is None:
            with self._use(wait=wait) as i:
                kinds = _func_kinds(_ffi.lib().wasihost_instance_export_func_type, i, name)
            self._types[name] = kinds
        return kinds

    def call(self, name: str, *args: WasmArg, results: int | None = None) -> Any:
        """Calls the exported function ``name`` with ``args``.

        The function's type comes from the instance (:meth:`export_type`,
        looked up once per name; it works after the module was closed): an
        ``int`` is passed as the parameter's i32 or i64, a ``float`` as its
        f32 or f64; a marker, ``wasihost.i64(5)``, ``wasihost.f32(1.5)``
        (also ``i32``, ``f64``), must match the parameter's type. Returns
        None for no result, the value for one (an ``int`` for i32/i64, a
        ``float`` for f32/f64), a tuple for more. A wrong number of
        arguments, or a function that is not exported, raises
        :class:`~wasihost.LinkError` naming the function's type.

        ``results`` (optional, for code written when it was needed) is how
        many values the function returns: given, nothing is looked up, an
        ``int`` is an i32 and a ``float`` an f64, and a wrong count raises
        :class:`~wasihost.LinkError`; more than 1000, the most a wasm
        function can return, raises ``ValueError``. It is not needed after
        the module was closed: the instance knows its exports' types.

        A guest that calls ``proc_exit`` raises :class:`~wasihost.GuestExit`
        (its ``.code``); traps and interrupts raise as in :meth:`run`.
        """
        n = _validate.export_name(name, "name")
        params: tuple[int, ...] = ()
        if results is None:
            params, result_kinds = self._export_kinds(n, wait=False)
            results = len(result_kinds)
        else:
            results = _validate.size(results, "results")
            if results > _MAX_RESULTS:
                # Checked before the buffer for them is allocated.
                raise ValueError(
                    f"results is {results}, but a wasm function returns at most"
                    f" {_MAX_RESULTS} values"
                )
        argv = (_ffi.wasihost_val_t * max(len(args), 1))()
        for idx, a in enumerate(args):
            to_c(a, argv[idx], idx, params[idx] if idx < len(params) else None)
        resv = (_ffi.wasihost_val_t * max(results, 1))()
        with self._use(exclusive=True, wait=False) as i:
            _callbacks.clear_pending()
            err = _ffi.lib().wasihost_instance_call(i, n, len(n), argv, len(args), resv, results)
            timeout_ns = self._timeout_ns
        _raise_after_call(err, timeout_ns)
        values = tuple(from_c(resv[k]) for k in range(results))
        if results == 0:
            return None
        if results == 1:
            return values[0]
        return values

    def captured(self, stream: Stream | int | str = Stream.STDOUT) -> Captured:
        """What the guest has written so far to a captured ``stream`` ("stdout" or "stderr").

        Raises :class:`~wasihost.InvalidArgumentError` for a stream the
        config did not capture.
        """
        s = _validate.member(stream, Stream, "stream")
        cap = _ffi.wasihost_capture_t()
        with self._use() as i:
            check(_ffi.lib().wasihost_instance_capture(i, s, byref(cap)))
            data = ctypes.string_at(cap.data, cap.len) if cap.len else b""
        return Captured(data, int(cap.total_written), bool(cap.truncated))

    def interrupt_handle(self) -> InterruptHandle:
        """A new :class:`InterruptHandle` for this instance (close it when done).

        Raises :class:`~wasihost.ConfigError` when the module's engine is not
        interruptible.
        """
        lib = _ffi.lib()
        out = c_void_p()
        with self._use() as i:
            check(lib.wasihost_instance_interrupt_handle(i, byref(out)))
        return InterruptHandle._adopt(out.value or 0)

    def interrupt(self) -> None:
        """Stops the guest, from any thread; see :class:`InterruptHandle`.

        Raises :class:`~wasihost.ConfigError` when the module's engine is not
        interruptible (compile it with ``Engine(interruptible=True)``), and
        ``ValueError`` once the instance is closed.
        """
        if self._interrupter is None:
            if self._closed:
                raise self._closed_error()
            self.interrupt_handle()  # raises the library's explanation
            raise AssertionError("unreachable: an interruptible instance has a handle")
        try:
            self._interrupter.interrupt()
        except ValueError:
            raise self._closed_error() from None

    def set_timeout(self, seconds: float | None) -> None:
        """The timeout of each later :meth:`run` and :meth:`call`, in seconds (None: none).

        The config's timeout is the one the instance starts with. Raises
        :class:`~wasihost.ConfigError` for a timeout when the module's engine
        is not interruptible.
        """
        ns = _validate.timeout_ns(seconds)
        with self._use(exclusive=True, wait=False) as i:
            check(_ffi.lib().wasihost_instance_set_timeout_ns(i, ns))
            self._timeout_ns = ns

    @property
    def memory_limit_reached(self) -> bool:
        """Whether a ``memory.grow`` or ``table.grow`` was refused by the config's caps.

        The guest saw -1 (C's ``malloc`` returned NULL) and may have gone on.
        """
        with self._use() as i:
            return bool(_ffi.lib().wasihost_instance_memory_limit_reached(i))

    @property
    def number(self) -> int:
        """The instance's number: unique in the process, from 1.

        Its trace records (:attr:`TraceRecord.instance`, ``"instance"`` in
        the JSON) and its calls (:attr:`Call.instance`) carry it: it tells
        apart the instances of one config.
        """
        with self._use() as i:
            return int(_ffi.lib().wasihost_instance_number(i))

    @property
    def fuel_left(self) -> int | None:
        """The fuel the instance has left; None when its engine does not meter fuel."""
        left = ctypes.c_uint64()
        with self._use() as i:
            if not _ffi.lib().wasihost_instance_fuel_left(i, byref(left)):
                return None
        return int(left.value)

    def close(self) -> None:
        """Frees the instance. Idempotent; ``RuntimeError`` while another thread runs it."""
        super().close()
        if self._interrupter is not None:
            self._interrupter.close()
