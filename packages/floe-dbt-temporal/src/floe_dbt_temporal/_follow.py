"""Following a ``floe_dbt_run`` workflow from the client: progress, outages, pick-up, result.

The client relays the workflow's node events (the ``progress`` query) and waits for its
result. It survives what a long run meets: a Temporal server that goes away for a while
(every call is retried with a bounded backoff, the outage logged once, and the client
detaches when it lasts longer than ``reconnect_timeout_seconds``), and a run that no worker
picks up (after ``pickup_timeout_seconds`` with no worker polling the task queue, the
workflow is terminated so it never starts later, and the error names queue, address and
what to start).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import structlog
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowHistoryEventFilterType,
)
from temporalio.exceptions import CancelledError
from temporalio.service import RPCError, RPCStatusCode

from floe_core import (
    DBTInvocation,
    EventBus,
    ExecutionPlan,
    FloeError,
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStarted,
    RunCancelledError,
    RunDetachedError,
    RunHandle,
    RunPlanned,
    RuntimeExecutionError,
)
from floe_core.stores import ArtifactStore, StoredArtifact
from floe_dbt_temporal._artifacts import node_result_key
from floe_dbt_temporal._config import TemporalRuntimeConfig
from floe_dbt_temporal._models import ProgressEvent, ProgressPage, ProgressRead, RunOutput
from floe_dbt_temporal._object_store import read_artifact

__all__ = ["RunFollower"]

T = TypeVar("T")
_log = structlog.get_logger("floe.temporal")
_MAX_FAILED_QUERIES = 3
_QUERY_TIMEOUT = timedelta(seconds=10)
_HANDOVER_WAIT = 30.0
"""Seconds a closing run waits for this client to read its last events (``progress_read``):
a client that takes longer is gone (or reads the closed run, at the cost of a replay)."""
_MAX_BACKOFF = 5.0
_COMPILED_TYPES = frozenset({"model", "snapshot", "test", "analysis"})
"""Nodes whose result carries compiled SQL."""
# Answers that retrying cannot change: anything else (unavailable, deadline, internal...) is
# what a restarting or unreachable server gives, and is retried.
_DEFINITIVE = frozenset(
    {
        RPCStatusCode.INVALID_ARGUMENT,
        RPCStatusCode.NOT_FOUND,
        RPCStatusCode.ALREADY_EXISTS,
        RPCStatusCode.PERMISSION_DENIED,
        RPCStatusCode.UNAUTHENTICATED,
        RPCStatusCode.UNIMPLEMENTED,
    }
)


def _local_path(ref: StoredArtifact) -> Path | None:
    parsed = urlparse(ref.uri)
    return Path(parsed.path) if parsed.scheme == "file" else None


class _EventRelay:
    """Turns the workflow's progress events into floe events on the runtime's bus."""

    def __init__(
        self, events: EventBus, config: TemporalRuntimeConfig, invocation: DBTInvocation
    ) -> None:
        self.events = events
        self.config = config
        self.invocation_id = invocation.invocation_id
        self.artifacts_dir = invocation.artifacts_dir
        self.cursor = 0
        self.plan: ExecutionPlan | None = None
        self.positions: dict[str, int] = {}

    async def on_page(self, page: ProgressPage) -> None:
        if self.plan is None and page.plan is not None:
            self.plan = ExecutionPlan.model_validate_json(
                await asyncio.to_thread(read_artifact, self.store, page.plan.plan)
            )
            self.positions = {uid: i for i, uid in enumerate(self.plan.unique_ids, 1)}
            manifest = _local_path(page.plan.manifest) or await asyncio.to_thread(
                self._fetch_manifest, page.plan.manifest
            )
            self.events.emit(
                RunPlanned(
                    invocation_id=self.invocation_id,
                    manifest_path=manifest,
                    node_ids=self.plan.unique_ids,
                )
            )
        stored = await asyncio.gather(
            *(asyncio.to_thread(self._stored_result, event) for event in page.events)
        )
        for event, result in zip(page.events, stored, strict=True):
            self._emit(event, result)
        self.cursor = page.next_cursor

    @functools.cached_property
    def store(self) -> ArtifactStore:
        return self.config.open_artifact_store()

    def _fetch_manifest(self, ref: StoredArtifact) -> Path:
        """The run's manifest from a remote store, next to the invocation's artifacts."""
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        path = self.artifacts_dir / "manifest.json"
        path.write_bytes(read_artifact(self.store, ref))
        return path

    def _stored_result(self, event: ProgressEvent) -> NodeResult | None:
        """The full result a worker stored for a node that ran SQL: workflow history carries
        a light copy without compiled code, which lineage needs (the ``sql`` facet, column
        lineage), as the local runtime's results carry it."""
        result = event.result
        if (
            event.kind != "finished"
            or result is None
            or result.compiled_code is not None
            or result.resource_type not in _COMPILED_TYPES
        ):
            return None
        try:
            return NodeResult.model_validate_json(
                self.store.get(node_result_key(self.invocation_id, result.unique_id))
            )
        except (FloeError, OSError, ValueError) as exc:
            _log.debug("stored node result unavailable", unique_id=result.unique_id, error=str(exc))
            return None

    def _emit(self, event: ProgressEvent, stored: NodeResult | None) -> None:
        emit = self.events.emit
        if event.kind == "finished" and event.result is not None:
            emit(NodeFinished(invocation_id=self.invocation_id, result=stored or event.result))
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


