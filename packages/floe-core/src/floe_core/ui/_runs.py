"""One run as the run page shows it, from its result, its event log and its neighbours.

Pure functions over parsed files (the workbench reads them): which nodes were planned,
running, cancelled or never run, the critical path, and the comparison with the previous
run of the same selection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from floe_core._events import (
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFinished,
    RunPlanned,
    RunStarted,
)
from floe_core._results import DBTRunResult, NodeResult, NodeStatus
from floe_core.artifacts import RunRecord
from floe_core.ui._graph import critical_path, name_of
from floe_core.ui._models import (
    NodeState,
    RunComparison,
    RunDetail,
    RunInvocation,
    RunNode,
    RunSummary,
    StateUsed,
)
from floe_core.ui._runlog import node_log

__all__ = [
    "EventScan",
    "comparison",
    "invocation_of",
    "node_seconds",
    "run_detail",
    "run_summary",
    "scan_events",
    "selection_of",
    "without_sql",
]

_EVENT = TypeAdapter[FloeEvent](FloeEvent)
_INTERRUPTED = re.compile(r"interrupt|cancel", re.IGNORECASE)
_ENDED_EARLY = frozenset({"cancelled", "timed_out", "error"})
_EXPLAINED = frozenset({"error", "fail", "warn", "cancelled"})
"""Statuses whose dbt.log lines the run page shows."""


@dataclass
class EventScan:
    """What a run's event log says, in order of the lines."""

    started: RunStarted | None = None
    planned: tuple[str, ...] = ()
    running: dict[str, NodeStarted] = field(default_factory=dict)
    """Nodes started and not (yet) finished."""
    results: dict[str, NodeResult] = field(default_factory=dict)
    finished: DBTRunResult | None = None


def scan_events(lines: Iterable[str], *, kinds: Collection[str] | None = None) -> EventScan:
    """Parse the event log; only the lines of ``kinds`` if given (a finished run's result
    already has its node results, so parsing them again would be wasted)."""
    scan = EventScan()
    wanted = [f'"kind":"{kind}"' for kind in kinds] if kinds is not None else None
    for line in lines:
        if wanted is not None and not any(kind in line for kind in wanted):
            continue
        try:
            event = _EVENT.validate_json(line)
        except ValidationError:
            continue  # a line from a newer floe: use what this one understands
        if isinstance(event, RunStarted):
            scan.started = event
        elif isinstance(event, RunPlanned):
            scan.planned = event.node_ids
        elif isinstance(event, NodeStarted):
            scan.running[event.unique_id] = event
        elif isinstance(event, NodeFinished | NodeSkipped):
            scan.results[event.result.unique_id] = event.result
            scan.running.pop(event.result.unique_id, None)
        elif isinstance(event, RunFinished):
            scan.finished = event.result
    return scan


def invocation_of(data: bytes | None, result: DBTRunResult | None) -> RunInvocation | None:
    """invocation.json (what was asked) and result.json's versions and runtime metadata."""
    if data is None and result is None:
        return None
    try:
        asked: Mapping[str, Any] = json.loads(data) if data else {}
    except ValueError:
        asked = {}
    metadata = dict(result.metadata) if result else {}
    selected, deferred = metadata.pop("state_selected", None), metadata.pop("deferred", None)
    state = asked.get("state") if isinstance(asked.get("state"), dict) else None
    return RunInvocation(
        select=list(asked.get("select") or ()),
        exclude=list(asked.get("exclude") or ()),
        selector=asked.get("selector"),
        vars=dict(asked.get("vars") or {}),
        target=asked.get("target"),
        threads=asked.get("threads"),
        full_refresh=bool(asked.get("full_refresh")),
        fail_fast=bool(asked.get("fail_fast")),
        project_dir=asked.get("project_dir"),
        dbt_version=result.dbt_version if result else None,
        floe_version=metadata.pop("floe_version", None),
        runtime_metadata=metadata,
        state=StateUsed(
            ref=str(state.get("ref")),
            run_id=state.get("run_id"),
            defer=bool(state.get("defer")),
            favor_state=bool(state.get("favor_state")),
            selected=list(selected or ()),
            deferred=list(deferred or ()),
        )
        if state
        else None,
        retry_of=asked.get("retry_of"),
    )


def node_seconds(node: NodeResult) -> float | None:
    """How long a node ran (None if it did not)."""
    if node.status is NodeStatus.SKIPPED:
        return None
    if node.started_at and node.completed_at:
        return (node.completed_at - node.started_at).total_seconds()
    return node.execution_time or None


def _shown(node: NodeResult, run_status: str) -> NodeState:
    if (
        run_status in _ENDED_EARLY
        and node.status is NodeStatus.ERROR
        and _INTERRUPTED.search(node.message or "")
    ):
        return "cancelled"
    return node.status.value


