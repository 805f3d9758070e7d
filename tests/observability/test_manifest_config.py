"""``observability`` in platform-manifest.yaml, through the public API, to real receivers."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from floe_core.api import Floe

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"

MANIFEST = """
apiVersion: floe.dev/v1
kind: PlatformManifest
metadata: {{name: observed-shop}}
project: {{dir: shop}}
plugins:
  dbt_runtime: {{type: local, config: {{profiles_cache_dir: "{profiles}"}}}}
compute:
  type: duckdb
  config: {{path: warehouse/shop.duckdb, threads: 2}}
artifacts: {{type: local, path: .floe/artifacts}}
observability:
  lineage:
    enabled: true
    namespace: shop-prod
    transport: {{type: http, url: "{url}", timeout: 5}}
  tracing:
    enabled: true
    exporter: otlp
    protocol: http/protobuf
    endpoint: "{url}"
    service_name: shop-dbt
"""


def test_the_manifest_turns_on_lineage_and_tracing(receiver: Any, tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "shop", ignore=shutil.ignore_patterns("target", "logs"))
    (tmp_path / "warehouse").mkdir()
    manifest = tmp_path / "platform-manifest.yaml"
    manifest.write_text(MANIFEST.format(url=receiver.url, profiles=tmp_path / "profiles"))

    with Floe.from_manifest(manifest) as floe:
        result = floe.seed()
    assert len(result.nodes) == 4

    events = receiver.wait_for("/api/v1/lineage", 10)
    assert len(events) == 10
    assert {e["job"]["namespace"] for e in events} == {"shop-prod"}
    assert [e["eventType"] for e in (events[0], events[-1])] == ["START", "COMPLETE"]
    assert events[0]["job"]["name"] == "dbt-seed-shop"
    outputs = {o["namespace"] for e in events for o in e.get("outputs", [])}
    assert outputs == {f"duckdb://{(tmp_path / 'warehouse' / 'shop.duckdb').resolve()}"}

    [request] = receiver.wait_for("/v1/traces", 1)
    [resource_spans] = request.resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["service.name"] == "shop-dbt"
    spans = [span for scope in resource_spans.scope_spans for span in scope.spans]
    assert sorted(span.name for span in spans) == sorted(
        ["seed shop", *(node.unique_id for node in result.nodes)]
    )
    trace_id = events[0]["run"]["facets"]["opentelemetry"]["traceId"]
    assert {span.trace_id.hex() for span in spans} == {trace_id}
