"""dbt Cloud data -> floe results. Canned JSON is trimmed from real dbt-core 1.11.16
artifacts of examples/shop and from the run object shape in dbt Cloud's API docs."""

from __future__ import annotations

from typing import Any

import pytest

from floe_core import NodeFinished, NodeSkipped, NodeStarted, NodeStatus, RunStatus
from floe_dbt_cloud import CloudEventTranslator, CloudRun

RUN_RESULT: dict[str, Any] = {
    "status": "success",
    "timing": [
        {"name": "compile", "started_at": "2026-11-23T23:15:50.203822Z",
         "completed_at": "2026-11-23T23:15:50.203830Z"},
        {"name": "execute", "started_at": "2026-11-23T23:15:50.204385Z",
         "completed_at": "2026-11-23T23:15:50.393699Z"},
    ],
    "thread_id": "Thread-2 (worker)",
    "execution_time": 0.19327521324157715,
    "adapter_response": {"_message": "INSERT 60", "code": "INSERT", "rows_affected": 60},
    "message": "INSERT 60",
    "failures": None,
    "unique_id": "seed.shop.raw_orders",
    "compiled_code": None,
    "relation_name": '"wh"."main"."raw_orders"',
}  # fmt: skip
MANIFEST = {
    "nodes": {
        "seed.shop.raw_orders": {
            "name": "raw_orders",
            "resource_type": "seed",
            "config": {"materialized": "seed"},
        }
    }
}


def test_run_result_entry_becomes_a_node_result() -> None:
    node = CloudEventTranslator().get_node_result(RUN_RESULT, MANIFEST)
    assert (node.name, node.resource_type, node.materialization) == ("raw_orders", "seed", "seed")
    assert node.status is NodeStatus.SUCCESS
    assert node.adapter_response.rows_affected == 60
    assert node.adapter_response.message == "INSERT 60"
    assert [t.name for t in node.timing] == ["compile", "execute"]
    assert node.started_at is not None
    assert node.completed_at is not None
    assert node.started_at < node.completed_at
    assert node.relation_name == '"wh"."main"."raw_orders"'


def test_without_manifest_names_come_from_the_unique_id() -> None:
    entry = {**RUN_RESULT, "unique_id": "test.shop.not_null_orders_id.1a2b", "status": "pass"}
    node = CloudEventTranslator().get_node_result(entry)
    assert (node.name, node.resource_type, node.status) == (
        "not_null_orders_id",
        "test",
        NodeStatus.SUCCESS,
    )


@pytest.mark.parametrize(
    ("dbt_status", "floe_status"),
    [
        ("pass", NodeStatus.SUCCESS),
        ("fail", NodeStatus.FAIL),
        ("warn", NodeStatus.WARN),
        ("runtime error", NodeStatus.ERROR),
        ("skipped", NodeStatus.SKIPPED),
        ("something new", NodeStatus.ERROR),
    ],
)
def test_status_mapping(dbt_status: str, floe_status: NodeStatus) -> None:
    assert CloudEventTranslator().get_node_status(dbt_status) is floe_status


def test_discovery_node_is_reported_only_once_finished() -> None:
    translator = CloudEventTranslator()
    running = {"uniqueId": "model.shop.orders", "name": "orders", "status": None}
    assert translator.get_discovery_node_result(running, "model") is None
    done = {
        **running,
        "status": "error",
        "error": "boom",
        "executionTime": 0.5,
        "executeStartedAt": "2026-11-23 23:15:50.1+00:00",
        "executeCompletedAt": "2026-11-23 23:15:50.6+00:00",
    }
    node = translator.get_discovery_node_result(done, "model")
    assert node is not None
    assert (node.status, node.message, node.resource_type) == (NodeStatus.ERROR, "boom", "model")


def test_events_per_node() -> None:
    translator = CloudEventTranslator()
    ran = translator.get_node_result(RUN_RESULT, MANIFEST)
    started, finished = translator.get_node_events("inv", ran, index=1, total=2)
    assert isinstance(started, NodeStarted)
    assert isinstance(finished, NodeFinished)
    assert started.started_at == ran.started_at
    skipped = ran.model_copy(update={"status": NodeStatus.SKIPPED})
    (only,) = translator.get_node_events("inv", skipped, index=2, total=2)
    assert isinstance(only, NodeSkipped)


def _run(status: int, message: str | None = None) -> CloudRun:
    return CloudRun.model_validate(
        {"id": 1, "status": status, "status_message": message, "finished_at": None}
    )


@pytest.mark.parametrize(
    ("status", "message", "timed_out_by_floe", "expected"),
    [
        (10, None, False, RunStatus.SUCCESS),
        (20, None, False, RunStatus.ERROR),
        (30, "Cancelled by user", False, RunStatus.CANCELLED),
        (
            30,
            "This run timed out after running for 3600 seconds, which exceeded the configured "
            "timeout of 3600 seconds.",
            False,
            RunStatus.TIMED_OUT,
        ),
        (30, "Cancelled by user", True, RunStatus.TIMED_OUT),
        (10, None, True, RunStatus.SUCCESS),
    ],
)
def test_run_status(
    status: int, message: str | None, timed_out_by_floe: bool, expected: RunStatus
) -> None:
    run = _run(status, message)
    assert (
        CloudEventTranslator().get_run_status(run, [], timed_out_by_floe=timed_out_by_floe)
        is expected
    )


def test_failed_nodes_make_an_errored_run_failed() -> None:
    translator = CloudEventTranslator()
    failed = translator.get_node_result({**RUN_RESULT, "status": "error"}, MANIFEST)
    assert translator.get_run_status(_run(20), [failed], timed_out_by_floe=False) is (
        RunStatus.FAILED
    )