class _Outage:
    """Tracks one outage of the server: logged once when it starts and once when it ends;
    past the reconnect budget the client detaches."""

    def __init__(self, config: TemporalRuntimeConfig, run: RunHandle, invocation_id: str):
        self.config = config
        self.run = run
        self.invocation_id = invocation_id
        self.since: float | None = None
        self.backoff = 0.25

    async def failed(self, exc: RPCError) -> None:
        """Wait before the next try; raise :class:`RunDetachedError` once over budget."""
        now = time.monotonic()
        if self.since is None:
            self.since = now
            _log.warning(
                "Temporal unreachable: retrying",
                address=self.config.address,
                error=str(exc),
                for_up_to_seconds=self.config.reconnect_timeout_seconds,
            )
        if now - self.since > self.config.reconnect_timeout_seconds:
            raise RunDetachedError(
                f"lost Temporal at {self.config.address} for more than"
                f" {self.config.reconnect_timeout_seconds:g} s ({exc}); workflow"
                f" {self.run.external_id} goes on without this client",
                handle=self.run,
                invocation_id=self.invocation_id,
            ) from exc
        await asyncio.sleep(self.backoff)
        self.backoff = min(self.backoff * 2, _MAX_BACKOFF)

    def recovered(self) -> None:
        if self.since is not None:
            _log.warning(
                "Temporal reachable again",
                address=self.config.address,
                after_seconds=round(time.monotonic() - self.since, 1),
            )
        self.since, self.backoff = None, 0.25


