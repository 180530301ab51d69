"""``python -m wasihost``: the wasihost-run command line, in Python.

The same flags, messages and exit statuses as the C runner
(``examples-c/wasihost-run.c``); see :data:`USAGE`, the C runner's help
but for the program's name (``tests/test_cli.py`` compares them).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Sequence

from . import _ffi, _validate
from ._core import INHERIT, Cache, Config, Engine, Instance, Module
from .errors import (
    FuelExhausted,
    GuestExit,
    Interrupted,
    InvalidArgumentError,
    MemoryLimitError,
    TimedOut,
    Trap,
    WasiHostError,
)

EXIT_USAGE = 2
"""A usage error, or a module that cannot be loaded or set up."""
EXIT_TRAP = 134
"""The guest trapped or was interrupted."""
EXIT_TIMEOUT = 124
"""``--timeout``: the guest ran out of time (as timeout(1))."""
EXIT_MEMORY = 137
"""``--max-memory``: the guest's memories as declared exceed the cap."""
EXIT_FUEL = 152
"""``--fuel``: the guest ran out of fuel."""

PROG = "wasihost-run"

USAGE = """\
usage: python -m wasihost [OPTIONS] [--] FILE.wasm [ARGS...]
       python -m wasihost [--cache-dir DIR] --cache-clear

Runs the WASI command FILE.wasm (binary or WAT text) in a sandbox. The
guest gets FILE.wasm (as given) as argv[0], then ARGS; it sees no
directory and no environment variable unless granted below. stdin,
stdout and stderr pass through. Options end at the first argument that
is not an option (or at --): what follows goes to the guest.

Options (VALUE may also be given as --option=VALUE):
  --dir HOST[::GUEST]     grant the host directory HOST, read-write, at
                          the guest path GUEST (default: HOST itself)
  --ro-dir HOST[::GUEST]  the same, read-only
  --env NAME=VALUE        set a guest environment variable
  --env NAME              pass the host's NAME through (if it is set)
  --stdin FILE            the guest reads FILE as its stdin
  --cache-dir DIR         keep compiled modules in DIR (default:
                          $WASIHOST_CACHE_DIR, else $XDG_CACHE_HOME/wasihost,
                          else $HOME/.cache/wasihost)
  --cache-allow-shared    use the cache directory even if others may write
                          it or another user owns it (refused otherwise:
                          anyone who can write it can replace the code run)
  --cache-max-size BYTES  bound the cache to BYTES of disk (default 1G; 0:
                          no bound): after storing a module, the least
                          recently used ones are deleted to fit
  --cache-clear           delete every compiled module in the cache, print
                          how many bytes that freed, and exit (no FILE)
  --no-cache              compile the module without the cache
  -h, --help              print this help and exit

Limits (none of them by default but the memory and fd caps):
  --timeout DURATION      stop the guest after DURATION (its start function,
                          then its run, each get the whole of it): a number
                          (decimals allowed) with a unit ns, us, ms, s, m or h,
                          e.g. 100ms or 1.5s; a bare number is seconds; > 0.
                          Only with this option does the guest's code carry
                          the checks that make it interruptible
  --fuel N                stop the guest after N units of fuel (about one per
                          wasm instruction); N >= 1. Turns on fuel metering
  --max-memory BYTES      the most bytes all the guest's memories may hold
                          together (default 4 GiB); memory.grow past it
                          returns -1 to the guest. BYTES: an integer, with an
                          optional K, M, G or T (powers of 1024; KiB, MiB,
                          GiB, TiB too), e.g. 64M
  --max-open-fds N        the most fds the guest may hold open (default 1024;
                          at least 3 plus the --dir and --ro-dir preopens)

Tracing and reproducible runs:
  --trace FILE            write every WASI call the guest makes to FILE, one
                          JSON object per line: call, arguments (paths as
                          text, flags by name), errno, results, duration
  --trace-filter LIST     trace only these calls: a comma-separated list of
                          groups (args, clock, fd, path, poll, proc, random,
                          sock; fs = fd,path; all) and call names (path_open)
  --deterministic[=SEED]  frozen wall clock (2000-01-01T00:00:00Z), a
                          monotonic clock that starts at 0 and advances only
                          by what the guest sleeps (without waiting), and
                          random bytes from SEED (default 0): two runs with
                          the same inputs print the same

Exit status: the guest's exit code (0 when its main returns); the OS
keeps only the low 8 bits, so a proc_exit code above 255 shows as the
code modulo 256. 134 when the guest traps or is interrupted (the reason
goes to stderr). 124 when it timed out (--timeout), 152 when it ran out
of fuel (--fuel), 137 when its memories as declared exceed --max-memory.
A guest that fails after a memory.grow was refused gets a note on stderr.
2 for a usage error (a bad DURATION, N or BYTES included) or a module
that cannot be loaded or set up (a missing file, invalid wasm, no _start,
a missing --dir).
"""

