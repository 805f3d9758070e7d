"""What the workbench's JSON API answers: one pydantic model per response (OpenAPI from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from floe_core._results import NodeResult

__all__ = [
    "ApiError",
    "ColumnEdge",
    "ColumnRef",
    "ColumnTrace",
    "LineageEdge",
    "LineageGraph",
    "LineageNode",
    "ModelColumn",
    "ModelDetail",
    "ModelList",
    "ModelRun",
    "ModelSummary",
    "ModelTest",
    "RunComparison",
    "RunDetail",
    "RunInvocation",
    "RunList",
    "RunNode",
    "RunSummary",
    "SourceFreshness",
    "StateUsed",
    "TestOutcome",
]

RunState = Literal["running", "success", "failed", "error", "cancelled", "timed_out", "detached"]
NodeState = Literal[
    "running", "pending", "success", "error", "fail", "warn", "skipped", "cancelled", "not_run"
]
"""A node's outcome as the page shows it: ``pending`` is planned and waiting in a running
run, ``not_run`` was planned but never started, ``cancelled`` was running when the run was
cancelled or broke."""


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
    duration_seconds: float | None = None
    previous_seconds: float | None = None
    """Its duration in the previous run of the same selection, if it ran there."""
    new_failure: bool = False
    """Failed here but not in the previous run of the same selection."""
    log: list[str] = []
    """The lines of the run's dbt.log about this node (failed and warned nodes only)."""


class StateUsed(_Response):
    """The state a run compared against (``--state``), and what it did with it."""

    ref: str
    """As given: a folder, a run id, ``latest`` or ``latest:TARGET``."""
    run_id: str | None = None
    """The stored run it resolved to (``None``: a folder)."""
    defer: bool = False
    favor_state: bool = False
    selected: list[str] = []
    """The nodes the state selection executed (e.g. ``state:modified+``)."""
    deferred: list[str] = []
    """With ``--defer``: unbuilt parents read from the state's relations."""


class RunInvocation(_Response):
    """What was asked (invocation.json) and what ran it (result.json), when kept."""

    select: list[str] = []
    exclude: list[str] = []
    selector: str | None = None
    vars: dict[str, Any] = {}
    target: str | None = None
    threads: int | None = None
    full_refresh: bool = False
    fail_fast: bool = False
    project_dir: str | None = None
    dbt_version: str | None = None
    floe_version: str | None = None
    runtime_metadata: dict[str, Any] = {}
    """What the runtime said about where it ran (e.g. Temporal workflow id, task queue)."""
    state: StateUsed | None = None
    retry_of: str | None = None
    """The run this one retried (``floe retry`` / ``--retry-failed``)."""


class RunComparison(_Response):
    """This run against the previous run of the same command and selection."""

    invocation_id: str
    started_at: datetime
    status: RunState
    elapsed_seconds: float | None = None
    new_failures: list[str]
    fixed: list[str]
    """Failed in the previous run, succeeded in this one."""


class RunDetail(_Response):
    run: RunSummary
    error: str | None = None
    nodes: list[RunNode]
    """In start order; nodes that never started (skipped) last."""
    critical_path: list[str]
    files: list[str]
    invocation: RunInvocation | None = None
    previous: RunComparison | None = None


class ColumnRef(_Response):
    """One column of one node."""

    unique_id: str
    column: str


class ModelColumn(_Response):
    name: str
    description: str = ""
    data_type: str | None = None
    upstream: list[ColumnRef] = []
    """The upstream columns it comes from (column-level lineage of the compiled SQL)."""


class ColumnEdge(_Response):
    source: ColumnRef
    target: ColumnRef
    """Computed from ``source`` (by the target node's compiled SQL)."""


class ColumnTrace(_Response):
    """Where one column comes from and what is computed from it, across models."""

    focus: ColumnRef
    columns: list[ColumnRef]
    """Every traced column, the focus included."""
    edges: list[ColumnEdge]
    note: str | None = None
    """Why the trace may be incomplete (e.g. a model with no compiled SQL yet)."""


class TestOutcome(_Response):
    invocation_id: str
    started_at: datetime
    status: str
    message: str | None = None


class ModelTest(_Response):
    unique_id: str
    name: str
    status: str | None = None
    """Its outcome in the newest run that ran it, if any."""
    history: list[TestOutcome] = []
    """Its outcomes in the recent runs that ran it, newest first."""


class ModelRun(_Response):
    """One recent run of a node, for its duration trend."""

    invocation_id: str
    started_at: datetime
    status: str
    duration_seconds: float | None = None


class SourceFreshness(_Response):
    """The newest ``floe source freshness`` outcome of a source (dbt's sources.json)."""

    invocation_id: str
    status: str
    max_loaded_at: str | None = None
    snapshotted_at: str | None = None
    age_seconds: float | None = None
    criteria: dict[str, Any] = {}
    error: str | None = None


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
    column_lineage_note: str | None = None
    """Why its columns have no upstream columns, when they have none."""
    catalog_run: str | None = None
    """The run whose catalog.json gave the columns' types (``floe docs generate``), if any."""
    freshness: SourceFreshness | None = None
    runs: list[ModelRun] = []
    """Its recent runs, oldest first (the duration trend)."""


class LineageNode(_Response):
    unique_id: str
    name: str
    resource_type: str
    depth: int
    """Signed hops from the focus node: negative upstream, positive downstream."""
    status: str | None = None
    materialization: str | None = None
    tags: list[str] = []


class LineageEdge(_Response):
    source: str
    target: str


class LineageGraph(_Response):
    focus: str | None = None
    depth: int
    select: str | None = None
    """The dbt selection the nodes come from (evaluated by floe's plan), if any."""
    nodes: list[LineageNode]
    edges: list[LineageEdge]