class RunFollower:
    """Relays one run's progress (along its continue-as-new chain) and returns its output."""

    def __init__(
        self,
        client: Client,
        config: TemporalRuntimeConfig,
        events: EventBus,
        invocation: DBTInvocation,
        run: RunHandle,
    ) -> None:
        self.client = client
        self.config = config
        self.run = run
        self.invocation_id = invocation.invocation_id
        self.relay = _EventRelay(events, config, invocation)
        self.outage = _Outage(config, run, invocation.invocation_id)
        self.workflow: WorkflowHandle[Any, RunOutput] = client.get_workflow_handle(
            run.external_id, result_type=RunOutput
        )

    async def retried(self, call: Callable[[], Awaitable[T]]) -> T:
        """``call()``, retried through server outages (see :class:`_Outage`)."""
        while True:
            try:
                value = await call()
            except RPCError as exc:
                if exc.status in _DEFINITIVE:
                    raise
                await self.outage.failed(exc)
                continue
            self.outage.recovered()
            return value

    async def output(self) -> RunOutput:
        """Relay progress until the run ends; its output (or a translated failure)."""
        result = asyncio.ensure_future(self.retried(self.workflow.result))
        try:
            await self._relay(result)
        except BaseException:
            result.cancel()
            raise
        try:
            return result.result()
        except WorkflowFailureError as exc:
            if isinstance(exc.cause, CancelledError):
                raise RunCancelledError(f"workflow {self.run.external_id} was cancelled") from exc
            raise RuntimeExecutionError(
                f"workflow {self.run.external_id} failed: {exc.cause or exc}",
                hint="see the workflow's history in the Temporal UI or `temporal workflow show`",
            ) from exc

    async def _relay(self, result: asyncio.Future[RunOutput]) -> None:
        run = self.client.get_workflow_handle(
            self.run.external_id, run_id=self.run.details.get("first_run_id")
        )
        failed_queries = 0
        picked_up = announced = False
        waiting_since = time.monotonic()
        while True:
            done = result.done()
            try:
                page: ProgressPage = await run.query(
                    "progress",
                    self.relay.cursor,
                    result_type=ProgressPage,
                    rpc_timeout=_QUERY_TIMEOUT,
                )
            except RPCError as exc:
                # Progress is best effort: a worker busy with nodes may answer late, and no
                # worker answers while none runs.
                failed_queries += 1
                _log.debug(
                    "progress query failed", workflow_id=self.run.external_id, error=str(exc)
                )
                if done and failed_queries >= _MAX_FAILED_QUERIES:
                    return
                if not picked_up:
                    picked_up = await self._picked_up(waiting_since)
                await asyncio.wait({result}, timeout=self.config.progress_interval_seconds)
                continue
            picked_up, failed_queries = True, 0
            await self.relay.on_page(page)
            # Once a worker answers (a signal before would look like a pick-up to
            # :meth:`_picked_up`), the run learns it is followed; the runs it continues as
            # carry that on. ``finished`` and ``continued`` come with the run's last events,
            # while it waits for this client to say it read them: a query of the closed run
            # would cost a worker a replay of its whole history.
            if not announced or page.finished or page.continued:
                await self._read_up_to(run)
                announced = True
            if page.finished:
                await asyncio.wait({result})
                return
            if page.continued:
                run = self.client.get_workflow_handle(
                    self.run.external_id, run_id=await self.retried(partial(_next_run, run))
                )
                announced = False
            elif page.events:
                continue
            elif done:
                return
            else:
                await asyncio.wait({result}, timeout=self.config.progress_interval_seconds)

    async def _read_up_to(self, run: WorkflowHandle[Any, Any]) -> None:
        """Tell ``run`` this client follows it and has read its events up to the cursor (the
        ``progress_read`` signal); a run that already closed needs no answer."""
        read = ProgressRead(cursor=self.relay.cursor, wait_seconds=_HANDOVER_WAIT)
        try:
            await self.retried(partial(run.signal, "progress_read", read))
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise

    async def _picked_up(self, waiting_since: float) -> bool:
        """Whether a worker took the run's first task; past the pick-up timeout with no
        worker polling the queue, the run is terminated and the error says what to start."""
        try:
            description = await self.workflow.describe(rpc_timeout=_QUERY_TIMEOUT)
        except RPCError:
            return False  # the server is away: the result's retries report it
        if description.history_length > 2:  # started + scheduled: nothing taken yet
            return True
        if time.monotonic() - waiting_since < self.config.pickup_timeout_seconds:
            return False
        if await self._pollers():
            return False  # a worker polls but is busy: the execution timeout bounds the wait
        queue, address = self.config.task_queue, self.config.address
        await self.workflow.terminate(
            reason=f"no worker polled task queue {queue} within the pick-up timeout"
        )
        raise RuntimeExecutionError(
            f"no worker is polling task queue {queue!r} on Temporal at {address} (namespace"
            f" {self.config.namespace}): run {self.run.external_id} was not picked up within"
            f" {self.config.pickup_timeout_seconds:g} s and was terminated, so it will not"
            " start later",
            hint=f"start a worker for that queue (`floe worker --manifest platform-manifest.yaml`,"
            f" or `floe worker --address {address} --task-queue {queue} --project NAME=PATH`)"
            " and run again",
        )

    async def _pollers(self) -> int:
        service = self.client.workflow_service
        answer = await service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=self.config.namespace,
                task_queue=TaskQueue(name=self.config.task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            ),
            timeout=_QUERY_TIMEOUT,
        )
        return len(answer.pollers)


async def _next_run(run: WorkflowHandle[Any, Any]) -> str:
    """The run id a run continued as (from its closing history event, waited for)."""
    async for event in run.fetch_history_events(
        wait_new_event=True, event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT
    ):
        attributes = event.workflow_execution_continued_as_new_event_attributes
        if attributes.new_execution_run_id:
            return str(attributes.new_execution_run_id)
    raise RunCancelledError(f"run {run.run_id} of workflow {run.id} did not continue as new")
