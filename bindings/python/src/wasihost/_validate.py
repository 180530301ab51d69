"""Argument checks shared by every public entry point.

Each check names the argument it refuses, and runs before anything reaches
ctypes: ctypes silently wraps an integer that does not fit its C type
(``2**64 + 5`` as a ``size_t`` is 5) and turns some wrong types into
something else (``bytes(5)`` is five NUL bytes), so nothing unchecked may
get that far.

* Wrong types raise ``TypeError``; ``bool`` is never taken for a number.
* Negative counts and sizes raise ``ValueError``; integers beyond their C
  type raise ``OverflowError``.
* A timeout is a finite, positive number of seconds no larger than
  ``threading.TIMEOUT_MAX``.
"""

from __future__ import annotations

import ctypes
import enum
import math
import numbers
import operator
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

SIZE_MAX = (1 << (8 * ctypes.sizeof(ctypes.c_size_t))) - 1
"""The largest ``size_t``."""
UINT32_MAX = (1 << 32) - 1
UINT64_MAX = (1 << 64) - 1
INT32_MAX = (1 << 31) - 1

TEXT_TYPES = (str, bytes, bytearray, memoryview)


def _type_name(value: object) -> str:
    return type(value).__name__


def integer(value: Any, name: str, *, maximum: int, c_type: str) -> int:
    """``value`` as a non-negative int of at most ``maximum`` (the C type ``c_type``).

    Takes ``int`` and objects with ``__index__``, never ``bool`` or ``float``.
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, not {_type_name(value)}") from None
    if n < 0:
        raise ValueError(f"{name} must be >= 0, not {n}")
    if n > maximum:
        raise OverflowError(f"{name} = {n} does not fit in {c_type} (at most {maximum})")
    return n


def size(value: Any, name: str) -> int:
    """A ``size_t``: an int from 0 to :data:`SIZE_MAX`."""
    return integer(value, name, maximum=SIZE_MAX, c_type="size_t")


def uint64(value: Any, name: str, *, minimum: int = 0) -> int:
    """A ``uint64_t`` count: an int from ``minimum`` to 2**64 - 1."""
    n = integer(value, name, maximum=UINT64_MAX, c_type="uint64_t")
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}, not {n}")
    return n


def timeout_ns(value: Any, name: str = "timeout") -> int:
    """A timeout in seconds (:func:`timeout`) as nanoseconds for the C API; 0 for None.

    A positive timeout is at least 1 ns (0 would mean none).
    """
    t = timeout(value, name)
    if t is None:
        return 0
    return max(1, round(t * 1e9))


def fd(value: Any, name: str) -> int:
    """A host file descriptor: an int from 0 to 2**31 - 1 (a C ``int``)."""
    return integer(value, name, maximum=INT32_MAX, c_type="a file descriptor (int32)")


def boolean(value: Any, name: str) -> bool:
    """A flag: ``True`` or ``False`` only (a string such as ``"no"`` would be true)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {_type_name(value)}")
    return value


def timeout(value: Any, name: str = "timeout") -> float | None:
    """Seconds: None (no limit), or a finite number > 0 and <= ``threading.TIMEOUT_MAX``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number of seconds (int or float), not {_type_name(value)}"
        )
    try:
        t = float(value)
    except OverflowError:
        raise OverflowError(f"{name} = {value} is too large") from None
    if math.isnan(t):
        raise ValueError(f"{name} must be a number of seconds, not nan")
    if t <= 0:
        raise ValueError(f"{name} must be > 0 seconds, not {value}")
    if math.isinf(t):
        raise ValueError(f"{name} must be finite, not {value} (None means no timeout)")
    if t > threading.TIMEOUT_MAX:
        raise OverflowError(
            f"{name} = {value} is too large (at most {threading.TIMEOUT_MAX:g} seconds;"
            " None means no timeout)"
        )
    return t


def real(value: Any, name: str) -> float:
    """A float from a real number (``int``, ``float``, ...), never a ``str`` or ``bool``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a float or an int, not {_type_name(value)}")
    return float(value)


def text(value: Any, name: str) -> bytes:
    """Guest text or a host path as bytes: ``str`` (``os.fsencode``), bytes or ``os.PathLike``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str) or hasattr(value, "__fspath__"):
        return os.fsencode(value)
    raise TypeError(f"{name} must be str, bytes or os.PathLike, not {_type_name(value)}")


def optional_text(value: Any, name: str) -> bytes | None:
    """:func:`text`, or None."""
    return None if value is None else text(value, name)


def binary(value: Any, name: str) -> bytes:
    """Bytes from a bytes-like object (``bytes``, ``bytearray``, ``memoryview``, ...).

    Refuses ``str`` and ``int`` (``bytes(5)`` would be five NUL bytes).
    """
    if isinstance(value, str):
        raise TypeError(f"{name} must be bytes, not str")
    if isinstance(value, bytes):
        return value
    try:
        with memoryview(value) as view:
            return view.tobytes()
    except TypeError:
        raise TypeError(f"{name} must be bytes-like, not {_type_name(value)}") from None


def export_name(value: Any, what: str) -> bytes:
    """An export name: ``str`` (UTF-8) or ``bytes``."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise TypeError(f"{what} must be str, not {_type_name(value)}")


