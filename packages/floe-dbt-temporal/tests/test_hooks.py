from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.exceptions import ApplicationError

from floe_core import DBTInvocation, GeneratedProfile, NodeStatus, RunStatus
from floe_dbt_temporal import HookOnError, HookSpec, TemporalRuntime, WorkerSettings

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


HOOKS = (SkipRun, AddEnv, Echo, Fail)


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


def test_hooks_add_env_and_run_after_the_outcome(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
) -> None:
    runtime = make_runtime(
        pre_run=HookSpec(workflow="test_add_env", args={"value": 42}),
        on_success=HookSpec(workflow="test_echo"),
        on_failure=HookSpec(workflow="test_fail", on_error=HookOnError.WARN, timeout_seconds=20),
    )
    good = DBTInvocation(project_dir=dag_project, profile=duckdb_profile, select=("from_env",))
    bad = DBTInvocation(project_dir=dag_project, profile=duckdb_profile, select=("broken",))
    with temporal_server.worker(settings, extra_workflows=HOOKS):
        succeeded = runtime.build(good)
        failed = runtime.build(bad)

    node = succeeded.node("model.dag.from_env")
    assert node.status is NodeStatus.SUCCESS
    assert "select 42 as hook_value" in (node.compiled_code or "")

    async def echoed() -> Any:
        workflow_id = f"{succeeded.metadata['workflow_id']}-on_success"
        return await temporal_server.env.client.get_workflow_handle(workflow_id).result()

    assert temporal_server.loop.run(echoed())["status"] == "success"
    assert failed.status is RunStatus.FAILED
    assert any("pager is down" in m for m in failed.metadata["hook_messages"])
