"""How the run workflow starts its node activities and reads their outcomes (ADR 0030).

Deterministic (it runs in the workflow): a node alone runs as ``floe_node``, as before
batching; several ready nodes share one ``floe_nodes`` activity only when more are ready than
the run's ``max_concurrency`` leaves activities for, at most ``node_batch_size`` each.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

with workflow.unsafe.imports_passed_through():
    from floe_core import NodeResult, NodeStatus
    from floe_dbt_temporal._hooks import failure_message
    from floe_dbt_temporal._models import NodeBatch, NodeTask, PlanSummary, RunContext, RunInput

__all__ = ["batches", "node_results", "start_nodes", "stub_result"]


def batches(ready: list[str], slots: int) -> list[tuple[str, ...]]:
    """``ready`` (in order) spread over at most ``slots`` activities as evenly as possible:
    nodes share an activity only when more are ready than there are free slots."""
    count = min(slots, len(ready))
    if not count:
        return []
    size, extra = divmod(len(ready), count)
    chunks: list[tuple[str, ...]] = []
    start = 0
    for index in range(count):
        end = start + size + (index < extra)
        chunks.append(tuple(ready[start:end]))
        start = end
    return chunks


def stub_result(unique_id: str, status: NodeStatus, message: str) -> NodeResult:
    """A result for a node that produced none (skipped, or its activity failed outright)."""
    resource_type, _, rest = unique_id.partition(".")
    return NodeResult(
        unique_id=unique_id,
        name=rest.split(".")[1] if "." in rest else rest,
        resource_type=resource_type,
        status=status,
        message=message,
    )


def start_nodes(
    run: RunInput, context: RunContext, plan: PlanSummary, uids: tuple[str, ...]
) -> asyncio.Task[Any]:
    """One node as ``floe_node`` (activity id: the node's id, as before batching), several
    as one ``floe_nodes`` (unique: a node is in one batch at most, alone only by its id)."""
    # --favor-state: the worker removes the plan's nodes from the state it defers to
    stored_plan = plan.plan if context.favors_state else None
    errors = run.non_retryable_errors
    result_type: type[Any]
    if len(uids) == 1:
        name, activity_id, result_type = "floe_node", uids[0], NodeResult
        task: NodeTask | NodeBatch = NodeTask(
            context=context, unique_id=uids[0], non_retryable_errors=errors, plan=stored_plan
        )
    else:
        name, activity_id, result_type = "floe_nodes", f"batch:{uids[0]}", list[NodeResult]
        task = NodeBatch(
            context=context, unique_ids=uids, non_retryable_errors=errors, plan=stored_plan
        )
    return workflow.start_activity(
        name,
        task,
        result_type=result_type,
        activity_id=activity_id,
        start_to_close_timeout=timedelta(seconds=run.timeouts.node_seconds * len(uids)),
        heartbeat_timeout=timedelta(seconds=run.heartbeat_timeout_seconds),
        retry_policy=run.retry.policy(),
    )


def node_results(
    task: asyncio.Task[Any], uids: tuple[str, ...]
) -> tuple[list[tuple[NodeResult, bool]], list[str]]:
    """The nodes' results, each with whether the workflow made it up (no attempt
    produced one: it must then be stored, or the run's files would call the node
    skipped); and the nodes of a batch left without a result, to run one by one."""
    try:
        value = task.result()
    except ActivityError as exc:
        cause = exc.cause
        details = cause.details if isinstance(cause, ApplicationError) else ()
        if len(uids) > 1:
            # a batch's last attempt failed: the results it reported are final; nodes
            # without one (it timed out, its workers died) get their own activity and
            # attempts, which do not execute a node whose success is stored
            known = (
                {
                    result.unique_id: result
                    for result in (NodeResult.model_validate(item) for item in details[0])
                }
                if details
                else {}
            )
            return (
                [(known[uid], False) for uid in uids if uid in known],
                [uid for uid in uids if uid not in known],
            )
        if details:
            return [(NodeResult.model_validate(details[0]), False)], []
        message = failure_message(exc)
        if exc.retry_state is RetryState.MAXIMUM_ATTEMPTS_REACHED:
            message = f"failed on every attempt: {message}"
        return [(stub_result(uids[0], NodeStatus.ERROR, message), True)], []
    if len(uids) == 1:
        return [(NodeResult.model_validate(value), False)], []
    return [(NodeResult.model_validate(item), False) for item in value], []
