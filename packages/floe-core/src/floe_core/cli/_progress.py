"""Live progress from the event stream only: dbt-like node lines plus a rich progress bar."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from floe_core._events import (
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFinished,
    RunPlanned,
)
from floe_core._results import NodeResult, NodeStatus

__all__ = ["STATUS_STYLES", "ProgressDisplay", "node_line"]

STATUS_STYLES = {
    NodeStatus.SUCCESS: "green",
    NodeStatus.WARN: "yellow",
    NodeStatus.SKIPPED: "yellow",
    NodeStatus.ERROR: "red",
    NodeStatus.FAIL: "red",
}
_LINE_WIDTH = 80


def _label(result: NodeResult) -> str:
    if result.status is NodeStatus.SUCCESS:
        return "PASS" if result.resource_type == "test" else "OK"
    return "SKIP" if result.status is NodeStatus.SKIPPED else result.status.value.upper()


def _description(result: NodeResult) -> str:
    # dbt's own lines say schema.table: drop the database and the quoting.
    target = (
        ".".join(result.relation_name.replace('"', "").split(".")[-2:])
        if result.relation_name
        else result.name
    )
    if result.resource_type == "model" and result.materialization:
        return f"sql {result.materialization} model {target}"
    if result.resource_type == "seed":
        return f"seed file {target}"
    return f"{result.resource_type} {target}"


def node_line(index: int, total: int | None, result: NodeResult) -> Text:
    """``3 of 12 OK sql table model main.customers .... [OK in 0.12s]``, styled by status."""
    style = STATUS_STYLES[result.status]
    label = _label(result)
    if result.status is NodeStatus.SKIPPED:
        tail = "[SKIP]"
    else:
        success_message = result.status is NodeStatus.SUCCESS and result.message
        tail = f"[{result.message if success_message else label} in {result.execution_time:.2f}s]"
    line = Text(f"{index} of {total if total is not None else '?'} ")
    line.append(label, style=style)
    line.append(f" {_description(result)} ")
    line.append("." * max(3, _LINE_WIDTH - len(line) - len(tail) - 1) + " ")
    line.append(tail, style=style)
    return line


class ProgressDisplay:
    """An event subscriber printing one line per finished/skipped node.

    ``live`` adds a progress bar (a terminal only): ``RunPlanned`` gives its total, each
    ``NodeFinished``/``NodeSkipped`` advances it. Safe to call from dbt's worker threads.
    """

    def __init__(self, console: Console, *, live: bool) -> None:
        self._console = console
        self._lock = threading.Lock()
        self._total: int | None = None
        self._done = 0
        # dbt numbers a node's finished line as its START line: keep the START index.
        self._started_index: dict[str, int] = {}
        self._bar: tuple[Progress, TaskID] | None = None
        if live:
            progress = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._bar = (progress, progress.add_task("planning", total=None))

    def __call__(self, event: FloeEvent) -> None:
        with self._lock:
            if isinstance(event, RunPlanned):
                # no ids: the runtime cannot list them beforehand (cloud): "3 of ?"
                self._total = len(event.node_ids) or None
                if self._bar is not None:
                    self._bar[0].update(self._bar[1], total=self._total, description="nodes")
            elif isinstance(event, NodeStarted) and event.index is not None:
                self._started_index[event.unique_id] = event.index
            elif isinstance(event, NodeFinished | NodeSkipped):
                self._done += 1
                index = self._started_index.pop(event.result.unique_id, self._done)
                self._print(node_line(index, self._total, event.result))
                if self._bar is not None:
                    self._bar[0].advance(self._bar[1])
            elif isinstance(event, RunFinished):
                self._stop()

    def _print(self, line: Text) -> None:
        if self._console.is_terminal:
            self._console.print(line)
        else:
            # Styles are dropped off a terminal anyway; plain text skips rich's layout pass,
            # the largest per-node cost of the display.
            self._console.file.write(line.plain + "\n")
            self._console.file.flush()

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar[0].stop()

    def __enter__(self) -> ProgressDisplay:
        if self._bar is not None:
            self._bar[0].start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._stop()
