from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.propagate import inject
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floe_core import DBTInvocation, GeneratedProfile, RunStatus
from floe_dbt_temporal import TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


def test_worker_spans_join_the_invocation_trace(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("floe invocation") as invocation_span:
        carrier: dict[str, str] = {}
        inject(carrier)
    invocation = DBTInvocation(
        project_dir=dag_project,
        profile=duckdb_profile,
        select=("fast_a", "fast_b"),
        trace_context=carrier,
    )
    with temporal_server.worker(settings, tracer=tracer):
        result = make_runtime().build(invocation)

    assert result.status is RunStatus.SUCCESS
    trace_id = invocation_span.get_span_context().trace_id
    names = {
        span.name for span in exporter.get_finished_spans() if span.context.trace_id == trace_id
    }
    assert "RunActivity:floe_node" in names
    assert "RunWorkflow:floe_dbt_run" in names
    assert trace.get_current_span().get_span_context().trace_id != trace_id
