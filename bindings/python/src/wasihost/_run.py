"""``wasihost.run``: one call from a module to its exit code and output."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from . import _ffi, _hooks, _validate
from ._core import (
    CAPTURE,
    DEVNULL,
    Cache,
    Capture,
    Config,
    DirsArg,
    Engine,
    Instance,
    Module,
    OutputSink,
    PathArg,
    StdinSource,
    TextArg,
    _cache_options,
    _through_cache,
    default_engine,
)
from .errors import GuestExit, WasiHostError

__all__ = ["run", "RunResult"]


@dataclass(frozen=True)
class RunResult:
    """The outcome of :func:`run`."""

    exit_code: int
    """The guest's exit code: 0 when ``_start`` returned, else its ``proc_exit`` code."""
    stdout: bytes | None
    """What the guest wrote to stdout, when captured (else None)."""
    stderr: bytes | None
    """What the guest wrote to stderr, when captured (else None)."""
    stdout_truncated: bool = False
    """Whether stdout wrote more than the capture limit (the rest was dropped)."""
    stderr_truncated: bool = False
    """Whether stderr wrote more than the capture limit."""
    memory_limit_reached: bool = False
    """Whether a ``memory.grow`` (or ``table.grow``) was refused by ``max_memory=``
    (``max_table_elements=``): the guest saw -1, and may have exited because of it."""

    @property
    def truncated(self) -> bool:
        """Whether either captured stream was truncated."""
        return self.stdout_truncated or self.stderr_truncated

    def check_returncode(self) -> None:
        """Raises :class:`~wasihost.GuestExit` if the exit code is not 0."""
        if self.exit_code:
            raise _exit_error(self.exit_code, self)


def _exit_error(code: int, result: RunResult) -> GuestExit:
    e = GuestExit(
        f"the guest exited with code {code}", code=code, kind=_ffi.WASIHOST_ERROR_KIND_EXIT
    )
    e.stdout, e.stderr = result.stdout, result.stderr
    return e


def _load(
    wasm: PathArg | bytes | Module,
    engine: Engine | None,
    cache: bool | PathArg | Cache,
    allow_shared: bool = False,
    max_size: int | None = Cache.DEFAULT_MAX_SIZE,
) -> tuple[Module, bool]:
    """The module and whether run() owns it (and must close it)."""
    if isinstance(wasm, Module):
        return wasm, False
    if isinstance(wasm, (bytes, bytearray, memoryview)):
        data = wasm
        if cache is False:
            return Module(data, engine=engine), True
        # As the CLI: without a default cache directory (no HOME), run without it.
        return (
            _through_cache(
                cache,
                allow_shared,
                max_size,
                lambda c: c.load(data, engine=engine),
                lambda: Module(data, engine=engine),
            ),
            True,
        )
    return (
        Module.from_file(
            wasm,
            engine=engine,
            cache=cache,
            cache_allow_shared=allow_shared,
            cache_max_size=max_size,
        ),
        True,
    )