_NO, _YES, _OPTIONAL = 0, 1, 2  # takes a value: no, yes, optional (only as --option=VALUE)

# name -> whether it takes a value
_OPTIONS = {
    "--dir": _YES,
    "--ro-dir": _YES,
    "--env": _YES,
    "--stdin": _YES,
    "--cache-dir": _YES,
    "--cache-allow-shared": _NO,
    "--cache-max-size": _YES,
    "--cache-clear": _NO,
    "--no-cache": _NO,
    "--timeout": _YES,
    "--fuel": _YES,
    "--max-memory": _YES,
    "--max-open-fds": _YES,
    "--trace": _YES,
    "--trace-filter": _YES,
    "--deterministic": _OPTIONAL,
    "--help": _NO,
    "-h": _NO,
}


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def _say(msg: str) -> None:
    sys.stderr.write(f"{PROG}: {msg}\n")
    sys.stderr.flush()


def _usage_error(msg: str, what: str | None = None) -> _Exit:
    _say(f'{msg} "{what}" (try --help)' if what is not None else f"{msg} (try --help)")
    return _Exit(EXIT_USAGE)


UINT64_MAX = (1 << 64) - 1
SIZE_MAX = _validate.SIZE_MAX

# DURATION units, in nanoseconds; "" (none) is seconds.
_UNITS = {
    "ns": 1,
    "us": 1000,
    "ms": 1000_000,
    "s": 1000_000_000,
    "": 1000_000_000,
    "m": 60_000_000_000,
    "h": 3600_000_000_000,
}


@dataclass
class _Limits:
    """The limit options (None: not given)."""

    timeout_ns: int | None = None
    timeout_text: str | None = None  # as given, for the message
    fuel: int | None = None
    max_memory: int | None = None
    max_open_fds: int | None = None
    max_open_fds_text: str | None = None
    trace: str | None = None  # --trace FILE
    trace_filter: str | None = None  # --trace-filter LIST
    seed: int | None = None  # --deterministic[=SEED]
    cache_max_size: int | None = None  # --cache-max-size BYTES (0: no bound)
    cache_clear: bool = False  # --cache-clear


def _digits(s: str) -> int | None:
    """A decimal integer of ASCII digits only (no sign, no blanks, no ``_``)."""
    if not s or not all("0" <= ch <= "9" for ch in s):
        return None
    return int(s)


def parse_duration(text: str) -> int | None:
    """A DURATION in nanoseconds (> 0 and <= 2**64 - 1), or None when invalid.

    Digits, optionally a fraction, then a unit (ns, us, ms, s, m, h; none:
    seconds). Digits finer than a nanosecond are dropped, as by the C CLI.
    """
    i = 0
    while i < len(text) and "0" <= text[i] <= "9":
        i += 1
    whole_text, rest = text[:i], text[i:]
    frac_text = ""
    if rest.startswith("."):
        j = 1
        while j < len(rest) and "0" <= rest[j] <= "9":
            j += 1
        frac_text, rest = rest[1:j], rest[j:]
        if not whole_text and not frac_text:  # "." alone
            return None
    elif not whole_text:
        return None
    unit = _UNITS.get(rest)
    if unit is None:
        return None
    total = int(whole_text or "0") * unit
    scale = unit // 10
    for ch in frac_text:
        if scale == 0:
            break
        total += int(ch) * scale
        scale //= 10
    if total == 0 or total > UINT64_MAX:
        return None
    return total


