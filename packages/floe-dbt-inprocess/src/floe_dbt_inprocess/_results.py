"""dbt's run results (``RunExecutionResult``) as floe :class:`~floe_core.NodeResult` values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from floe_core import AdapterResponse, NodeResult, NodeStatus, NodeTiming

__all__ = [
    "adapter_response",
    "as_utc",
    "freshness_status",
    "node_result_from_run_result",
    "node_status",
]

_STATUSES = {
    "success": NodeStatus.SUCCESS,
    "pass": NodeStatus.SUCCESS,
    "no-op": NodeStatus.SUCCESS,
    "error": NodeStatus.ERROR,
    "runtime error": NodeStatus.ERROR,
    # dbt counts a partially successful microbatch model as a failure of the run
    "partial success": NodeStatus.ERROR,
    "fail": NodeStatus.FAIL,
    "warn": NodeStatus.WARN,
    "skipped": NodeStatus.SKIPPED,
}


def node_status(dbt_status: object) -> NodeStatus:
    """floe's status for a dbt node status (``pass`` -> ``success``, ``runtime error`` ->
    ``error``); an unknown status counts as ``error`` so it is never silently green."""
    return _STATUSES.get(str(dbt_status).lower(), NodeStatus.ERROR)


_FRESHNESS_STATUSES = {
    "pass": NodeStatus.SUCCESS,
    "warn": NodeStatus.WARN,
    # stale past error_after: the check failed, as a failing test does
    "error": NodeStatus.FAIL,
}


def freshness_status(dbt_status: object) -> NodeStatus:
    """floe's status for a source's freshness outcome: ``error`` (stale) -> ``fail``,
    ``runtime error`` (the query broke) -> ``error``."""
    return _FRESHNESS_STATUSES.get(str(dbt_status).lower(), NodeStatus.ERROR)


def as_utc(value: datetime | str | None) -> datetime | None:
    """dbt's timestamps are naive UTC (``datetime`` or ISO string); make them aware."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value.rstrip("Z")) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def adapter_response(raw: Mapping[str, Any] | None) -> AdapterResponse:
    """dbt's ``adapter_response`` dict (``_message``, ``code``, ``rows_affected``...)."""
    data = dict(raw or {})
    message = data.pop("_message", None)
    code = data.pop("code", None)
    rows = data.pop("rows_affected", None)
    query_id = data.pop("query_id", None)
    return AdapterResponse(
        message=None if message is None else str(message),
        code=None if code is None else str(code),
        # protobuf Structs carry numbers as floats; drivers answer -1 where they don't know
        rows_affected=None if rows is None or rows == "" or int(rows) < 0 else int(rows),
        query_id=None if query_id is None else str(query_id),
        extra=data,
    )


def node_result_from_run_result(run_result: Any) -> NodeResult:
    """One dbt ``RunResult`` (node, status, timing, adapter response, failures)."""
    node = run_result.node
    timing = tuple(
        NodeTiming(
            name=str(phase.name),
            started_at=as_utc(phase.started_at),
            completed_at=as_utc(phase.completed_at),
        )
        for phase in run_result.timing
    )
    config = getattr(node, "config", None)
    return NodeResult(
        unique_id=node.unique_id,
        name=node.name,
        resource_type=str(node.resource_type),
        status=(freshness_status if str(node.resource_type) == "source" else node_status)(
            run_result.status
        ),
        started_at=timing[0].started_at if timing else None,
        completed_at=timing[-1].completed_at if timing else None,
        execution_time=float(run_result.execution_time or 0.0),
        message=None if run_result.message is None else str(run_result.message),
        adapter_response=adapter_response(run_result.adapter_response),
        failures=run_result.failures,
        relation_name=getattr(node, "relation_name", None),
        materialization=getattr(config, "materialized", None),
        compiled_code=getattr(node, "compiled_code", None),
        thread_id=run_result.thread_id,
        timing=timing,
    )
