"""The node activities of ``floe_dbt_run``: one node (``floe_node``), several ready nodes one
after the other (``floe_nodes``, ADR 0030), and the error of a node without a result.

Each node's full result goes to the store, a light copy to history; a node whose success is
already in the store (its worker died before reporting) is not executed again.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from floe_core import NodeResult, NodeStatus, RunCancelledError
from floe_core.stores import StoredArtifact
from floe_dbt_inprocess.executor import WarmExecutor
from floe_dbt_temporal._artifacts import RunArtifacts, freshness_key, node_result_key
from floe_dbt_temporal._executor_access import ExecutorAccess, application_error
from floe_dbt_temporal._models import NodeBatch, NodeOutcome, NodeTask, RunContext

__all__ = ["NodeActivities"]

_log = structlog.get_logger("floe.temporal.worker")
T = TypeVar("T")


@contextmanager
def _heartbeating(
    interval: float, on_cancel: Callable[[], None], details: Callable[[], tuple[Any, ...]] = tuple
) -> Iterator[None]:
    """Heartbeat from a side thread while the node runs (dbt blocks the activity thread);
    once Temporal cancels the activity (workflow cancelled, timed out), ``on_cancel`` stops
    the warehouse statement, as dbt does on Ctrl-C. Each heartbeat carries ``details()``
    (a batch's finished nodes: Temporal keeps the last ones for the next attempt)."""
    stop = threading.Event()
    context = contextvars.copy_context()

    def beat() -> None:
        while not stop.wait(interval):
            activity.heartbeat(*details())
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
    """Whether Temporal gave this attempt up because it outlived its start-to-close timeout.

    Its outcome then arrives after the workflow moved on: a later attempt, or the workflow's
    own "failed on every attempt" record, already owns the node's stored result, which a late
    write from this attempt would overwrite. The server reports such an attempt to its next
    heartbeat as not found, as it does every attempt of a run that was cancelled and closed:
    that one's outcome ("Cancelled") is still the node's record, hence the deadline check.
    """
    details = activity.cancellation_details()
    if details is None:
        return False
    info = activity.info()
    timeout = info.start_to_close_timeout
    past_deadline = timeout is not None and datetime.now(UTC) >= info.started_time + timeout
    return details.timed_out or (details.not_found and past_deadline)


class NodeActivities(ExecutorAccess):
    """The node activities, on a worker's executors and store."""

    def _heartbeat_interval(self) -> float:
        timeout = activity.info().heartbeat_timeout
        return max(0.5, (timeout.total_seconds() if timeout else 30) / 3)

    def _leased_heartbeating(
        self,
        context: RunContext,
        plan: StoredArtifact | None,
        use: Callable[[WarmExecutor], T],
        details: Callable[[], tuple[Any, ...]] = tuple,
    ) -> T:
        """``use`` the run's warm executor on this thread, heartbeating meanwhile (also while
        the executor loads: a first parse can outlast the timeout); a cancelled activity
        cancels the statement this thread runs."""
        node_thread = threading.get_ident()
        leased: list[WarmExecutor] = []

        def cancel_query() -> None:
            for executor in leased:
                executor.cancel_query_of(node_thread)

        def run(executor: WarmExecutor) -> T:
            leased.append(executor)
            return use(executor)

        with _heartbeating(self._heartbeat_interval(), cancel_query, details):
            return self._with_executor(context, context.project_version, run, plan=plan)

    def _stored_success(self, run_id: str, unique_id: str) -> NodeResult | None:
        """The node's success already in the store (its worker died before reporting)."""
        key = node_result_key(run_id, unique_id)
        if self.store.exists(key):
            previous = NodeResult.model_validate_json(self.store.get(key))
            if previous.status is NodeStatus.SUCCESS:
                return previous.model_copy(update={"compiled_code": None})
        return None

    def _execute_node(
        self,
        executor: WarmExecutor,
        context: RunContext,
        unique_id: str,
        non_retryable_errors: tuple[str, ...],
    ) -> tuple[NodeResult, ApplicationError | None]:
        """Execute one node and store its full result; its light result, and the error to
        raise for it when it failed transiently (retryable unless ``non_retryable_errors``
        match its message)."""
        outcome = executor.execute(
            unique_id, run_id=context.run_id, retried=activity.info().attempt > 1
        )
        if not _attempt_abandoned():
            # Kept as it ended: a cancelled statement is an error, one that finished first
            # really succeeded.
            self.store.put(
                node_result_key(context.run_id, unique_id),
                outcome.result.model_dump_json().encode(),
            )
            if outcome.freshness is not None:
                self.store.put(
                    freshness_key(context.run_id, unique_id),
                    json.dumps(outcome.freshness, default=str).encode(),
                )
        if activity.is_cancelled():
            raise application_error(RunCancelledError(f"{unique_id} cancelled"))
        light = outcome.result.model_copy(update={"compiled_code": None})
        if not outcome.retryable:
            return light, None
        # A transient failure is retried, unless its message matches one of the run's
        # non_retryable_errors (a SQL compilation error an adapter reports as a database
        # error).
        message = outcome.result.message or f"{unique_id} failed"
        final = any(re.search(p, message) for p in non_retryable_errors)
        error = ApplicationError(
            message,
            light.model_dump(mode="json"),
            type="NonRetryableNodeError" if final else "WarehouseError",
            non_retryable=final,
        )
        return light, error

    @activity.defn(name="floe_node")
    def node(self, task: NodeTask) -> NodeResult:
        """Execute one node; its full result goes to the store, a light copy to history.

        A node whose success is already in the store (its worker died before reporting) is
        not executed again.
        """
        previous = self._stored_success(task.context.run_id, task.unique_id)
        if previous is not None:
            return previous

        def run(executor: WarmExecutor) -> NodeResult:
            result, error = self._execute_node(
                executor, task.context, task.unique_id, task.non_retryable_errors
            )
            if error is not None:
                raise error
            return result

        return self._leased_heartbeating(task.context, task.plan, run)

    @activity.defn(name="floe_nodes")
    def nodes(self, batch: NodeBatch) -> list[NodeResult]:
        """Execute several independent ready nodes one after the other (ADR 0030); their
        light results in the batch's order.

        Each finished node goes into the heartbeat details: an attempt after a failure or a
        dead worker executes only the nodes without a final result (and a node whose success
        is in the store is not executed again either). A transient failure lets the batch's
        other nodes run first, then fails the attempt with every result so far as details
        (the workflow takes them as final once the attempts are used up).
        """
        context = batch.context
        details = activity.info().heartbeat_details
        done = {
            result.unique_id: result
            for result in (NodeResult.model_validate(item) for item in (details or [[]])[0])
        }
        transient: dict[str, tuple[NodeResult, ApplicationError]] = {}

        def finished() -> tuple[Any, ...]:
            return ([result.model_dump(mode="json") for result in list(done.values())],)

        def run(executor: WarmExecutor) -> list[NodeResult]:
            for unique_id in batch.unique_ids:
                if unique_id in done:
                    continue
                if activity.is_cancelled():
                    raise application_error(RunCancelledError(f"{unique_id} cancelled"))
                previous = self._stored_success(context.run_id, unique_id)
                if previous is not None:
                    done[unique_id] = previous
                    continue
                result, error = self._execute_node(
                    executor, context, unique_id, batch.non_retryable_errors
                )
                if error is not None and not error.non_retryable:
                    transient[unique_id] = (result, error)
                    continue
                done[unique_id] = result
                activity.heartbeat(*finished())
            if transient:
                first = next(iter(transient.values()))[1]
                known = {**done, **{uid: result for uid, (result, _) in transient.items()}}
                raise ApplicationError(
                    first.message,
                    [known[uid].model_dump(mode="json") for uid in batch.unique_ids],
                    type=first.type,
                    non_retryable=False,
                )
            return [done[unique_id] for unique_id in batch.unique_ids]

        return self._leased_heartbeating(context, batch.plan, run, finished)

    @activity.defn(name="floe_record_node")
    def record_node(self, outcome: NodeOutcome) -> None:
        """Store the error of a node whose every attempt failed without a result (worker
        killed, heartbeat or start-to-close timeout), so the run's files show that error."""
        RunArtifacts(self.store, outcome.run_id).put_node_result(outcome.result)