def parse_bytes(text: str) -> int | None:
    """BYTES: an integer, optionally followed by K, M, G or T (or KiB, ...), or None."""
    shift = 0
    for k, suffix in enumerate("KMGT", start=1):
        for form in (suffix, suffix + "iB"):
            if text.endswith(form) and _digits(text[: -len(form)]) is not None:
                text, shift = text[: -len(form)], 10 * k
                break
        if shift:
            break
    n = _digits(text)
    if n is None or (n << shift) > UINT64_MAX:
        return None
    return n << shift


def _parse_limit(name: str, value: str | None, limits: _Limits) -> bool:
    """Parses the value of a limit option into ``limits``; False for another option."""
    if name == "--deterministic":
        seed = 0 if value is None else _digits(value)
        if seed is None or seed > UINT64_MAX:
            raise _usage_error("--deterministic=SEED needs an integer SEED, not", value)
        limits.seed = seed
        return True
    if name == "--cache-clear":
        limits.cache_clear = True
        return True
    if value is None:
        return False
    if name == "--trace":
        if not value:
            raise _usage_error("--trace needs a FILE, not", value)
        limits.trace = value
    elif name == "--trace-filter":
        limits.trace_filter = value
    elif name == "--timeout":
        ns = parse_duration(value)
        if ns is None:
            raise _usage_error(
                "--timeout needs a DURATION above 0: a number with a unit ns, us, ms, s, m or h"
                " (e.g. 100ms, 1.5s; none: seconds), not",
                value,
            )
        limits.timeout_ns, limits.timeout_text = ns, value
    elif name == "--fuel":
        n = _digits(value)
        if n is None or n == 0 or n > UINT64_MAX:
            raise _usage_error("--fuel needs an integer N >= 1, not", value)
        limits.fuel = n
    elif name == "--max-memory":
        b = parse_bytes(value)
        if b is None:
            raise _usage_error(
                "--max-memory needs BYTES: an integer, optionally followed by K, M, G or T"
                " (e.g. 64M), not",
                value,
            )
        limits.max_memory = b
    elif name == "--cache-max-size":
        b = parse_bytes(value)
        if b is None:
            raise _usage_error(
                "--cache-max-size needs BYTES: an integer, optionally followed by K, M, G or T"
                " (e.g. 512M), not",
                value,
            )
        limits.cache_max_size = b
    elif name == "--max-open-fds":
        # The lower bound depends on the preopens: checked in _run().
        n = _digits(value)
        if n is None or n < 3 or n > SIZE_MAX:
            raise _usage_error(
                "--max-open-fds needs an integer N >= 3 (stdio, plus one per --dir and"
                " --ro-dir), not",
                value,
            )
        limits.max_open_fds, limits.max_open_fds_text = n, value
    else:
        return False
    return True


def _run_failed(module_path: str, e: WasiHostError, limits: _Limits) -> int:
    """The exit status for an error from instantiating or running the guest."""
    if isinstance(e, GuestExit):  # proc_exit from a start function
        return e.code & 0xFF
    if isinstance(e, Trap):
        _say(f"trap: {e.message}")
        return EXIT_TRAP
    if isinstance(e, TimedOut):  # before Interrupted: it is one
        _say(f"timed out after {limits.timeout_text or 'the timeout'}")
        return EXIT_TIMEOUT
    if isinstance(e, FuelExhausted):
        _say(f"out of fuel after {limits.fuel or 0} units")
        return EXIT_FUEL
    if isinstance(e, MemoryLimitError):
        if limits.max_memory is not None:
            what = f"--max-memory ({limits.max_memory} bytes)"
        else:
            what = "--max-memory (default 4 GiB)"
        _say(f"{module_path[:80]}: more memory than {what}: {e.message}")
        return EXIT_MEMORY
    if isinstance(e, Interrupted):
        _say(f"interrupted: {e.message}")
        return EXIT_TRAP
    _say(f"{module_path}: {e.message}")
    return EXIT_USAGE


