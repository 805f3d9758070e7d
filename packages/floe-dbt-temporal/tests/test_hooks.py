from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError

from floe_core import DBTInvocation, GeneratedProfile, NodeStatus, RunStatus
from floe_dbt_temporal import (
    HookOnError,
    HookRetries,
    HookSpec,
    RetrySettings,
    TemporalRuntime,
    WorkerSettings,
)

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


@workflow.defn(name="test_skip_run", sandboxed=False)  # test modules are not importable by name
class SkipRun:
    @workflow.run
    async def run(self, call: dict[str, Any]) -> dict[str, Any]:
        return {"skip": True, "reason": f"maintenance window for {call['command']}"}


@workflow.defn(name="test_add_env", sandboxed=False)  # test modules are not importable by name
class AddEnv:
    @workflow.run
    async def run(self, call: dict[str, Any]) -> dict[str, Any]:
        return {"env": {"FLOE_HOOK_VALUE": str(call["args"]["value"])}}


@workflow.defn(name="test_echo", sandboxed=False)  # test modules are not importable by name
class Echo:
    @workflow.run
    async def run(self, call: dict[str, Any]) -> dict[str, Any]:
        return call


@workflow.defn(name="test_fail", sandboxed=False)  # test modules are not importable by name
class Fail:
    @workflow.run
    async def run(self, call: dict[str, Any]) -> None:
        raise ApplicationError("pager is down", non_retryable=True)


@workflow.defn(name="test_second_try", sandboxed=False)  # test modules are not importable by name
class SecondTry:
    @workflow.run
    async def run(self, call: dict[str, Any]) -> dict[str, Any]:
        if workflow.info().attempt < 2:
            raise ApplicationError("the first attempt fails")
        return {"attempt": workflow.info().attempt}


@workflow.defn(name="test_linger", sandboxed=False)  # test modules are not importable by name
class Linger:
    @workflow.run
    async def run(self, call: dict[str, Any]) -> None:
        await workflow.sleep(600)


HOOKS = (SkipRun, AddEnv, Echo, Fail, SecondTry, Linger)


def test_a_pre_run_hook_can_skip_the_run(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
) -> None:
    runtime = make_runtime(pre_run=HookSpec(workflow="test_skip_run"))
    with temporal_server.worker(settings, extra_workflows=HOOKS):
        result = runtime.build(DBTInvocation(project_dir=dag_project, profile=duckdb_profile))
    assert result.status is RunStatus.SUCCESS
    assert result.nodes == ()
    assert result.metadata["skipped_reason"] == "maintenance window for build"


def test_hook_lists_retry_per_phase_fire_and_forget_and_add_env(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
) -> None:
    runtime = make_runtime(
        pre_run=HookSpec(workflow="test_add_env", args={"value": 42}),
        on_success=[
            HookSpec(workflow="test_second_try"),
            HookSpec(workflow="test_echo"),
            HookSpec(workflow="test_linger", fire_and_forget=True),
        ],
        on_failure=[
            HookSpec(workflow="test_fail", on_error=HookOnError.WARN, timeout_seconds=20),
            HookSpec(workflow="test_fail", fire_and_forget=True),
        ],
        hook_retry=HookRetries(
            on_success=RetrySettings(maximum_attempts=2, initial_interval_seconds=0.1)
        ),
    )
    good = DBTInvocation(project_dir=dag_project, profile=duckdb_profile, select=("from_env",))
    bad = DBTInvocation(project_dir=dag_project, profile=duckdb_profile, select=("broken",))
    # The pre_run hook's env is per-run env: the worker must allow it.
    allowing = settings.model_copy(update={"allowed_env": ("FLOE_HOOK_*",)})
    with temporal_server.worker(allowing, extra_workflows=HOOKS):
        succeeded = runtime.build(good)
        failed = runtime.build(bad)

    node = succeeded.node("model.dag.from_env")
    assert node.status is NodeStatus.SUCCESS
    assert "select 42 as hook_value" in (node.compiled_code or "")

    client = temporal_server.env.client
    hooks = f"{succeeded.metadata['workflow_id']}-on_success"

    async def outcomes() -> tuple[Any, Any, Any]:
        retried = await client.get_workflow_handle(hooks).result()
        echoed = await client.get_workflow_handle(f"{hooks}-2").result()
        lingering = client.get_workflow_handle(f"{hooks}-3")
        status = (await lingering.describe()).status
        await lingering.terminate("test over")
        return retried, echoed, status

    retried, echoed, lingering = temporal_server.loop.run(outcomes())
    assert retried == {"attempt": 2}  # the on_success phase's retry policy
    assert echoed["status"] == "success"
    # Not waited for: the run ended while it still runs.
    assert lingering is WorkflowExecutionStatus.RUNNING
    assert failed.status is RunStatus.FAILED  # the hooks' failures did not make it an error
    # The waited-for hook's failure is reported; the fire-and-forget one's is not awaited.
    assert [m for m in failed.metadata["hook_messages"] if "pager is down" in m] == [
        "on_failure hook test_fail failed: pager is down"
    ]
