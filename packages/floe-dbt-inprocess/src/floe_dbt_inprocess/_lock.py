"""The one lock over dbt-core's process-wide state.

dbt keeps its flags, its event manager and its adapter factory in module globals, so at any
moment one *owner* may use them:

- a thread, exclusively (``with DBT_LOCK:``): a ``dbtRunner`` invocation, parsing a project,
  releasing adapters. Re-entrant, so a caller holding it may call code that takes it again.
- a group of threads sharing one set of globals (``with DBT_LOCK.shared(key, activate):``):
  the nodes of one warm executor run on many threads at once against the flags and adapter
  that executor installed. ``activate`` installs them whenever the group takes over from a
  different owner (another executor, or an exclusive holder that may have reset them).

An owner waits until the previous one is gone; nothing ever runs beside an owner of another
kind. Holding one lock for both keeps the local runtime, the warm executors and anything else
in the process (a Temporal worker next to a ``floe build``) from corrupting each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

__all__ = ["DBT_LOCK", "DbtLock"]

_EXCLUSIVE = object()
"""The last owner was an exclusive holder (its globals are not any group's)."""


class DbtLock:
    """Ownership of dbt's globals: one thread exclusively, or one group of threads."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._thread: int | None = None
        self._depth = 0
        self._group: str | None = None
        self._members = 0
        self._last_owner: object = None

    # -- exclusive ---------------------------------------------------------------------
    def acquire(self) -> None:
        me = threading.get_ident()
        with self._cond:
            self._cond.wait_for(lambda: self._thread in (None, me) and self._members == 0)
            self._thread = me
            self._depth += 1
            self._last_owner = _EXCLUSIVE

    def release(self) -> None:
        with self._cond:
            if self._thread != threading.get_ident():
                raise RuntimeError("DBT_LOCK released by a thread that does not hold it")
            self._depth -= 1
            if self._depth == 0:
                self._thread = None
                self._cond.notify_all()

    def __enter__(self) -> DbtLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    # -- shared by a group ---------------------------------------------------------------
    @contextmanager
    def shared(self, group: str, activate: Callable[[], None]) -> Iterator[None]:
        """Hold dbt's globals together with the other threads of ``group``.

        ``activate`` runs (under the lock, so keep it short) when the group takes over from
        another owner; it must install the group's globals. If it raises, the group is not
        entered and the error propagates.
        """
        me = threading.get_ident()
        with self._cond:
            self._cond.wait_for(
                lambda: self._thread in (None, me) and (self._members == 0 or self._group == group)
            )
            if self._members == 0 and self._last_owner != group:
                activate()
            self._group = group
            self._last_owner = group
            self._members += 1
        try:
            yield
        finally:
            with self._cond:
                self._members -= 1
                if self._members == 0:
                    self._group = None
                    self._cond.notify_all()


DBT_LOCK = DbtLock()
"""Serialises every use of dbt-core in this process (see the module docstring)."""
