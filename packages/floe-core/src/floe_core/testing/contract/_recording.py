"""Run one command on a runtime, record its event stream, and check the stream's promises."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from floe_core._events import (
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFinished,
    RunPlanned,
    RunStarted,
)
from floe_core._invocation import DBTCommand, DBTInvocation
from floe_core._results import DBTRunResult, NodeStatus, RunStatus
from floe_core._runtime import DBTRuntimePlugin

__all__ = ["RecordedRun", "assert_event_stream", "record"]


@dataclass(frozen=True)
class RecordedRun:
    """What one public runtime call returned (or raised) and every event it emitted."""

    command: DBTCommand
    invocation: DBTInvocation
    result: DBTRunResult
    """The returned result or, if the call raised, the result carried by ``RunFinished``."""
    events: tuple[FloeEvent, ...]
    error: Exception | None = None

    def statuses(self) -> dict[str, NodeStatus]:
        """Node name -> status."""
        return {node.name: node.status for node in self.result.nodes}


def _entry_point(
    runtime: DBTRuntimePlugin[Any], command: DBTCommand
) -> Callable[[DBTInvocation], DBTRunResult]:
    methods = {
        DBTCommand.COMPILE: runtime.compile_project,
        DBTCommand.RUN: runtime.run_models,
        DBTCommand.BUILD: runtime.build,
        DBTCommand.TEST: runtime.test_models,
        DBTCommand.SEED: runtime.seed,
        DBTCommand.SNAPSHOT: runtime.snapshot,
    }
    return methods.get(command, functools.partial(runtime.invoke, command))


def record(
    runtime: DBTRuntimePlugin[Any], command: DBTCommand, invocation: DBTInvocation
) -> RecordedRun:
    """Call the runtime's public method for ``command``; an exception is recorded, not raised."""
    events: list[FloeEvent] = []
    lock = threading.Lock()

    def remember(event: FloeEvent) -> None:
        with lock:
            events.append(event)

    result: DBTRunResult | None = None
    error: Exception | None = None
    with runtime.events.subscribed(remember):
        try:
            result = _entry_point(runtime, command)(invocation)
        except Exception as exc:
            error = exc
    if result is None:
        finished = [e for e in events if isinstance(e, RunFinished)]
        if not finished:
            raise AssertionError(f"{command} raised {error!r} and emitted no RunFinished")
        result = finished[-1].result
    return RecordedRun(command, invocation, result, tuple(events), error)


def assert_event_stream(run: RecordedRun, runtime_name: str) -> None:
    """The ordering promised in :mod:`floe_core._events`, checked on one invocation.

    ``RunStarted -> RunPlanned -> (NodeStarted -> NodeFinished | NodeSkipped)* -> RunFinished``
    with one terminal event per node in the result, carrying the same status.
    """
    events, invocation_id = run.events, run.invocation.invocation_id
    kinds = [event.kind for event in events]
    assert all(e.invocation_id == invocation_id for e in events), (
        f"events of another invocation: {[(e.kind, e.invocation_id) for e in events]}"
    )
    assert isinstance(events[0], RunStarted), f"first event must be run_started: {kinds}"
    assert (events[0].command, events[0].runtime) == (run.command, runtime_name)
    assert isinstance(events[-1], RunFinished), f"last event must be run_finished: {kinds}"
    assert events[-1].result == run.result, "RunFinished must carry the returned result"
    assert kinds.count("run_started") == kinds.count("run_finished") == 1, kinds
    if run.error is not None or run.result.status is RunStatus.ERROR:
        return  # a run that broke may stop before planning; the bracket is what is promised
    assert kinds.count("run_planned") == 1, f"exactly one run_planned expected: {kinds}"
    planned_at = kinds.index("run_planned")
    node_kinds = {"node_started", "node_finished", "node_skipped"}
    first_node = next((i for i, kind in enumerate(kinds) if kind in node_kinds), len(kinds))
    assert planned_at < first_node, f"run_planned must precede node events: {kinds}"
    planned = events[planned_at]
    assert isinstance(planned, RunPlanned)
    if planned.manifest_path is not None:
        assert planned.manifest_path.is_file(), f"RunPlanned.manifest_path {planned.manifest_path}"
    result_ids = {node.unique_id for node in run.result.nodes}
    if planned.node_ids:
        assert result_ids <= set(planned.node_ids), "results for nodes that were not planned"

    started: set[str] = set()
    terminal: dict[str, NodeFinished | NodeSkipped] = {}
    for event in events:
        if isinstance(event, NodeStarted):
            assert event.unique_id not in started, f"{event.unique_id} started twice"
            assert event.unique_id not in terminal, f"{event.unique_id} started after finishing"
            started.add(event.unique_id)
        elif isinstance(event, NodeFinished | NodeSkipped):
            uid = event.result.unique_id
            assert uid not in terminal, f"{uid} finished twice"
            skipped = event.result.status is NodeStatus.SKIPPED
            assert isinstance(event, NodeSkipped) == skipped, (
                f"{uid}: status {event.result.status} must come as node_skipped iff skipped"
            )
            assert skipped or uid in started, f"{uid} finished without node_started"
            terminal[uid] = event
    assert set(terminal) == result_ids, (
        f"node events {sorted(terminal)} differ from result nodes {sorted(result_ids)}"
    )
    for node in run.result.nodes:
        assert terminal[node.unique_id].result.status is node.status, (
            f"{node.unique_id}: event status {terminal[node.unique_id].result.status}"
            f" but result status {node.status}"
        )
