"""What crosses Temporal: workflow and activity inputs and outputs, all small and secret-free.

Everything here ends up in workflow history. Sizes stay bounded whatever the project size:
manifests, plans and full node results travel as :class:`~floe_core.stores.StoredArtifact`
(key, location and content hash in the object store), never inline. Secrets are never values
here: profiles keep dbt ``env_var()`` templates and ``secret_env`` lists *names* workers
resolve locally.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from temporalio.common import RetryPolicy

from floe_core import CommandArgs, DBTCommand, NodeResult, ProfileSource, RunStatus
from floe_core.stores import StoredArtifact

__all__ = [
    "ActivityTimeouts",
    "CompletedPage",
    "CompletedRequest",
    "GitProject",
    "HookOnError",
    "HookRequest",
    "HookRetries",
    "HookSpec",
    "Hooks",
    "LocalProject",
    "NodeBatch",
    "NodeOutcome",
    "NodeTask",
    "ObjectProject",
    "PlanPage",
    "PlanPageRequest",
    "PlanRequest",
    "PlanSummary",
    "PreRunDecision",
    "ProgressEvent",
    "ProgressPage",
    "ProgressRead",
    "ProjectSource",
    "RetrySettings",
    "RunContext",
    "RunInput",
    "RunOutput",
    "StateFiles",
    "StoreRequest",
    "StoredRun",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalProject(_Frozen):
    """A dbt project in a folder every worker can read (same path on each machine)."""

    kind: Literal["path"] = "path"
    path: Path


class GitProject(_Frozen):
    """A dbt project in a git repository; workers check out the commit the plan resolved."""

    kind: Literal["git"] = "git"
    url: str
    ref: str = "HEAD"
    subdir: str = ""


class ObjectProject(_Frozen):
    """A dbt project under an object-storage prefix (``s3://``, ``gs://``, ``az://``). The
    plan pins the version (a hash of the prefix's keys and ETags); each worker downloads a
    version once into its cache. ``options``: the store's settings, credentials as
    ``${env:NAME}`` references resolved on the worker."""

    kind: Literal["object"] = "object"
    url: str
    options: dict[str, str | bool | int] = Field(default_factory=dict)


ProjectSource = Annotated[LocalProject | GitProject | ObjectProject, Field(discriminator="kind")]


class RetrySettings(_Frozen):
    """Retry policy of node activities for transient (warehouse/connection) errors."""

    maximum_attempts: int = Field(default=3, ge=1)
    initial_interval_seconds: float = Field(default=5.0, gt=0)
    backoff_coefficient: float = Field(default=2.0, ge=1)
    maximum_interval_seconds: float = Field(default=60.0, gt=0)

    def policy(self, *, non_retryable_types: tuple[str, ...] = ()) -> RetryPolicy:
        return RetryPolicy(
            initial_interval=timedelta(seconds=self.initial_interval_seconds),
            backoff_coefficient=self.backoff_coefficient,
            maximum_interval=timedelta(seconds=self.maximum_interval_seconds),
            maximum_attempts=self.maximum_attempts,
            non_retryable_error_types=list(non_retryable_types) or None,
        )


class HookOnError(StrEnum):
    FAIL = "fail"
    """The run fails (a pre-run hook failing stops the run before any node)."""
    WARN = "warn"
    """Logged in the run output; the run goes on."""
    IGNORE = "ignore"


class HookSpec(_Frozen):
    """A child workflow run around the dbt run (pre_run, on_success, on_failure)."""

    workflow: str
    task_queue: str | None = None
    """Default: the run's own task queue."""
    timeout_seconds: float = Field(default=300.0, gt=0)
    on_error: HookOnError = HookOnError.FAIL
    fire_and_forget: bool = False
    """Start the hook and go on without waiting (it outlives the run; a failure to start it
    is logged, never fails the run; a pre_run hook's answer is then ignored)."""
    args: dict[str, Any] = Field(default_factory=dict)


def _listed(value: object) -> object:
    """One hook or a list of them: always a list (a single hook is the former form)."""
    return [value] if isinstance(value, dict | HookSpec) else value


Hooks = Annotated[tuple[HookSpec, ...], BeforeValidator(_listed)]
"""The hooks of one event, run in order (``pre_run: {workflow: x}`` or a list)."""


def _attempts(n: int, initial: float = 1.0) -> RetrySettings:
    return RetrySettings(
        maximum_attempts=n, initial_interval_seconds=initial, maximum_interval_seconds=60.0
    )


class HookRetries(_Frozen):
    """Retry policy of each hook phase: the child workflows (``pre_run``, ``on_success``,
    ``on_failure``: one attempt by default) and dbt's ``on-run-start``/``on-run-end``
    activities (3 attempts)."""

    pre_run: RetrySettings = Field(default_factory=lambda: _attempts(1))
    on_run_start: RetrySettings = Field(default_factory=lambda: _attempts(3))
    on_run_end: RetrySettings = Field(default_factory=lambda: _attempts(3))
    on_success: RetrySettings = Field(default_factory=lambda: _attempts(1))
    on_failure: RetrySettings = Field(default_factory=lambda: _attempts(1))


class ActivityTimeouts(_Frozen):
    """Start-to-close timeout of each kind of activity, in seconds."""

    plan_seconds: float = Field(default=600.0, gt=0)
    """Parse and select (a cold parse of a large project takes minutes)."""
    node_seconds: float = Field(default=3600.0, gt=0)
    """One node's attempt (the warehouse statement included)."""
    hook_seconds: float = Field(default=600.0, gt=0)
    """dbt's ``on-run-start`` / ``on-run-end`` hooks (child workflow hooks: their own
    ``timeout_seconds``)."""
    store_seconds: float = Field(default=600.0, gt=0)
    """Object store work: plan pages, recording a node, writing the run's files."""


class PreRunDecision(_Frozen):
    """What a pre_run hook workflow returns: skip the run, or add non-secret env vars."""

    skip: bool = False
    reason: str | None = None
    env: dict[str, str] = Field(default_factory=dict)


class StateFiles(_Frozen):
    """``--state`` on the workers: the state's files (manifest.json, run_results.json,
    sources.json) as the client put them in the run's artifact store, never a local path."""

    ref: str
    """What the user named (``latest:prod``, a run id, a folder), for messages."""
    files: dict[str, StoredArtifact]
    defer: bool = False
    favor_state: bool = False
    """``--favor-state``: node activities defer to the state without the run's own nodes
    (see :func:`floe_dbt_temporal._state.favored_state`)."""


class RunContext(_Frozen):
    """What a worker needs to find (or build) the warm executor of a run."""

    run_id: str
    project: str | None = None
    """Name in the worker's project registry; or give ``source``."""
    source: ProjectSource | None = None
    project_version: str = ""
    command: DBTCommand
    profile: ProfileSource | None = None
    """None: the profile the worker's registry gives ``project``."""
    target: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    full_refresh: bool = False
    env: dict[str, str] = Field(default_factory=dict)
    """Non-secret environment variables for dbt (``env_var()``); secrets: ``secret_env``."""
    env_from_worker: dict[str, str] = Field(default_factory=dict)
    """dbt variable -> the name of the worker's environment variable holding its value
    (secrets travel by name: the worker resolves them)."""
    secret_env: tuple[str, ...] = ()
    """Names of environment variables every worker must have (values stay on the workers)."""
    trace_context: dict[str, str] = Field(default_factory=dict)
    state: StateFiles | None = None
    """``--state``/``--defer``: what ``state:``/``result:``/``source_status:`` compare with."""

    @property
    def favors_state(self) -> bool:
        """``--defer --favor-state``: the node executors defer to the state without the
        run's own nodes, so they need the run's stored plan (and differ from the plan's)."""
        return self.state is not None and self.state.defer and self.state.favor_state


class RunInput(_Frozen):
    """Input of the ``floe_dbt_run`` workflow."""

    context: RunContext
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selector: str | None = None
    command_args: CommandArgs = Field(default_factory=CommandArgs)
    """The command's own options (``ls --output``...)."""
    only: tuple[str, ...] | None = None
    """``retry``: run exactly these nodes (what did not succeed in the retried run)."""
    fail_fast: bool = False
    max_concurrency: int = Field(default=32, ge=1, le=1500)
    node_batch_size: int = Field(default=1, ge=1, le=100)
    """At most this many ready nodes per activity; 1 (runs started before batching) keeps
    one activity per node."""
    warm_activities: int = Field(default=0, ge=0, le=8)
    """``floe_warm`` activities started beside the plan (ADR 0030): idle workers open the
    run's executor while one parses for the plan; 0 (runs started before warming) starts
    none."""
    retry: RetrySettings = Field(default_factory=RetrySettings)
    non_retryable_errors: tuple[str, ...] = ()
    timeouts: ActivityTimeouts = Field(default_factory=ActivityTimeouts)
    heartbeat_timeout_seconds: float = Field(default=30.0, gt=0)
    pre_run: Hooks = ()
    on_success: Hooks = ()
    on_failure: Hooks = ()
    hook_retry: HookRetries = Field(default_factory=HookRetries)
    search_attributes: bool = True
    selector_attribute: str = ""
    """The invocation's selection as the ``DbtSelector`` search attribute shows it."""
    resume: PlanSummary | None = None
    """Set by continue-as-new: the plan of the run so far (results are in the store)."""
    started_at: datetime | None = None
    events_offset: int = 0
    """Progress events emitted by the runs before a continue-as-new (query cursors are
    global across the chain)."""
    follower_wait_seconds: float = Field(default=0.0, ge=0)
    """Set by continue-as-new when a client follows the chain (see :class:`ProgressRead`)."""


class PlanRequest(_Frozen):
    context: RunContext
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selector: str | None = None
    command_args: CommandArgs = Field(default_factory=CommandArgs)
    only: tuple[str, ...] | None = None


class PlanSummary(_Frozen):
    """The plan activity's answer: the plan and manifest stay in the store."""

    project_name: str
    project_version: str
    plan: StoredArtifact
    manifest: StoredArtifact
    node_count: int
    page_size: int
    dbt_version: str
    listing: str | None = None
    """``ls``: what dbt ls prints (the plan is then empty: ls executes nothing)."""


class PlanPage(_Frozen):
    """A slice of the plan: node ids and, for each, the indices of its parents in the plan."""

    unique_ids: tuple[str, ...]
    parents: tuple[tuple[int, ...], ...]


class NodeTask(_Frozen):
    context: RunContext
    unique_id: str
    non_retryable_errors: tuple[str, ...] = ()
    """Regexes: a failure whose message matches one is not retried."""
    plan: StoredArtifact | None = None
    """``--favor-state``: the run's stored plan (its node ids leave the deferred state)."""


class NodeBatch(_Frozen):
    """Several ready nodes for one activity, executed one after the other (ADR 0030)."""

    context: RunContext
    unique_ids: tuple[str, ...]
    non_retryable_errors: tuple[str, ...] = ()
    plan: StoredArtifact | None = None


class NodeOutcome(_Frozen):
    """A node result the workflow decided (its activity failed without producing one)."""

    run_id: str
    result: NodeResult


class StoreRequest(_Frozen):
    context: RunContext
    plan: PlanSummary
    status: RunStatus
    started_at: datetime
    elapsed_seconds: float


class ProgressPage(_Frozen):
    """Answer of the ``progress`` query: node events from a cursor on."""

    events: tuple[ProgressEvent, ...]
    next_cursor: int
    plan: PlanSummary | None = None
    finished: bool = False
    continued: bool = False
    """This run continued as new: the next events come from the next run of the chain."""


class ProgressRead(_Frozen):
    """The ``progress_read`` signal: a client follows the run and has read its events up to
    ``cursor``. A closing run (it completes or continues as new) waits up to
    ``wait_seconds`` for its follower to have read its last events, so the client never
    queries a closed run: Temporal answers that by replaying the run's whole history on a
    worker (ADR 0027)."""

    cursor: int = Field(ge=0)
    wait_seconds: float = Field(gt=0)


class PlanPageRequest(_Frozen):
    plan: StoredArtifact
    start: int
    count: int


class HookRequest(_Frozen):
    context: RunContext
    plan: PlanSummary
    hook_type: str


class CompletedRequest(_Frozen):
    context: RunContext
    start: int


class CompletedPage(_Frozen):
    statuses: dict[str, str]
    """unique_id -> NodeStatus value of nodes already executed in the run."""
    more: bool


class StoredRun(_Frozen):
    results: StoredArtifact
    run_results: StoredArtifact
    log: StoredArtifact
    counts: dict[str, int]
    sources: StoredArtifact | None = None
    """``source freshness``: dbt's sources.json."""


class ProgressEvent(_Frozen):
    """A node event as the workflow saw it: scheduled (``started``), finished or skipped."""

    kind: Literal["started", "finished", "skipped"]
    unique_id: str
    at: datetime
    result: NodeResult | None = None


class RunOutput(_Frozen):
    """Result of the ``floe_dbt_run`` workflow; full node results are in ``results``."""

    status: RunStatus
    error: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    plan: PlanSummary | None = None
    results: StoredArtifact | None = None
    """floe's NodeResult list (JSON), compiled code included."""
    run_results: StoredArtifact | None = None
    log: StoredArtifact | None = None
    sources: StoredArtifact | None = None
    hook_messages: tuple[str, ...] = ()
    skipped_reason: str | None = None
    output: str | None = None
    """What the command prints for its user (``ls``'s lines)."""
    started_at: datetime
    completed_at: datetime
