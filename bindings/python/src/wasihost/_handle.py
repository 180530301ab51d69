"""The life cycle shared by every wrapper of a C handle."""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from typing import Any, Callable, ClassVar, Iterator


class Handle:
    """Owns one C handle: ``close()``, ``with``, and freeing on garbage collection.

    Each C call borrows the pointer through :meth:`_use`, which counts the
    calls in progress. ``close()`` marks the handle closed at once (later
    uses raise ``ValueError``) and frees it when no other thread is using
    it; closing a handle from inside a call that uses it (a callback)
    raises ``RuntimeError`` instead of deadlocking. The C handle is freed
    by a ``weakref.finalize``, so it is freed exactly once: by ``close()``,
    by the garbage collector, or at interpreter exit.
    """

    _what: ClassVar[str] = "handle"
    # Whether close() waits for other threads' calls to finish (short
    # calls), or refuses (an instance's run may last forever).
    _close_waits: ClassVar[bool] = True

    def __init__(self, ptr: int, deleter: Callable[[int], Any]) -> None:
        self._ptr = ptr
        self._cond = threading.Condition(threading.Lock())
        self._users: dict[int, int] = {}  # thread id -> calls in progress
        self._exclusive = False
        self._closed = False
        self._finalizer = weakref.finalize(self, deleter, ptr)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def _closed_error(self) -> ValueError:
        return ValueError(f"I/O operation on a closed {self._what}")

    @contextmanager
    def _use(self, exclusive: bool = False, wait: bool = True) -> Iterator[int]:
        """Borrows the pointer for one C call.

        ``exclusive`` uses (a config's changes, an instance's run) exclude
        every other use: they wait for them when ``wait``, else raise
        ``RuntimeError``.
        """
        me = threading.get_ident()
        with self._cond:
            while True:
                if self._closed:
                    raise self._closed_error()
                busy = self._exclusive or (exclusive and bool(self._users))
                if not busy:
                    break
                if not wait or me in self._users:
                    raise RuntimeError(
                        f"the {self._what} is in use by a call in progress"
                        f"{'' if me in self._users else ' on another thread'}"
                    )
                self._cond.wait()
            self._users[me] = self._users.get(me, 0) + 1
            self._exclusive = exclusive
        try:
            yield self._ptr
        finally:
            with self._cond:
                n = self._users[me] - 1
                if n:
                    self._users[me] = n
                else:
                    del self._users[me]
                if exclusive:
                    self._exclusive = False
                self._cond.notify_all()

    def close(self) -> None:
        """Frees the C handle. Idempotent; later uses raise ``ValueError``."""
        me = threading.get_ident()
        with self._cond:
            if self._closed:
                return
            if me in self._users:
                raise RuntimeError(f"cannot close the {self._what} from a call that uses it")
            if self._users and not self._close_waits:
                raise RuntimeError(
                    f"cannot close the {self._what} while another thread uses it"
                    " (interrupt it first, then close it after the run returns)"
                )
            self._closed = True
            while self._users:
                self._cond.wait()
        self._finalizer()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"0x{self._ptr:x}"
        return f"<wasihost.{type(self).__name__} {state}>"
