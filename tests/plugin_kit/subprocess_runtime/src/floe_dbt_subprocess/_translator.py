"""dbt JSON log lines -> floe events, one invocation at a time.

dbt's structured node events, ``NodeStart`` (Q024) and ``NodeFinished`` (Q025, with the
node's ``run_result``), are logged at debug level, so the runtime runs dbt with
``--log-level debug`` and ignores every other line except the few listed in
:meth:`DbtJsonLogTranslator.translate`. Override a ``get_*`` method to change one mapping.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from floe_core import (
    AdapterResponse,
    FloeEvent,
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    NodeTiming,
    RunPlanned,
)

__all__ = ["DbtJsonLogTranslator"]

_STATUSES = {
    "success": NodeStatus.SUCCESS,
    "pass": NodeStatus.SUCCESS,
    "no-op": NodeStatus.SUCCESS,
    "warn": NodeStatus.WARN,
    "partial success": NodeStatus.WARN,
    "fail": NodeStatus.FAIL,
    "error": NodeStatus.ERROR,
    "runtime error": NodeStatus.ERROR,
    "skipped": NodeStatus.SKIPPED,
}


def _timestamp(text: Any) -> datetime | None:
    """dbt writes UTC, sometimes without an offset; empty means not yet."""
    if not isinstance(text, str) or not text:
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class DbtJsonLogTranslator:
    """Feed it dbt's stdout line by line; it returns the floe events each line means."""

    def __init__(self, invocation_id: str) -> None:
        self.invocation_id = invocation_id
        self.results: dict[str, NodeResult] = {}
        """Node results in the order dbt finished them."""
        self.manifest_path: Path | None = None
        self.error: str | None = None
        """dbt's own error (``MainEncounteredError``): the run broke, not a node."""
        self._planned = False

    def translate(self, line: str) -> list[FloeEvent]:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return []  # dbt prints a few plain lines (e.g. from adapters); not events
        if not isinstance(record, dict) or not isinstance(record.get("info"), dict):
            return []
        name, data = record["info"].get("name"), record.get("data") or {}
        if name == "ArtifactWritten" and data.get("artifact_type") == "WritableManifest":
            self.manifest_path = Path(data["artifact_path"])
        elif name == "ConcurrencyLine":
            return self.ensure_planned()
        elif name == "NodeStart":
            return [*self.ensure_planned(), self.get_node_started(data["node_info"])]
        elif name == "NodeFinished":
            result = self.get_node_result(data["node_info"], data.get("run_result") or {})
            self.results[result.unique_id] = result
            event_type = NodeSkipped if result.status is NodeStatus.SKIPPED else NodeFinished
            return [
                *self.ensure_planned(),
                event_type(invocation_id=self.invocation_id, result=result),
            ]
        elif name == "MainEncounteredError":
            self.error = str(data.get("exc") or record["info"].get("msg"))
        return []

    def ensure_planned(self) -> list[FloeEvent]:
        """``RunPlanned`` once, before the first node event.

        dbt does not log which nodes it selected, so ``node_ids`` stays empty; consumers
        needing node metadata read ``manifest_path``.
        """
        if self._planned:
            return []
        self._planned = True
        return [RunPlanned(invocation_id=self.invocation_id, manifest_path=self.manifest_path)]

    def get_node_started(self, node_info: dict[str, Any]) -> NodeStarted:
        return NodeStarted(
            invocation_id=self.invocation_id,
            unique_id=node_info["unique_id"],
            name=node_info["node_name"],
            resource_type=node_info["resource_type"],
            materialization=node_info.get("materialized") or None,
            started_at=_timestamp(node_info.get("node_started_at")) or datetime.now(UTC),
        )

    def get_status(self, dbt_status: str) -> NodeStatus:
        return _STATUSES.get(dbt_status.lower(), NodeStatus.ERROR)

    def get_node_result(self, node_info: dict[str, Any], run_result: dict[str, Any]) -> NodeResult:
        status = self.get_status(str(run_result.get("status") or node_info["node_status"]))
        response = run_result.get("adapter_response") or {}
        rows = response.get("rows_affected")
        relation = node_info.get("node_relation") or {}
        return NodeResult(
            unique_id=node_info["unique_id"],
            name=node_info["node_name"],
            resource_type=node_info["resource_type"],
            status=status,
            started_at=_timestamp(node_info.get("node_started_at")),
            completed_at=_timestamp(node_info.get("node_finished_at")),
            execution_time=float(run_result.get("execution_time") or 0.0),
            message=run_result.get("message") or None,
            adapter_response=AdapterResponse(
                message=response.get("_message"),
                code=response.get("code"),
                rows_affected=int(rows) if rows is not None else None,
                query_id=response.get("query_id"),
            ),
            failures=run_result.get("num_failures")
            if node_info["resource_type"] == "test"
            else None,
            relation_name=relation.get("relation_name") or None,
            materialization=node_info.get("materialized") or None,
            thread_id=run_result.get("thread"),
            timing=tuple(
                NodeTiming(
                    name=phase["name"],
                    started_at=_timestamp(phase.get("started_at")),
                    completed_at=_timestamp(phase.get("completed_at")),
                )
                for phase in run_result.get("timing_info") or ()
            ),
        )
