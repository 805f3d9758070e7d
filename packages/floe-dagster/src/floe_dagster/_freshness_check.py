"""``floe source freshness`` for the sensor: on the manifest's runtime, like any floe run.

The check is an ordinary floe invocation (``Floe.source_freshness``): it runs where the
manifest says dbt runs (local, cloud, temporal or a third-party runtime), emits floe's events
(lineage, tracing, plugins) and is kept in the results store, whose copy of dbt's sources.json
is what the sensor reads. ``floe runs list`` shows each tick's check; ``source_status:fresher``
selections of later runs find it there too.
"""

from __future__ import annotations

from collections.abc import Sequence

from floe_core import RuntimeExecutionError
from floe_core.api import Floe
from floe_dagster._source_freshness import SourceFreshness, read_sources_json

__all__ = ["check_source_freshness"]

_SOURCES = "sources.json"


def check_source_freshness(floe: Floe, select: Sequence[str]) -> list[SourceFreshness]:
    """Each selected source's freshness status and newest row (dbt's sources.json, as the
    results store kept it). A stale source is a result (``error``), not an exception; a check
    that produced no sources.json (warehouse unreachable, bad selection) raises."""
    result = floe.source_freshness(select=list(select))
    results = floe.results
    if results is None:  # pragma: no cover - Floe.from_manifest always adds the store
        raise RuntimeExecutionError(
            f"source freshness of {floe.project_name}: no results store to read sources.json from"
        )
    record = results.history.find(floe.project_name, result.invocation_id)
    if _SOURCES not in record.files:
        raise RuntimeExecutionError(
            f"source freshness of {floe.project_name} (run {result.invocation_id},"
            f" {result.status}) wrote no sources.json: {result.error or 'see the dbt log'}",
            hint="check the sources' freshness config and the warehouse connection;"
            f" `floe runs show {result.invocation_id}` has the run's log",
        )
    content = results.history.read(record, _SOURCES)
    origin = results.store.uri(f"{record.project}/{record.path}/{_SOURCES}")
    checked = read_sources_json(content, origin=origin)
    # dbt leaves a source whose query failed (table gone, no permission) out of sources.json;
    # floe's node result still has it, so the sensor observes the error instead of silence
    seen = {entry.unique_id for entry in checked}
    for node in result.nodes:
        if node.unique_id not in seen and node.status.is_failure:
            checked.append(
                SourceFreshness(
                    unique_id=node.unique_id,
                    status="runtime error",
                    max_loaded_at=None,
                    error=node.message,
                )
            )
    return checked
