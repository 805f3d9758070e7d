"""Several executor processes, each a warm executor of the same project (``_child``).

dbt-core keeps ~33 ms of Python per node under one GIL: nodes in separate processes run in
parallel where dbt's threads cannot. :class:`ExecutorProcesses` starts the children, asks the
first one for what happens once per run (plan, schemas, hooks), sends nodes to the child with
the most free slots and hands back each node's outcome as it arrives. It imports no dbt: the
parent stays small. A child that dies (killed, out of memory) turns the nodes it was running
into errors that say so; the others go on.
"""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import floe_core
from floe_core import ExecutionPlan, FloeError, NodeResult, RuntimeExecutionError
from floe_dbt_inprocess.executor._execution import NodeExecution
from floe_dbt_inprocess.executor._spec import ExecutorSpec

__all__ = ["ExecutorProcesses", "NodeOutcome"]

_CHILD_MODULE = "floe_dbt_inprocess.executor._child"
_STOP_GRACE_SECONDS = 10.0
"""How long a child may take to close its connections before it is killed."""


@dataclass(frozen=True)
class NodeOutcome:
    """What became of one node sent to a child: its execution, or why there is none."""

    unique_id: str
    execution: NodeExecution | None
    error: str | None = None


@dataclass
class _Child:
    index: int
    process: subprocess.Popen[bytes]
    stdin: IO[bytes]
    log_path: Path
    slots: int
    running: set[str] = field(default_factory=set)
    alive: bool = True

    def send(self, message: dict[str, Any]) -> None:
        if not self.alive:
            return
        try:
            self.stdin.write(json.dumps(message, default=str).encode() + b"\n")
            self.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # it died: its reader reports the exit

    @property
    def free(self) -> int:
        return self.slots - len(self.running) if self.alive else 0

    def death(self, doing: str = "") -> str:
        """``executor process 1 (pid 42) was killed by signal SIGKILL <doing>; log: ...``."""
        code = self.process.returncode
        how = (
            f"was killed by signal {signal.Signals(-code).name}"
            if code is not None and code < 0
            else f"exited with status {code}"
        )
        pid = self.process.pid
        return f"executor process {self.index} (pid {pid}) {how}{doing}; log: {self.log_path}"


