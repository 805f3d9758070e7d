"""Runtime ``temporal``: start ``floe_dbt_run``, stream its node events, return the result.

The run is a workflow: it outlives the client. Its handle (the workflow id) is reported as
soon as it starts, so a client stopped by SIGTERM, cut off from the server for longer than
``reconnect_timeout_seconds`` or killed leaves a ``detached`` run that :meth:`follow`
(``floe runs attach``) follows to its end; Ctrl-C cancels the workflow.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate
from pydantic import TypeAdapter
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError

from floe_core import (
    NODE_COMMANDS,
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    DBTRuntimePlugin,
    DetachRequested,
    EventBus,
    ExecutionPlan,
    HealthStatus,
    LiveStatus,
    NodeResult,
    RunCancelledError,
    RunDetachedError,
    RunHandle,
    RuntimeExecutionError,
    read_project_name,
)
from floe_core.profiles import materialize_profile
from floe_dbt_inprocess import DBT_LOCK
from floe_dbt_inprocess.executor import ExecutorSpec, WarmExecutor
from floe_dbt_temporal._client import connect
from floe_dbt_temporal._client_side import CLIENT_SIDE_COMMANDS, run_on_client
from floe_dbt_temporal._config import TemporalRuntimeConfig
from floe_dbt_temporal._control import change_fail_fast, read_live_status
from floe_dbt_temporal._follow import RunFollower
from floe_dbt_temporal._models import LocalProject, RunContext, RunInput, RunOutput
from floe_dbt_temporal._object_store import read_artifact
from floe_dbt_temporal._retry import retried_nodes
from floe_dbt_temporal._search_attributes import is_unknown_search_attribute
from floe_dbt_temporal._state import upload_state
from floe_dbt_temporal._workflow import COMMAND, PROJECT, SELECTOR, TARGET, WORKFLOW_NAME

__all__ = ["TemporalRuntime"]

T = TypeVar("T")
_RESULTS = TypeAdapter(list[NodeResult])
_CANCEL, _DETACH = "cancel", "detach"
_MAX_SELECTOR_CHARS = 1000
_log = structlog.get_logger("floe.temporal")


def _drive(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on an event loop of its own thread while this thread waits.

    The waiting thread is the one signals interrupt: Ctrl-C cancels the coroutine with reason
    ``cancel`` (the run is cancelled), :class:`DetachRequested` (SIGTERM) with reason
    ``detach`` (the run goes on without this client).
    """
    loop = asyncio.new_event_loop()
    task = loop.create_task(coroutine)
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = loop.run_until_complete(task)
        except BaseException as exc:
            box["error"] = exc
        finally:
            loop.close()
            done.set()

    thread = threading.Thread(target=target, name="floe-temporal-client")
    thread.start()
    while not done.is_set():
        try:
            done.wait()
        except (KeyboardInterrupt, DetachRequested) as exc:
            reason = _DETACH if isinstance(exc, DetachRequested) else _CANCEL
            loop.call_soon_threadsafe(task.cancel, reason)
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def _selection_text(invocation: DBTInvocation) -> str:
    """The invocation's selection as dbt's command line spells it (``DbtSelector``)."""
    parts = list(invocation.select)
    if invocation.exclude:
        parts += ["--exclude", *invocation.exclude]
    if invocation.selector:
        parts += ["--selector", invocation.selector]
    return " ".join(parts)[:_MAX_SELECTOR_CHARS]


