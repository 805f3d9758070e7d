"""The OpenLineage a recorded run yields, reduced to what must not depend on the runtime.

The recorded floe events are replayed through floe's lineage translator (as the lineage
observer would on the run), and every event is reduced to its content: run ids become the
job they belong to, times, producers, schema URLs, the runtime name and invocation id go,
and events are sorted (parallel nodes finish in any order). Two runtimes running the same
invocation on the same project must yield equal results; ``reference_lineage.json`` is the
local runtime's, rewritten by its contract test when ``FLOE_WRITE_REFERENCE_LINEAGE=1``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from floe_core.testing.contract._recording import RecordedRun

__all__ = ["REFERENCE_LINEAGE", "lineage_of"]

REFERENCE_LINEAGE = Path(__file__).with_name("reference_lineage.json")
"""The reduced lineage of the suite's ``failing_build`` on the local runtime."""

_NAMESPACE = "duckdb://contract"
_ORDER = {"START": 0, "COMPLETE": 1, "FAIL": 1, "ABORT": 1}
_RUNTIME_SPECIFIC = {"eventTime", "producer", "schemaURL", "runId", "invocationId", "runtime"}


def _reduce(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _reduce(item)
            for key, item in value.items()
            if not key.startswith("_") and key not in _RUNTIME_SPECIFIC
        }
    if isinstance(value, list):
        return [_reduce(item) for item in value]
    return value


def lineage_of(run: RecordedRun) -> list[dict[str, Any]]:
    """The reduced OpenLineage events of ``run``, in a runtime-independent order."""
    from openlineage.client.serde import Serde

    from floe_core.lineage import LineageTranslator

    translator = LineageTranslator(job_namespace="dbt", dataset_namespace=_NAMESPACE)
    events = [
        json.loads(Serde.to_json(lineage_event))
        for event in run.events
        for lineage_event in translator.translate(event)
    ]
    for event in events:
        event["run"]["facets"].pop("opentelemetry", None)
    reduced = [_reduce(event) for event in events]
    return sorted(reduced, key=lambda e: (e["job"]["name"], _ORDER[e["eventType"]]))
