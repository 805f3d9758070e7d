"""End to end: the example project on DuckDB through the real local runtime, observed.

Two invocations of ``examples/shop`` copied into a temporary folder: a full ``build`` with
``fail_test`` (every node runs, the singular test fails) and a ``build -s orders+`` with
``fail_model`` (``orders`` errors, its downstream is skipped). Lineage goes to an in-memory
OpenLineage transport, spans to ``InMemorySpanExporter``; the test asserts the exact event
sequence, names, facets and parentage against the run's own manifest and results.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openlineage.client import OpenLineageClient
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, format_span_id, format_trace_id

from floe_core import (
    DBTInvocation,
    DBTRunResult,
    FloeEvent,
    GeneratedProfile,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    RunFinished,
)
from floe_core.lineage import (
    LINEAGE_RESOURCE_TYPES,
    InMemoryTransport,
    LineageConfig,
    create_lineage_observer,
)
from floe_core.tracing import TracingConfig, create_tracing_observer
from floe_core.warehouses import dataset_namespace
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"
END_STATE = {
    NodeStatus.SUCCESS: "COMPLETE",
    NodeStatus.WARN: "COMPLETE",
    NodeStatus.FAIL: "FAIL",
    NodeStatus.ERROR: "FAIL",
    NodeStatus.SKIPPED: "ABORT",
}


class TimedTransport(InMemoryTransport):
    """Also notes when each event arrived, to show delivery happens while nodes run."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []

    def emit(self, event: Any) -> None:
        self.arrivals.append(time.monotonic())
        super().emit(event)


@dataclass
class ObservedRun:
    result: DBTRunResult
    lineage: list[dict[str, Any]]
    arrivals: list[float]
    finished_at: float
    events: list[FloeEvent]
    spans: list[ReadableSpan]
    manifest: dict[str, Any]
    namespace: str

    def node(self, unique_id: str) -> dict[str, Any]:
        node: dict[str, Any] = self.manifest["nodes"][unique_id]
        return node

    def job(self, unique_id: str) -> str:
        node = self.node(unique_id)
        return f"{node['database']}.{node['schema']}.{node['alias']}"

    def events_of(self, unique_id: str) -> list[dict[str, Any]]:
        return [e for e in self.lineage if e["job"]["name"] == self.job(unique_id)]

    def live(self, unique_id: str) -> tuple[NodeStarted | None, NodeFinished | NodeSkipped]:
        """The node's start event (if it started) and the event that reported its outcome."""
        started = [e for e in self.events if isinstance(e, NodeStarted)]
        ended = [e for e in self.events if isinstance(e, NodeFinished | NodeSkipped)]
        [outcome] = [e for e in ended if e.result.unique_id == unique_id]
        return next((e for e in started if e.unique_id == unique_id), None), outcome

    def span(self, name: str) -> ReadableSpan:
        [span] = [span for span in self.spans if span.name == name]
        return span


def _observe(
    runtime: LocalRuntime,
    invocation: DBTInvocation,
    namespace: str,
    exporter: InMemorySpanExporter,
    build: Any,
) -> ObservedRun:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = create_tracing_observer(
        TracingConfig(enabled=True),
        tracer_provider=tracer_provider,
        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]),
    )
    transport = TimedTransport()
    lineage = create_lineage_observer(
        LineageConfig(enabled=True),
        compute_namespace=namespace,
        span_ids=tracing.span_ids if tracing else None,
        client=OpenLineageClient(transport=transport),
    )
    assert tracing is not None
    assert lineage is not None
    finished: list[float] = []
    events: list[FloeEvent] = []

    def note(event: FloeEvent) -> None:
        events.append(event)
        if isinstance(event, RunFinished):
            finished.append(time.monotonic())

    invocation = lineage.prepare(tracing.prepare(invocation))
    with runtime.events.subscribed(tracing, lineage, note):
        result = build(invocation)
    tracing.close()
    lineage.close()
    assert result.manifest_path is not None
    return ObservedRun(
        result=result,
        lineage=transport.json_events(),
        arrivals=transport.arrivals,
        finished_at=finished[0],
        events=events,
        spans=[
            span
            for span in exporter.get_finished_spans()
            if span.attributes
            and span.attributes.get("cicd.pipeline.run.id") == invocation.invocation_id
        ],
        manifest=json.loads(result.manifest_path.read_text()),
        namespace=namespace,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ObservedRun]:
    root = tmp_path_factory.mktemp("observed")
    project = root / "shop"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    database = project / "shop.duckdb"
    profile = GeneratedProfile(
        outputs={"dev": {"type": "duckdb", "path": str(database), "threads": 4}}
    )
    namespace = dataset_namespace(profile.outputs["dev"])
    exporter = InMemorySpanExporter()
    runtime = LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=root / "profiles"))
    with runtime:
        failing_test = _observe(
            runtime,
            DBTInvocation(project_dir=project, profile=profile, vars={"fail_test": True}),
            namespace,
            exporter,
            runtime.build,
        )
        failing_model = _observe(
            runtime,
            DBTInvocation(
                project_dir=project,
                profile=profile,
                select=("orders+",),
                vars={"fail_model": True},
            ),
            namespace,
            exporter,
            runtime.build,
        )
    return {"failing_test": failing_test, "failing_model": failing_model}


