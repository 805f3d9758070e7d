"""What a runtime returns: per-node results and the result of one invocation."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from floe_core._invocation import DBTCommand

__all__ = [
    "AdapterResponse",
    "DBTRunResult",
    "NodeResult",
    "NodeStatus",
    "NodeTiming",
    "RunStatus",
]


class NodeStatus(StrEnum):
    """Runtime-neutral node outcome. dbt's ``pass`` (tests) maps to ``success``."""

    SUCCESS = "success"
    ERROR = "error"
    FAIL = "fail"
    WARN = "warn"
    SKIPPED = "skipped"

    @property
    def is_failure(self) -> bool:
        return self in (NodeStatus.ERROR, NodeStatus.FAIL)


class RunStatus(StrEnum):
    """Outcome of a whole invocation."""

    SUCCESS = "success"
    """Every node succeeded (warnings allowed)."""
    FAILED = "failed"
    """At least one node errored or failed; the others ran as far as the DAG allowed."""
    ERROR = "error"
    """The run itself broke (e.g. the project does not compile); few or no nodes ran."""
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


class AdapterResponse(BaseModel):
    """What the warehouse said about a node's statement."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message: str | None = None
    code: str | None = None
    rows_affected: int | None = None
    query_id: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class NodeTiming(BaseModel):
    """One phase of a node's execution (dbt's ``compile`` and ``execute``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    started_at: datetime | None = None
    completed_at: datetime | None = None


class NodeResult(BaseModel):
    """The outcome of one dbt node."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unique_id: str
    name: str
    resource_type: str
    status: NodeStatus
    started_at: datetime | None = None
    completed_at: datetime | None = None
    execution_time: float = 0.0
    message: str | None = None
    adapter_response: AdapterResponse = Field(default_factory=AdapterResponse)
    failures: int | None = None
    relation_name: str | None = None
    materialization: str | None = None
    compiled_code: str | None = None
    thread_id: str | None = None
    timing: tuple[NodeTiming, ...] = ()


class DBTRunResult(BaseModel):
    """The result of one invocation, the same whatever runtime produced it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    invocation_id: str
    command: DBTCommand
    runtime: str
    status: RunStatus
    started_at: datetime
    completed_at: datetime
    elapsed_seconds: float
    nodes: tuple[NodeResult, ...] = ()
    manifest_path: Path | None = None
    run_results_path: Path | None = None
    log_path: Path | None = None
    error: str | None = None
    """Run-level error message (status ``error``/``cancelled``/``timed_out``)."""
    dbt_version: str | None = None
    stored_at: str | None = None
    """Where the results store keeps this run (a folder or an object-store URI), when the
    caller knows it (the CLI's ``--json`` does): unlike ``target/``, the next run keeps it."""
    output: str | None = None
    """What the command prints for its user: ``ls`` lines, compiled SQL, ``show`` rows (a
    JSON document), ``debug`` and ``run-operation`` messages."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Runtime-specific extras (e.g. the dbt Cloud run id or the Temporal workflow id)."""

    @property
    def success(self) -> bool:
        return self.status is RunStatus.SUCCESS

    def counts(self) -> dict[NodeStatus, int]:
        """Number of nodes per status, every status present (zero where none)."""
        tally = Counter(node.status for node in self.nodes)
        return {status: tally.get(status, 0) for status in NodeStatus}

    def node(self, unique_id: str) -> NodeResult:
        for result in self.nodes:
            if result.unique_id == unique_id:
                return result
        raise KeyError(unique_id)

    @staticmethod
    def status_from_nodes(nodes: tuple[NodeResult, ...] | list[NodeResult]) -> RunStatus:
        """``failed`` if any node errored or failed, else ``success``."""
        if any(node.status.is_failure for node in nodes):
            return RunStatus.FAILED
        return RunStatus.SUCCESS
