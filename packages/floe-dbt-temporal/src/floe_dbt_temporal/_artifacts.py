"""A run's files in the object store (``artifact_store``): node results, then run artifacts.

Layout under ``runs/<run_id>/``: ``plan.json``, ``manifest.json``, ``nodes/<unique_id>.json``
(one floe NodeResult per executed node, written by the worker that ran it), and at the end
``results.json`` (every node, skipped ones included), dbt's ``run_results.json`` and a
CLI-style ``dbt.log``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic import TypeAdapter

from floe_core import DBTCommand, ExecutionPlan, NodeResult, NodeStatus, RunStatus
from floe_core.stores import ArtifactStore, StoredArtifact
from floe_dbt_inprocess import dbt_status, run_results_document

__all__ = ["RunArtifacts", "node_result_key"]

_RESULTS = TypeAdapter(list[NodeResult])
_SOURCES_SCHEMA = "https://schemas.getdbt.com/dbt/sources/v3.json"


def node_result_key(run_id: str, unique_id: str) -> str:
    return f"runs/{run_id}/nodes/{unique_id}.json"


def freshness_key(run_id: str, unique_id: str) -> str:
    """A checked source's entry of sources.json (``source freshness``)."""
    return f"runs/{run_id}/freshness/{unique_id}.json"


class RunArtifacts:
    def __init__(self, store: ArtifactStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id

    def put_node_result(self, result: NodeResult) -> StoredArtifact:
        key = node_result_key(self.run_id, result.unique_id)
        return self.store.put(key, result.model_dump_json().encode())

    def node_results(self) -> list[NodeResult]:
        return [
            NodeResult.model_validate_json(self.store.get(key))
            for key in self.store.list(f"runs/{self.run_id}/nodes")
        ]

    def complete_results(self, plan: ExecutionPlan) -> list[NodeResult]:
        """Hook results, then every planned node in plan order; a node without a result was
        skipped, and the message says whether an upstream failure or fail-fast caused it."""
        stored = {result.unique_id: result for result in self.node_results()}
        ordered = [r for r in stored.values() if r.resource_type == "operation"]
        for node in plan.nodes:
            result = stored.get(node.unique_id)
            if result is None:
                culprit = next(
                    (
                        parent
                        for parent in node.depends_on
                        if parent not in stored or stored[parent].status.is_failure
                    ),
                    None,
                )
                reason = (
                    f"skipped: upstream node {culprit} did not succeed"
                    if culprit
                    else "skipped: the run stopped (fail-fast or cancellation)"
                )
                result = NodeResult(
                    unique_id=node.unique_id,
                    name=node.name,
                    resource_type=node.resource_type,
                    status=NodeStatus.SKIPPED,
                    message=reason,
                    relation_name=node.relation_name,
                    materialization=node.materialization,
                )
                stored[node.unique_id] = result
            ordered.append(result)
        return ordered

    def write_run_files(
        self,
        results: list[NodeResult],
        *,
        command: DBTCommand,
        status: RunStatus,
        started_at: datetime,
        elapsed_seconds: float,
        dbt_version: str,
    ) -> dict[str, StoredArtifact]:
        prefix = f"runs/{self.run_id}"
        return {
            "results": self.store.put(f"{prefix}/results.json", _RESULTS.dump_json(results)),
            "run_results": self.store.put(
                f"{prefix}/run_results.json",
                json.dumps(
                    run_results_document(
                        results,
                        command=command,
                        invocation_id=self.run_id,
                        elapsed_seconds=elapsed_seconds,
                        dbt_version=dbt_version,
                    ),
                    indent=2,
                ).encode(),
            ),
            "log": self.store.put(
                f"{prefix}/dbt.log",
                self._log(results, command, status, started_at, elapsed_seconds).encode(),
            ),
        }

    def write_sources(self, elapsed_seconds: float, dbt_version: str) -> StoredArtifact:
        """dbt's sources.json from the entries the checked sources' activities stored."""
        entries = [
            json.loads(self.store.get(key))
            for key in self.store.list(f"runs/{self.run_id}/freshness")
        ]
        document = {
            "metadata": {
                "dbt_schema_version": _SOURCES_SCHEMA,
                "dbt_version": dbt_version,
                "generated_at": datetime.now(UTC).isoformat(),
                "invocation_id": self.run_id,
            },
            "results": sorted(entries, key=lambda entry: str(entry["unique_id"])),
            "elapsed_time": elapsed_seconds,
        }
        return self.store.put(
            f"runs/{self.run_id}/sources.json", json.dumps(document, indent=2).encode()
        )

    @staticmethod
    def _log(
        results: list[NodeResult],
        command: DBTCommand,
        status: RunStatus,
        started_at: datetime,
        elapsed_seconds: float,
    ) -> str:
        total = len(results)
        lines = [f"{started_at:%H:%M:%S}  floe temporal: dbt {command} of {total} nodes"]
        for index, r in enumerate(results, 1):
            stamp = f"{r.completed_at:%H:%M:%S}" if r.completed_at else " " * 8
            label = dbt_status(r).upper()
            message = (r.message or "").splitlines()[0] if r.message else ""
            lines.append(
                f"{stamp}  {index} of {total} {label:<7} {r.resource_type} {r.name} "
                f"[{message} in {r.execution_time:.2f}s]"
            )
        tally = {s: sum(1 for r in results if r.status is s) for s in NodeStatus}
        lines.append(
            f"Finished in {elapsed_seconds:.2f}s: {status}. "
            f"PASS={tally[NodeStatus.SUCCESS]} WARN={tally[NodeStatus.WARN]} "
            f"ERROR={tally[NodeStatus.ERROR]} FAIL={tally[NodeStatus.FAIL]} "
            f"SKIP={tally[NodeStatus.SKIPPED]} TOTAL={total}"
        )
        return "\n".join(lines) + "\n"