def _parse(argv: Sequence[str]) -> tuple[list[tuple[str, str | None]], _Limits, int]:
    """The options (name, value), the limits and the index of FILE.wasm in argv
    (``len(argv)`` when there is none)."""
    actions: list[tuple[str, str | None]] = []
    limits = _Limits()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in _OPTIONS:
            raise _usage_error("unknown option", arg)
        value: str | None = None
        takes = _OPTIONS[name]
        if takes == _YES:
            if eq:
                value = inline
            elif i + 1 < len(argv):
                i += 1
                value = argv[i]
            else:
                raise _usage_error("missing value for", arg)
        elif eq and takes == _NO:
            raise _usage_error("no value allowed in", arg)
        elif eq:
            value = inline
        if name in ("--help", "-h"):
            sys.stdout.write(USAGE)
            sys.stdout.flush()
            raise _Exit(0)
        if not _parse_limit(name, value, limits):
            actions.append((name, value))
        i += 1
    return actions, limits, i


def _apply(config: Config, name: str, value: str) -> None:
    if name in ("--dir", "--ro-dir"):
        # HOST::GUEST, or HOST alone: the guest sees it under the same name.
        host, sep, guest = value.partition("::")
        if not sep:
            guest = host
        if not host or not guest:
            raise _usage_error(f"{name} needs HOST[::GUEST], not", value)
        try:
            config.preopen(host, guest, readonly=name == "--ro-dir")
        except WasiHostError as e:
            _say(e.message)
            raise _Exit(EXIT_USAGE) from None
    elif name == "--env":
        var, eq, val = value.partition("=")
        try:
            if eq:
                config.set_env(var, val)
            else:
                config.inherit_env(var)
        except WasiHostError as e:
            _say(f'--env "{value[:40]}": {e.message}')
            raise _Exit(EXIT_USAGE) from None
    elif name == "--stdin":
        try:
            config.set_stdin(value)  # a str is a path
        except WasiHostError as e:
            _say(e.message)
            raise _Exit(EXIT_USAGE) from None


def _open_cache(cache_dir: str | None, allow_shared: bool, max_size: int | None) -> Cache:
    """The cache the command line names; ``max_size`` None: the default, 0: no bound."""
    if max_size is None:
        return Cache(cache_dir, allow_shared_dir=allow_shared)
    return Cache(cache_dir, max_size=max_size or None, allow_shared_dir=allow_shared)


def _load(
    engine: Engine,
    path: str,
    no_cache: bool,
    cache_dir: str | None,
    allow_shared: bool = False,
    max_size: int | None = None,
) -> Module:
    try:
        cache: Cache | None = None
        if not no_cache:
            try:
                cache = _open_cache(cache_dir, allow_shared, max_size)
            except InvalidArgumentError:
                # Without --cache-dir there may be no default directory (no
                # HOME): then run without the cache rather than fail.
                if cache_dir is not None:
                    raise
                no_cache = True
        if cache is not None:
            with cache:
                module = cache.load_file(path, engine=engine)
        else:
            module = Module.from_file(path, engine=engine)
    except WasiHostError as e:
        if not no_cache and e.kind == _ffi.WASIHOST_ERROR_KIND_IO and e.wasi_errno == 63:
            # The cache directory is not private: the message names it and
            # says what to do; add the option that allows it anyway.
            _say(f"{e.message} (--cache-allow-shared)")
        elif e.kind == _ffi.WASIHOST_ERROR_KIND_IO:
            _say(e.message)  # names the file already
        else:
            _say(f"{path}: {e.message}")
        raise _Exit(EXIT_USAGE) from None
    if not module.has_export("_start"):
        module.close()
        _say(f"{path}: the module exports no _start function (not a WASI command)")
        raise _Exit(EXIT_USAGE)
    return module


def _clear_cache(actions: list[tuple[str, str | None]]) -> int:
    """--cache-clear: deletes the compiled modules of the cache the command line
    names (--cache-dir, --cache-allow-shared) and prints how many bytes that freed."""
    cache_dir: str | None = None
    allow_shared = False
    for name, value in actions:
        if name == "--cache-dir":
            cache_dir = value
        elif name == "--cache-allow-shared":
            allow_shared = True
    try:
        with Cache(cache_dir, allow_shared_dir=allow_shared) as cache:
            freed = cache.clear()
    except WasiHostError as e:
        _say(f"--cache-clear: {e.message}")
        return EXIT_USAGE
    sys.stdout.write(f"freed {freed} bytes\n")
    sys.stdout.flush()
    return 0


