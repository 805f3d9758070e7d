"""What the workbench's JSON API answers: one pydantic model per response (OpenAPI from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from floe_core._results import NodeResult

__all__ = [
    "ApiError",
    "LineageEdge",
    "LineageGraph",
    "LineageNode",
    "ModelColumn",
    "ModelDetail",
    "ModelList",
    "ModelSummary",
    "ModelTest",
    "RunDetail",
    "RunList",
    "RunNode",
    "RunSummary",
]

RunState = Literal["running", "success", "failed", "error", "cancelled", "timed_out", "detached"]
NodeState = Literal["running", "success", "error", "fail", "warn", "skipped"]


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ApiError(_Response):
    error: str


class RunSummary(_Response):
    """One run, finished (from its index object) or still running (from its event log)."""

    invocation_id: str
    project: str
    command: str
    runtime: str
    status: RunState
    started_at: datetime
    completed_at: datetime | None = None
    elapsed_seconds: float | None = None
    nodes: int
    failures: int
    skipped: int = 0


class RunList(_Response):
    project: str
    store: str
    runs: list[RunSummary]
    """Newest first."""


class RunNode(_Response):
    """A node of a run: its result (or that it is running) and its place on the timeline."""

    result: NodeResult | None = None
    unique_id: str
    name: str
    resource_type: str
    status: NodeState
    started_at: datetime | None = None
    completed_at: datetime | None = None
    depends_on: list[str]
    """Nodes of this run it waited for (from the run's manifest.json)."""
    critical: bool
    """On the chain of dependent nodes that decided the run's duration."""


class RunDetail(_Response):
    run: RunSummary
    error: str | None = None
    nodes: list[RunNode]
    """In start order; nodes that never started (skipped) last."""
    critical_path: list[str]
    files: list[str]


class ModelColumn(_Response):
    name: str
    description: str = ""
    data_type: str | None = None


class ModelTest(_Response):
    unique_id: str
    name: str
    status: str | None = None
    """Its outcome in the newest run that ran it, if any."""


class ModelSummary(_Response):
    unique_id: str
    name: str
    resource_type: str
    description: str = ""
    materialization: str | None = None
    path: str | None = None
    tags: list[str]
    last_status: str | None = None
    last_run: str | None = None
    """Invocation id of the newest run that ran this node."""


class ModelList(_Response):
    manifest_run: str | None = None
    """The run whose manifest.json this list comes from (the newest one that kept one)."""
    models: list[ModelSummary]


class ModelDetail(_Response):
    model: ModelSummary
    relation_name: str | None = None
    columns: list[ModelColumn]
    tests: list[ModelTest]
    upstream: list[str]
    downstream: list[str]
    raw_code: str | None = None
    compiled_code: str | None = None


class LineageNode(_Response):
    unique_id: str
    name: str
    resource_type: str
    depth: int
    """Signed hops from the focus node: negative upstream, positive downstream."""
    status: str | None = None


class LineageEdge(_Response):
    source: str
    target: str


class LineageGraph(_Response):
    focus: str | None = None
    depth: int
    nodes: list[LineageNode]
    edges: list[LineageEdge]
