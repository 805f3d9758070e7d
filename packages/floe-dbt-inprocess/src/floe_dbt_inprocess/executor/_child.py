"""An executor process: one warm executor driven by JSON lines on stdin/stdout.

``python -m floe_dbt_inprocess.executor._child`` is started by :class:`ExecutorProcesses`.
Requests (one JSON object a line) and their answers:

| request | answer |
| --- | --- |
| ``open`` (``spec``, ``work_dir``, ``slots``) | ``opened`` (``manifest_path``) |
| ``plan`` (``select``, ``exclude``, ``selector``) | ``planned`` (``plan``) |
| ``prepare`` (``unique_ids``) | ``prepared`` |
| ``hooks`` (``hook_type``, ``succeeded``) | ``hooks`` (``results``) |
| ``execute`` (``unique_id``, ``run_id``) | ``executed`` (``unique_id``, ``execution``), later |
| ``cancel`` | none: running statements are cancelled, their nodes answer as errors |

A request that raises answers ``failed`` (``error``: type, message, hint). Up to ``slots``
nodes execute at once on threads. dbt writes to stdout, so the protocol gets its own copy of
the stdout descriptor and stdout goes to stderr (the parent's log file). Ctrl-C reaches the
whole process group: this process ignores SIGINT and waits for the parent's ``cancel``;
when stdin closes (the parent ended or died) running statements are cancelled and it exits.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from floe_core import FloeError
from floe_dbt_inprocess.executor._executor import WarmExecutor
from floe_dbt_inprocess.executor._pool import ExecutorPool
from floe_dbt_inprocess.executor._spec import ExecutorSpec

__all__ = ["main"]


class _Child:
    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._write_lock = threading.Lock()
        self._pool: ExecutorPool | None = None
        self._spec: ExecutorSpec | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._running: dict[str, int] = {}
        """unique id -> ident of the thread executing it."""
        self._running_lock = threading.Lock()

    def answer(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, default=str)
        with self._write_lock:
            self._out.write(line + "\n")
            self._out.flush()

    def _leased(self, use: Callable[[WarmExecutor], Any]) -> Any:
        if self._pool is None or self._spec is None:
            raise RuntimeError("the first request must be `open`")
        with self._pool.lease(self._spec) as executor:
            return use(executor)

    def handle(self, request: dict[str, Any]) -> None:
        op = request["op"]
        if op == "execute":
            assert self._threads is not None, "open comes first"
            self._threads.submit(self._execute, request["unique_id"], request.get("run_id"))
            return
        if op == "cancel":
            self.cancel()
            return
        try:
            self.answer(self._synchronous(op, request))
        except Exception as exc:
            self.answer({"op": "failed", "request": op, "error": _error_of(exc)})

    def _synchronous(self, op: str, request: dict[str, Any]) -> dict[str, Any]:
        if op == "open":
            self._spec = ExecutorSpec.model_validate(request["spec"])
            self._pool = ExecutorPool(Path(request["work_dir"]), max_executors=1)
            self._threads = ThreadPoolExecutor(max_workers=int(request["slots"]))
            path = self._leased(lambda executor: executor.manifest_path)
            return {"op": "opened", "manifest_path": str(path)}
        if op == "plan":
            plan = self._leased(
                lambda executor: executor.plan(
                    request["select"], request["exclude"], request["selector"]
                )
            )
            return {"op": "planned", "plan": plan.model_dump(mode="json")}
        if op == "prepare":
            self._leased(lambda executor: executor.prepare_run(request["unique_ids"]))
            return {"op": "prepared"}
        if op == "hooks":
            results = self._leased(
                lambda executor: executor.run_hooks(
                    request["hook_type"], succeeded=request["succeeded"]
                )
            )
            return {"op": "hooks", "results": [r.model_dump(mode="json") for r in results]}
        raise ValueError(f"unknown request {op!r}")

    def _execute(self, unique_id: str, run_id: str | None) -> None:
        with self._running_lock:
            self._running[unique_id] = threading.get_ident()
        try:
            execution = self._leased(lambda executor: executor.execute(unique_id, run_id=run_id))
            self.answer(
                {
                    "op": "executed",
                    "unique_id": unique_id,
                    "execution": execution.model_dump(mode="json"),
                }
            )
        except Exception as exc:
            self.answer(
                {
                    "op": "failed",
                    "request": "execute",
                    "unique_id": unique_id,
                    "error": _error_of(exc),
                }
            )
        finally:
            with self._running_lock:
                self._running.pop(unique_id, None)

    def cancel(self) -> None:
        """Cancel the warehouse statement of every running node (dbt's own Ctrl-C path)."""
        if self._pool is None or self._spec is None:
            return
        with self._running_lock:
            threads = list(self._running.values())
        executor = self._pool.peek(self._spec)
        for thread_id in threads:
            if executor is not None:
                try:
                    executor.cancel_query_of(thread_id)
                except Exception as exc:  # the node may have ended meanwhile
                    print(f"floe: could not cancel a statement: {exc}", file=sys.stderr)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True)
        if self._pool is not None:
            self._pool.close()


def _error_of(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, FloeError):
        return {"type": type(exc).__name__, "message": exc.message, "hint": exc.hint}
    return {"type": type(exc).__name__, "message": f"{type(exc).__name__}: {exc}", "hint": None}


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    child = _Child(out)
    try:
        for line in sys.stdin:
            if line.strip():
                child.handle(json.loads(line))
        child.cancel()  # stdin closed: nobody waits for running nodes
    finally:
        child.close()
    # Connections are closed; tearing down a large manifest object by object only costs time.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
