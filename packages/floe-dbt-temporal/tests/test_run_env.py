"""Per-run environment: one worker serves runs that set different ``env_var()`` values,
within the names it allows; secrets travel by name and never reach the workflow history."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_core import DBTInvocation, GeneratedProfile, NodeResult, RunStatus
from floe_dbt_temporal import TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]

SECRET = "7391846205"


def _readable(history: str) -> str:
    """The history's JSON with every payload (base64 in JSON) decoded next to it."""
    texts = [history]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "data" and isinstance(item, str):
                    texts.append(base64.b64decode(item).decode("utf-8", "replace"))
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(history))
    return "\n".join(texts)


def test_runs_set_their_own_env_and_secrets_stay_on_the_worker(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The worker's own environment (an in-process worker shares the test's).
    monkeypatch.setenv("ACME_HOOK_SECRET", SECRET)
    worker = settings.model_copy(update={"allowed_env": ("FLOE_HOOK_VALUE", "ACME_*")})
    invocation = DBTInvocation(
        project_dir=dag_project, profile=duckdb_profile, select=("from_env",)
    )

    def compiled(result: Any) -> str:
        node: NodeResult = result.node("model.dag.from_env")
        return node.compiled_code or ""

    with temporal_server.worker(worker):
        tenant_a = make_runtime(env={"FLOE_HOOK_VALUE": "5"}).build(invocation)
        tenant_b = make_runtime(env_from_worker={"FLOE_HOOK_VALUE": "ACME_HOOK_SECRET"}).build(
            invocation.model_copy(update={"invocation_id": "tenant-b"})
        )
        refused = make_runtime(env={"FLOE_OTHER": "1"}).build(
            invocation.model_copy(update={"invocation_id": "refused"})
        )

    assert tenant_a.status is RunStatus.SUCCESS, tenant_a.error
    assert "select 5 as hook_value" in compiled(tenant_a)
    assert tenant_b.status is RunStatus.SUCCESS, tenant_b.error
    assert f"select {SECRET} as hook_value" in compiled(tenant_b)  # resolved on the worker
    assert refused.status is RunStatus.ERROR
    assert "does not let runs set environment variable(s) FLOE_OTHER" in (refused.error or "")
    assert "--allow-env" in (refused.error or "")

    async def history() -> str:
        handle = temporal_server.env.client.get_workflow_handle(tenant_b.metadata["workflow_id"])
        return str((await handle.fetch_history()).to_json())

    events = _readable(temporal_server.loop.run(history()))
    assert "ACME_HOOK_SECRET" in events  # the name travels
    assert SECRET not in events  # the value never does