def run(
    wasm: PathArg | bytes | Module,
    args: Iterable[TextArg] | None = (),
    *,
    argv0: TextArg | None = None,
    env: Mapping[TextArg, TextArg] | None = None,
    inherit_env: bool = False,
    dirs: DirsArg | None = None,
    ro_dirs: DirsArg | None = None,
    stdin: StdinSource = DEVNULL,
    stdout: OutputSink = CAPTURE,
    stderr: OutputSink = CAPTURE,
    capture_limit: int | None = None,
    max_open_fds: int | None = None,
    timeout: float | None = None,
    fuel: int | None = None,
    max_memory: int | None = None,
    max_table_elements: int | None = None,
    cache: bool | PathArg | Cache = False,
    cache_allow_shared: bool = False,
    cache_max_size: int | None = Cache.DEFAULT_MAX_SIZE,
    engine: Engine | None = None,
    check: bool = False,
    handlers: Mapping[str | Iterable[str], _hooks.HandlerFn] | None = None,
    trace: Any = None,
    trace_filter: str | Iterable[str] | None = None,
    deterministic: bool | int | None = None,
) -> RunResult:
    """Runs a WASI command and returns its exit code and captured output.

    ``wasm``: a path (``str``/``os.PathLike``) to a .wasm or .wat file, the
    module's bytes (binary or WAT), or a :class:`Module`. The guest gets
    ``argv0`` (default: the path as given, or ``"module.wasm"``), then
    ``args``. It sees only what is granted: ``env`` (a dict; with
    ``inherit_env`` on top of the host's environment), ``dirs`` and
    ``ro_dirs`` (read-write and read-only directories): lists read host
    first, as :meth:`Config.preopen` and the CLI's ``--dir HOST::GUEST``:
    ``[("./data", "/data")]``, ``["./data::/data"]``, or a path alone,
    seen at the same path (``["/srv/files"]``). The earlier dict form is
    keyed by guest path: ``{"/data": "./data"}``. A missing directory
    raises ``FileNotFoundError`` naming the host directory and the guest path.

    stdio: ``stdin`` defaults to end of file and ``stdout``/``stderr`` to
    :data:`CAPTURE` (up to ``capture_limit`` bytes each, default 16 MiB);
    each accepts everything :meth:`Config.set_stdin` / :meth:`Config.set_stdout`
    do (``bytes``, a path, a file, ``io.BytesIO``, a callable, :data:`INHERIT`, ...).

    Limits (each checked by the library, so they also cover the module's
    start function): ``timeout`` (seconds) stops the guest, which raises
    :class:`~wasihost.TimedOut` (an :class:`~wasihost.Interrupted`), also
    while it sleeps or waits for stdin; ``fuel`` (an int >= 1, about one
    unit per wasm instruction) raises :class:`~wasihost.FuelExhausted` when
    used up; ``max_memory`` (bytes, default 4 GiB for all memories) and
    ``max_table_elements`` make a ``memory.grow``/``table.grow`` past them
    fail in the guest (:attr:`RunResult.memory_limit_reached`), and a module
    that declares more raises :class:`~wasihost.MemoryLimitError`.

    A timeout needs an interruptible engine and fuel an engine with fuel:
    for a path or bytes without ``engine=``, run() takes
    ``default_engine(interruptible=timeout is not None, fuel=fuel is not
    None)`` by itself; a :class:`Module` (or ``engine=``) must come from a
    matching :class:`Engine`, e.g. ``Engine(interruptible=True)``, else
    :class:`~wasihost.ConfigError` says so. ``cache`` loads the module through the
    compiled-module cache (True: the default directory; a directory; or a
    :class:`Cache`), a path with :meth:`Cache.load_file` (a hit for an
    unchanged file neither reads nor hashes it); ``cache_allow_shared`` uses
    a cache directory that others may write or another user owns (refused
    with :class:`PermissionError` otherwise); ``cache_max_size`` bounds the
    cache's disk use in bytes (default 1 GiB; None: no bound), deleting the
    least recently used entries after a store (both ignored for a
    :class:`Cache`, which has its own).
    ``check`` raises :class:`~wasihost.GuestExit` for a nonzero exit code.

    The programmable host (see :class:`Config`): ``handlers`` maps calls to
    handlers (``{"path_open": fn}``, as :meth:`Config.on_call`; what a
    handler raises is raised from run() after the guest ends); ``trace``
    traces the calls (``trace_filter``: which ones) to a path, a file
    object or a callable, as :meth:`Config.set_trace`; ``deterministic``
    (True, or an int seed) freezes the wall clock at 2000-01-01, makes the
    monotonic clock advance only by what the guest sleeps (without
    waiting) and random bytes come from the seed, as
    :meth:`Config.set_deterministic`: two runs print the same.

    A trap raises :class:`~wasihost.Trap`; like :class:`~wasihost.Interrupted`
    and :class:`~wasihost.GuestExit` it carries the captured ``stdout`` and
    ``stderr`` (and ``memory_limit_reached``). A guest's exit never exits
    Python.

    Every argument is checked before anything runs: a wrong type raises
    ``TypeError`` (``args`` is a list: one ``str`` is refused, not split
    into characters), a negative number ``ValueError``, a number too large
    for the library ``OverflowError``; ``timeout`` must be a finite number
    of seconds > 0.
    """
    if not isinstance(wasm, (Module, str, bytes, bytearray, memoryview, os.PathLike)):
        raise TypeError(
            "wasm must be a path (str or os.PathLike), the module's bytes or a"
            f" wasihost.Module, not {type(wasm).__name__}"
        )
    args = () if args is None else _validate.arg_list(args, "args")
    for idx, a in enumerate(args):
        _validate.text(a, f"args[{idx}]")
    if argv0 is not None:
        _validate.text(argv0, "argv0")
    for what, flag in (
        ("inherit_env", inherit_env),
        ("check", check),
    ):
        _validate.boolean(flag, what)
    if env is not None:
        _validate.mapping(env, "env")
    # An iterator is read once, here; Config gets the list.
    if dirs is not None and not isinstance(dirs, Mapping):
        dirs = [(host, guest) for host, guest, _, _ in _validate.preopens(dirs, "dirs")]
    if ro_dirs is not None and not isinstance(ro_dirs, Mapping):
        ro_dirs = [(host, guest) for host, guest, _, _ in _validate.preopens(ro_dirs, "ro_dirs")]
    if capture_limit is not None:
        capture_limit = _validate.size(capture_limit, "capture_limit")
    if max_open_fds is not None:
        _validate.size(max_open_fds, "max_open_fds")
    timeout = _validate.timeout(timeout)
    if fuel is not None:
        _validate.uint64(fuel, "fuel", minimum=1)
    if max_memory is not None:
        _validate.uint64(max_memory, "max_memory")
    if max_table_elements is not None:
        _validate.uint64(max_table_elements, "max_table_elements")
    _cache_options(cache, cache_allow_shared, cache_max_size)
    _validate.instance_of(engine, Engine, "engine")
    if handlers is not None:
        _hooks.handler_items(handlers)
    _hooks.seed_value(deterministic)
    if trace_filter is not None:
        _hooks.call_list(trace_filter, "trace_filter")
        if trace is None:
            raise ValueError("trace_filter needs trace (a path, a file or a callable)")
    if engine is None and not isinstance(wasm, Module):
        # The engine the limits need, and no more: interruption and fuel
        # slow guest code down.
        engine = default_engine(interruptible=timeout is not None, fuel=fuel is not None)
    if capture_limit is not None:
        if stdout is CAPTURE:
            stdout = Capture(capture_limit)
        if stderr is CAPTURE:
            stderr = Capture(capture_limit)
    if argv0 is None:
        argv0 = os.fspath(wasm) if isinstance(wasm, (str, os.PathLike)) else "module.wasm"
    # The config first: it checks every item (stdio, paths) before the
    # module is compiled.
    with Config(
        args=[argv0, *args],
        env=env,
        inherit_env=inherit_env,
        dirs=dirs,
        ro_dirs=ro_dirs,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        max_open_fds=max_open_fds,
        timeout=timeout,
        fuel=fuel,
        max_memory=max_memory,
        max_table_elements=max_table_elements,
        handlers=handlers,
        trace=trace,
        trace_filter=trace_filter,
        deterministic=deterministic,
    ) as config:
        module, own_module = _load(wasm, engine, cache, cache_allow_shared, cache_max_size)
        try:
            captures = (isinstance(stdout, Capture), isinstance(stderr, Capture))
            try:
                instance = Instance(module, config)
            except GuestExit as e:  # proc_exit in a start function
                return _finish(RunResult(e.code, None, None), check)
            with instance:
                return _finish(_run_instance(instance, captures), check)
        finally:
            if own_module:
                module.close()


def _finish(result: RunResult, check: bool) -> RunResult:
    if check:
        result.check_returncode()
    return result


def _outputs(instance: Instance, captures: tuple[bool, bool]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, on in zip(("stdout", "stderr"), captures, strict=True):
        c = instance.captured(name) if on else None
        out[name] = c.data if c else None
        out[f"{name}_truncated"] = bool(c and c.truncated)
    return out


def _run_instance(instance: Instance, captures: tuple[bool, bool]) -> RunResult:
    try:
        code = instance.run()
    except WasiHostError as e:
        # The output so far helps to understand a trap.
        outs = _outputs(instance, captures)
        e.stdout, e.stderr = outs["stdout"], outs["stderr"]  # type: ignore[attr-defined]
        e.memory_limit_reached = instance.memory_limit_reached  # type: ignore[attr-defined]
        raise
    return RunResult(
        code, **_outputs(instance, captures), memory_limit_reached=instance.memory_limit_reached
    )
