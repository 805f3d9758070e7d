"""Warm executors of several projects in one process, one active at a time.

dbt keeps its flags and adapters in process-wide globals, so nodes of two different
executors must not run at the same time in one process. A lease holds
:data:`~floe_dbt_inprocess.DBT_LOCK` shared with the other leases of the same executor: any
number of threads use the *active* executor concurrently, and another executor (or a
``dbtRunner`` invocation) takes over only when it has no node in flight.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from floe_dbt_inprocess._lock import DBT_LOCK
from floe_dbt_inprocess._runner import close_embedded_databases
from floe_dbt_inprocess.executor._executor import ExecutorSpec, WarmExecutor

__all__ = ["ExecutorPool"]


class ExecutorPool:
    """Cache of :class:`WarmExecutor` by :attr:`ExecutorSpec.key`, least recently used out."""

    def __init__(
        self,
        work_dir: Path,
        *,
        max_executors: int = 4,
        on_lease: Callable[[float | None], None] | None = None,
    ) -> None:
        self.work_dir = Path(work_dir)
        self.max_executors = max_executors
        self._on_lease = on_lease
        """Told of each lease: the seconds a cold start parsed, or ``None`` (warm)."""
        # Guards the cache below only; dbt's globals are DBT_LOCK's.
        self._guard = threading.Lock()
        self._executors: OrderedDict[str, WarmExecutor] = OrderedDict()
        self._pending: dict[str, int] = {}
        """Leases taken or waiting, by key: such an executor is never evicted."""
        self._release_when_idle = False

    @contextmanager
    def lease(self, spec: ExecutorSpec) -> Iterator[WarmExecutor]:
        """The warm executor for ``spec``, activated; loads it on first use."""
        key = spec.key
        with self._guard:
            self._pending[key] = self._pending.get(key, 0) + 1
        try:
            executor = self._executor(spec)
            with DBT_LOCK.shared(key, executor.activate):
                yield executor
        finally:
            with self._guard:
                self._pending[key] -= 1
                if not self._pending[key]:
                    del self._pending[key]
                idle = not self._pending and self._release_when_idle
            if idle:
                self._release()

    def release_when_idle(self) -> None:
        """Close the warehouse connections (and the embedded DuckDB file) once no executor is
        leased: at the end of a run, so a long-lived worker does not keep the warehouse
        locked. Executors stay warm; their next query opens a connection again."""
        with self._guard:
            self._release_when_idle = True
            idle = not self._pending
        if idle:
            self._release()

    def _release(self) -> None:
        with DBT_LOCK:  # exclusive: no node of any executor runs meanwhile
            with self._guard:
                if self._pending:
                    return  # a run started meanwhile: the next end of run releases
                self._release_when_idle = False
                executors = list(self._executors.values())
            for executor in executors:
                executor.close()
            close_embedded_databases()

    def _executor(self, spec: ExecutorSpec) -> WarmExecutor:
        key = spec.key
        with self._guard:
            executor = self._executors.get(key)
            if executor is not None:
                self._executors.move_to_end(key)
        parse_seconds = None
        if executor is None:
            # Parsing sets dbt's globals: exclusively, and only once per key.
            with DBT_LOCK:
                with self._guard:
                    executor = self._executors.get(key)
                if executor is None:
                    started = time.monotonic()
                    executor = WarmExecutor.open(spec, work_dir=self.work_dir)
                    parse_seconds = time.monotonic() - started
                    with self._guard:
                        self._executors[key] = executor
                    self._evict()
        if self._on_lease is not None:
            self._on_lease(parse_seconds)
        return executor

    def _evict(self) -> None:
        """Close the least recently used executors nobody holds or waits for (the caller
        holds DBT_LOCK, so no node of any executor is running)."""
        with self._guard:
            idle = [key for key in self._executors if not self._pending.get(key)]
            surplus = max(0, len(self._executors) - self.max_executors)
            closing = [self._executors.pop(key) for key in idle[:surplus]]
        for executor in closing:
            executor.close()

    def close(self) -> None:
        """Close every executor's connections (waits for running nodes)."""
        with DBT_LOCK:
            with self._guard:
                executors = list(self._executors.values())
                self._executors.clear()
            for executor in executors:
                executor.close()
            close_embedded_databases()
