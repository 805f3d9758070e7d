"""Warm executors of several projects in one process, one active at a time.

dbt keeps its flags and adapters in process-wide globals, so nodes of two different
executors must not run at the same time in one process. The pool lets any number of
threads use the *active* executor concurrently and switches to another one only when the
active one has no node in flight.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from floe_dbt_local._dbt_runner import close_embedded_databases
from floe_dbt_local.executor._executor import ExecutorSpec, WarmExecutor

__all__ = ["ExecutorPool"]


class ExecutorPool:
    """Cache of :class:`WarmExecutor` by :attr:`ExecutorSpec.key`, least recently used out."""

    def __init__(self, work_dir: Path, *, max_executors: int = 4) -> None:
        self.work_dir = Path(work_dir)
        self.max_executors = max_executors
        self._cond = threading.Condition()
        self._executors: OrderedDict[str, WarmExecutor] = OrderedDict()
        self._active: str | None = None
        self._leases = 0
        self._loading = False
        self._release_when_idle = False

    def _can_enter(self, key: str) -> bool:
        return not self._loading and (self._active in (None, key) or self._leases == 0)

    @contextmanager
    def lease(self, spec: ExecutorSpec) -> Iterator[WarmExecutor]:
        """The warm executor for ``spec``, activated; loads it on first use."""
        key = spec.key
        with self._cond:
            self._cond.wait_for(lambda: self._can_enter(key))
            executor = self._executors.get(key)
            if executor is None:
                self._loading = True
            else:
                self._enter(key, executor)
        if executor is None:
            executor = self._load(spec)
        try:
            yield executor
        finally:
            with self._cond:
                self._leases -= 1
                idle = self._leases == 0 and self._release_when_idle
                self._cond.notify_all()
            if idle:
                self._release()

    def _enter(self, key: str, executor: WarmExecutor) -> None:
        if self._active != key or (self._leases == 0 and not executor.is_active()):
            executor.activate()
            self._active = key
        self._executors.move_to_end(key)
        self._leases += 1

    def _load(self, spec: ExecutorSpec) -> WarmExecutor:
        try:
            executor = WarmExecutor.open(spec, work_dir=self.work_dir)
        except BaseException:
            with self._cond:
                self._loading = False
                self._cond.notify_all()
            raise
        with self._cond:
            self._loading = False
            self._executors[spec.key] = executor
            self._active = None  # loading re-registered adapters: activate explicitly
            self._enter(spec.key, executor)
            self._evict()
            self._cond.notify_all()
        return executor

    def _evict(self) -> None:
        while len(self._executors) > self.max_executors:
            key, executor = next(iter(self._executors.items()))
            if key == self._active:
                return
            del self._executors[key]
            executor.close()

    def release_when_idle(self) -> None:
        """Close the warehouse connections (and the embedded DuckDB file) once no executor is
        leased: at the end of a run, so a long-lived worker does not keep the warehouse
        locked. Executors stay warm; their next query opens a connection again."""
        with self._cond:
            self._release_when_idle = True
            idle = self._leases == 0 and not self._loading
        if idle:
            self._release()

    def _release(self) -> None:
        with self._cond:
            if self._leases or self._loading:
                return  # a run started meanwhile: the next end of run releases
            self._release_when_idle = False
            executors = list(self._executors.values())
            for executor in executors:
                executor.close()
            close_embedded_databases()

    def close(self) -> None:
        """Close every executor's connections."""
        with self._cond:
            executors = list(self._executors.values())
            self._executors.clear()
            self._active = None
        for executor in executors:
            executor.close()
        close_embedded_databases()
