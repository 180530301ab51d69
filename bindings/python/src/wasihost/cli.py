"""``python -m wasihost``: the wasihost-run command line, in Python.

The same flags, messages and exit statuses as the C runner
(``examples-c/wasihost-run.c``); see :data:`USAGE`.
"""

from __future__ import annotations

import os
import sys
from typing import Sequence

from . import _ffi, _validate
from ._core import INHERIT, Config, Engine, Instance, Module
from .errors import GuestExit, Interrupted, InvalidArgumentError, Trap, WasiHostError

EXIT_USAGE = 2
"""A usage error, or a module that cannot be loaded or set up."""
EXIT_TRAP = 134
"""The guest trapped or was interrupted."""

PROG = "wasihost-run"

USAGE = """\
usage: python -m wasihost [OPTIONS] [--] FILE.wasm [ARGS...]

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
  --no-cache              compile the module without the cache
  -h, --help              print this help and exit

Exit status: the guest's exit code (0 when its main returns); the OS
keeps only the low 8 bits, so a proc_exit code above 255 shows as the
code modulo 256. 134 when the guest traps or is interrupted (the reason
goes to stderr). 2 for a usage error or a module that cannot be loaded
or set up (a missing file, invalid wasm, no _start, a missing --dir).
"""

# name -> takes a value
_OPTIONS = {
    "--dir": True,
    "--ro-dir": True,
    "--env": True,
    "--stdin": True,
    "--cache-dir": True,
    "--cache-allow-shared": False,
    "--no-cache": False,
    "--help": False,
    "-h": False,
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


def _run_failed(module_path: str, e: WasiHostError) -> int:
    """The exit status for an error from instantiating or running the guest."""
    if isinstance(e, GuestExit):  # proc_exit from a start function
        return e.code & 0xFF
    if isinstance(e, Trap):
        _say(f"trap: {e.message}")
        return EXIT_TRAP
    if isinstance(e, Interrupted):
        _say(f"interrupted: {e.message}")
        return EXIT_TRAP
    _say(f"{module_path}: {e.message}")
    return EXIT_USAGE


def _parse(argv: Sequence[str]) -> tuple[list[tuple[str, str | None]], int]:
    """The options (name, value) and the index of FILE.wasm in argv."""
    actions: list[tuple[str, str | None]] = []
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
        if _OPTIONS[name]:
            if eq:
                value = inline
            elif i + 1 < len(argv):
                i += 1
                value = argv[i]
            else:
                raise _usage_error("missing value for", arg)
        elif eq:
            raise _usage_error("no value allowed in", arg)
        if name in ("--help", "-h"):
            sys.stdout.write(USAGE)
            sys.stdout.flush()
            raise _Exit(0)
        actions.append((name, value))
        i += 1
    if i >= len(argv):
        raise _usage_error("missing FILE.wasm")
    return actions, i


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


def _load(
    engine: Engine, path: str, no_cache: bool, cache_dir: str | None, allow_shared: bool = False
) -> Module:
    try:
        if no_cache:
            module = Module.from_file(path, engine=engine)
        else:
            try:
                with open(os.fsencode(path), "rb") as f:
                    data = f.read()
            except OSError as e:
                _say(f"cannot read {path}: {os.strerror(e.errno) if e.errno else e}")
                raise _Exit(EXIT_USAGE) from None
            try:
                module = Module.cached(
                    data, engine=engine, cache_dir=cache_dir, allow_shared_dir=allow_shared
                )
            except InvalidArgumentError:
                # Without --cache-dir there may be no default directory (no
                # HOME): then run without the cache rather than fail.
                if cache_dir is not None:
                    raise
                module = Module(data, engine=engine)
    except WasiHostError as e:
        if not no_cache and e.kind == _ffi.WASIHOST_ERROR_KIND_IO and e.wasi_errno == 63:
            # The cache directory is not private: the message names it and
            # says what to do; add the option that allows it anyway.
            _say(f"{e.message} (--cache-allow-shared)")
        else:
            _say(f"{path}: {e.message}")
        raise _Exit(EXIT_USAGE) from None
    if not module.has_export("_start"):
        module.close()
        _say(f"{path}: the module exports no _start function (not a WASI command)")
        raise _Exit(EXIT_USAGE)
    return module


def _run(actions: list[tuple[str, str | None]], argv: Sequence[str], first: int) -> int:
    module_path = argv[first]
    cache_dir: str | None = None
    no_cache = allow_shared = False
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
        try:
            engine = Engine()
        except WasiHostError as e:
            _say(f"cannot create the engine: {e.message}")
            return EXIT_USAGE
        with engine, _load(engine, module_path, no_cache, cache_dir, allow_shared) as module:
            try:
                instance = Instance(module, config)
            except WasiHostError as e:
                return _run_failed(module_path, e)
            with instance:
                try:
                    code = instance.run()
                except WasiHostError as e:
                    return _run_failed(module_path, e)
    # The OS keeps the low 8 bits, as for the C runner's return from main.
    return code & 0xFF


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = _validate.arg_list(sys.argv[1:] if argv is None else argv, "argv")
    for idx, a in enumerate(args):
        if not isinstance(a, str):
            raise TypeError(f"argv[{idx}] must be str, not {type(a).__name__}")
    try:
        actions, first = _parse(args)
        return _run(actions, args, first)
    except _Exit as e:
        return e.status
    except _ffi.LibraryNotFoundError as e:
        _say(str(e))
        return EXIT_USAGE