def arg_list(value: Any, name: str) -> list[Any]:
    """A list of arguments: any iterable except one ``str``/``bytes`` (not split in characters)."""
    if isinstance(value, TEXT_TYPES) or hasattr(value, "__fspath__"):
        raise TypeError(
            f"{name} is a list of arguments, not one {_type_name(value)}"
            f" (write [{value!r}] for one argument)"
        )
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of arguments, not {_type_name(value)}")
    return list(value)


def mapping(value: Any, name: str) -> Mapping[Any, Any]:
    """A ``Mapping`` (a dict, ...)."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping (a dict), not {_type_name(value)}")
    return value


DIRS_FORMS = (
    "a list of (host directory, guest path) pairs or 'HOST::GUEST' strings"
    " (or the earlier {guest path: host directory} dict)"
)


def preopens(value: Any, name: str) -> list[tuple[Any, Any, str, bool]]:
    """The directories of ``dirs=``/``ro_dirs=``: ``(host, guest, label, from_dict)`` each.

    Read as :meth:`Config.preopen` and the CLI's ``--dir HOST::GUEST`` do,
    host first: an iterable of ``(host, guest)`` pairs, of ``"HOST::GUEST"``
    strings, or of ``HOST`` alone (a ``str`` or ``os.PathLike``: the guest
    sees it at the same path). A mapping is the earlier form, keyed by guest
    path: ``{guest path: host directory}``. ``label`` names the item in
    messages (``dirs[0]``, ``dirs['/data']``). The types of the paths
    themselves are checked by ``Config.preopen``.
    """
    if isinstance(value, Mapping):
        return [(host, guest, f"{name}[{guest!r}]", True) for guest, host in value.items()]
    if isinstance(value, TEXT_TYPES) or hasattr(value, "__fspath__"):
        raise TypeError(
            f"{name} must be {DIRS_FORMS}, not one {_type_name(value)}"
            f" (write [{value!r}] for one directory)"
        )
    if not isinstance(value, Iterable):
        raise TypeError(f"{name} must be {DIRS_FORMS}, not {_type_name(value)}")
    out: list[tuple[Any, Any, str, bool]] = []
    for idx, item in enumerate(value):
        label = f"{name}[{idx}]"
        if isinstance(item, tuple) and len(item) == 2:
            host, guest = item
        elif isinstance(item, str):
            host, sep, guest = item.partition("::")
            if not sep:
                guest = host
            if not host or not guest:
                raise ValueError(
                    f"{label} must be 'HOST::GUEST' (the host directory, then the guest path)"
                    f" or 'HOST', not {item!r}"
                )
        elif hasattr(item, "__fspath__"):
            host = guest = item
        else:
            shown = f"a tuple of {len(item)}" if isinstance(item, tuple) else _type_name(item)
            raise TypeError(
                f"{label} must be a (host directory, guest path) pair, a 'HOST::GUEST'"
                f" string or a path, not {shown}"
            )
        out.append((host, guest, label, False))
    return out


def member(value: Any, enum_cls: type[enum.IntEnum], name: str) -> Any:
    """A member of ``enum_cls`` from itself, its int value or its name (any case)."""
    if isinstance(value, str):
        try:
            return enum_cls[value.upper()]
        except KeyError:
            names = ", ".join(repr(m.name.lower()) for m in enum_cls)
            raise ValueError(f"{name} must be one of {names}, not {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{name} must be a wasihost.{enum_cls.__name__} or a str, not {_type_name(value)}"
        )
    try:
        return enum_cls(value)
    except ValueError:
        raise ValueError(f"{name} = {value} is not a wasihost.{enum_cls.__name__}") from None


def instance_of(value: Any, cls: type, name: str, *, optional: bool = True) -> Any:
    """``value`` if it is a ``cls`` (or None when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a wasihost.{cls.__name__}, not {_type_name(value)}")
    return value


def cache(value: Any, name: str = "cache") -> Any:
    """``cache=``: False, True (the default directory) or a directory path; returned as given.

    (A :class:`wasihost.Cache` is accepted by the callers before this check.)
    """
    if isinstance(value, bool):
        return value
    if not (isinstance(value, (str, bytes)) or hasattr(value, "__fspath__")):
        raise TypeError(
            f"{name} must be True, False, a directory path or a wasihost.Cache,"
            f" not {_type_name(value)}"
        )
    text(value, name)
    return value
