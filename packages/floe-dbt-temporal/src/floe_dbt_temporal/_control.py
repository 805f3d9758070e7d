"""Live control from any client: read a run's memo, change its fail-fast setting.

Reading needs only the server (the memo is part of the workflow's description), so it works
while no worker runs; changing fail-fast is a workflow update, answered by the worker that
runs the workflow (its validator refuses a change the run cannot make).
"""

from __future__ import annotations

import asyncio

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from floe_core import ConfigError, LiveStatus, RuntimeExecutionError
from floe_dbt_temporal._live import MEMO_KEY

__all__ = ["UPDATE_TIMEOUT_SECONDS", "change_fail_fast", "read_live_status"]

UPDATE_TIMEOUT_SECONDS = 30.0
"""How long ``floe runs fail-fast`` waits for a worker to apply the change."""


async def read_live_status(client: Client, workflow_id: str) -> LiveStatus:
    """The run's memo (the latest run of its continue-as-new chain), ``running`` as the
    server says: a run that was terminated or timed out keeps its last memo."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        raise _translated(exc, workflow_id) from exc
    running = description.status is WorkflowExecutionStatus.RUNNING
    try:
        live: LiveStatus = await description.memo_value(MEMO_KEY, type_hint=LiveStatus)
    except KeyError:  # not written yet: the run is still planning
        live = LiveStatus(running=running)
    if not running and live.running:
        state = description.status.name.lower() if description.status else "closed"
        live = live.model_copy(update={"running": False, "status": state})
    return live


async def change_fail_fast(client: Client, workflow_id: str, enabled: bool) -> LiveStatus:
    handle = client.get_workflow_handle(workflow_id)
    try:
        status: LiveStatus = await asyncio.wait_for(
            handle.execute_update("fail_fast", enabled, result_type=LiveStatus),
            UPDATE_TIMEOUT_SECONDS,
        )
    except WorkflowUpdateFailedError as exc:
        raise ConfigError(
            f"run {workflow_id} refused the change: {exc.cause}",
            hint="`floe runs show ID` shows where the run is",
        ) from exc
    except TimeoutError:
        raise RuntimeExecutionError(
            f"no worker applied the change to run {workflow_id} within"
            f" {UPDATE_TIMEOUT_SECONDS:g} s",
            hint="start a worker for the run's task queue (`floe worker`), then try again",
        ) from None
    except RPCError as exc:
        raise _translated(exc, workflow_id) from exc
    return status


def _translated(exc: RPCError, workflow_id: str) -> Exception:
    if exc.status is RPCStatusCode.NOT_FOUND:
        return ConfigError(
            f"Temporal knows no run {workflow_id} (or it has ended)",
            hint="check the manifest's temporal address and namespace",
        )
    return RuntimeExecutionError(f"Temporal did not answer about run {workflow_id}: {exc}")
