"""Runtime ``temporal``: start ``floe_dbt_run``, stream its node events, return the result."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlparse

import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate
from pydantic import TypeAdapter
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowHistoryEventFilterType,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import CancelledError
from temporalio.service import RPCError

from floe_core import (
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    DBTRuntimePlugin,
    ExecutionPlan,
    HealthStatus,
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStarted,
    RunCancelledError,
    RunPlanned,
    RuntimeExecutionError,
    read_project_name,
)
from floe_core.profiles import materialize_profile
from floe_core.stores import StoredArtifact
from floe_dbt_inprocess import DBT_LOCK
from floe_dbt_inprocess.executor import ExecutorSpec, WarmExecutor
from floe_dbt_temporal._client import connect
from floe_dbt_temporal._config import TemporalRuntimeConfig
from floe_dbt_temporal._models import (
    LocalProject,
    ProgressEvent,
    ProgressPage,
    RunContext,
    RunInput,
    RunOutput,
)
from floe_dbt_temporal._object_store import read_artifact
from floe_dbt_temporal._workflow import COMMAND, PROJECT, TARGET, WORKFLOW_NAME

__all__ = ["TemporalRuntime"]

T = TypeVar("T")
_RESULTS = TypeAdapter(list[NodeResult])
_MAX_FAILED_QUERIES = 3
_log = structlog.get_logger("floe.temporal")


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from sync code, even under a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def _local_path(ref: StoredArtifact) -> Path | None:
    parsed = urlparse(ref.uri)
    return Path(parsed.path) if parsed.scheme == "file" else None


async def _next_run(run: WorkflowHandle[Any, Any]) -> str:
    """The run id a run continued as (from its closing history event)."""
    async for event in run.fetch_history_events(
        event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT
    ):
        attributes = event.workflow_execution_continued_as_new_event_attributes
        if attributes.new_execution_run_id:
            return str(attributes.new_execution_run_id)
    raise RunCancelledError(f"run {run.run_id} of workflow {run.id} did not continue as new")


class _EventRelay:
    """Turns the workflow's progress events into floe events on the runtime's bus."""

    def __init__(self, runtime: TemporalRuntime, invocation: DBTInvocation) -> None:
        self.runtime = runtime
        self.invocation_id = invocation.invocation_id
        self.cursor = 0
        self.plan: ExecutionPlan | None = None
        self.positions: dict[str, int] = {}

    def on_page(self, page: ProgressPage) -> None:
        if self.plan is None and page.plan is not None:
            store = self.runtime.config.open_artifact_store()
            self.plan = ExecutionPlan.model_validate_json(read_artifact(store, page.plan.plan))
            self.positions = {uid: i for i, uid in enumerate(self.plan.unique_ids, 1)}
            self.runtime.events.emit(
                RunPlanned(
                    invocation_id=self.invocation_id,
                    manifest_path=_local_path(page.plan.manifest),
                    node_ids=self.plan.unique_ids,
                )
            )
        for event in page.events:
            self._emit(event)
        self.cursor = page.next_cursor

    def _emit(self, event: ProgressEvent) -> None:
        emit = self.runtime.events.emit
        if event.kind == "finished" and event.result is not None:
            emit(NodeFinished(invocation_id=self.invocation_id, result=event.result))
        elif event.kind == "skipped" and event.result is not None:
            emit(NodeSkipped(invocation_id=self.invocation_id, result=event.result))
        elif event.kind == "started" and self.plan is not None:
            node = self.plan.nodes[self.positions[event.unique_id] - 1]
            emit(
                NodeStarted(
                    invocation_id=self.invocation_id,
                    unique_id=node.unique_id,
                    name=node.name,
                    resource_type=node.resource_type,
                    materialization=node.materialization,
                    started_at=event.at,
                    index=self.positions[node.unique_id],
                    total=len(self.plan),
                )
            )


class TemporalRuntime(DBTRuntimePlugin[TemporalRuntimeConfig]):
    """Per-node fan-out of the dbt DAG on Temporal workers (``floe worker``)."""

    name: ClassVar[str] = "temporal"
    config_model: ClassVar[type[TemporalRuntimeConfig]] = TemporalRuntimeConfig
    api_version: ClassVar[str] = "1.0"

    def supports_parallel_execution(self) -> bool:
        return True

    def execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        return _run_sync(self._execute(command, invocation))

    def run_input(self, command: DBTCommand, invocation: DBTInvocation) -> RunInput:
        """The workflow input for an invocation (public for tests and custom starters)."""
        config = self.config
        return RunInput(
            context=RunContext(
                run_id=invocation.invocation_id,
                source=LocalProject(path=invocation.project_dir.resolve()),
                command=command,
                profile=invocation.profile,
                target=invocation.target,
                vars=invocation.vars,
                full_refresh=invocation.full_refresh,
                secret_env=config.secret_env,
                trace_context=invocation.trace_context,
            ),
            select=invocation.select,
            exclude=invocation.exclude,
            selector=invocation.selector,
            fail_fast=invocation.fail_fast,
            max_concurrency=config.max_concurrency,
            retry=config.retry,
            node_timeout_seconds=config.node_timeout_seconds,
            heartbeat_timeout_seconds=config.heartbeat_timeout_seconds,
            pre_run=config.pre_run,
            on_success=config.on_success,
            on_failure=config.on_failure,
            search_attributes=config.search_attributes,
        )

    async def _execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        started_at = datetime.now(UTC)
        client = await connect(self.config)
        run = self.run_input(command, invocation)
        attributes = (
            TypedSearchAttributes(
                [
                    SearchAttributePair(PROJECT, read_project_name(invocation.project_dir)),
                    SearchAttributePair(COMMAND, command.value),
                    SearchAttributePair(TARGET, invocation.target or "default"),
                ]
            )
            if self.config.search_attributes
            else None
        )
        # The tracing interceptor puts the current span in the workflow's headers: make the
        # invocation's span current so worker spans join the invocation trace.
        token = otel_context.attach(propagate.extract(invocation.trace_context))
        try:
            handle = await client.start_workflow(
                WORKFLOW_NAME,
                run,
                id=f"floe-{invocation.invocation_id}",
                task_queue=self.config.task_queue,
                result_type=RunOutput,
                search_attributes=attributes,
            )
        finally:
            otel_context.detach(token)
        relay = _EventRelay(self, invocation)
        try:
            output = await self._follow(client, handle, relay)
        except asyncio.CancelledError:
            await handle.cancel()
            raise RunCancelledError(f"run {handle.id} cancelled") from None
        return self._result(command, invocation, handle, output, started_at)

    async def _follow(
        self, client: Client, handle: WorkflowHandle[Any, RunOutput], relay: _EventRelay
    ) -> RunOutput:
        """Relay progress run by run along the continue-as-new chain, then the result."""
        result = asyncio.ensure_future(handle.result())
        run = client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
        failed_queries = 0
        while True:
            done = result.done()
            try:
                page: ProgressPage = await run.query(
                    "progress", relay.cursor, result_type=ProgressPage
                )
            except RPCError as exc:
                # Progress is best effort: a worker busy with nodes may answer late.
                failed_queries += 1
                _log.warning("progress query failed", workflow_id=handle.id, error=str(exc))
                if done and failed_queries >= _MAX_FAILED_QUERIES:
                    break
                await asyncio.wait({result}, timeout=self.config.progress_interval_seconds)
                continue
            relay.on_page(page)
            if page.events:
                continue
            if page.continued:
                run = client.get_workflow_handle(handle.id, run_id=await _next_run(run))
            elif done:
                break
            else:
                await asyncio.wait({result}, timeout=self.config.progress_interval_seconds)
        try:
            return result.result()
        except WorkflowFailureError as exc:
            if isinstance(exc.cause, CancelledError):
                raise RunCancelledError(f"workflow {handle.id} was cancelled") from exc
            raise RuntimeExecutionError(
                f"workflow {handle.id} failed: {exc.cause or exc}",
                hint="see the workflow's history in the Temporal UI or `temporal workflow show`",
            ) from exc

    def _result(
        self,
        command: DBTCommand,
        invocation: DBTInvocation,
        handle: WorkflowHandle[Any, RunOutput],
        output: RunOutput,
        started_at: datetime,
    ) -> DBTRunResult:
        store = self.config.open_artifact_store()
        nodes = (
            _RESULTS.validate_json(read_artifact(store, output.results)) if output.results else []
        )
        target = invocation.artifacts_dir
        paths: dict[str, Path | None] = {"manifest": None, "run_results": None, "log": None}
        refs = {
            "manifest": output.plan.manifest if output.plan else None,
            "run_results": output.run_results,
            "log": output.log,
        }
        for name, ref in refs.items():
            if ref is None:
                continue
            filename = {"log": "floe-temporal.log"}.get(name, f"{name}.json")
            target.mkdir(parents=True, exist_ok=True)
            (target / filename).write_bytes(read_artifact(store, ref))
            paths[name] = target / filename
        completed_at = datetime.now(UTC)
        return DBTRunResult(
            invocation_id=invocation.invocation_id,
            command=command,
            runtime=self.name,
            status=output.status,
            started_at=started_at,
            completed_at=completed_at,
            elapsed_seconds=(completed_at - started_at).total_seconds(),
            nodes=tuple(nodes),
            manifest_path=paths["manifest"],
            run_results_path=paths["run_results"],
            log_path=paths["log"],
            error=output.error,
            dbt_version=output.plan.dbt_version if output.plan else None,
            metadata={
                "workflow_id": handle.id,
                "temporal_run_id": handle.result_run_id,
                "task_queue": self.config.task_queue,
                "skipped_reason": output.skipped_reason,
                "hook_messages": list(output.hook_messages),
            },
        )

    def plan(self, invocation: DBTInvocation) -> ExecutionPlan:
        """The plan computed locally with the same warm executor the workers use."""
        profile = materialize_profile(
            invocation.profile, cache_dir=self.config.work_dir / "profiles"
        )
        spec = ExecutorSpec(
            command=DBTCommand.BUILD,
            project_dir=invocation.project_dir,
            profiles_dir=profile.profiles_dir,
            profile_name=profile.profile_name,
            target=invocation.target or profile.target,
            vars=invocation.vars,
        )
        # dbt's globals: never alongside another in-process dbt invocation (local runtime).
        with DBT_LOCK:
            executor = WarmExecutor.open(spec, work_dir=self.config.work_dir / "plans")
            try:
                return executor.plan(invocation.select, invocation.exclude, invocation.selector)
            finally:
                executor.close()

    def health_check(self) -> HealthStatus:
        async def check() -> Client:
            return await connect(self.config)

        try:
            client = _run_sync(check())
            _run_sync(client.service_client.check_health())
        except Exception as exc:
            return HealthStatus(
                healthy=False,
                message=f"Temporal at {self.config.address} is not reachable: {exc}",
                checks={"temporal": "unreachable"},
            )
        return HealthStatus(
            healthy=True,
            message=f"Temporal at {self.config.address} is reachable",
            checks={"temporal": "ok", "task_queue": self.config.task_queue},
        )