def _apply_limits(config: Config, limits: _Limits, npreopens: int) -> None:
    if limits.max_open_fds is not None and limits.max_open_fds < 3 + npreopens:
        raise _usage_error(
            f"--max-open-fds must be at least {3 + npreopens} (stdio and {npreopens}"
            f" preopened director{'y' if npreopens == 1 else 'ies'}), not",
            limits.max_open_fds_text,
        )
    try:
        if limits.timeout_ns is not None:
            config._apply(_ffi.lib().wasihost_config_set_timeout_ns, limits.timeout_ns)
        if limits.fuel is not None:
            config.set_fuel(limits.fuel)
        if limits.max_memory is not None:
            config.set_max_memory(limits.max_memory)
        if limits.max_open_fds is not None:
            config.set_max_open_fds(limits.max_open_fds)
    except WasiHostError as e:
        _say(e.message)
        raise _Exit(EXIT_USAGE) from None
    if limits.trace_filter is not None and limits.trace is None:
        raise _usage_error("--trace-filter needs --trace FILE")
    if limits.trace is not None:
        try:
            # Created now, before the module is loaded, as by the C runner.
            config.set_trace(limits.trace, filter=limits.trace_filter or None)
        except WasiHostError as e:
            _say(f"--trace: {e.message}")
            raise _Exit(EXIT_USAGE) from None
    if limits.seed is not None:
        try:
            config.set_deterministic(limits.seed)
        except WasiHostError as e:
            _say(e.message)
            raise _Exit(EXIT_USAGE) from None


def _run(
    actions: list[tuple[str, str | None]], limits: _Limits, argv: Sequence[str], first: int
) -> int:
    module_path = argv[first]
    cache_dir: str | None = None
    no_cache = allow_shared = False
    npreopens = 0
    with Config() as config:
        try:
            # The guest's argv: the module path as given, then its arguments.
            config.push_args(argv[first:])
            config.set_stdin(INHERIT)
            config.set_stdout(INHERIT)
            config.set_stderr(INHERIT)
        except WasiHostError as e:
            _say(e.message)
            return EXIT_USAGE
        for name, value in actions:
            if name == "--cache-dir":
                cache_dir = value
            elif name == "--cache-allow-shared":
                allow_shared = True
            elif name == "--no-cache":
                no_cache = True
            else:
                assert value is not None
                _apply(config, name, value)
                npreopens += name in ("--dir", "--ro-dir")
        _apply_limits(config, limits, npreopens)
        try:
            # Interruption and fuel metering cost time in every loop of the
            # guest's compiled code: the engine has them only when asked for.
            engine = Engine(
                interruptible=limits.timeout_ns is not None, fuel=limits.fuel is not None
            )
        except WasiHostError as e:
            _say(f"cannot create the engine: {e.message}")
            return EXIT_USAGE
        with (
            engine,
            _load(
                engine, module_path, no_cache, cache_dir, allow_shared, limits.cache_max_size
            ) as module,
        ):
            try:
                instance = Instance(module, config)
            except WasiHostError as e:
                return _run_failed(module_path, e, limits)
            with instance:
                try:
                    code = instance.run()
                    # The OS keeps the low 8 bits, as for the C runner's return from main.
                    status = code & 0xFF
                except WasiHostError as e:
                    code = status = _run_failed(module_path, e, limits)
                # A guest that fails after being refused memory most likely
                # fails because of it: say so.
                if code != 0 and instance.memory_limit_reached:
                    _say("note: the guest reached the --max-memory limit")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = _validate.arg_list(sys.argv[1:] if argv is None else argv, "argv")
    for idx, a in enumerate(args):
        if not isinstance(a, str):
            raise TypeError(f"argv[{idx}] must be str, not {type(a).__name__}")
    try:
        actions, limits, first = _parse(args)
        if limits.cache_clear:
            if first < len(args):
                raise _usage_error("--cache-clear takes no FILE.wasm, got", args[first])
            return _clear_cache(actions)
        if first >= len(args):
            raise _usage_error("missing FILE.wasm")
        return _run(actions, limits, args, first)
    except _Exit as e:
        return e.status
    except _ffi.LibraryNotFoundError as e:
        _say(str(e))
        return EXIT_USAGE