def test_every_node_has_a_start_then_its_outcome_under_one_parent_run(
    runs: dict[str, ObservedRun],
) -> None:
    for run in runs.values():
        invocation_id = run.result.invocation_id
        assert (run.lineage[0]["eventType"], run.lineage[0]["job"]["name"]) == (
            "START",
            "dbt-build-shop",
        )
        assert (run.lineage[-1]["eventType"], run.lineage[-1]["job"]["name"]) == (
            "FAIL",
            "dbt-build-shop",
        )
        assert {e["run"]["runId"] for e in (run.lineage[0], run.lineage[-1])} == {invocation_id}
        nodes = [n for n in run.result.nodes if n.resource_type in LINEAGE_RESOURCE_TYPES]
        assert len(run.lineage) == 2 + 2 * len(nodes)
        for node in nodes:
            start, end = run.events_of(node.unique_id)
            assert (start["eventType"], end["eventType"]) == ("START", END_STATE[node.status])
            assert start["run"]["runId"] == end["run"]["runId"]
            for event in (start, end):
                parent = event["run"]["facets"]["parent"]
                assert parent["run"]["runId"] == invocation_id
                assert parent["job"]["name"] == "dbt-build-shop"
                assert parent["root"]["run"]["runId"] == invocation_id
            started, live = run.live(node.unique_id)
            if started is not None:
                assert start["eventTime"] == started.started_at.isoformat()
            # A node skipped before it began has no times: its outcome's emission time.
            ended_at = live.result.completed_at or live.result.started_at or live.emitted_at
            assert end["eventTime"] == ended_at.isoformat()
            jobtype = end["job"]["facets"]["jobType"]
            assert jobtype["jobType"] == node.resource_type.upper()


def test_lineage_is_emitted_live_in_dependency_order(runs: dict[str, ObservedRun]) -> None:
    run = runs["failing_test"]
    assert len(run.result.nodes) == 46
    # The first node's START reached the transport before the run ended.
    assert run.arrivals[1] < run.finished_at
    position = {(e["job"]["name"], e["eventType"]): index for index, e in enumerate(run.lineage)}
    for node in run.result.nodes:
        for upstream in run.node(node.unique_id)["depends_on"].get("nodes", []):
            if upstream.startswith(("model.", "seed.", "snapshot.")):
                upstream_end = position[(run.job(upstream), "COMPLETE")]
                assert upstream_end < position[(run.job(node.unique_id), "START")]


