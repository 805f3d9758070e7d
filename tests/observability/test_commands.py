"""The other dbt commands are observed as ``build`` is: ``source freshness`` through the real
local runtime gives each source an OpenLineage job reading it and a span."""

from __future__ import annotations

from pathlib import Path

import pytest
from openlineage.client import OpenLineageClient
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floe_core import DBTCommand, DBTInvocation, GeneratedProfile, RunStatus
from floe_core.lineage import InMemoryTransport, LineageConfig, create_lineage_observer
from floe_core.tracing import TracingConfig, create_tracing_observer
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

pytestmark = pytest.mark.slow

_SOURCES = """\
version: 2
sources:
  - name: clock
    schema: main
    tables:
      - name: now
        config:
          loaded_at_query: "select current_timestamp"
          freshness: {warn_after: {count: 1, period: day}}
"""


def test_source_freshness_gives_each_source_a_lineage_job_and_a_span(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: feeds\nconfig-version: 2\nprofile: floe\n")
    (project / "models" / "sources.yml").write_text(_SOURCES)
    database = tmp_path / "w.duckdb"
    invocation = DBTInvocation(
        project_dir=project,
        profile=GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": str(database)}}),
    )
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = create_tracing_observer(
        TracingConfig(enabled=True),
        tracer_provider=provider,
        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]),
    )
    transport = InMemoryTransport()
    lineage = create_lineage_observer(
        LineageConfig(enabled=True, namespace="feeds"),
        compute_namespace="duckdb://w",
        client=OpenLineageClient(transport=transport),
    )
    assert tracing is not None
    assert lineage is not None
    invocation = lineage.prepare(tracing.prepare(invocation))
    runtime = LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=tmp_path / "p"))
    with runtime, runtime.events.subscribed(tracing, lineage):
        result = runtime.invoke(DBTCommand.SOURCE_FRESHNESS, invocation)
    tracing.close()
    lineage.close()
    assert result.status is RunStatus.SUCCESS

    events = transport.json_events()
    jobs = [(e["eventType"], e["job"]["name"]) for e in events]
    source = "w.main.now"
    assert jobs == [
        ("START", "dbt-source-freshness-feeds"),
        ("START", source),
        ("COMPLETE", source),
        ("COMPLETE", "dbt-source-freshness-feeds"),
    ]
    checked = events[2]
    assert [(d["namespace"], d["name"]) for d in checked["inputs"]] == [("duckdb://w", source)]
    assert checked["outputs"] == []
    spans = {span.name for span in exporter.get_finished_spans()}
    assert {"source freshness feeds", "source.feeds.clock.now"} <= spans
