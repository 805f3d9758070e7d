"""The floe event stream the local runtime emits while dbt runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dbt.events.types import NodeCompiling, NodeFinished, SkippingDetails
from dbt_common.events.base_types import msg_from_base_event

from floe_core import (
    DBTInvocation,
    FloeEvent,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    RunPlanned,
    RunStarted,
)
from floe_core import NodeFinished as FloeNodeFinished
from floe_core.testing.contract import RecordedRun, assert_event_stream
from floe_dbt_local import DbtEventTranslator, LocalRuntime

MakeInvocation = Callable[..., DBTInvocation]

NODE_INFO: dict[str, Any] = {
    "node_path": "marts/orders.sql",
    "node_name": "orders",
    "unique_id": "model.shop.orders",
    "resource_type": "model",
    "materialized": "table",
    "node_status": "started",
    "node_started_at": "2026-01-02T03:04:05.000006",
    "node_finished_at": "2026-01-02T03:04:07.000000",
    "node_relation": {"relation_name": '"shop"."main"."orders"'},
}


def _translate(*dbt_events: Any) -> list[FloeEvent]:
    emitted: list[FloeEvent] = []
    translator = DbtEventTranslator("inv-1", emitted.append)
    for event in dbt_events:
        translator(msg_from_base_event(event))
    return emitted


def test_node_started_on_compiling_and_finished_with_the_run_result() -> None:
    run_result = {
        "status": "success",
        "message": "OK",
        "thread": "Thread-1",
        "execution_time": 1.5,
        "num_failures": 0,
        "timing_info": [],
        "adapter_response": {"_message": "OK", "rows_affected": 60, "code": "SELECT"},
    }
    started, finished = _translate(
        NodeCompiling(node_info=NODE_INFO),
        NodeFinished(node_info=NODE_INFO, run_result=run_result),
    )
    assert isinstance(started, NodeStarted)
    assert (started.unique_id, started.materialization) == ("model.shop.orders", "table")
    assert started.started_at.isoformat() == "2026-01-02T03:04:05.000006+00:00"
    assert isinstance(finished, FloeNodeFinished)
    result = finished.result
    assert result.status is NodeStatus.SUCCESS
    assert result.adapter_response.rows_affected == 60
    assert result.adapter_response.code == "SELECT"
    assert result.relation_name == '"shop"."main"."orders"'
    assert result.execution_time == 1.5


def test_skipped_node_yields_only_node_skipped() -> None:
    (skipped,) = _translate(
        SkippingDetails(
            node_info=NODE_INFO, resource_type="model", node_name="orders", index=3, total=9
        ),
        NodeFinished(node_info=NODE_INFO, run_result={"status": "skipped"}),
    )
    assert isinstance(skipped, NodeSkipped)
    assert skipped.result.status is NodeStatus.SKIPPED


def test_a_failing_subscriber_or_bad_event_never_raises_into_dbt() -> None:
    def explode(event: FloeEvent) -> None:
        raise RuntimeError("subscriber bug")

    translator = DbtEventTranslator("inv-1", explode)
    translator(msg_from_base_event(NodeCompiling(node_info=NODE_INFO)))  # must not raise


@pytest.mark.slow
@pytest.mark.parametrize("run_name", ["shop_build", "shop_fail_model", "shop_fail_test"])
def test_event_stream_keeps_the_promised_order(
    request: pytest.FixtureRequest, run_name: str
) -> None:
    run: RecordedRun = request.getfixturevalue(run_name)
    assert_event_stream(run, "local")
    assert isinstance(run.events[0], RunStarted)
    assert isinstance(run.events[1], RunPlanned)


@pytest.mark.slow
def test_run_planned_names_the_manifest_and_every_executed_node(shop_build: RecordedRun) -> None:
    planned = next(e for e in shop_build.events if isinstance(e, RunPlanned))
    assert planned.manifest_path == shop_build.result.manifest_path
    assert set(planned.node_ids) == {node.unique_id for node in shop_build.result.nodes}


@pytest.mark.slow
def test_manifest_json_exists_when_run_planned_arrives(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> None:
    seen: list[bool] = []

    def check(event: FloeEvent) -> None:
        if isinstance(event, RunPlanned) and event.manifest_path is not None:
            seen.append(event.manifest_path.is_file())

    invocation = shop_invocation(select=("stg_products",))  # a fresh target folder
    with local_runtime.events.subscribed(check):
        result = local_runtime.run_models(invocation)
    assert seen == [True]
    assert result.run_results_path == invocation.artifacts_dir / "run_results.json"


@pytest.mark.slow
def test_node_finished_carries_the_compiled_sql_of_this_run(shop_build: RecordedRun) -> None:
    finished = {
        e.result.name: e.result for e in shop_build.events if isinstance(e, FloeNodeFinished)
    }
    assert (
        finished["orders"].compiled_code
        == shop_build.result.node("model.shop.orders").compiled_code
    )
    assert "{{" not in (finished["orders"].compiled_code or "{{")


@pytest.mark.slow
def test_node_started_carries_position_and_precedes_finish(shop_build: RecordedRun) -> None:
    started = [e for e in shop_build.events if isinstance(e, NodeStarted)]
    assert len(started) == 46
    assert {e.total for e in started} == {46}
    assert sorted(e.index or 0 for e in started) == list(range(1, 47))
    position = {id(e): i for i, e in enumerate(shop_build.events)}
    finished = {
        e.result.unique_id: position[id(e)]
        for e in shop_build.events
        if isinstance(e, FloeNodeFinished)
    }
    for event in started:
        assert position[id(event)] < finished[event.unique_id]


@pytest.mark.slow
def test_downstream_of_a_failed_model_is_skipped_without_starting(
    shop_fail_model: RecordedRun,
) -> None:
    skipped = {e.result.name for e in shop_fail_model.events if isinstance(e, NodeSkipped)}
    started = {e.name for e in shop_fail_model.events if isinstance(e, NodeStarted)}
    assert {"customers", "daily_revenue", "assert_daily_revenue_not_negative"} <= skipped
    assert not skipped & started
    failed = [
        e
        for e in shop_fail_model.events
        if isinstance(e, FloeNodeFinished) and e.result.status is NodeStatus.ERROR
    ]
    assert [e.result.name for e in failed] == ["orders"]
    assert "floe_fail_model_missing_table" in (failed[0].result.compiled_code or "")
    assert "floe_fail_model_missing_table" in (failed[0].result.message or "")
