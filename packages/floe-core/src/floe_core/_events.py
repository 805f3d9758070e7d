"""The runtime-neutral node event stream and the in-process bus that carries it.

Every runtime emits, in this order for one invocation::

    RunStarted -> RunHandleReported? -> RunPlanned? -> (NodeStarted -> NodeFinished
    | NodeSkipped)* -> RunFinished

``NodeSkipped`` may come without a ``NodeStarted``. Node events of different nodes
interleave (nodes run in parallel). The CLI progress display, lineage, tracing, artifact
storage and plugin hooks consume only this stream.

Subscribers are called synchronously in the emitting thread (dbt's worker threads for the
local runtime), so they must be quick and thread-safe; slow work (network delivery) belongs
on a queue of the subscriber's own. A subscriber that raises is logged once and dropped
for the rest of the invocation: an observer never breaks a run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from floe_core._detach import RunHandle
from floe_core._invocation import DBTCommand
from floe_core._results import DBTRunResult, NodeResult, NodeStatus
from floe_core.logging._lazy_logger import lazy_logger

__all__ = [
    "EventBus",
    "EventSubscriber",
    "FloeEvent",
    "NodeFinished",
    "NodeSkipped",
    "NodeStarted",
    "RunFinished",
    "RunHandleReported",
    "RunPlanned",
    "RunStarted",
    "events_for_result",
]

_log = lazy_logger("floe.events")


def _now() -> datetime:
    return datetime.now(UTC)


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    invocation_id: str
    emitted_at: datetime = Field(default_factory=_now)


class RunStarted(_Event):
    """An invocation began; nothing has been parsed yet."""

    kind: Literal["run_started"] = "run_started"
    command: DBTCommand
    runtime: str
    project_name: str
    project_dir: Path
    target: str | None = None
    started_at: datetime
    trace_context: dict[str, str] = Field(default_factory=dict)
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selector: str | None = None


class RunHandleReported(_Event):
    """The run exists in the service that executes it, under ``handle``: from now on another
    process can follow it (``floe runs attach``) if this one goes away."""

    kind: Literal["run_handle"] = "run_handle"
    handle: RunHandle


class RunPlanned(_Event):
    """The runtime knows what it will execute.

    ``manifest_path`` points at the manifest.json of this invocation (consumers that need node
    metadata such as lineage read it from there); ``node_ids`` are the selected nodes.
    """

    kind: Literal["run_planned"] = "run_planned"
    manifest_path: Path | None = None
    node_ids: tuple[str, ...] = ()
    manifest_pending: bool = False
    """The runtime reports nodes before it has their manifest (dbt Cloud's Discovery API
    announces nodes before the step's artifacts arrive): the manifest and the full node
    results come with the run's result (``RunFinished``), and consumers that name nodes from
    the manifest, such as lineage, hold the node events until then."""


class NodeStarted(_Event):
    kind: Literal["node_started"] = "node_started"
    unique_id: str
    name: str
    resource_type: str
    materialization: str | None = None
    started_at: datetime
    index: int | None = None
    """1-based position of the node in the run, where the runtime knows it."""
    total: int | None = None


class NodeFinished(_Event):
    """A node ran to an outcome (success, warn, fail or error)."""

    kind: Literal["node_finished"] = "node_finished"
    result: NodeResult


class NodeSkipped(_Event):
    """A node was not executed, usually because an upstream node failed."""

    kind: Literal["node_skipped"] = "node_skipped"
    result: NodeResult


class RunFinished(_Event):
    kind: Literal["run_finished"] = "run_finished"
    result: DBTRunResult


FloeEvent = Annotated[
    RunStarted
    | RunHandleReported
    | RunPlanned
    | NodeStarted
    | NodeFinished
    | NodeSkipped
    | RunFinished,
    Field(discriminator="kind"),
]

EventSubscriber = Callable[[FloeEvent], None]


def events_for_result(
    invocation_id: str, result: NodeResult, *, index: int | None = None, total: int | None = None
) -> list[FloeEvent]:
    """The node events of a node known only by its result (a runtime that hears of nodes after
    they ran, or a replay): ``NodeStarted`` + ``NodeFinished``, or ``NodeSkipped``."""
    if result.status is NodeStatus.SKIPPED:
        return [NodeSkipped(invocation_id=invocation_id, result=result)]
    started = NodeStarted(
        invocation_id=invocation_id,
        unique_id=result.unique_id,
        name=result.name,
        resource_type=result.resource_type,
        materialization=result.materialization,
        started_at=result.started_at or result.completed_at or _now(),
        index=index,
        total=total,
    )
    return [started, NodeFinished(invocation_id=invocation_id, result=result)]


class EventBus:
    """Fan-out of floe events to subscribers, safe to emit from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[EventSubscriber] = []

    def subscribe(self, subscriber: EventSubscriber) -> None:
        with self._lock:
            self._subscribers = [*self._subscribers, subscriber]

    def unsubscribe(self, subscriber: EventSubscriber) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s is not subscriber]

    @contextmanager
    def subscribed(self, *subscribers: EventSubscriber) -> Iterator[EventBus]:
        """Subscribe for the duration of a block (typically one invocation)."""
        for subscriber in subscribers:
            self.subscribe(subscriber)
        try:
            yield self
        finally:
            for subscriber in subscribers:
                self.unsubscribe(subscriber)

    def emit(self, event: FloeEvent) -> None:
        # Copy-on-write list: iterate without holding the lock so subscribers may emit.
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:
                _log.exception(
                    "event subscriber failed; it is dropped for this bus",
                    subscriber=getattr(subscriber, "__qualname__", repr(subscriber)),
                    event_kind=event.kind,
                    invocation_id=event.invocation_id,
                )
                self.unsubscribe(subscriber)
