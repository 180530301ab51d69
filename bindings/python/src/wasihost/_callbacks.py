"""Python callbacks behind the C callback API.

One ctypes trampoline per C callback type lives as long as the module;
each registered Python callback gets an integer key, passed to C as its
``userdata``. The C finalizer drops the key, and with it the last
reference the library needed: nothing the C side may call is ever
collected early, and nothing is kept after the C side is done with it.

An exception raised by a Python callback never crosses into C: the
trampoline returns errno ``io`` (29) to the guest and keeps the exception
for the thread that runs the guest (callbacks run on that thread), where
the wrapper raises it once the C call returns (:func:`take_pending`; the
first one, when a callback failed several times). A
:class:`~wasihost.CallError` is the exception: the guest gets its errno,
and nothing is raised again.
"""

from __future__ import annotations

import codecs
import ctypes
import io
import itertools
import threading
from typing import Any, Callable

from . import _ffi
from .errors import CallError, Errno

IO = int(Errno.IO)
"""What the guest sees when a callback fails (raises): errno ``io``."""

# key (the C userdata) -> the Python function (or the object the
# trampoline needs: a handler and its on_error, a clock); entries live from
# the registering call until the library's finalizer for them.
_registry: dict[int, Any] = {}
_keys = itertools.count(1)
_pending = threading.local()


def register(fn: Any) -> int:
    """Keeps ``fn`` alive under a new key (the C userdata) until finalized."""
    key = next(_keys)
    _registry[key] = fn
    return key


def remember(exc: BaseException) -> None:
    """Keeps ``exc`` to raise on this thread once the C call returns."""
    errors = getattr(_pending, "errors", None)
    if errors is None:
        errors = _pending.errors = []
    errors.append(exc)


_remember = remember


def take_pending() -> BaseException | None:
    """The first exception a callback raised on this thread since the last call, if any."""
    errors: list[BaseException] | None = getattr(_pending, "errors", None)
    if not errors:
        return None
    _pending.errors = []
    return errors[0]


def clear_pending() -> None:
    """Forgets exceptions left on this thread (before a new C call)."""
    _pending.errors = []


def _on_write(userdata: int | None, data: int | None, length: int) -> int:
    try:
        _registry[userdata or 0](ctypes.string_at(data or 0, length) if length else b"")
        return 0
    except CallError as e:  # the errno the embedder chose
        return int(e.errno)
    except BaseException as e:  # noqa: BLE001 - never unwind into C
        _remember(e)
        return IO


def _on_read(userdata: int | None, buf: int | None, cap: int, nread_out: Any) -> int:
    try:
        n = _registry[userdata or 0](buf, cap)
        if not 0 <= n <= cap:
            raise ValueError(f"a stdin source gave {n} bytes for a buffer of {cap}")
        nread_out[0] = n
        return 0
    except CallError as e:  # the errno the embedder chose
        return int(e.errno)
    except BaseException as e:  # noqa: BLE001 - never unwind into C
        _remember(e)
        return IO


def forget(key: int) -> None:
    """Drops ``key`` when the library never took it over."""
    _registry.pop(key, None)


def _on_finalize(userdata: int | None) -> None:
    _registry.pop(userdata or 0, None)


WRITE = _ffi.wasihost_write_callback_t(_on_write)
READ = _ffi.wasihost_read_callback_t(_on_read)
FINALIZE = _ffi.wasihost_finalizer_t(_on_finalize)


# --- adapters from Python objects --------------------------------------------


def _errno_returned(value: Any) -> None:
    """A plain callable may return an :class:`Errno` (not 0) to fail the guest's call with it."""
    if isinstance(value, Errno) and value:
        raise CallError(value)


def writer_for(sink: Any) -> Callable[[bytes], None]:
    """A function that writes bytes to ``sink`` (a binary or text stream, or a callable)."""
    if isinstance(sink, io.TextIOBase):
        buffer = getattr(sink, "buffer", None)
        if buffer is not None:
            sink.flush()
            return writer_for(buffer)
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        write_text = sink.write

        def text(data: bytes) -> None:
            write_text(decoder.decode(data))

        return text
    write = getattr(sink, "write", None)
    if write is not None:

        def binary(data: bytes) -> None:
            while data:
                n = write(data)
                _errno_returned(n)
                # Raw streams may write less; others return None or the whole length.
                if n is None or n >= len(data):
                    return
                if n <= 0:
                    raise BlockingIOError(f"{type(sink).__name__}.write() wrote nothing")
                data = data[n:]

        return binary
    if callable(sink):

        def call(data: bytes) -> None:
            _errno_returned(sink(data))

        return call
    raise TypeError(f"cannot write guest output to {type(sink).__name__!r}")


def reader_for(source: Any) -> Callable[[int, int], int]:
    """A function ``(address, cap) -> n`` that fills guest input from ``source``.

    ``source``: an object with ``readinto`` or ``read`` (binary; text is
    encoded as UTF-8), or a callable ``(n) -> bytes`` (b"" at the end).
    """
    readinto = getattr(source, "readinto", None)
    if readinto is not None and not isinstance(source, io.TextIOBase):

        def fill_into(address: int, cap: int) -> int:
            # A view of the guest's buffer, valid during this call only.
            with memoryview((ctypes.c_char * cap).from_address(address)).cast("B") as view:
                n = readinto(view)
            return n or 0

        return fill_into
    read = getattr(source, "read", None)
    get: Callable[[int], Any]
    if read is not None:
        get = read
    elif callable(source):
        get = source
    else:
        raise TypeError(f"cannot read guest input from {type(source).__name__!r}")
    pending = bytearray()  # what the source gave beyond the guest's buffer

    def fill(address: int, cap: int) -> int:
        if not pending:
            chunk = get(cap)
            _errno_returned(chunk)
            if chunk is None:
                chunk = b""
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            pending.extend(chunk)
        n = min(cap, len(pending))
        ctypes.memmove(address, bytes(pending[:n]), n)
        del pending[:n]
        return n

    return fill
