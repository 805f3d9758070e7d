"""The lineage observer on a synthetic run: sequence, names, facets, parentage, delivery."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import structlog
from openlineage.client import OpenLineageClient

from floe_core import (
    ConfigError,
    DBTCommand,
    DBTRunResult,
    EventBus,
    NodeFinished,
    NodeResult,
    NodeStarted,
    NodeStatus,
    RunPlanned,
    RunStarted,
)
from floe_core.lineage import (
    LineageConfig,
    LineageObserver,
    create_lineage_observer,
)

NAMESPACE = "duckdb:///data/shop.duckdb"
SyntheticRun = Callable[[EventBus, Path | None], DBTRunResult]


def _observe(
    client: OpenLineageClient,
    run: SyntheticRun,
    manifest_path: Path | None,
    **options: Any,
) -> LineageObserver:
    observer = create_lineage_observer(
        LineageConfig(enabled=True, **options), compute_namespace=NAMESPACE, client=client
    )
    assert observer is not None
    bus = EventBus()
    with bus.subscribed(observer):
        run(bus, manifest_path)
    observer.close()
    return observer


def _by_job(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [event for event in events if event["job"]["name"] == name]


def test_events_follow_the_run_in_order_with_one_parent_job(
    invocation_id: str,
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
) -> None:
    _observe(client, synthetic_run, manifest_path)

    assert [(e["eventType"], e["job"]["name"]) for e in transport.json_events()] == [
        ("START", "dbt-build-shop"),
        ("START", "shop.main.raw_orders"),
        ("COMPLETE", "shop.main.raw_orders"),
        ("START", "shop.main.stg_orders"),
        ("COMPLETE", "shop.main.stg_orders"),
        ("START", "shop.main_dbt_test__audit.not_null_stg_orders_order_id"),
        ("FAIL", "shop.main_dbt_test__audit.not_null_stg_orders_order_id"),
        ("START", "shop.main.orders"),
        ("FAIL", "shop.main.orders"),
        ("START", "shop.main_dbt_test__audit.assert_orders_positive"),
        ("ABORT", "shop.main_dbt_test__audit.assert_orders_positive"),
        ("FAIL", "dbt-build-shop"),
    ]
    assert {e["job"]["namespace"] for e in transport.json_events()} == {"dbt"}
    parent_runs = {e["run"]["runId"] for e in _by_job(transport.json_events(), "dbt-build-shop")}
    assert parent_runs == {invocation_id}
    node_events = [e for e in transport.json_events() if e["job"]["name"] != "dbt-build-shop"]
    for event in node_events:
        parent = event["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == invocation_id
        assert (parent["job"]["namespace"], parent["job"]["name"]) == ("dbt", "dbt-build-shop")
        assert parent["root"]["run"]["runId"] == invocation_id
        assert parent["root"]["job"]["name"] == "dbt-build-shop"
    # One run id per node, shared by its START and its end event, distinct across nodes.
    run_ids: dict[str, set[str]] = {}
    for event in node_events:
        run_ids.setdefault(event["job"]["name"], set()).add(event["run"]["runId"])
    assert all(len(ids) == 1 for ids in run_ids.values())
    assert len({next(iter(ids)) for ids in run_ids.values()}) == len(run_ids)


def test_event_times_are_the_node_times_not_the_delivery_times(
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
) -> None:
    _observe(client, synthetic_run, manifest_path)
    start, complete = _by_job(transport.json_events(), "shop.main.raw_orders")
    assert start["eventTime"] == "2026-01-02T03:04:06+00:00"
    assert complete["eventTime"] == "2026-01-02T03:04:07+00:00"


def test_model_events_carry_job_run_and_dataset_facets(
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
) -> None:
    _observe(client, synthetic_run, manifest_path)
    start, complete = _by_job(transport.json_events(), "shop.main.stg_orders")

    job_type = complete["job"]["facets"]["jobType"]
    assert (job_type["jobType"], job_type["integration"], job_type["processingType"]) == (
        "MODEL",
        "DBT",
        "BATCH",
    )
    assert complete["job"]["facets"]["sql"]["query"] == "select * from shop.main.raw_orders"
    assert complete["job"]["facets"]["sql"]["dialect"] == "duckdb"
    engine = complete["run"]["facets"]["processing_engine"]
    assert (engine["name"], engine["version"]) == ("dbt", "1.11.16")
    assert engine["openlineageAdapterVersion"]
    assert "errorMessage" not in complete["run"]["facets"]

    [output] = complete["outputs"]
    assert (output["namespace"], output["name"]) == (NAMESPACE, "shop.main.stg_orders")
    facets = output["facets"]
    assert facets["schema"]["fields"] == [
        {"name": "order_id", "type": "integer", "description": "Key.", "fields": []},
        {"name": "amount", "fields": []},
    ]
    assert facets["documentation"]["description"] == "Orders, cleaned."
    assert facets["ownership"]["owners"] == [{"name": "team:data"}]
    assert facets["dataSource"] == {**facets["dataSource"], "name": NAMESPACE, "uri": NAMESPACE}
    # DuckDB reports -1 rows for a view: no statistic rather than a wrong one.
    assert output.get("outputFacets", {}) == {}
    assert [i["name"] for i in complete["inputs"]] == ["shop.main.raw_orders"]
    assert start["outputs"][0]["name"] == "shop.main.stg_orders"

    [seed_output] = _by_job(transport.json_events(), "shop.main.raw_orders")[1]["outputs"]
    assert seed_output["outputFacets"]["outputStatistics"]["rowCount"] == 10


def test_inputs_look_through_ephemeral_models_to_their_sources(
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
) -> None:
    _observe(client, synthetic_run, manifest_path)
    _, fail = _by_job(transport.json_events(), "shop.main.orders")
    assert [i["name"] for i in fail["inputs"]] == ["shop.main.stg_orders", "shop.ext.events_v2"]
    source = fail["inputs"][1]["facets"]
    assert source["ownership"]["owners"] == [{"name": "alice"}, {"name": "bob"}]
    assert fail["run"]["facets"]["errorMessage"]["message"] == "Binder Error: column x not found"
    assert fail["job"]["facets"]["sql"]["query"] == "select x from stg_orders"


def test_tests_report_data_quality_assertions_on_the_tested_dataset(
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
) -> None:
    _observe(client, synthetic_run, manifest_path)
    start, fail = _by_job(
        transport.json_events(), "shop.main_dbt_test__audit.not_null_stg_orders_order_id"
    )
    assert fail["job"]["facets"]["jobType"]["jobType"] == "TEST"
    assert fail["outputs"] == []
    [tested] = fail["inputs"]
    assert tested["name"] == "shop.main.stg_orders"
    [assertion] = tested["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert assertion == {
        "assertion": "not_null",
        "success": False,
        "column": "order_id",
        "severity": "error",
        "name": "not_null_stg_orders_order_id",
        "params": {},
    }
    assert "dataQualityAssertions" not in start["inputs"][0].get("inputFacets", {})
    assert fail["run"]["facets"]["errorMessage"]["message"].startswith("Got 2 results")
    # The result carried no SQL: it is read from where dbt compiled it, in the run's target/.
    assert fail["job"]["facets"]["sql"]["query"] == (
        "select order_id from shop.main.stg_orders where order_id is null"
    )
    assert "sql" not in start["job"]["facets"]

    _, abort = _by_job(transport.json_events(), "shop.main_dbt_test__audit.assert_orders_positive")
    assert abort["inputs"][0]["name"] == "shop.main.orders"
    assert "dataQualityAssertions" not in abort["inputs"][0].get("inputFacets", {})


def test_parent_end_event_names_the_failed_nodes(
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
) -> None:
    _observe(client, synthetic_run, manifest_path)
    end = transport.json_events()[-1]
    assert end["run"]["facets"]["errorMessage"]["message"] == (
        "2 node(s) failed: test.shop.not_null_stg_orders_order_id.1a2b, model.shop.orders"
    )
    assert end["run"]["facets"]["processing_engine"]["version"] == "1.11.16"
    assert end["job"]["facets"]["jobType"]["jobType"] == "JOB"


def test_without_a_manifest_jobs_are_named_from_the_events(
    client: OpenLineageClient, transport: Any, synthetic_run: SyntheticRun
) -> None:
    _observe(client, synthetic_run, None)
    names = [e["job"]["name"] for e in transport.json_events()]
    assert "model.shop.orders" in names
    assert len(transport.json_events()) == 12


def test_lineage_runs_carry_their_opentelemetry_span(
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
) -> None:
    def span_ids(invocation_id: str, unique_id: str | None) -> tuple[str, str]:
        return ("ab" * 16, (unique_id or invocation_id)[-16:].rjust(16, "0"))

    observer = create_lineage_observer(
        LineageConfig(enabled=True), compute_namespace=NAMESPACE, client=client, span_ids=span_ids
    )
    assert observer is not None
    bus = EventBus()
    with bus.subscribed(observer):
        synthetic_run(bus, manifest_path)
    observer.close()
    facet = _by_job(transport.json_events(), "shop.main.orders")[0]["run"]["facets"][
        "opentelemetry"
    ]
    assert (facet["traceId"], facet["spanId"]) == ("ab" * 16, "model.shop.orders"[-16:])
    assert facet["_schemaURL"].endswith("OpenTelemetryRunFacet.json")


def test_plugin_run_facets_are_merged_without_replacing_floe_facets(
    invocation_id: str,
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
) -> None:
    extra = {"team": {"_producer": "x", "_schemaURL": "y", "name": "sales"}, "parent": {}}
    observer = create_lineage_observer(
        LineageConfig(enabled=True),
        compute_namespace=NAMESPACE,
        client=client,
        extra_run_facets=lambda event: extra,
    )
    assert observer is not None
    bus = EventBus()
    with bus.subscribed(observer):
        synthetic_run(bus, manifest_path)
    observer.close()
    node_event = _by_job(transport.json_events(), "shop.main.orders")[0]
    assert node_event["run"]["facets"]["team"]["name"] == "sales"
    assert node_event["run"]["facets"]["parent"]["run"]["runId"] == invocation_id


def test_a_failing_transport_is_logged_once_and_the_run_goes_on(
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
) -> None:
    transport.fail_with = ConnectionError("receiver down")
    with structlog.testing.capture_logs() as logs:
        observer = _observe(client, synthetic_run, manifest_path)
    failures = [log for log in logs if log["event"].startswith("lineage delivery failed")]
    assert len(failures) == 1
    assert failures[0]["error"] == "ConnectionError: receiver down"
    assert transport.calls == 1  # the rest of the run's events are not even attempted
    assert (observer.emitted, observer.dropped) == (0, 12)


def test_close_waits_at_most_the_flush_timeout_for_a_slow_transport(
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
) -> None:
    transport.delay = 0.2
    bus = EventBus()
    observer = create_lineage_observer(
        LineageConfig(enabled=True, flush_timeout=0.5), compute_namespace=NAMESPACE, client=client
    )
    assert observer is not None
    began = time.monotonic()
    with bus.subscribed(observer):
        synthetic_run(bus, manifest_path)
    emitting = time.monotonic() - began
    observer.close()
    closing = time.monotonic() - began - emitting
    assert emitting < 1.0  # (2.4 s if it waited) the run's threads never wait for delivery
    assert 0.4 < closing < 1.2
    assert 1 <= len(transport.json_events()) < 12


def test_transport_configuration_is_passed_to_the_openlineage_client(
    tmp_path: Path, synthetic_run: SyntheticRun
) -> None:
    log_file = tmp_path / "lineage.jsonl"
    config = LineageConfig(
        enabled=True,
        namespace="analytics",
        transport={"type": "file", "log_file_path": str(log_file), "append": True},
    )
    observer = create_lineage_observer(config, compute_namespace=NAMESPACE)
    assert observer is not None
    assert observer.client.transport.kind == "file"
    bus = EventBus()
    with bus.subscribed(observer):
        synthetic_run(bus, None)
    observer.close()
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert len(lines) == 12
    assert {line["job"]["namespace"] for line in lines} == {"analytics"}
    assert config.transport == {"type": "file", "log_file_path": str(log_file), "append": True}


def test_disabled_lineage_has_no_observer(monkeypatch: pytest.MonkeyPatch) -> None:
    assert create_lineage_observer(LineageConfig(), compute_namespace=NAMESPACE) is None
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    assert create_lineage_observer(LineageConfig(enabled=True), compute_namespace=NAMESPACE) is None


def test_openlineage_environment_sets_the_namespace_and_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENLINEAGE_NAMESPACE", "prod-dbt")
    monkeypatch.setenv("OPENLINEAGE_URL", "http://127.0.0.1:9")
    config = LineageConfig(enabled=True)
    observer = create_lineage_observer(config, compute_namespace=NAMESPACE)
    assert observer is not None
    assert config.namespace == "prod-dbt"
    assert observer.client.transport.kind == "http"
    observer.close()


def test_an_unusable_transport_is_a_config_error_naming_the_field() -> None:
    config = LineageConfig(enabled=True, transport={"type": "http"})
    with pytest.raises(ConfigError, match=r"observability\.lineage\.transport"):
        create_lineage_observer(config, compute_namespace=NAMESPACE)


def test_an_orchestrator_parent_run_becomes_the_invocations_parent_and_root(
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
    invocation_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    airflow_run = "01890bbd-5a0c-7b2c-a1de-1f2e3d4c5b6a"
    monkeypatch.setenv("OPENLINEAGE_PARENT_ID", f"airflow/shop_dag.dbt_build/{airflow_run}")
    _observe(client, synthetic_run, manifest_path)
    events = transport.json_events()
    for invocation_event in (events[0], events[-1]):
        parent = invocation_event["run"]["facets"]["parent"]
        assert (parent["job"]["namespace"], parent["job"]["name"]) == (
            "airflow",
            "shop_dag.dbt_build",
        )
        assert parent["run"]["runId"] == parent["root"]["run"]["runId"] == airflow_run
    node_parent = _by_job(events, "shop.main.orders")[0]["run"]["facets"]["parent"]
    assert node_parent["run"]["runId"] == invocation_id
    assert node_parent["root"]["run"]["runId"] == airflow_run
    assert node_parent["root"]["job"]["name"] == "shop_dag.dbt_build"


def test_a_malformed_parent_id_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENLINEAGE_PARENT_ID", "airflow/not-a-uuid")
    with pytest.raises(ConfigError, match="OPENLINEAGE_PARENT_ID"):
        create_lineage_observer(LineageConfig(enabled=True), compute_namespace=NAMESPACE)


def test_a_warning_test_is_a_successful_assertion(
    client: OpenLineageClient, transport: Any, manifest_path: Path, invocation_id: str
) -> None:
    observer = create_lineage_observer(
        LineageConfig(enabled=True), compute_namespace=NAMESPACE, client=client
    )
    assert observer is not None
    test_id, now = "test.shop.assert_orders_positive", datetime.now(UTC)
    warned = NodeResult(
        unique_id=test_id,
        name="assert_orders_positive",
        resource_type="test",
        status=NodeStatus.WARN,
        started_at=now,
        completed_at=now,
        failures=3,
    )
    for event in (
        RunStarted(
            invocation_id=invocation_id,
            command=DBTCommand.TEST,
            runtime="synthetic",
            project_name="shop",
            project_dir=Path("/projects/shop"),
            started_at=now,
        ),
        RunPlanned(invocation_id=invocation_id, manifest_path=manifest_path),
        NodeStarted(
            invocation_id=invocation_id,
            unique_id=test_id,
            name="assert_orders_positive",
            resource_type="test",
            started_at=now,
        ),
        NodeFinished(invocation_id=invocation_id, result=warned),
    ):
        observer(event)
    observer.close()
    end = transport.json_events()[-1]
    assert end["eventType"] == "COMPLETE"
    [assertion] = end["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert (assertion["success"], assertion["severity"]) == (True, "warn")


def test_events_beyond_the_queue_bound_are_dropped_not_waited_for(
    client: OpenLineageClient,
    transport: Any,
    synthetic_run: SyntheticRun,
    manifest_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("floe_core.lineage._observer._MAX_QUEUED", 3)
    transport.delay = 0.2
    with structlog.testing.capture_logs() as logs:
        observer = _observe(client, synthetic_run, manifest_path, flush_timeout=3.0)
    assert observer.dropped > 0
    assert len(transport.json_events()) < 12
    assert [log["event"] for log in logs].count(
        "lineage delivery is falling behind; dropping events"
    ) == 1