def run_detail(
    summary: RunSummary,
    results: Sequence[NodeResult],
    scan: EventScan,
    parents: Mapping[str, Sequence[str]] | None,
    *,
    error: str | None,
    files: list[str],
    invocation: RunInvocation | None = None,
    log: Sequence[str] = (),
    previous: tuple[RunSummary, Mapping[str, NodeResult]] | None = None,
) -> RunDetail:
    """The run page's data; ``scan.running`` nodes of a finished run were cut off by its end."""
    running = summary.status == "running"
    parents = parents or {}
    done = {node.unique_id for node in results}
    spans: dict[str, tuple[datetime | None, datetime | None]] = {
        node.unique_id: (node.started_at, node.completed_at)
        for node in results
        if node.status is not NodeStatus.SKIPPED and node.started_at
    }
    cut_off = {uid: event for uid, event in scan.running.items() if uid not in done}
    waiting = [uid for uid in scan.planned if uid not in done and uid not in cut_off]
    members = done | set(cut_off) | set(waiting)
    chain = [] if running else critical_path(spans, parents)
    on_chain = set(chain)
    before = previous[1] if previous else {}

    def depends(uid: str) -> list[str]:
        return [p for p in parents.get(uid, ()) if p in members]

    nodes: list[RunNode] = []
    for node in results:
        status = _shown(node, summary.status)
        earlier = before.get(node.unique_id)
        nodes.append(
            RunNode(
                result=node,
                unique_id=node.unique_id,
                name=node.name,
                resource_type=node.resource_type,
                status=status,
                started_at=node.started_at,
                completed_at=node.completed_at,
                depends_on=depends(node.unique_id),
                critical=node.unique_id in on_chain,
                duration_seconds=node_seconds(node),
                previous_seconds=node_seconds(earlier) if earlier else None,
                new_failure=previous is not None
                and node.status.is_failure
                and not (earlier and earlier.status.is_failure),
                log=node_log(log, node.unique_id) if log and status in _EXPLAINED else [],
            )
        )
    for uid, event in cut_off.items():
        nodes.append(
            RunNode(
                unique_id=uid,
                name=event.name,
                resource_type=event.resource_type,
                status="running" if running else "cancelled",
                started_at=event.started_at,
                depends_on=depends(uid),
                critical=False,
                log=[] if running else node_log(log, uid),
            )
        )
    for uid in waiting:
        nodes.append(
            RunNode(
                unique_id=uid,
                name=name_of(uid),
                resource_type=uid.split(".", 1)[0],
                status="pending" if running else "not_run",
                depends_on=depends(uid),
                critical=False,
            )
        )
    nodes.sort(key=lambda node: (node.started_at is None, node.started_at or summary.started_at))
    counted = summary.model_copy(
        update={"skipped": sum(1 for node in nodes if node.status == "skipped")}
    )
    return RunDetail(
        run=counted,
        error=error,
        nodes=nodes,
        critical_path=chain,
        files=files,
        invocation=invocation,
        previous=comparison(previous, results) if previous else None,
    )


def comparison(
    previous: tuple[RunSummary, Mapping[str, NodeResult]], results: Sequence[NodeResult]
) -> RunComparison:
    summary, before = previous
    failed_before = {uid for uid, node in before.items() if node.status.is_failure}
    failed_now = {node.unique_id for node in results if node.status.is_failure}
    succeeded_now = {
        node.unique_id for node in results if node.status in (NodeStatus.SUCCESS, NodeStatus.WARN)
    }
    return RunComparison(
        invocation_id=summary.invocation_id,
        started_at=summary.started_at,
        status=summary.status,
        elapsed_seconds=summary.elapsed_seconds,
        new_failures=sorted(failed_now - failed_before),
        fixed=sorted(failed_before & succeeded_now),
    )


def without_sql(detail: RunDetail) -> RunDetail:
    """``detail`` without the nodes' compiled SQL: the bulk of a large run's page, fetched
    per node when one is opened."""
    nodes = [
        node.model_copy(update={"result": node.result.model_copy(update={"compiled_code": None})})
        if node.result is not None and node.result.compiled_code
        else node
        for node in detail.nodes
    ]
    return detail.model_copy(update={"nodes": nodes})


def run_summary(record: RunRecord) -> RunSummary:
    """A finished run as listed, from its index object."""
    return RunSummary(
        invocation_id=record.invocation_id,
        project=record.project,
        command=record.command.value,
        runtime=record.runtime,
        status=record.status.value,
        started_at=record.started_at,
        completed_at=record.completed_at,
        elapsed_seconds=record.elapsed_seconds,
        nodes=record.nodes,
        failures=record.failures,
    )


def selection_of(invocation_data: bytes | None) -> tuple[Collection[str], ...] | None:
    """What a run selected (select, exclude, selector), as comparable values."""
    if not invocation_data:
        return None
    try:
        asked = json.loads(invocation_data)
    except ValueError:
        return None
    return (
        tuple(asked.get("select") or ()),
        tuple(asked.get("exclude") or ()),
        (asked.get("selector") or "",),
    )