class TemporalRuntime(DBTRuntimePlugin[TemporalRuntimeConfig]):
    """Per-node fan-out of the dbt DAG on Temporal workers (``floe worker``)."""

    name: ClassVar[str] = "temporal"
    config_model: ClassVar[type[TemporalRuntimeConfig]] = TemporalRuntimeConfig
    api_version: ClassVar[str] = "1.0"
    supported_commands: ClassVar[frozenset[DBTCommand]] = NODE_COMMANDS | {
        DBTCommand.LIST,
        DBTCommand.SOURCE_FRESHNESS,
        DBTCommand.RETRY,
        *CLIENT_SIDE_COMMANDS,
    }
    client_side_commands: ClassVar[frozenset[DBTCommand]] = CLIENT_SIDE_COMMANDS
    supports_state: ClassVar[bool] = True
    """``--state``/``--defer`` (see :mod:`floe_dbt_temporal._state`)."""
    supports_favor_state: ClassVar[bool] = True
    """``--favor-state``: node activities defer to the state without the run's own nodes."""

    def __init__(self, config: TemporalRuntimeConfig, *, events: EventBus | None = None) -> None:
        super().__init__(config, events=events)
        self._untagged = False
        """The server refused floe's search attributes once: start runs without them."""

    def supports_parallel_execution(self) -> bool:
        return True

    def execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        if command in CLIENT_SIDE_COMMANDS:
            return run_on_client(
                command, invocation, self.events, work_dir=self.config.work_dir, runtime=self.name
            )
        return _drive(self._execute(command, invocation))

    def run_input(self, command: DBTCommand, invocation: DBTInvocation) -> RunInput:
        """The workflow input for an invocation (public for tests and custom starters);
        ``retry`` runs the retried run's command on exactly the nodes that did not succeed."""
        config = self.config
        only = None
        if command is DBTCommand.RETRY:
            command, only = retried_nodes(invocation.command_args.state_dir)
        return RunInput(
            context=RunContext(
                run_id=invocation.invocation_id,
                project=read_project_name(invocation.project_dir),
                # Used only by a worker started with --allow-any-project: a worker runs the
                # source and profile it registered under the project's name.
                source=LocalProject(path=invocation.project_dir.resolve()),
                # The commit of the manifest's git `project.source` this client checked out: a
                # worker serving the project from git runs exactly it.
                project_version=invocation.project_version,
                command=command,
                profile=invocation.profile,
                target=invocation.target,
                vars=invocation.vars,
                full_refresh=invocation.full_refresh,
                env=config.env,
                env_from_worker=config.env_from_worker,
                secret_env=config.secret_env,
                trace_context=invocation.trace_context,
                state=upload_state(invocation, config.open_artifact_store()),
            ),
            select=invocation.select,
            exclude=invocation.exclude,
            selector=invocation.selector,
            command_args=invocation.command_args,
            only=only,
            fail_fast=invocation.fail_fast,
            max_concurrency=config.max_concurrency,
            node_batch_size=config.node_batch_size,
            warm_activities=config.warm_activities,
            retry=config.retry,
            non_retryable_errors=config.non_retryable_errors,
            timeouts=config.timeouts,
            heartbeat_timeout_seconds=config.heartbeat_timeout_seconds,
            pre_run=config.pre_run,
            on_success=config.on_success,
            on_failure=config.on_failure,
            hook_retry=config.hook_retry,
            search_attributes=config.search_attributes,
            selector_attribute=_selection_text(invocation),
        )

    def live_status(self, handle: RunHandle) -> LiveStatus:
        """The run's ``floe`` memo: node counts, latest outcomes and log lines, fail-fast."""

        async def read() -> LiveStatus:
            return await read_live_status(await connect(self.config), handle.external_id)

        return _drive(read())

    def set_fail_fast(self, handle: RunHandle, enabled: bool) -> LiveStatus:
        """The ``fail_fast`` workflow update (applied by the worker running the workflow)."""

        async def change() -> LiveStatus:
            client = await connect(self.config)
            return await change_fail_fast(client, handle.external_id, enabled)

        return _drive(change())

    def follow(
        self, command: DBTCommand, invocation: DBTInvocation, handle: RunHandle
    ) -> DBTRunResult:
        """Follow a workflow started earlier (by a client that is gone) to its end."""
        return _drive(self._attach(command, invocation, handle))

    async def _execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        started_at = datetime.now(UTC)
        client = await connect(self.config)
        run = self.run_input(command, invocation)
        # The tracing interceptor puts the current span in the workflow's headers: make the
        # invocation's span current so worker spans join the invocation trace.
        token = otel_context.attach(propagate.extract(invocation.trace_context))
        try:
            workflow = await self._start(client, run, invocation)
        finally:
            otel_context.detach(token)
        handle = RunHandle(
            runtime=self.name,
            external_id=workflow.id,
            details={
                "first_run_id": workflow.result_run_id or "",
                "namespace": self.config.namespace,
                "task_queue": self.config.task_queue,
            },
        )
        self.report_handle(invocation, handle)
        return await self._to_the_end(client, command, invocation, handle, started_at)

    async def _attach(
        self, command: DBTCommand, invocation: DBTInvocation, handle: RunHandle
    ) -> DBTRunResult:
        client = await connect(self.config)
        workflow = client.get_workflow_handle(handle.external_id)
        follower = RunFollower(client, self.config, self.events, invocation, handle)
        started_at = (await follower.retried(workflow.describe)).start_time
        return await self._to_the_end(client, command, invocation, handle, started_at)

    async def _to_the_end(
        self,
        client: Client,
        command: DBTCommand,
        invocation: DBTInvocation,
        handle: RunHandle,
        started_at: datetime,
    ) -> DBTRunResult:
        """Follow the run to its end; Ctrl-C cancels the workflow, SIGTERM detaches."""
        follower = RunFollower(client, self.config, self.events, invocation, handle)
        try:
            output = await follower.output()
        except asyncio.CancelledError as exc:
            if exc.args and exc.args[0] == _DETACH:
                raise RunDetachedError(
                    f"stopped following workflow {handle.external_id} (SIGTERM); the run goes"
                    " on in Temporal",
                    handle=handle,
                    invocation_id=invocation.invocation_id,
                ) from None
            await follower.retried(follower.workflow.cancel)
            raise RunCancelledError(f"run {handle.external_id} cancelled") from None
        return self._result(command, invocation, handle, output, started_at)

    async def _start_workflow(
        self,
        client: Client,
        run: RunInput,
        invocation: DBTInvocation,
        attributes: TypedSearchAttributes | None,
    ) -> WorkflowHandle[Any, RunOutput]:
        return await client.start_workflow(
            WORKFLOW_NAME,
            run,
            id=f"floe-{invocation.invocation_id}",
            task_queue=self.config.task_queue,
            result_type=RunOutput,
            search_attributes=attributes,
            execution_timeout=timedelta(seconds=self.config.execution_timeout_seconds),
        )

    async def _start(
        self, client: Client, run: RunInput, invocation: DBTInvocation
    ) -> WorkflowHandle[Any, RunOutput]:
        """Start the workflow, tagged unless the server does not know the tags (then once
        untagged with one warning, and untagged from then on)."""
        if self._untagged:
            run = run.model_copy(update={"search_attributes": False})
        pairs: list[SearchAttributePair[str]] = [
            SearchAttributePair(PROJECT, read_project_name(invocation.project_dir)),
            SearchAttributePair(COMMAND, run.context.command.value),
            SearchAttributePair(TARGET, invocation.target or "default"),
            *(
                SearchAttributePair(SearchAttributeKey.for_keyword(name), value)
                for name, value in self.config.static_search_attributes.items()
            ),
        ]
        if run.selector_attribute:
            pairs.append(SearchAttributePair(SELECTOR, run.selector_attribute))
        attributes = TypedSearchAttributes(pairs) if run.search_attributes else None
        try:
            try:
                return await self._start_workflow(client, run, invocation, attributes)
            except RPCError as exc:
                if attributes is None or not is_unknown_search_attribute(exc):
                    raise
                _log.warning(
                    "Temporal does not know floe's search attributes: runs go untagged",
                    address=self.config.address,
                    namespace=self.config.namespace,
                    error=str(exc),
                    fix="start a `floe worker` (it registers them where the server allows),"
                    " or set search_attributes: false",
                )
                self._untagged = True
                untagged = run.model_copy(update={"search_attributes": False})
                return await self._start_workflow(client, untagged, invocation, None)
        except RPCError as exc:
            raise RuntimeExecutionError(
                f"Temporal at {self.config.address} refused to start the run: {exc}",
                hint="check that the server is up and the namespace"
                f" {self.config.namespace!r} exists",
            ) from exc

    def _result(
        self,
        command: DBTCommand,
        invocation: DBTInvocation,
        handle: RunHandle,
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
            "sources": output.sources,
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
            output=output.output,
            dbt_version=output.plan.dbt_version if output.plan else None,
            metadata={
                "workflow_id": handle.external_id,
                "temporal_run_id": handle.details.get("first_run_id"),
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
            state=invocation.state.path if invocation.state is not None else None,
            defer=invocation.state is not None and invocation.state.defer,
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
            client = _drive(check())
            _drive(client.service_client.check_health())
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
