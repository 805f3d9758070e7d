"""Real delivery to loopback receivers, and receivers that are down or slow.

The run here is a synthetic event stream (a DAG of 20 models, one failing); the end-to-end
test with the local runtime lives in ``test_local_runtime.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
import structlog
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from floe_core import (
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    EventBus,
    GeneratedProfile,
    NodeFinished,
    NodeResult,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunObserver,
    RunStarted,
    RunStatus,
)
from floe_core.lineage import LineageConfig, create_lineage_observer
from floe_core.tracing import TracingConfig, create_tracing_observer, env_carrier

NODES = 20
NAMESPACE = "duckdb:///tmp/shop.duckdb"


def _invocation(tmp_path: Path) -> DBTInvocation:
    (tmp_path / "dbt_project.yml").write_text("name: shop\n")
    profile = GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": ":memory:"}})
    return DBTInvocation(project_dir=tmp_path, profile=profile, invocation_id=str(uuid.uuid4()))


def _run(invocation: DBTInvocation, *observers: RunObserver) -> float:
    """Emit a 20-model run through ``observers``; return how long emitting took."""
    bus = EventBus()
    inv = invocation.invocation_id
    began = datetime.now(UTC)
    clock = time.monotonic()
    results: list[NodeResult] = []
    with bus.subscribed(*observers):
        bus.emit(
            RunStarted(
                invocation_id=inv,
                command=DBTCommand.RUN,
                runtime="synthetic",
                project_name="shop",
                project_dir=invocation.project_dir,
                started_at=began,
                trace_context=invocation.trace_context,
            )
        )
        for index in range(NODES):
            uid = f"model.shop.m{index:02d}"
            start = began + timedelta(milliseconds=10 * index)
            bus.emit(
                NodeStarted(
                    invocation_id=inv,
                    unique_id=uid,
                    name=uid,
                    resource_type="model",
                    started_at=start,
                )
            )
            result = NodeResult(
                unique_id=uid,
                name=uid.rsplit(".", 1)[1],
                resource_type="model",
                status=NodeStatus.ERROR if index == 7 else NodeStatus.SUCCESS,
                message="boom" if index == 7 else None,
                started_at=start,
                completed_at=start + timedelta(milliseconds=5),
                execution_time=0.005,
            )
            results.append(result)
            bus.emit(NodeFinished(invocation_id=inv, result=result))
        finished = datetime.now(UTC)
        bus.emit(
            RunFinished(
                invocation_id=inv,
                result=DBTRunResult(
                    invocation_id=inv,
                    command=DBTCommand.RUN,
                    runtime="synthetic",
                    status=RunStatus.FAILED,
                    started_at=began,
                    completed_at=finished,
                    elapsed_seconds=(finished - began).total_seconds(),
                    nodes=tuple(results),
                ),
            )
        )
    return time.monotonic() - clock


def _spans(requests: list[Any]) -> list[Any]:
    return [
        span
        for request in requests
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]


def _timed_close(observer: RunObserver) -> float:
    began = time.monotonic()
    observer.close()
    return time.monotonic() - began


@pytest.mark.parametrize("delivery", ["thread", "process"])
def test_lineage_reaches_an_openlineage_http_receiver_in_full(
    receiver: Any, tmp_path: Path, delivery: Literal["thread", "process"]
) -> None:
    config = LineageConfig(
        enabled=True,
        transport={"type": "http", "url": receiver.url, "timeout": 5},
        delivery=delivery,
    )
    tracing = create_tracing_observer(TracingConfig(enabled=True, exporter="none"))
    assert tracing is not None
    observer = create_lineage_observer(
        config, compute_namespace=NAMESPACE, span_ids=tracing.span_ids
    )
    assert observer is not None
    invocation = tracing.prepare(_invocation(tmp_path))
    _run(invocation, tracing, observer)
    observer.close()
    tracing.close()

    events = receiver.wait_for("/api/v1/lineage", 2 + 2 * NODES)
    expected = [("START", "dbt-run-shop")]
    for index in range(NODES):
        end = "FAIL" if index == 7 else "COMPLETE"
        expected += [("START", f"model.shop.m{index:02d}"), (end, f"model.shop.m{index:02d}")]
    expected.append(("FAIL", "dbt-run-shop"))
    assert [(e["eventType"], e["job"]["name"]) for e in events] == expected
    assert all(e["schemaURL"].startswith("https://openlineage.io/spec/") for e in events)
    assert events[0]["run"]["runId"] == invocation.invocation_id
    assert observer.emitted == len(expected)
    # the span ids known only to the run's process reach the events, also from a child
    trace_ids = {e["run"]["facets"]["opentelemetry"]["traceId"] for e in events}
    assert trace_ids == {invocation.trace_context["traceparent"].split("-")[1]}


def test_spans_and_metrics_reach_an_otlp_http_receiver_in_full(
    receiver: Any, tmp_path: Path
) -> None:
    config = TracingConfig(enabled=True, exporter="otlp", endpoint=receiver.url)
    observer = create_tracing_observer(config)
    assert observer is not None
    invocation = observer.prepare(_invocation(tmp_path))
    _run(invocation, observer)
    observer.close()

    spans = _spans(receiver.wait_for("/v1/traces", 1))
    assert len(spans) == 1 + NODES
    [run] = [span for span in spans if span.name == "run shop"]
    nodes = [span for span in spans if span.name != "run shop"]
    assert {span.parent_span_id for span in nodes} == {run.span_id}
    assert {span.trace_id for span in spans} == {run.trace_id}
    assert sorted(span.name for span in nodes) == [f"model.shop.m{i:02d}" for i in range(NODES)]
    attributes = {a.key: a.value.string_value for a in run.attributes}
    assert attributes["cicd.pipeline.result"] == "failure"

    [metrics_request] = receiver.wait_for("/v1/metrics", 1)
    names = {
        metric.name
        for resource_metrics in metrics_request.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
    }
    assert names == {"cicd.pipeline.run.duration", "dbt.node.duration", "dbt.node.count"}


def test_spans_reach_an_otlp_grpc_collector(grpc_receiver: Any, tmp_path: Path) -> None:
    receiver, endpoint = grpc_receiver
    config = TracingConfig(enabled=True, protocol="grpc", endpoint=endpoint)
    observer = create_tracing_observer(config)
    assert observer is not None
    _run(observer.prepare(_invocation(tmp_path)), observer)
    observer.close()
    assert len(_spans(receiver.wait_for("/v1/traces", 1))) == 1 + NODES
    assert receiver.wait_for("/v1/metrics", 1)


def test_the_standard_otel_environment_configures_the_exporter(
    receiver: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=ci")
    observer = create_tracing_observer(TracingConfig(enabled=True, metrics=False))
    assert observer is not None
    _run(observer.prepare(_invocation(tmp_path)), observer)
    observer.close()
    [request] = receiver.wait_for("/v1/traces", 1)
    resource = {a.key: a.value.string_value for a in request.resource_spans[0].resource.attributes}
    assert resource["deployment.environment"] == "ci"
    assert resource["service.name"] == "floe"
    assert len(_spans([request])) == 1 + NODES


def test_a_receiver_that_is_down_costs_the_run_at_most_one_timeout(
    closed_port_url: str, tmp_path: Path
) -> None:
    # Three retries with back-off keep the first delivery busy for about 1.8 s.
    transport = {"type": "http", "url": closed_port_url, "timeout": 0.5, "retry": {"total": 3}}
    lineage = create_lineage_observer(
        LineageConfig(enabled=True, flush_timeout=0.5, transport=transport),
        compute_namespace=NAMESPACE,
    )
    tracing = create_tracing_observer(
        TracingConfig(enabled=True, endpoint=closed_port_url, timeout=1.0)
    )
    assert lineage is not None
    assert tracing is not None
    invocation = tracing.prepare(_invocation(tmp_path))

    with structlog.testing.capture_logs() as logs:
        emitting = _run(invocation, tracing, lineage)
        assert emitting < 1.0  # nothing on the run's threads waits for a receiver
        assert _timed_close(lineage) < 1.0
        assert _timed_close(tracing) < 1.5
        # Let the abandoned delivery finish, so its log line lands here and not in a later test.
        assert lineage._thread is not None
        lineage._thread.join(10)

    failures = [log for log in logs if log["event"].startswith("lineage delivery failed")]
    assert len(failures) == 1
    assert lineage.emitted == 0


def test_a_slow_receiver_does_not_slow_the_run(receiver: Any, tmp_path: Path) -> None:
    receiver.delay = 2.0
    lineage = create_lineage_observer(
        LineageConfig(
            enabled=True,
            flush_timeout=1.0,
            transport={
                "type": "http",
                "url": receiver.url,
                "timeout": 0.3,
                "retry": {"total": 0},
            },
        ),
        compute_namespace=NAMESPACE,
    )
    assert lineage is not None
    emitting = _run(_invocation(tmp_path), lineage)
    assert emitting < 1.0
    assert _timed_close(lineage) < 1.5


WORKER = textwrap.dedent(
    """
    import os, sys
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from floe_core.tracing import context_from_carrier

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[1])))
    parent = context_from_carrier({"traceparent": os.environ["TRACEPARENT"]})
    provider.get_tracer("worker").start_span("dbt node in a worker", context=parent).end()
    provider.shutdown()
    """
)


def test_trace_context_crosses_into_another_process(receiver: Any, tmp_path: Path) -> None:
    tracing = create_tracing_observer(
        TracingConfig(enabled=True, endpoint=receiver.url, metrics=False)
    )
    assert tracing is not None
    invocation = tracing.prepare(_invocation(tmp_path))
    env = {**os.environ, **env_carrier(invocation.trace_context)}
    subprocess.run([sys.executable, "-c", WORKER, f"{receiver.url}/v1/traces"], env=env, check=True)
    tracing.close()

    requests: list[ExportTraceServiceRequest] = receiver.wait_for("/v1/traces", 2)
    spans = {span.name: span for span in _spans(requests)}
    worker, invocation_span = spans["dbt node in a worker"], spans["floe " + tmp_path.name]
    assert worker.parent_span_id == invocation_span.span_id
    assert worker.trace_id == invocation_span.trace_id
