"""The tracing observer on synthetic events: spans, parentage, timing, attributes, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, format_span_id, format_trace_id

from floe_core import (
    AdapterResponse,
    ConfigError,
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    EventBus,
    GeneratedProfile,
    NodeResult,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunStarted,
    RunStatus,
    events_for_result,
)
from floe_core.tracing import (
    TracingConfig,
    TracingObserver,
    context_from_carrier,
    create_tracing_observer,
    env_carrier,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CALLER_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def metrics() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def observer(
    exporter: InMemorySpanExporter, metrics: InMemoryMetricReader
) -> Iterator[TracingObserver]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[metrics])
    observer = create_tracing_observer(
        TracingConfig(enabled=True),
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
    )
    assert observer is not None
    yield observer
    tracer_provider.shutdown()
    meter_provider.shutdown()


def _invocation(**overrides: Any) -> DBTInvocation:
    profile = GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": ":memory:"}})
    return DBTInvocation(project_dir=Path("/projects/shop"), profile=profile, **overrides)


def _result(uid: str, status: NodeStatus, offset: int, **extra: Any) -> NodeResult:
    started = T0 + timedelta(seconds=offset)
    return NodeResult(
        unique_id=uid,
        name=uid.split(".")[-1],
        resource_type=uid.split(".")[0],
        status=status,
        started_at=None if status is NodeStatus.SKIPPED else started,
        completed_at=started + timedelta(seconds=2),
        execution_time=0.0 if status is NodeStatus.SKIPPED else 2.0,
        **extra,
    )


RESULTS = (
    _result(
        "model.shop.stg_orders",
        NodeStatus.SUCCESS,
        1,
        materialization="view",
        adapter_response=AdapterResponse(rows_affected=7),
    ),
    _result("model.shop.orders", NodeStatus.ERROR, 2, message="Binder Error: x"),
    _result("test.shop.not_null_orders_id", NodeStatus.SKIPPED, 5),
)


def _run(bus: EventBus, invocation: DBTInvocation) -> None:
    inv = invocation.invocation_id
    bus.emit(
        RunStarted(
            invocation_id=inv,
            command=DBTCommand.BUILD,
            runtime="synthetic",
            project_name="shop",
            project_dir=invocation.project_dir,
            target="dev",
            started_at=T0,
            trace_context=invocation.trace_context,
        )
    )
    for result in RESULTS:
        for event in events_for_result(inv, result):
            bus.emit(event)
    bus.emit(
        RunFinished(
            invocation_id=inv,
            result=DBTRunResult(
                invocation_id=inv,
                command=DBTCommand.BUILD,
                runtime="synthetic",
                status=RunStatus.FAILED,
                started_at=T0,
                completed_at=T0 + timedelta(seconds=9),
                elapsed_seconds=9.0,
                nodes=RESULTS,
            ),
        )
    )


def _observe(observer: TracingObserver, invocation: DBTInvocation) -> None:
    bus = EventBus()
    with bus.subscribed(observer):
        _run(bus, invocation)
    observer.close()


def _spans(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {span.name: span for span in exporter.get_finished_spans()}


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1e9)


def test_one_invocation_span_parents_one_span_per_node(
    observer: TracingObserver, exporter: InMemorySpanExporter
) -> None:
    invocation = observer.prepare(_invocation())
    _observe(observer, invocation)

    spans = _spans(exporter)
    assert set(spans) == {
        "build shop",
        "model.shop.stg_orders",
        "model.shop.orders",
        "test.shop.not_null_orders_id",
    }
    run = spans["build shop"]
    assert run.parent is None
    assert run.attributes == {
        "cicd.pipeline.run.id": invocation.invocation_id,
        "cicd.pipeline.name": "shop",
        "cicd.pipeline.action.name": "run",
        "cicd.pipeline.result": "failure",
        "floe.runtime": "synthetic",
        "dbt.command": "build",
        "dbt.target": "dev",
        "error.type": "floe.run.failed",
    }
    assert run.status.status_code is StatusCode.ERROR
    assert run.end_time == _ns(T0 + timedelta(seconds=9))
    for name, span in spans.items():
        if name != "build shop":
            assert span.parent is not None
            assert span.parent.span_id == run.context.span_id
            assert span.context.trace_id == run.context.trace_id

    # The invocation's W3C context names the invocation span, for nodes run elsewhere.
    parent = context_from_carrier(invocation.trace_context)
    assert parent is not None
    _, trace_id, span_id, _ = invocation.trace_context["traceparent"].split("-")
    assert (trace_id, span_id) == (
        format_trace_id(run.context.trace_id),
        format_span_id(run.context.span_id),
    )
    assert env_carrier(invocation.trace_context) == {
        "TRACEPARENT": invocation.trace_context["traceparent"]
    }


def test_node_spans_carry_their_real_times_and_outcomes(
    observer: TracingObserver, exporter: InMemorySpanExporter
) -> None:
    _observe(observer, observer.prepare(_invocation()))
    spans = _spans(exporter)

    ok = spans["model.shop.stg_orders"]
    assert (ok.start_time, ok.end_time) == (
        _ns(T0 + timedelta(seconds=1)),
        _ns(T0 + timedelta(seconds=3)),
    )
    assert ok.attributes is not None
    assert ok.attributes["cicd.pipeline.task.name"] == "model.shop.stg_orders"
    assert ok.attributes["cicd.pipeline.task.run.result"] == "success"
    assert ok.attributes["dbt.unique_id"] == "model.shop.stg_orders"
    assert ok.attributes["dbt.resource_type"] == "model"
    assert ok.attributes["dbt.materialization"] == "view"
    assert ok.attributes["dbt.rows_affected"] == 7
    assert "error.type" not in ok.attributes
    assert ok.status.status_code is StatusCode.UNSET

    failed = spans["model.shop.orders"]
    assert failed.attributes is not None
    assert failed.attributes["cicd.pipeline.task.run.result"] == "error"
    assert failed.attributes["error.type"] == "dbt.error"
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == "Binder Error: x"
    [exception] = failed.events
    assert exception.name == "exception"
    assert exception.attributes == {
        "exception.type": "dbt.error",
        "exception.message": "Binder Error: x",
    }

    skipped = spans["test.shop.not_null_orders_id"]
    assert skipped.attributes is not None
    assert skipped.attributes["cicd.pipeline.task.run.result"] == "skip"
    assert skipped.end_time == _ns(T0 + timedelta(seconds=7))


def test_span_ids_are_available_from_the_moment_a_node_starts(
    observer: TracingObserver, exporter: InMemorySpanExporter
) -> None:
    invocation = observer.prepare(_invocation())
    assert observer.span_ids(invocation.invocation_id) is not None
    _observe(observer, invocation)
    span = _spans(exporter)["model.shop.orders"]
    assert observer.span_ids(invocation.invocation_id, "model.shop.orders") == (
        format_trace_id(span.context.trace_id),
        format_span_id(span.context.span_id),
    )


def test_the_invocation_joins_the_callers_trace(
    observer: TracingObserver, exporter: InMemorySpanExporter
) -> None:
    invocation = observer.prepare(_invocation(trace_context={"traceparent": CALLER_TRACEPARENT}))
    _observe(observer, invocation)
    run = _spans(exporter)["build shop"]
    assert format_trace_id(run.context.trace_id) == "0af7651916cd43dd8448eb211c80319c"
    assert run.parent is not None
    assert format_span_id(run.parent.span_id) == "b7ad6b7169203331"


def test_without_prepare_the_run_started_trace_context_is_the_parent(
    observer: TracingObserver, exporter: InMemorySpanExporter
) -> None:
    _observe(observer, _invocation(trace_context={"traceparent": CALLER_TRACEPARENT}))
    spans = _spans(exporter)
    assert len(spans) == 4
    run = spans["build shop"]
    assert run.start_time == _ns(T0)
    assert format_trace_id(run.context.trace_id) == "0af7651916cd43dd8448eb211c80319c"


def test_metrics_record_durations_and_nodes_by_status(
    observer: TracingObserver, metrics: InMemoryMetricReader
) -> None:
    _observe(observer, observer.prepare(_invocation()))
    data = metrics.get_metrics_data()
    assert data is not None
    points: dict[str, list[Any]] = {}
    for resource_metrics in data.resource_metrics:
        for scope in resource_metrics.scope_metrics:
            for metric in scope.metrics:
                points[metric.name] = list(metric.data.data_points)

    [run] = points["cicd.pipeline.run.duration"]
    assert (run.sum, run.count) == (9.0, 1)
    assert run.attributes["cicd.pipeline.result"] == "failure"
    durations = {
        (p.attributes["dbt.resource_type"], p.attributes["dbt.status"]): p.sum
        for p in points["dbt.node.duration"]
    }
    assert durations == {("model", "success"): 2.0, ("model", "error"): 2.0}
    counts = {p.attributes["dbt.status"]: p.value for p in points["dbt.node.count"]}
    assert counts == {"success": 1, "error": 1, "skipped": 1}


def test_close_ends_the_spans_of_a_run_that_never_finished(
    observer: TracingObserver, exporter: InMemorySpanExporter
) -> None:
    invocation = observer.prepare(_invocation())
    bus = EventBus()
    bus.subscribe(observer)
    bus.emit(
        NodeStarted(
            invocation_id=invocation.invocation_id,
            unique_id="model.shop.orders",
            name="orders",
            resource_type="model",
            started_at=T0,
        )
    )
    observer.close()
    spans = _spans(exporter)
    assert set(spans) == {"floe shop", "model.shop.orders"}
    assert all(span.status.status_code is StatusCode.ERROR for span in spans.values())


def test_disabled_tracing_has_no_observer(monkeypatch: pytest.MonkeyPatch) -> None:
    assert create_tracing_observer(TracingConfig()) is None
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert create_tracing_observer(TracingConfig(enabled=True)) is None


def test_otel_environment_selects_exporter_and_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "nightly-dbt")
    observer = create_tracing_observer(TracingConfig(enabled=True))
    assert observer is not None
    resource = observer.tracer_provider.resource
    assert resource.attributes["service.name"] == "nightly-dbt"
    assert observer.meter_provider is None
    observer.close()

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ConfigError, match="OTEL_TRACES_EXPORTER"):
        create_tracing_observer(TracingConfig(enabled=True))


def test_span_ids_of_old_invocations_are_forgotten(observer: TracingObserver) -> None:
    invocations = [observer.prepare(_invocation()) for _ in range(20)]
    for invocation in invocations:
        bus = EventBus()
        with bus.subscribed(observer):
            _run(bus, invocation)
    known = [observer.span_ids(i.invocation_id) is not None for i in invocations]
    assert known == [False] * 4 + [True] * 16
    assert observer.span_ids(invocations[-1].invocation_id, "model.shop.orders") is not None
