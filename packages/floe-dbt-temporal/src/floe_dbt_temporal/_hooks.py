"""Hook workflows around a run: ``pre_run``, ``on_success``, ``on_failure``.

Each event has a list of hooks, run in order as child workflows of the run, each with its
phase's retry policy (``hook_retry``). A ``fire_and_forget`` hook is started and left to
itself (it outlives the run; only a failure to start it is reported, never failing the run).
What a waited-for hook's failure does is its ``on_error``: fail the run, warn, or ignore.
Runs inside the workflow (deterministic).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from floe_dbt_temporal._models import HookOnError, HookSpec, RunInput

__all__ = ["HookFailed", "failure_message", "run_hook", "run_hooks"]


class HookFailed(Exception):
    """A hook with ``on_error: fail`` failed: the run fails with this message."""


def failure_message(exc: BaseException) -> str:
    cause = exc.cause if isinstance(exc, ActivityError | ChildWorkflowError) else None
    return str(cause or exc)


async def run_hooks(
    hooks: tuple[HookSpec, ...], kind: str, run: RunInput, status: str, messages: list[str]
) -> list[Any]:
    """Run ``kind``'s hooks in order; the answers of those waited for (None otherwise).

    Raises :class:`HookFailed` at the first failing hook whose ``on_error`` is ``fail``.
    """
    return [
        await run_hook(hook, kind, position, run, status, messages)
        for position, hook in enumerate(hooks, 1)
    ]


async def run_hook(
    hook: HookSpec, kind: str, position: int, run: RunInput, status: str, messages: list[str]
) -> Any:
    """One hook (the ``position``-th of its event): its answer, or None when not waited for
    or failed with ``on_error`` warn/ignore."""
    info = workflow.info()
    payload = {
        "run_id": run.context.run_id,
        "project": run.context.project,
        "command": run.context.command.value,
        "target": run.context.target,
        "status": status,
        "args": hook.args,
    }
    options: dict[str, Any] = {
        "id": f"{info.workflow_id}-{kind}" + (f"-{position}" if position > 1 else ""),
        "task_queue": hook.task_queue or info.task_queue,
        # Per attempt: the phase's retry policy bounds the attempts.
        "run_timeout": timedelta(seconds=hook.timeout_seconds),
        "retry_policy": getattr(run.hook_retry, kind).policy(),
    }
    if hook.fire_and_forget:
        try:
            await workflow.start_child_workflow(
                hook.workflow,
                payload,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                **options,
            )
        except Exception as exc:  # fire and forget: nothing fails the run
            message = f"{kind} hook {hook.workflow} (fire and forget) did not start: {exc}"
            workflow.logger.warning(message)
            messages.append(message)
        return None
    try:
        return await workflow.execute_child_workflow(hook.workflow, payload, **options)
    except ChildWorkflowError as exc:
        message = f"{kind} hook {hook.workflow} failed: {failure_message(exc)}"
        if hook.on_error is HookOnError.FAIL:
            raise HookFailed(message) from exc
        if hook.on_error is HookOnError.WARN:
            workflow.logger.warning(message)
            messages.append(message)
        return None
