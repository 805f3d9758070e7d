"""A hand-made dbt manifest.json, a recording OpenLineage transport and a synthetic run.

The manifest mirrors what dbt-core 1.11 writes (only the keys lineage reads): a seed, a
source, a view, an ephemeral model, a table, a generic test and a singular test.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.serde import Serde

from floe_core import (
    AdapterResponse,
    DBTCommand,
    DBTRunResult,
    EventBus,
    NodeResult,
    NodeStatus,
    RunFinished,
    RunPlanned,
    RunStarted,
    RunStatus,
    events_for_result,
)
from floe_core.lineage import InMemoryTransport
from floe_core.lineage._serde import event_json
from floe_core.testing import validate_openlineage_event

INVOCATION_ID = "0d6e9d4a-43a3-4c8e-a1cf-5d4b1b7d9a11"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _node(uid: str, **extra: Any) -> dict[str, Any]:
    resource_type, _, name = uid.split(".")[:3]
    node: dict[str, Any] = {
        "unique_id": uid,
        "resource_type": resource_type,
        "name": name,
        "database": "shop",
        "schema": "main",
        "alias": name,
        "description": "",
        "columns": {},
        "meta": {},
        "config": {"materialized": "table", "meta": {}},
        "depends_on": {"nodes": []},
    }
    node.update(extra)
    return node


MANIFEST: dict[str, Any] = {
    "metadata": {"dbt_version": "1.11.16", "adapter_type": "duckdb", "project_name": "shop"},
    "nodes": {
        "seed.shop.raw_orders": _node("seed.shop.raw_orders", config={"materialized": "seed"}),
        "model.shop.stg_orders": _node(
            "model.shop.stg_orders",
            description="Orders, cleaned.",
            meta={"owner": "team:data"},
            config={"materialized": "view", "meta": {}},
            columns={
                "order_id": {"name": "order_id", "description": "Key.", "data_type": "integer"},
                "amount": {"name": "amount", "description": "", "data_type": None},
            },
            depends_on={"nodes": ["seed.shop.raw_orders"]},
        ),
        "model.shop.eph_events": _node(
            "model.shop.eph_events",
            config={"materialized": "ephemeral"},
            depends_on={"nodes": ["source.shop.ext.events"]},
        ),
        "model.shop.orders": _node(
            "model.shop.orders",
            depends_on={"nodes": ["model.shop.stg_orders", "model.shop.eph_events"]},
        ),
        "test.shop.not_null_stg_orders_order_id.1a2b": _node(
            "test.shop.not_null_stg_orders_order_id.1a2b",
            schema="main_dbt_test__audit",
            config={"materialized": "test", "severity": "ERROR"},
            test_metadata={"name": "not_null", "kwargs": {"column_name": "order_id"}},
            column_name="order_id",
            attached_node="model.shop.stg_orders",
            package_name="shop",
            original_file_path="models/_staging.yml",
            path="not_null_stg_orders_order_id.sql",
            depends_on={"nodes": ["model.shop.stg_orders"]},
        ),
        "test.shop.assert_orders_positive": _node(
            "test.shop.assert_orders_positive",
            schema="main_dbt_test__audit",
            config={"materialized": "test", "severity": "warn", "warn_if": ">10"},
            depends_on={"nodes": ["model.shop.orders"]},
        ),
    },
    "sources": {
        "source.shop.ext.events": {
            "unique_id": "source.shop.ext.events",
            "resource_type": "source",
            "name": "events",
            "identifier": "events_v2",
            "database": "shop",
            "schema": "ext",
            "description": "Raw events.",
            "columns": {},
            "meta": {"owner": ["alice", "bob"]},
            "config": {},
        }
    },
}


STG_ORDERS_SQL = (
    'select "id" as order_id, amount, upper(status) as status_code from "shop"."main"."raw_orders"'
)
NOT_NULL_SQL = "select order_id from shop.main.stg_orders where order_id is null"


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    path = tmp_path / "target" / "manifest.json"
    path.parent.mkdir()
    path.write_text(json.dumps(MANIFEST))
    compiled = path.parent / "compiled/shop/models/_staging.yml/not_null_stg_orders_order_id.sql"
    compiled.parent.mkdir(parents=True)
    compiled.write_text(NOT_NULL_SQL)
    return path


class RecordingTransport(InMemoryTransport):
    """An in-memory transport that can be made slow or broken."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_with: Exception | None = None
        self.delay = 0.0
        self.calls = 0

    def emit(self, event: Any) -> None:
        self.calls += 1
        if self.delay:
            threading.Event().wait(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        super().emit(event)


@pytest.fixture
def transport() -> Iterator[RecordingTransport]:
    transport = RecordingTransport()
    yield transport
    for event in transport.json_events():  # every event a test emitted follows the spec
        validate_openlineage_event(event)
    for run_event in transport.events:  # and floe's HTTP transport sends it as the stock one
        assert event_json(run_event) == Serde.to_json(run_event)


@pytest.fixture
def client(transport: RecordingTransport) -> OpenLineageClient:
    return OpenLineageClient(transport=transport)


def _result(uid: str, status: NodeStatus, offset: int, **extra: Any) -> NodeResult:
    resource_type, _, name = uid.split(".")[:3]
    started = T0 + timedelta(seconds=offset)
    return NodeResult(
        unique_id=uid,
        name=name,
        resource_type=resource_type,
        status=status,
        started_at=None if status is NodeStatus.SKIPPED else started,
        completed_at=started + timedelta(seconds=1),
        execution_time=0.0 if status is NodeStatus.SKIPPED else 1.0,
        **extra,
    )


RESULTS = [
    _result(
        "seed.shop.raw_orders",
        NodeStatus.SUCCESS,
        1,
        adapter_response=AdapterResponse(rows_affected=10),
    ),
    _result(
        "model.shop.stg_orders",
        NodeStatus.SUCCESS,
        2,
        compiled_code=STG_ORDERS_SQL,
        materialization="view",
        adapter_response=AdapterResponse(rows_affected=-1),
    ),
    _result(
        "test.shop.not_null_stg_orders_order_id.1a2b",
        NodeStatus.FAIL,
        3,
        message="Got 2 results, configured to fail if != 0",
        failures=2,
    ),
    _result(
        "model.shop.orders",
        NodeStatus.ERROR,
        3,
        message="Binder Error: column x not found",
        compiled_code="select x from stg_orders",
    ),
    _result("test.shop.assert_orders_positive", NodeStatus.SKIPPED, 4),
]


def emit_synthetic_run(bus: EventBus, manifest_path: Path | None) -> DBTRunResult:
    """The events of a ``build`` of the manifest above with a failing test and model."""
    bus.emit(
        RunStarted(
            invocation_id=INVOCATION_ID,
            command=DBTCommand.BUILD,
            runtime="synthetic",
            project_name="shop",
            project_dir=Path("/projects/shop"),
            target="prod",
            started_at=T0,
            select=("tag:daily+",),
            exclude=("stg_legacy",),
        )
    )
    bus.emit(RunPlanned(invocation_id=INVOCATION_ID, manifest_path=manifest_path))
    for result in RESULTS:
        for event in events_for_result(INVOCATION_ID, result):
            bus.emit(event)
    run = DBTRunResult(
        invocation_id=INVOCATION_ID,
        command=DBTCommand.BUILD,
        runtime="synthetic",
        status=RunStatus.FAILED,
        started_at=T0,
        completed_at=T0 + timedelta(seconds=10),
        elapsed_seconds=10.0,
        nodes=tuple(RESULTS),
        dbt_version="1.11.16",
    )
    bus.emit(RunFinished(invocation_id=INVOCATION_ID, result=run))
    return run


@pytest.fixture
def invocation_id() -> str:
    return INVOCATION_ID


@pytest.fixture
def synthetic_run() -> Callable[[EventBus, Path | None], DBTRunResult]:
    return emit_synthetic_run


@pytest.fixture(autouse=True)
def _openlineage_environment() -> Iterator[None]:
    """Put back the OPENLINEAGE_* variables: the OpenLineage client turns OPENLINEAGE_URL into
    OPENLINEAGE__TRANSPORT__* variables of the process, which would switch lineage on (zero
    config) in every later test of the session."""
    before = {name: value for name, value in os.environ.items() if "OPENLINEAGE" in name}
    yield
    for name in [name for name in os.environ if "OPENLINEAGE" in name]:
        if name not in before:
            del os.environ[name]
    os.environ.update(before)