def test_model_datasets_and_facets_come_from_the_manifest(runs: dict[str, ObservedRun]) -> None:
    run = runs["failing_test"]
    _, complete = run.events_of("model.shop.orders")
    [output] = complete["outputs"]
    assert output["namespace"] == run.namespace
    assert run.namespace.startswith("duckdb:///")
    assert run.namespace.endswith("shop.duckdb")
    assert output["name"] == "shop.main.orders"
    facets = output["facets"]
    assert [f["name"] for f in facets["schema"]["fields"]] == [
        "order_id",
        "customer_id",
        "status",
        "amount",
    ]
    assert facets["ownership"]["owners"] == [{"name": "shop-team"}]
    assert facets["documentation"]["description"].startswith("One row per order")
    assert facets["dataSource"]["uri"] == run.namespace
    upstream = run.node("model.shop.orders")["depends_on"]["nodes"]
    assert sorted(i["name"] for i in complete["inputs"]) == sorted(run.job(u) for u in upstream)
    sql = complete["job"]["facets"]["sql"]
    assert sql["dialect"] == "duckdb"
    assert "stg_orders" in sql["query"]
    assert "{{" not in sql["query"]
    engine = complete["run"]["facets"]["processing_engine"]
    assert (engine["name"], engine["version"]) == ("dbt", run.manifest["metadata"]["dbt_version"])

    _, seeded = run.events_of("seed.shop.raw_orders")
    assert seeded["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 60
    _, snapshot = run.events_of("snapshot.shop.customers_snapshot")
    assert snapshot["outputs"][0]["name"] == "shop.main.customers_snapshot"


def test_tests_become_data_quality_assertions_on_the_tested_dataset(
    runs: dict[str, ObservedRun],
) -> None:
    run = runs["failing_test"]
    _, failed = run.events_of("test.shop.assert_daily_revenue_not_negative")
    assert failed["eventType"] == "FAIL"
    assert failed["run"]["facets"]["errorMessage"]["message"]
    [tested] = failed["inputs"]
    assert tested["name"] == "shop.main.daily_revenue"
    [assertion] = tested["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert (assertion["assertion"], assertion["success"], assertion["severity"]) == (
        "assert_daily_revenue_not_negative",
        False,
        "error",
    )

    [not_null] = [
        uid for uid in run.manifest["nodes"] if uid.startswith("test.shop.not_null_orders_order_id")
    ]
    _, passed = run.events_of(not_null)
    [tested] = passed["inputs"]
    assert tested["name"] == "shop.main.orders"
    [assertion] = tested["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert assertion == {
        "assertion": "not_null",
        "success": True,
        "column": "order_id",
        "severity": "error",
        "name": "not_null_orders_order_id",
        "params": {},
    }


def test_a_failing_model_fails_and_its_downstream_aborts(runs: dict[str, ObservedRun]) -> None:
    run = runs["failing_model"]
    start, failed = run.events_of("model.shop.orders")
    assert failed["eventType"] == "FAIL"
    assert "floe_fail_model_missing_table" in failed["run"]["facets"]["errorMessage"]["message"]
    for skipped in ("model.shop.customers", "model.shop.daily_revenue"):
        assert [e["eventType"] for e in run.events_of(skipped)] == ["START", "ABORT"]
    assert "orders" in run.lineage[-1]["run"]["facets"]["errorMessage"]["message"]

    span = run.span("model.shop.orders")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "dbt.error"
    assert [event.name for event in span.events] == ["exception"]
    facet = start["run"]["facets"]["opentelemetry"]
    assert facet == {
        **facet,
        "traceId": format_trace_id(span.context.trace_id),
        "spanId": format_span_id(span.context.span_id),
    }


def test_one_span_per_node_under_the_invocation_span(runs: dict[str, ObservedRun]) -> None:
    for run in runs.values():
        root = run.span("build shop")
        assert root.attributes is not None
        assert root.attributes["cicd.pipeline.result"] == "failure"
        assert root.attributes["floe.runtime"] == "local"
        children = [span for span in run.spans if span is not root]
        assert sorted(span.name for span in children) == sorted(
            node.unique_id for node in run.result.nodes
        )
        for node in run.result.nodes:
            span = run.span(node.unique_id)
            assert span.parent is not None
            assert span.parent.span_id == root.context.span_id
            assert span.attributes is not None
            assert span.attributes["dbt.resource_type"] == node.resource_type
            started, live = run.live(node.unique_id)
            if started is not None:
                assert span.start_time == int(started.started_at.timestamp() * 1e9)
            ended_at = live.result.completed_at or live.emitted_at
            assert span.end_time == int(ended_at.timestamp() * 1e9)
        lineage_trace = run.lineage[0]["run"]["facets"]["opentelemetry"]["traceId"]
        assert lineage_trace == format_trace_id(root.context.trace_id)
