"""Per-node progress of a dbt Cloud run, turned into floe events while the run goes.

Two sources, both read on every poll:

* the Discovery API (``job(id, runId) { models ... }``): nodes as soon as they finish;
* step artifacts: when a dbt command step ends, its run_results.json and manifest.json are
  downloaded; they are authoritative (row counts, timings) and make the final result.

Each node is announced once. Nodes Discovery reported but no artifact holds (a cancelled
step uploads none) stay in the result, so nothing observed is lost.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from floe_core import EventBus, FloeError, NodeResult, RunPlanned
from floe_dbt_cloud._client import DbtCloudClient
from floe_dbt_cloud._errors import DbtCloudAccessError, DbtCloudAPIError, DbtCloudTransientError
from floe_dbt_cloud._freshness import with_runtime_errors
from floe_dbt_cloud._models import CloudRun, CloudRunStep
from floe_dbt_cloud._translator import CloudEventTranslator

__all__ = ["DISCOVERY_RUN_QUERY", "RunProgress"]

_log = structlog.get_logger("floe.dbt_cloud")

_NODE_FIELDS = "uniqueId name status executionTime executeStartedAt executeCompletedAt error"
_DISCOVERY_KINDS = {"models": "model", "seeds": "seed", "snapshots": "snapshot", "tests": "test"}
DISCOVERY_RUN_QUERY = (
    "query FloeRunProgress($jobId: BigInt!, $runId: BigInt) { job(id: $jobId, runId: $runId) { "
    + " ".join(f"{kind} {{ {_NODE_FIELDS} }}" for kind in _DISCOVERY_KINDS)
    + " } }"
)


def _in_completion_order(results: list[NodeResult]) -> list[NodeResult]:
    """Parents finish before children, so this order never starts a child first."""
    never = datetime.max.replace(tzinfo=UTC)
    return sorted(results, key=lambda result: result.completed_at or never)


def _as_node_statuses(sources_json: dict[str, Any]) -> dict[str, Any]:
    """sources.json read as run results: a freshness ``error`` is a threshold the source
    failed (floe ``fail``, as on every runtime), not a node that broke (``runtime error``)."""
    results = [
        {**entry, "status": "fail"} if entry.get("status") == "error" else entry
        for entry in sources_json.get("results") or ()
    ]
    return {**sources_json, "results": results}


class RunProgress:
    """Follows one run: emits ``RunPlanned`` and node events, keeps the node results."""

    def __init__(
        self,
        *,
        client: DbtCloudClient,
        translator: CloudEventTranslator,
        events: EventBus,
        invocation_id: str,
        artifacts_dir: Path,
        use_discovery: bool,
        own_artifact: str | None = None,
        selects_all: bool = True,
    ) -> None:
        """``own_artifact``: the command's own result file (``sources.json`` of ``source
        freshness``, ``catalog.json`` of ``docs generate``), fetched too and kept;
        ``selects_all``: the command selected no subset (which sources freshness checks)."""
        self._client = client
        self._translator = translator
        self._events = events
        self._invocation_id = invocation_id
        self._artifacts_dir = artifacts_dir
        self._use_discovery = use_discovery
        self._own_artifact = own_artifact
        self._selects_all = selects_all
        self._planned = False
        self._announced: set[str] = set()
        self._done_steps: set[int] = set()
        self._discovered: dict[str, NodeResult] = {}
        self._final: dict[str, NodeResult] = {}
        self.manifest_path: Path | None = None
        self.run_results_path: Path | None = None
        self.dbt_version: str | None = None

    def on_poll(self, run: CloudRun) -> None:
        if self._use_discovery and run.job_definition_id is not None:
            self._poll_discovery(run)
        self._collect_steps(run, last_chance=False)

    def finish(self, run: CloudRun) -> list[NodeResult]:
        """Every node observed, artifact results taking precedence over Discovery's.

        Steps whose artifacts could not be fetched yet get a last try (errors propagate);
        the plan is announced if no node ever ran (a run that failed before dbt did).
        """
        self._collect_steps(run, last_chance=True)
        self._ensure_planned(())
        merged = {**self._discovered, **self._final}
        return list(merged.values())

    # -- sources --------------------------------------------------------------------------
    def _collect_steps(self, run: CloudRun, *, last_chance: bool) -> None:
        for step in run.command_steps():
            if not step.status.is_terminal or step.index in self._done_steps:
                continue
            try:
                self._read_step_artifacts(run, step)
            except DbtCloudTransientError as exc:
                if last_chance:
                    raise
                _log.warning("step artifacts unavailable; retrying next poll", error=exc.message)
                continue
            self._done_steps.add(step.index)

    def _poll_discovery(self, run: CloudRun) -> None:
        try:
            data = self._client.graphql(
                DISCOVERY_RUN_QUERY, {"jobId": run.job_definition_id, "runId": run.id}
            )
        except FloeError as exc:
            # Progress is a courtesy: artifacts still give the full result at step end.
            _log.warning("Discovery API unavailable; progress comes from artifacts", error=str(exc))
            self._use_discovery = False
            return
        job = data.get("job") or {}
        fresh = [
            result
            for kind, resource_type in _DISCOVERY_KINDS.items()
            for node in job.get(kind) or ()
            if (result := self._translator.get_discovery_node_result(node, resource_type))
            is not None
            and result.unique_id not in self._announced
        ]
        for result in _in_completion_order(fresh):
            self._discovered[result.unique_id] = result
            self._announce(result, total=None)

    def _read_step_artifacts(self, run: CloudRun, step: CloudRunStep) -> None:
        run_results = self._download(run.id, "run_results.json", step.index)
        manifest = self._download(run.id, "manifest.json", step.index)
        if manifest is not None:
            self.manifest_path = self._artifacts_dir / "manifest.json"
        own = self._download(run.id, self._own_artifact, step.index) if self._own_artifact else None
        if run_results is not None:
            self.run_results_path = self._artifacts_dir / "run_results.json"
        elif self._own_artifact == "sources.json" and own is not None:
            # freshness results per source, in run_results' shape, with the broken ones
            own = with_runtime_errors(
                own, manifest or {}, step.logs or "", selects_all=self._selects_all
            )
            (self._artifacts_dir / "sources.json").write_text(json.dumps(own, indent=2))
            run_results = _as_node_statuses(own)
        if run_results is None:
            return
        self.dbt_version = (run_results.get("metadata") or {}).get("dbt_version")
        nodes = self._translator.get_node_results(run_results, manifest)
        self._ensure_planned(tuple(node.unique_id for node in nodes))
        for node in nodes:
            self._final[node.unique_id] = node
        for node in _in_completion_order(nodes):
            if node.unique_id not in self._announced:
                self._announce(node, total=len(nodes))

    def _download(self, run_id: int, name: str, step: int) -> dict[str, Any] | None:
        """Artifact ``name`` of ``step``, saved as is into the artifacts dir, then parsed."""
        try:
            raw = self._client.get_artifact(run_id, name, step=step)
        except DbtCloudAccessError as exc:
            if exc.status_code == 404:  # the step wrote no such artifact (e.g. parse error)
                return None
            raise
        self._artifacts_dir.mkdir(parents=True, exist_ok=True)
        (self._artifacts_dir / name).write_bytes(raw)
        try:
            loaded = json.loads(raw)
        except ValueError as exc:
            raise DbtCloudAPIError(
                f"{name} of dbt Cloud run {run_id} (step {step}) is not valid JSON: {exc}"
            ) from exc
        return loaded if isinstance(loaded, dict) else None

    # -- events ---------------------------------------------------------------------------
    def _ensure_planned(self, node_ids: tuple[str, ...]) -> None:
        if self._planned:
            return
        self._planned = True
        self._events.emit(
            RunPlanned(
                invocation_id=self._invocation_id,
                manifest_path=self.manifest_path,
                node_ids=node_ids,
                # Discovery reports nodes before the step's artifacts bring the manifest.
                manifest_pending=self.manifest_path is None,
            )
        )

    def _announce(self, result: NodeResult, *, total: int | None) -> None:
        self._ensure_planned(())
        self._announced.add(result.unique_id)
        events = self._translator.get_node_events(
            self._invocation_id, result, index=len(self._announced), total=total
        )
        for event in events:
            self._events.emit(event)
