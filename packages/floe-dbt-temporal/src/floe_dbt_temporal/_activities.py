"""The activities of ``floe_dbt_run``: plan, project hooks, one node, store artifacts.

They run on workers, synchronously in the worker's thread pool, on top of one shared
:class:`~floe_dbt_inprocess.executor.ExecutorPool` (one warm executor per project version).
Errors leave as ``ApplicationError`` whose ``type`` is the floe error class name; only
warehouse/connection errors are retryable.
"""

from __future__ import annotations

import contextvars
import fnmatch
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from floe_core import (
    ConfigError,
    DBTCommand,
    ExecutionPlan,
    FloeError,
    NodeResult,
    NodeStatus,
    RunCancelledError,
    SecretError,
    WarehouseError,
)
from floe_core.profiles import materialize_profile
from floe_core.stores import ArtifactStore, StoredArtifact
from floe_dbt_inprocess.executor import ExecutorPool, ExecutorSpec, WarmExecutor
from floe_dbt_temporal._artifacts import RunArtifacts, freshness_key, node_result_key
from floe_dbt_temporal._models import (
    CompletedPage,
    CompletedRequest,
    HookRequest,
    NodeOutcome,
    NodeTask,
    PlanPage,
    PlanPageRequest,
    PlanRequest,
    PlanSummary,
    RunContext,
    StoredRun,
    StoreRequest,
)
from floe_dbt_temporal._object_store import read_artifact
from floe_dbt_temporal._projects import ProjectRegistry
from floe_dbt_temporal._state import favored_state, fetch_state

__all__ = ["PLAN_PAGE_SIZE", "RunActivities"]

PLAN_PAGE_SIZE = 2000
"""Nodes per plan page: ~100-200 KiB per page payload, far below Temporal's 2 MiB."""

T = TypeVar("T")
_log = structlog.get_logger("floe.temporal.worker")


def _application_error(exc: FloeError) -> ApplicationError:
    return ApplicationError(
        str(exc), type=type(exc).__name__, non_retryable=not isinstance(exc, WarehouseError)
    )


def _restricted(plan: ExecutionPlan, only: frozenset[str]) -> ExecutionPlan:
    """The plan's nodes in ``only`` (retry), waiting only for each other."""
    nodes = tuple(
        node.model_copy(update={"depends_on": tuple(p for p in node.depends_on if p in only)})
        for node in plan.nodes
        if node.unique_id in only
    )
    return plan.model_copy(update={"nodes": nodes})


