"""dbt Cloud's answers (run_results.json, manifest.json, Discovery nodes) -> floe results.

Subclass :class:`CloudEventTranslator` and override a ``get_*`` method to change one mapping
(e.g. how a status is read) without touching the run lifecycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from floe_core import (
    AdapterResponse,
    DBTRunResult,
    FloeEvent,
    NodeResult,
    NodeStatus,
    NodeTiming,
    RunStatus,
    events_for_result,
)
from floe_dbt_cloud._models import CloudRun, CloudRunStatus, parse_cloud_timestamp

__all__ = ["CloudEventTranslator"]

_STATUS = {
    "success": NodeStatus.SUCCESS,
    "pass": NodeStatus.SUCCESS,
    "fail": NodeStatus.FAIL,
    "warn": NodeStatus.WARN,
    "skipped": NodeStatus.SKIPPED,
    "no-op": NodeStatus.SKIPPED,
    "error": NodeStatus.ERROR,
    "runtime error": NodeStatus.ERROR,
}
_ADAPTER_FIELDS = {"_message", "code", "rows_affected", "query_id"}


def _manifest_node(manifest: Mapping[str, Any], unique_id: str) -> Mapping[str, Any]:
    for section in ("nodes", "sources", "unit_tests", "exposures"):
        node = manifest.get(section, {}).get(unique_id)
        if node is not None:
            return node  # type: ignore[no-any-return]
    return {}


class CloudEventTranslator:
    """Maps dbt Cloud data to :class:`NodeResult`, floe events and a :class:`RunStatus`."""

    def get_node_status(self, dbt_status: str | None) -> NodeStatus:
        """dbt's node status (``pass``, ``runtime error``, ...) -> floe's; unknown -> error."""
        return _STATUS.get((dbt_status or "").lower(), NodeStatus.ERROR)

    def get_node_result(
        self, result: Mapping[str, Any], manifest: Mapping[str, Any] | None = None
    ) -> NodeResult:
        """One entry of run_results.json ``results``, enriched from manifest.json."""
        unique_id = str(result["unique_id"])
        node = _manifest_node(manifest or {}, unique_id)
        parts = unique_id.split(".")
        timing = tuple(
            NodeTiming(
                name=str(phase.get("name")),
                started_at=parse_cloud_timestamp(phase.get("started_at")),
                completed_at=parse_cloud_timestamp(phase.get("completed_at")),
            )
            for phase in result.get("timing") or ()
        )
        starts = [t.started_at for t in timing if t.started_at is not None]
        ends = [t.completed_at for t in timing if t.completed_at is not None]
        raw_adapter = dict(result.get("adapter_response") or {})
        adapter = AdapterResponse(
            message=raw_adapter.get("_message"),
            code=raw_adapter.get("code"),
            rows_affected=raw_adapter.get("rows_affected"),
            query_id=raw_adapter.get("query_id"),
            extra={k: v for k, v in raw_adapter.items() if k not in _ADAPTER_FIELDS},
        )
        return NodeResult(
            unique_id=unique_id,
            name=str(node.get("name") or (parts[2] if len(parts) > 2 else unique_id)),
            resource_type=str(node.get("resource_type") or parts[0]),
            status=self.get_node_status(result.get("status")),
            started_at=min(starts) if starts else None,
            completed_at=max(ends) if ends else None,
            execution_time=float(result.get("execution_time") or 0.0),
            message=result.get("message") or result.get("error"),  # sources.json: ``error``
            adapter_response=adapter,
            failures=result.get("failures"),
            relation_name=result.get("relation_name") or node.get("relation_name"),
            materialization=(node.get("config") or {}).get("materialized"),
            compiled_code=result.get("compiled_code"),
            thread_id=result.get("thread_id"),
            timing=timing,
        )

    def get_node_results(
        self, run_results: Mapping[str, Any], manifest: Mapping[str, Any] | None = None
    ) -> list[NodeResult]:
        return [self.get_node_result(item, manifest) for item in run_results.get("results", ())]

    def get_discovery_node_result(
        self, node: Mapping[str, Any], resource_type: str
    ) -> NodeResult | None:
        """A Discovery API node (``job { models { ... } }``), or ``None`` while it runs."""
        status = node.get("status")
        if not status or node.get("executeCompletedAt") in (None, ""):
            return None
        started_at = parse_cloud_timestamp(node.get("executeStartedAt"))
        completed_at = parse_cloud_timestamp(node.get("executeCompletedAt"))
        unique_id = str(node["uniqueId"])
        return NodeResult(
            unique_id=unique_id,
            name=str(node.get("name") or unique_id.split(".")[-1]),
            resource_type=resource_type,
            status=self.get_node_status(str(status)),
            started_at=started_at,
            completed_at=completed_at,
            execution_time=float(node.get("executionTime") or 0.0),
            message=node.get("error"),
        )

    def get_node_events(
        self, invocation_id: str, result: NodeResult, *, index: int, total: int | None
    ) -> list[FloeEvent]:
        """``NodeStarted`` + ``NodeFinished`` for a node that ran, ``NodeSkipped`` otherwise."""
        return events_for_result(invocation_id, result, index=index, total=total)

    def get_run_status(
        self, run: CloudRun, nodes: list[NodeResult], *, timed_out_by_floe: bool
    ) -> RunStatus:
        """The run's outcome: a job timeout is ``timed_out`` though dbt Cloud says cancelled."""
        if run.status is CloudRunStatus.SUCCESS:
            return DBTRunResult.status_from_nodes(nodes)
        if run.timed_out or (timed_out_by_floe and run.status is not CloudRunStatus.ERROR):
            return RunStatus.TIMED_OUT
        if run.status is CloudRunStatus.CANCELLED:
            return RunStatus.CANCELLED
        if any(node.status.is_failure for node in nodes):
            return RunStatus.FAILED
        return RunStatus.ERROR