class ExecutorProcesses:
    """``count`` child processes executing the nodes of ``spec``, ``slots`` nodes each."""

    def __init__(
        self, spec: ExecutorSpec, *, count: int, slots: int, work_dir: Path, log_dir: Path
    ) -> None:
        self.spec = spec
        self._inbox: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
        self._finished: deque[NodeOutcome] = deque()
        self._answers: dict[int, deque[dict[str, Any]]] = {i: deque() for i in range(count)}
        log_dir.mkdir(parents=True, exist_ok=True)
        self._children: list[_Child] = []
        self._work_dir = work_dir
        try:
            for index in range(count):
                self._children.append(self._start(index, slots, log_dir))
        except BaseException:
            self.close()
            raise

    def _start(self, index: int, slots: int, log_dir: Path) -> _Child:
        log_path = log_dir / f"executor-process-{index}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", _CHILD_MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        assert process.stdin is not None
        assert process.stdout is not None
        child = _Child(index, process, process.stdin, log_path, slots)
        threading.Thread(
            target=self._read, args=(index, process.stdout), daemon=True, name=f"floe-ep-{index}"
        ).start()
        return child

    def _read(self, index: int, stdout: IO[bytes]) -> None:
        for line in stdout:
            self._inbox.put((index, json.loads(line)))
        self._inbox.put((index, {"op": "exited"}))

    # -- once per run, on the first child (the others open in parallel) ---------------------
    def open(self) -> Path:
        """Parse the project in every child; the manifest.json the first one wrote."""
        for child in self._children:
            child.send(
                {
                    "op": "open",
                    "spec": self.spec.model_dump(mode="json"),
                    "work_dir": str(self._work_dir / str(child.index)),
                    "slots": child.slots,
                }
            )
        paths = [self._answer(child, "opened")["manifest_path"] for child in self._children]
        return Path(paths[0])

    def plan(
        self, select: Iterable[str], exclude: Iterable[str], selector: str | None
    ) -> ExecutionPlan:
        message = {"op": "plan", "select": list(select), "exclude": list(exclude)}
        self._first.send({**message, "selector": selector})
        return ExecutionPlan.model_validate(self._answer(self._first, "planned")["plan"])

    def prepare(self, unique_ids: Iterable[str]) -> None:
        """Create the schemas the nodes write to (once, before any node)."""
        self._first.send({"op": "prepare", "unique_ids": list(unique_ids)})
        self._answer(self._first, "prepared")

    def hooks(self, hook_type: str, succeeded: Iterable[str] = ()) -> list[NodeResult]:
        self._first.send({"op": "hooks", "hook_type": hook_type, "succeeded": list(succeeded)})
        answer = self._answer(self._first, "hooks")
        return [NodeResult.model_validate(result) for result in answer["results"]]

    @property
    def _first(self) -> _Child:
        alive = [child for child in self._children if child.alive]
        if not alive:
            raise RuntimeExecutionError(
                "every executor process died: " + "; ".join(c.death() for c in self._children),
                hint="see the executor process logs named above",
            )
        return alive[0]

    def _answer(self, child: _Child, op: str) -> dict[str, Any]:
        """The next answer of ``child`` to a request (node outcomes are queued meanwhile)."""
        while True:
            answers = self._answers[child.index]
            if answers:
                message = answers.popleft()
                if message["op"] == "failed":
                    raise _floe_error(message["error"])
                if message["op"] == op:
                    return message
                continue
            if not child.alive:
                raise RuntimeExecutionError(
                    child.death(f" before it answered {op!r}"),
                    hint="its log says why (often: out of memory, or killed)",
                )
            self._dispatch(*self._inbox.get())

    # -- nodes ------------------------------------------------------------------------------
    @property
    def free_slots(self) -> int:
        return sum(child.free for child in self._children)

    @property
    def running(self) -> int:
        return sum(len(child.running) for child in self._children)

    @property
    def alive(self) -> int:
        return sum(1 for child in self._children if child.alive)

    def execute(self, unique_id: str, *, run_id: str) -> None:
        child = max(self._children, key=lambda c: c.free)
        if child.free <= 0:
            raise RuntimeError("no free slot: ask free_slots first")
        child.running.add(unique_id)
        child.send({"op": "execute", "unique_id": unique_id, "run_id": run_id})

    def next_outcome(self, timeout: float | None = None) -> NodeOutcome | None:
        """The next finished node (``None`` after ``timeout`` seconds without one)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._finished:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                index, message = self._inbox.get(timeout=wait)
            except queue.Empty:
                return None
            self._dispatch(index, message)
        return self._finished.popleft()

    def _dispatch(self, index: int, message: dict[str, Any]) -> None:
        """Book-keep a child's message: node outcomes and answers go to their queues."""
        child = self._children[index]
        op = message["op"]
        if op == "exited":
            child.alive = False
            child.process.wait()
            for unique_id in sorted(child.running):
                error = child.death(" while running this node")
                self._finished.append(NodeOutcome(unique_id, None, error))
            child.running.clear()
            return
        unique_id = str(message.get("unique_id"))
        if unique_id not in child.running:
            self._answers[index].append(message)
            return
        child.running.discard(unique_id)
        if op == "executed":
            execution = NodeExecution.model_validate(message["execution"])
            self._finished.append(NodeOutcome(unique_id, execution))
        else:
            self._finished.append(NodeOutcome(unique_id, None, str(_floe_error(message["error"]))))

    # -- ending -----------------------------------------------------------------------------
    def cancel(self) -> None:
        """Cancel the warehouse statements of running nodes; they come back as errors."""
        for child in self._children:
            child.send({"op": "cancel"})

    def close(self) -> None:
        """Let every child close its connections and exit; kill any that takes too long."""
        for child in self._children:
            with contextlib.suppress(OSError):
                child.stdin.close()
        deadline = time.monotonic() + _STOP_GRACE_SECONDS
        for child in self._children:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _floe_error(error: dict[str, Any]) -> FloeError:
    """A child's error as the floe error it was (another error as a runtime error)."""
    message, hint = str(error.get("message")), error.get("hint")
    kind = getattr(floe_core, str(error.get("type")), None)
    if isinstance(kind, type) and issubclass(kind, FloeError):
        try:
            return kind(message, hint=hint)
        except TypeError:  # an error class with its own arguments
            pass
    return RuntimeExecutionError(message, hint=hint)