@contextmanager
def _heartbeating(interval: float, on_cancel: Callable[[], None]) -> Iterator[None]:
    """Heartbeat from a side thread while the node runs (dbt blocks the activity thread);
    once Temporal cancels the activity (workflow cancelled, timed out), ``on_cancel`` stops
    the warehouse statement, as dbt does on Ctrl-C."""
    stop = threading.Event()
    context = contextvars.copy_context()

    def beat() -> None:
        while not stop.wait(interval):
            activity.heartbeat()
            if activity.is_cancelled():
                try:
                    on_cancel()
                except Exception as exc:  # an adapter that cannot cancel: the node runs on
                    _log.warning("could not cancel the node's warehouse query", error=str(exc))
                return

    thread = threading.Thread(target=context.run, args=(beat,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _attempt_abandoned() -> bool:
    """Whether Temporal gave this attempt up (timed out, or no longer known to the server).

    Its outcome then arrives after the workflow moved on: a later attempt, or the workflow's
    own "failed on every attempt" record, already owns the node's stored result, which a late
    write from this attempt would overwrite.
    """
    details = activity.cancellation_details()
    return details is not None and (details.timed_out or details.not_found)


class RunActivities:
    """Activity implementations bound to one worker's registry, executors and store."""

    def __init__(
        self,
        *,
        registry: ProjectRegistry,
        pool: ExecutorPool,
        store: ArtifactStore,
        work_dir: Path,
        allowed_env: tuple[str, ...] = (),
    ) -> None:
        self.registry = registry
        self.pool = pool
        self.store = store
        self.work_dir = Path(work_dir)
        self.allowed_env = allowed_env
        self._verified: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    # -- helpers -------------------------------------------------------------------------
    def _run_env(self, context: RunContext) -> dict[str, str]:
        """The run's own environment for dbt: its ``env`` and its ``env_from_worker``
        resolved here, every name within this worker's ``allowed_env``."""
        names = [*context.env, *context.env_from_worker, *context.env_from_worker.values()]
        refused = sorted(
            {n for n in names if not any(fnmatch.fnmatchcase(n, p) for p in self.allowed_env)}
        )
        if refused:
            raise ConfigError(
                f"this worker does not let runs set environment variable(s)"
                f" {', '.join(refused)} (allowed: {', '.join(self.allowed_env) or 'none'})",
                hint="start the worker with `--allow-env NAME` (shell patterns allowed) for"
                " each, or drop them from the runtime config's env / env_from_worker",
            )
        missing = [
            name
            for name in (*context.secret_env, *context.env_from_worker.values())
            if name not in os.environ
        ]
        if missing:
            raise SecretError(
                f"environment variable(s) {', '.join(missing)} not set on this worker",
                hint="export them in the worker's environment; runs only carry their names",
            )
        resolved = {name: os.environ[source] for name, source in context.env_from_worker.items()}
        return {**context.env, **resolved}

    def _state(self, context: RunContext, plan: StoredArtifact | None) -> Path | None:
        """The run's ``--state`` folder on this worker; given the run's ``plan`` (node
        activities of a ``--favor-state`` run), the state without the plan's nodes."""
        state = context.state
        if state is None:
            return None
        folder = self.work_dir / "state" / context.run_id
        if plan is not None and state.defer and state.favor_state:
            return favored_state(state, self.store, plan, folder / "favor")
        return fetch_state(state, self.store, folder)

    def _spec(
        self, context: RunContext, version: str, plan: StoredArtifact | None = None
    ) -> ExecutorSpec:
        env = self._run_env(context)
        entry = self.registry.entry(context)
        with self._lock:
            known = (entry.source.model_dump_json(), version) in self._verified
        project_dir = (
            Path(entry.source.path)
            if known and entry.source.kind == "path"
            else self.registry.checkout(entry.source, version)
        )
        with self._lock:
            self._verified.add((entry.source.model_dump_json(), version))
        profile = materialize_profile(
            self.registry.profile(context), cache_dir=self.work_dir / "profiles"
        )
        state = context.state
        defer = state is not None and state.defer
        favored = defer and plan is not None and state is not None and state.favor_state
        return ExecutorSpec(
            # ls executes nothing: its selection is parsed like build's (every resource type)
            command=DBTCommand.BUILD if context.command is DBTCommand.LIST else context.command,
            project_dir=project_dir,
            profiles_dir=profile.profiles_dir,
            profile_name=profile.profile_name,
            target=context.target or profile.target,
            vars=context.vars,
            full_refresh=context.full_refresh,
            env=env,
            project_version=version,
            state=self._state(context, plan),
            defer=defer,
            # the run's own nodes are out of that state: every other parent is favoured
            favor_state=favored,
        )

    def _with_executor(
        self,
        context: RunContext,
        version: str,
        use: Callable[[WarmExecutor], T],
        plan: StoredArtifact | None = None,
    ) -> T:
        try:
            with self.pool.lease(self._spec(context, version, plan)) as executor:
                return use(executor)
        except FloeError as exc:
            raise _application_error(exc) from exc

    # -- activities ----------------------------------------------------------------------
    @activity.defn(name="floe_plan")
    def plan(self, request: PlanRequest) -> PlanSummary:
        """Parse (warm), select, and store the manifest and the plan; return references."""
        context = request.context
        try:
            version = self.registry.planned_version(context)
        except FloeError as exc:
            raise _application_error(exc) from exc

        def build(executor: WarmExecutor) -> PlanSummary:
            listing = None
            if context.command is DBTCommand.LIST:
                lines = executor.list_nodes(
                    request.select,
                    request.exclude,
                    request.selector,
                    request.command_args.dbt_options(DBTCommand.LIST),
                )
                listing = "\n".join(lines)
                plan = ExecutionPlan(project_name=executor.project_name, nodes=())
            else:
                plan = executor.plan(request.select, request.exclude, request.selector)
            if request.only is not None:
                plan = _restricted(plan, frozenset(request.only))
            return PlanSummary(
                project_name=executor.project_name,
                project_version=version,
                plan=self.store.put(
                    f"runs/{context.run_id}/plan.json", plan.model_dump_json().encode()
                ),
                # streamed: a large manifest.json never sits whole in the worker's memory
                manifest=self.store.put_file(
                    f"runs/{context.run_id}/manifest.json", executor.manifest_path
                ),
                node_count=len(plan),
                page_size=PLAN_PAGE_SIZE,
                dbt_version=executor.dbt_version,
                listing=listing,
            )

        return self._with_executor(context, version, build)

    @activity.defn(name="floe_plan_page")
    def plan_page(self, request: PlanPageRequest) -> PlanPage:
        plan = ExecutionPlan.model_validate_json(read_artifact(self.store, request.plan))
        index = {node.unique_id: i for i, node in enumerate(plan.nodes)}
        nodes = plan.nodes[request.start : request.start + request.count]
        return PlanPage(
            unique_ids=tuple(node.unique_id for node in nodes),
            parents=tuple(tuple(index[p] for p in node.depends_on) for node in nodes),
        )

    @activity.defn(name="floe_project_hooks")
    def project_hooks(self, request: HookRequest) -> list[NodeResult]:
        """``on-run-start`` (after creating the run's schemas) or ``on-run-end``."""
        plan = ExecutionPlan.model_validate_json(read_artifact(self.store, request.plan.plan))
        artifacts = RunArtifacts(self.store, request.context.run_id)

        def run(executor: WarmExecutor) -> list[NodeResult]:
            if request.hook_type == "on-run-start":
                executor.prepare_run(plan.unique_ids)
                return executor.run_hooks("on-run-start")
            succeeded = [r.unique_id for r in artifacts.node_results() if not r.status.is_failure]
            return executor.run_hooks("on-run-end", succeeded=succeeded)

        results = self._with_executor(request.context, request.plan.project_version, run)
        if request.hook_type == "on-run-end":
            # The run's last warehouse work: release the warehouse while the worker idles
            # (a DuckDB file accepts one writer process; others may want it between runs).
            self.pool.release_when_idle()
        for result in results:
            artifacts.put_node_result(result)
        return [result.model_copy(update={"compiled_code": None}) for result in results]

    @activity.defn(name="floe_node")
    def node(self, task: NodeTask) -> NodeResult:
        """Execute one node; its full result goes to the store, a light copy to history.

        A node whose success is already in the store (its worker died before reporting) is
        not executed again.
        """
        key = node_result_key(task.context.run_id, task.unique_id)
        if self.store.exists(key):
            previous = NodeResult.model_validate_json(self.store.get(key))
            if previous.status is NodeStatus.SUCCESS:
                return previous.model_copy(update={"compiled_code": None})
        info = activity.info()
        interval = max(
            0.5, (info.heartbeat_timeout.total_seconds() if info.heartbeat_timeout else 30) / 3
        )

        node_thread = threading.get_ident()
        leased: list[WarmExecutor] = []

        def cancel_query() -> None:
            for executor in leased:
                executor.cancel_query_of(node_thread)

        def run(executor: WarmExecutor) -> NodeResult:
            leased.append(executor)
            outcome = executor.execute(
                task.unique_id, run_id=task.context.run_id, retried=info.attempt > 1
            )
            if not _attempt_abandoned():
                # Kept as it ended: a cancelled statement is an error, one that finished
                # first really succeeded.
                self.store.put(key, outcome.result.model_dump_json().encode())
                if outcome.freshness is not None:
                    self.store.put(
                        freshness_key(task.context.run_id, task.unique_id),
                        json.dumps(outcome.freshness, default=str).encode(),
                    )
            if activity.is_cancelled():
                raise _application_error(RunCancelledError(f"{task.unique_id} cancelled"))
            if outcome.retryable:
                # A transient failure is retried, unless its message matches one of the
                # run's non_retryable_errors (a SQL compilation error an adapter reports as
                # a database error).
                message = outcome.result.message or f"{task.unique_id} failed"
                final = any(re.search(p, message) for p in task.non_retryable_errors)
                raise ApplicationError(
                    message,
                    outcome.result.model_copy(update={"compiled_code": None}).model_dump(
                        mode="json"
                    ),
                    type="NonRetryableNodeError" if final else "WarehouseError",
                    non_retryable=final,
                )
            return outcome.result.model_copy(update={"compiled_code": None})

        # Heartbeat while the executor loads too: a first parse can outlast the timeout.
        with _heartbeating(interval, cancel_query):
            return self._with_executor(
                task.context, task.context.project_version, run, plan=task.plan
            )

    @activity.defn(name="floe_record_node")
    def record_node(self, outcome: NodeOutcome) -> None:
        """Store the error of a node whose every attempt failed without a result (worker
        killed, heartbeat or start-to-close timeout), so the run's files show that error."""
        RunArtifacts(self.store, outcome.run_id).put_node_result(outcome.result)

    @activity.defn(name="floe_store_artifacts")
    def store_artifacts(self, request: StoreRequest) -> StoredRun:
        """run_results.json, floe's results and a CLI-style log, next to the manifest."""
        plan = ExecutionPlan.model_validate_json(read_artifact(self.store, request.plan.plan))
        artifacts = RunArtifacts(self.store, request.context.run_id)
        results = artifacts.complete_results(plan)
        refs = artifacts.write_run_files(
            results,
            command=request.context.command,
            status=request.status,
            started_at=request.started_at,
            elapsed_seconds=request.elapsed_seconds,
            dbt_version=request.plan.dbt_version,
        )
        if request.context.command is DBTCommand.SOURCE_FRESHNESS:
            refs["sources"] = artifacts.write_sources(
                request.elapsed_seconds, request.plan.dbt_version
            )
        counts = {status.value: 0 for status in NodeStatus}
        for result in results:
            counts[result.status.value] += 1
        return StoredRun(counts=counts, **refs)

    @activity.defn(name="floe_completed_nodes")
    def completed_nodes(self, request: CompletedRequest) -> CompletedPage:
        """One page of the statuses of nodes this run executed (for continue-as-new)."""
        keys = self.store.list(f"runs/{request.context.run_id}/nodes")
        page = keys[request.start : request.start + PLAN_PAGE_SIZE]
        results = [NodeResult.model_validate_json(self.store.get(key)) for key in page]
        return CompletedPage(
            statuses={
                r.unique_id: r.status.value for r in results if r.resource_type != "operation"
            },
            more=request.start + PLAN_PAGE_SIZE < len(keys),
        )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.plan,
            self.plan_page,
            self.project_hooks,
            self.node,
            self.record_node,
            self.store_artifacts,
            self.completed_nodes,
        ]
