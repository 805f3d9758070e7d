from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_core import (
    DBTInvocation,
    DBTRunResult,
    FloeEvent,
    GeneratedProfile,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    RunPlanned,
    RunStatus,
)
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig
from floe_dbt_temporal import TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


def test_a_failing_model_skips_its_downstream_only(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    shop: Path,
    duckdb_profile: GeneratedProfile,
) -> None:
    runtime = make_runtime()
    events: list[FloeEvent] = []
    runtime.events.subscribe(events.append)
    invocation = DBTInvocation(
        project_dir=shop,
        profile=duckdb_profile,
        vars={"fail_model": True},
        select=("+customers", "+daily_revenue", "+products"),
    )
    with temporal_server.worker(settings):
        result = runtime.build(invocation)

    assert result.status is RunStatus.FAILED
    assert result.node("model.shop.orders").status is NodeStatus.ERROR
    assert result.node("model.shop.customers").status is NodeStatus.SKIPPED
    assert result.node("model.shop.daily_revenue").status is NodeStatus.SKIPPED
    assert result.node("model.shop.products").status is NodeStatus.SUCCESS
    assert result.node("model.shop.stg_payments").status is NodeStatus.SUCCESS
    skipped = {e.result.unique_id for e in events if isinstance(e, NodeSkipped)}
    assert "model.shop.customers" in skipped


def test_shop_builds_through_the_workflow_like_the_local_runtime(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    shop: Path,
    tmp_path: Path,
) -> None:
    """Same project, each runtime on a fresh DuckDB file: same statuses and row counts per
    node (operations/hooks aside); node events stream while the workflow runs."""
    local_copy = tmp_path / "local-shop"
    shutil.copytree(shop, local_copy)

    def profile(name: str) -> GeneratedProfile:
        path = str(tmp_path / f"{name}.duckdb")
        return GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": path}})

    runtime = make_runtime()
    events: list[FloeEvent] = []
    runtime.events.subscribe(events.append)
    invocation = DBTInvocation(project_dir=shop, profile=profile("t"))
    with temporal_server.worker(settings):
        remote = runtime.build(invocation)
    local = LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=tmp_path / "cache")).build(
        DBTInvocation(project_dir=local_copy, profile=profile("l"))
    )

    assert remote.status is RunStatus.SUCCESS, remote.error
    models = [n for n in remote.nodes if n.resource_type != "operation"]
    assert len(models) == 46
    assert remote.node("model.shop.orders").compiled_code
    assert remote.run_results_path is not None
    assert remote.run_results_path.is_file()
    assert remote.metadata["workflow_id"] == f"floe-{invocation.invocation_id}"
    kinds = [type(e).__name__ for e in events]
    assert kinds[:3] == ["RunStarted", "RunHandleReported", "RunPlanned"]
    assert kinds[-1] == "RunFinished"
    started = {e.unique_id for e in events if isinstance(e, NodeStarted)}
    finished = {e.result.unique_id for e in events if isinstance(e, NodeFinished)}
    assert started == {n.unique_id for n in models}
    assert started <= finished
    planned = next(e for e in events if isinstance(e, RunPlanned))
    assert planned.manifest_path is not None
    assert planned.manifest_path.is_file()

    def outcome(result: DBTRunResult) -> dict[str, tuple[NodeStatus, int | None]]:
        return {
            n.unique_id: (n.status, n.adapter_response.rows_affected)
            for n in result.nodes
            if n.resource_type != "operation"
        }

    assert local.status is RunStatus.SUCCESS
    assert outcome(remote) == outcome(local)
