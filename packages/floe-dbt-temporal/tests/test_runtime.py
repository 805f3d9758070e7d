from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_core import (
    DBTInvocation,
    FloeEvent,
    GeneratedProfile,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    RunPlanned,
    RunStatus,
)
from floe_dbt_temporal import TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


def test_shop_builds_through_the_workflow(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    shop: Path,
    duckdb_profile: GeneratedProfile,
) -> None:
    runtime = make_runtime()
    events: list[FloeEvent] = []
    runtime.events.subscribe(events.append)
    invocation = DBTInvocation(project_dir=shop, profile=duckdb_profile)
    with temporal_server.worker(settings):
        result = runtime.build(invocation)

    assert result.status is RunStatus.SUCCESS, result.error
    models = [n for n in result.nodes if n.resource_type != "operation"]
    assert len(models) == 46
    assert {n.status for n in models} == {NodeStatus.SUCCESS}
    assert result.node("model.shop.orders").compiled_code
    assert result.run_results_path
    assert result.run_results_path.is_file()
    assert result.manifest_path
    assert result.manifest_path.is_file()
    assert result.metadata["workflow_id"] == f"floe-{invocation.invocation_id}"
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "RunStarted"
    assert kinds[1] == "RunPlanned"
    assert kinds[-1] == "RunFinished"
    started = {e.unique_id for e in events if isinstance(e, NodeStarted)}
    finished = {e.result.unique_id for e in events if isinstance(e, NodeFinished)}
    assert started == {n.unique_id for n in models}
    assert started <= finished
    planned = next(e for e in events if isinstance(e, RunPlanned))
    assert planned.manifest_path
    assert planned.manifest_path.is_file()


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
    )
    with temporal_server.worker(settings):
        result = runtime.build(invocation)

    assert result.status is RunStatus.FAILED
    assert result.node("model.shop.orders").status is NodeStatus.ERROR
    assert result.node("model.shop.customers").status is NodeStatus.SKIPPED
    assert result.node("model.shop.daily_revenue").status is NodeStatus.SKIPPED
    assert result.node("model.shop.products").status is NodeStatus.SUCCESS
    assert result.node("model.shop.fct_payments_incremental").status is NodeStatus.SUCCESS
    skipped = {e.result.unique_id for e in events if isinstance(e, NodeSkipped)}
    assert "model.shop.customers" in skipped
