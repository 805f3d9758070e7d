"""A sensor that runs ``floe source freshness`` and materializes what new source data made
stale: the assets downstream of a source last materialized before its newest row loaded."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from dagster import (
    AssetKey,
    AssetObservation,
    AssetsDefinition,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from floe_dagster._assets import floe_source_specs
from floe_dagster._project import FloeProject
from floe_dagster._resource import FloeResource
from floe_dagster._translator import UNIQUE_ID_METADATA_KEY, FloeDagsterTranslator

__all__ = ["build_source_freshness_sensor"]


def _downstream(assets: AssetsDefinition, roots: Iterable[AssetKey]) -> set[AssetKey]:
    children: dict[AssetKey, set[AssetKey]] = {}
    for spec in assets.specs:
        for dep in spec.deps:
            children.setdefault(dep.asset_key, set()).add(spec.key)
    found: set[AssetKey] = set()
    queue = list(roots)
    while queue:
        for child in children.get(queue.pop(), ()):
            if child not in found:
                found.add(child)
                queue.append(child)
    return found


def _stale(
    context: SensorEvaluationContext, keys: Iterable[AssetKey], loaded_at: datetime
) -> set[AssetKey]:
    stale = set()
    for key in keys:
        latest = context.instance.get_latest_materialization_event(key)
        if latest is None or latest.timestamp < loaded_at.timestamp():
            stale.add(key)
    return stale


def build_source_freshness_sensor(
    project: FloeProject,
    assets: AssetsDefinition,
    *,
    name: str = "floe_source_freshness",
    select: Sequence[str] = ("source:*",),
    translator: FloeDagsterTranslator | None = None,
    minimum_interval_seconds: int = 300,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
) -> SensorDefinition:
    """Each tick: ``source freshness`` of ``select`` through the resource's runtime (sources
    with a ``freshness`` config), an observation per source on its external asset (status,
    newest row), and one run of the assets downstream of fresh data that were last
    materialized before it arrived. A stale source (``error``) triggers nothing new."""
    key_of = {
        str(spec.metadata[UNIQUE_ID_METADATA_KEY]): spec.key
        for spec in floe_source_specs(project, translator)
    }

    @sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        asset_selection=list(assets.keys),
    )
    def source_freshness(context: SensorEvaluationContext, floe: FloeResource) -> SensorResult:
        observations = []
        to_run: set[AssetKey] = set()
        fresh: list[str] = []
        for result in floe.source_freshness(select=select):
            key = key_of.get(result.unique_id)
            if key is None:
                continue
            metadata = {"freshness_status": result.status}
            if result.max_loaded_at is not None:
                metadata["max_loaded_at"] = result.max_loaded_at.isoformat()
            if result.error:
                metadata["error"] = result.error
            observations.append(AssetObservation(asset_key=key, metadata=metadata))
            if result.max_loaded_at is None or result.status not in ("pass", "warn"):
                continue
            stale = _stale(context, _downstream(assets, [key]), result.max_loaded_at)
            if stale:
                to_run |= stale
                fresh.append(f"{result.unique_id}@{result.max_loaded_at.isoformat()}")
        if not to_run:
            return SensorResult(
                asset_events=observations,
                skip_reason=SkipReason("every asset downstream of fresh source data is newer"),
            )
        run_key = hashlib.blake2b(" ".join(sorted(fresh)).encode(), digest_size=12).hexdigest()
        request = RunRequest(
            run_key=run_key,
            asset_selection=sorted(to_run),
            tags={"floe/fresh_sources": ", ".join(sorted(fresh))[:250]},
        )
        return SensorResult(run_requests=[request], asset_events=observations)

    return source_freshness
