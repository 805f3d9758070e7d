"""The ``floe_dbt_run`` workflow: plan, hooks, dependency-driven node fan-out, artifacts.

pre_run hooks -> plan (activity) -> on-run-start -> nodes: each starts as soon as its parents
succeeded, at most ``max_concurrency`` at a time -> store artifacts -> on-run-end ->
on_success / on_failure hooks. Long DAGs continue-as-new when Temporal suggests it: node
results live in the object store, so the new run only reloads statuses.

While it runs, the ``fail_fast`` update turns fail-fast on or off, and the ``floe`` memo
carries node counts and the latest outcomes (:mod:`floe_dbt_temporal._live`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from floe_core import DBTCommand, LiveStatus, NodeResult, NodeStatus, RunStatus
    from floe_dbt_inprocess import DagScheduler
    from floe_dbt_temporal._dispatch import (
        batches,
        node_results,
        start_nodes,
        stub_result,
    )
    from floe_dbt_temporal._hooks import HookFailed, failure_message, run_hook, run_hooks
    from floe_dbt_temporal._live import MEMO_KEY, LiveTracker
    from floe_dbt_temporal._models import (
        CompletedPage,
        CompletedRequest,
        HookRequest,
        NodeOutcome,
        PlanPage,
        PlanPageRequest,
        PlanRequest,
        PlanSummary,
        PreRunDecision,
        ProgressEvent,
        ProgressPage,
        ProgressRead,
        RunContext,
        RunInput,
        RunOutput,
        StoredRun,
        StoreRequest,
    )

__all__ = ["SEARCH_ATTRIBUTES", "WORKFLOW_NAME", "DbtRunWorkflow"]

WORKFLOW_NAME = "floe_dbt_run"
PROJECT = SearchAttributeKey.for_keyword("DbtProject")
COMMAND = SearchAttributeKey.for_keyword("DbtCommand")
TARGET = SearchAttributeKey.for_keyword("DbtTarget")
STATUS = SearchAttributeKey.for_keyword("DbtStatus")
SELECTOR = SearchAttributeKey.for_keyword("DbtSelector")
SEARCH_ATTRIBUTES = (PROJECT, COMMAND, TARGET, STATUS, SELECTOR)

_QUERY_PAGE = 500
_SETUP_RETRY = RetryPolicy(maximum_attempts=3, non_retryable_error_types=["DBTCompilationError"])


def _ignore_outcome(task: asyncio.Future[Any]) -> None:
    """A warm activity's outcome (result, failure, cancellation) is nobody's business."""
    if not task.cancelled():
        task.exception()


def packed(event: ProgressEvent) -> bytes:
    """How the workflow keeps a node event until the run closes: its JSON, defaults left out
    (about a quarter of the models' memory, ADR 0027)."""
    return event.model_dump_json(exclude_defaults=True).encode()


def unpacked(data: bytes) -> ProgressEvent:
    """A :func:`packed` event again, equal to the one packed (a ``progress`` page's)."""
    return ProgressEvent.model_validate_json(data)


# Not sandboxed (ADR 0027): the sandbox re-enters its import guard for every payload of every
# activation (an ``exec`` per payload, ~40% of a worker's CPU besides dbt's own). This module
# touches nothing non-deterministic: time is workflow.now(), waits are workflow.wait().
@workflow.defn(name=WORKFLOW_NAME, sandboxed=False)
class DbtRunWorkflow:
    def __init__(self) -> None:
        self._events: list[bytes] = []
        """Node events, each as :func:`packed` keeps it until the run closes."""
        self._offset = 0
        self._continued = False
        self._plan: PlanSummary | None = None
        self._finished = False
        self._live = LiveTracker(fail_fast=False)
        self._scheduler: DagScheduler | None = None
        self._reader: ProgressRead | None = None
        """The client following the run, and how far it has read."""

    @workflow.update(name="fail_fast")
    def set_fail_fast(self, enabled: bool) -> LiveStatus:
        """Turn fail-fast on (no new node after the next failure; at once if one already
        failed) or off (every node its failures do not skip runs); the run's status."""
        self._live.fail_fast = enabled
        self._live.note(f"fail-fast turned {'on' if enabled else 'off'}", workflow.now())
        if self._scheduler is not None:
            self._skip(self._scheduler, self._scheduler.set_fail_fast(enabled))
        self._write_memo(force=True)
        return self._live.status()

    @set_fail_fast.validator
    def _check_fail_fast(self, enabled: bool) -> None:
        if not isinstance(enabled, bool):
            raise ValueError(f"fail_fast takes true or false, not {enabled!r}")
        if self._finished:
            raise ValueError("the run has ended: there is nothing to change")
        if not enabled and self._scheduler is not None and self._scheduler.stopped:
            raise ValueError(
                "fail-fast already stopped the run after a failure; the skipped nodes cannot"
                " resume (`floe retry` runs them once it ends)"
            )

    @workflow.query(name="progress")
    def progress(self, cursor: int) -> ProgressPage:
        """Node events from ``cursor`` on (pages of 500) and the plan once it is known.

        Cursors count events across continue-as-new: a run continues its predecessor's count.
        """
        start = max(cursor, self._offset)
        events = self._events[start - self._offset : start - self._offset + _QUERY_PAGE]
        end = start + len(events)
        return ProgressPage(
            events=tuple(map(unpacked, events)),
            next_cursor=end,
            plan=self._plan,
            finished=self._finished and end >= self._offset + len(self._events),
            continued=self._continued and end >= self._offset + len(self._events),
        )

    @workflow.signal(name="progress_read")
    def progress_read(self, read: ProgressRead) -> None:
        """A client follows the run and has read its events up to ``read.cursor``."""
        previous = self._reader.cursor if self._reader is not None else 0
        self._reader = read.model_copy(update={"cursor": max(previous, read.cursor)})

    async def _hand_over(self) -> None:
        """Before the run closes: wait (bounded) for its follower to read its last events.

        A client that queried the closed run instead would cost a worker a replay of the
        run's whole history (seconds of workflow task and tens of MiB at 1,000 nodes). With
        no follower, or one that does not answer in time (gone: later runs of the chain do
        not wait for it), the run closes at once; a client that comes back later reads the
        closed run's events through the query all the same.
        """
        reader = self._reader
        if reader is None:
            return
        end = self._offset + len(self._events)
        try:
            await workflow.wait_condition(
                lambda: self._reader is not None and self._reader.cursor >= end,
                timeout=timedelta(seconds=reader.wait_seconds),
            )
        except TimeoutError:
            self._reader = None

    def _event(self, kind: str, unique_id: str, result: NodeResult | None = None) -> None:
        self._events.append(
            packed(
                ProgressEvent.model_validate(
                    {"kind": kind, "unique_id": unique_id, "at": workflow.now(), "result": result}
                )
            )
        )

    def _tag(self, run: RunInput, status: str) -> None:
        """Search attributes and, once the run ends, the final memo."""
        if status != "running":
            self._write_memo(state=status)
        if not run.search_attributes:
            return
        context = run.context
        project = context.project or (self._plan.project_name if self._plan else "")
        updates = [
            COMMAND.value_set(context.command.value),
            TARGET.value_set(context.target or "default"),
            STATUS.value_set(status),
        ]
        if project:
            updates.append(PROJECT.value_set(project))
        if run.selector_attribute:
            updates.append(SELECTOR.value_set(run.selector_attribute))
        workflow.upsert_search_attributes(updates)

    def _write_memo(self, *, state: str = "running", force: bool = False) -> None:
        if force or state != "running" or self._live.changed:
            workflow.upsert_memo({MEMO_KEY: self._live.status(state)})
            self._live.changed = False

    @workflow.run
    async def run(self, run: RunInput) -> RunOutput:
        if run.follower_wait_seconds:
            self._reader = ProgressRead(
                cursor=run.events_offset, wait_seconds=run.follower_wait_seconds
            )
        output = await self._run(run)
        # The run's work is done: a cancel that comes now changes nothing.
        with contextlib.suppress(asyncio.CancelledError):
            await self._hand_over()
        return output

    async def _run(self, run: RunInput) -> RunOutput:
        started_at = run.started_at or workflow.now()
        self._offset = run.events_offset
        self._live.fail_fast = run.fail_fast
        self._tag(run, "running")
        messages: list[str] = []
        context = run.context
        try:
            if run.resume is None and run.pre_run:
                decision = await self._pre_run(run, messages)
                if decision.skip:
                    self._finished = True
                    self._tag(run, "skipped")
                    return RunOutput(
                        status=RunStatus.SUCCESS,
                        skipped_reason=decision.reason or "the pre_run hook skipped the run",
                        hook_messages=tuple(messages),
                        started_at=started_at,
                        completed_at=workflow.now(),
                    )
                context = context.model_copy(update={"env": {**context.env, **decision.env}})
            plan = run.resume or await self._plan_run(run, context)
        except (ActivityError, HookFailed) as exc:
            return await self._finish_error(run, started_at, failure_message(exc), messages)
        self._plan = plan
        self._live.total = plan.node_count
        if plan.listing is not None:  # ls: the plan activity answered it
            self._finished = True
            self._tag(run, RunStatus.SUCCESS.value)
            return RunOutput(
                status=RunStatus.SUCCESS,
                plan=plan,
                output=plan.listing,
                hook_messages=tuple(messages),
                started_at=started_at,
                completed_at=workflow.now(),
            )
        context = context.model_copy(update={"project_version": plan.project_version})
        try:
            status = await self._execute(run, context, plan, started_at)
            stored = await workflow.execute_activity(
                "floe_store_artifacts",
                StoreRequest(
                    context=context,
                    plan=plan,
                    status=status,
                    started_at=started_at,
                    elapsed_seconds=(workflow.now() - started_at).total_seconds(),
                ),
                result_type=StoredRun,
                start_to_close_timeout=timedelta(seconds=run.timeouts.store_seconds),
                retry_policy=_SETUP_RETRY,
            )
            await self._project_hooks(run, context, plan, "on-run-end", messages)
        except ActivityError as exc:
            return await self._finish_error(run, started_at, failure_message(exc), messages)
        succeeded = status is RunStatus.SUCCESS
        kind = "on_success" if succeeded else "on_failure"
        try:
            await run_hooks(
                run.on_success if succeeded else run.on_failure, kind, run, status.value, messages
            )
        except HookFailed as exc:
            messages.append(str(exc))
            status = RunStatus.ERROR
        self._finished = True
        self._tag(run, status.value)
        return RunOutput(
            status=status,
            counts=stored.counts,
            plan=plan,
            results=stored.results,
            run_results=stored.run_results,
            log=stored.log,
            sources=stored.sources,
            hook_messages=tuple(messages),
            started_at=started_at,
            completed_at=workflow.now(),
        )

    # -- phases --------------------------------------------------------------------------
    async def _plan_run(self, run: RunInput, context: RunContext) -> PlanSummary:
        self._warm(run, context)
        plan: PlanSummary = await workflow.execute_activity(
            "floe_plan",
            PlanRequest(
                context=context,
                select=run.select,
                exclude=run.exclude,
                selector=run.selector,
                command_args=run.command_args,
                only=run.only,
            ),
            result_type=PlanSummary,
            start_to_close_timeout=timedelta(seconds=run.timeouts.plan_seconds),
            retry_policy=_SETUP_RETRY,
        )
        return plan

    def _warm(self, run: RunInput, context: RunContext) -> None:
        """Beside the plan, ``warm_activities`` best-effort ``floe_warm`` activities (ADR
        0030): idle workers open the executor the nodes will lease while one worker parses
        for the plan. Never awaited: one that fails, times out or is still queued when the
        run ends changes nothing. Not for ls (no nodes) nor a deferring --favor-state run
        (its node executors differ from the plan's)."""
        if run.warm_activities == 0 or context.command is DBTCommand.LIST or context.favors_state:
            return
        for number in range(1, run.warm_activities + 1):
            handle = workflow.start_activity(
                "floe_warm",
                context,
                activity_id=f"warm:{number}",
                result_type=str,
                schedule_to_close_timeout=timedelta(seconds=run.timeouts.plan_seconds),
                retry_policy=RetryPolicy(maximum_attempts=1),
                cancellation_type=workflow.ActivityCancellationType.ABANDON,
            )
            handle.add_done_callback(_ignore_outcome)

    async def _load_plan(
        self, run: RunInput, plan: PlanSummary
    ) -> tuple[list[str], list[tuple[int, ...]]]:
        ids: list[str] = []
        parents: list[tuple[int, ...]] = []
        for start in range(0, plan.node_count, plan.page_size):
            page = await workflow.execute_activity(
                "floe_plan_page",
                PlanPageRequest(plan=plan.plan, start=start, count=plan.page_size),
                result_type=PlanPage,
                start_to_close_timeout=timedelta(seconds=run.timeouts.store_seconds),
            )
            ids.extend(page.unique_ids)
            parents.extend(page.parents)
        return ids, parents

    async def _completed(
        self, run: RunInput, context: RunContext, page_size: int
    ) -> dict[str, str]:
        done: dict[str, str] = {}
        start, more = 0, True
        while more:
            page: CompletedPage = await workflow.execute_activity(
                "floe_completed_nodes",
                CompletedRequest(context=context, start=start),
                result_type=CompletedPage,
                start_to_close_timeout=timedelta(seconds=run.timeouts.store_seconds),
            )
            done.update(page.statuses)
            start, more = start + page_size, page.more
        return done

    async def _project_hooks(
        self,
        run: RunInput,
        context: RunContext,
        plan: PlanSummary,
        hook_type: str,
        messages: list[str],
    ) -> bool:
        retry = (
            run.hook_retry.on_run_start
            if hook_type == "on-run-start"
            else run.hook_retry.on_run_end
        )
        results = await workflow.execute_activity(
            "floe_project_hooks",
            HookRequest(context=context, plan=plan, hook_type=hook_type),
            result_type=list[NodeResult],
            start_to_close_timeout=timedelta(seconds=run.timeouts.hook_seconds),
            retry_policy=retry.policy(non_retryable_types=("DBTCompilationError",)),
        )
        for result in results:
            self._event("finished", result.unique_id, result)
        failed = [r.unique_id for r in results if r.status.is_failure]
        if failed:
            messages.append(f"{hook_type} hook(s) failed: {', '.join(failed)}")
            self._live.note(messages[-1], workflow.now())
        return not failed

    async def _execute(
        self, run: RunInput, context: RunContext, plan: PlanSummary, started_at: datetime
    ) -> RunStatus:
        ids, parents = await self._load_plan(run, plan)
        scheduler = DagScheduler(ids, parents, fail_fast=self._live.fail_fast)
        self._scheduler = scheduler
        if run.resume is not None:
            for uid, status in (await self._completed(run, context, plan.page_size)).items():
                if uid in scheduler.unique_ids:
                    self._live.counts[status] += 1
                    self._skip(scheduler, scheduler.restore(uid, NodeStatus(status)))
        elif not await self._project_hooks(run, context, plan, "on-run-start", []):
            self._skip(scheduler, scheduler.stop("skipped: on-run-start hooks failed"))
        running: dict[asyncio.Task[Any], tuple[str, ...]] = {}
        # Node activities in the order they resolved. One at a time, each followed by its
        # scheduling and memo write: the commands then depend on the order of the history's
        # events only, never on how they were batched into activations. A worker that
        # answered a query on a run whose workflow task was in flight on a worker that died
        # (sdk-core caches that run) resolves a later task's events in two activations where
        # a replay resolves them in one; handling a batch at once was nondeterministic there.
        resolved: deque[asyncio.Task[Any]] = deque()
        # Nodes of a batch that failed without their results: one activity each (ADR 0030).
        alone: deque[str] = deque()
        continuing = False

        def launch(uids: tuple[str, ...]) -> None:
            task = start_nodes(run, context, plan, uids)
            task.add_done_callback(resolved.append)
            running[task] = uids

        try:
            while True:
                free = run.max_concurrency - len(running)
                while alone and free > 0:
                    launch((alone.popleft(),))
                    free -= 1
                if not continuing and free > 0:
                    ready = scheduler.take_ready(free * run.node_batch_size)
                    for uids in batches(ready, free):
                        launch(uids)
                        for uid in uids:
                            self._event("started", uid)
                            self._live.started(uid)
                self._write_memo()
                if not running:
                    break
                if not resolved:
                    await workflow.wait(list(running), return_when=asyncio.FIRST_COMPLETED)
                task = resolved.popleft()
                uids = running.pop(task)
                outcomes, unknown = node_results(task, uids)
                alone.extend(unknown)
                for result, decided in outcomes:
                    if decided:
                        await workflow.execute_activity(
                            "floe_record_node",
                            NodeOutcome(run_id=context.run_id, result=result),
                            start_to_close_timeout=timedelta(seconds=run.timeouts.store_seconds),
                            retry_policy=_SETUP_RETRY,
                        )
                    self._event("finished", result.unique_id, result)
                    self._live.finished(result, workflow.now(), was_running=True)
                    self._skip(scheduler, scheduler.complete(result.unique_id, result.status))
                continuing = continuing or workflow.info().is_continue_as_new_suggested()
        except asyncio.CancelledError:
            for task in running:
                task.cancel()
            raise
        if continuing and not scheduler.finished:
            self._continued = True
            await self._hand_over()
            workflow.continue_as_new(
                run.model_copy(
                    update={
                        "resume": plan,
                        "context": context,
                        "started_at": started_at,
                        "events_offset": self._offset + len(self._events),
                        "fail_fast": self._live.fail_fast,
                        "follower_wait_seconds": self._reader.wait_seconds
                        if self._reader is not None
                        else 0.0,
                    }
                )
            )
        return scheduler.run_status

    def _skip(self, scheduler: DagScheduler, skipped: list[str]) -> None:
        for uid in skipped:
            result = stub_result(uid, NodeStatus.SKIPPED, scheduler.skip_reasons[uid])
            self._event("skipped", uid, result)
            self._live.finished(result, workflow.now(), was_running=False)

    # -- hooks (child workflows) ---------------------------------------------------------
    async def _pre_run(self, run: RunInput, messages: list[str]) -> PreRunDecision:
        """The pre_run hooks' combined answer: the first that skips skips the run; the env
        they add is merged in order."""
        env: dict[str, str] = {}
        for position, hook in enumerate(run.pre_run, 1):
            answer = await run_hook(hook, "pre_run", position, run, "pending", messages)
            decision = PreRunDecision.model_validate(answer or {})
            if decision.skip:
                return decision
            env.update(decision.env)
        return PreRunDecision(env=env)

    async def _finish_error(
        self, run: RunInput, started_at: datetime, error: str, messages: list[str]
    ) -> RunOutput:
        try:
            await run_hooks(run.on_failure, "on_failure", run, "error", messages)
        except HookFailed as exc:
            messages.append(str(exc))
        self._finished = True
        self._tag(run, RunStatus.ERROR.value)
        return RunOutput(
            status=RunStatus.ERROR,
            error=error,
            hook_messages=tuple(messages),
            started_at=started_at,
            completed_at=workflow.now(),
        )
