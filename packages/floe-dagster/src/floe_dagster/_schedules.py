"""A schedule for a dbt selection of a ``@floe_assets`` definition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    TimeWindowPartitionsDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from floe_core import ConfigError
from floe_core.api import Floe
from floe_dagster._project import FloeProject
from floe_dagster._translator import UNIQUE_ID_METADATA_KEY

__all__ = ["build_floe_schedule", "select_asset_keys"]


def select_asset_keys(
    project: FloeProject,
    assets: AssetsDefinition,
    select: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> set[AssetKey]:
    """The asset keys of the nodes a dbt selection picks, as ``floe plan`` resolves it (dbt's
    own selection semantics: tags, paths, graph operators, selectors.yml)."""
    with Floe.from_manifest(project.platform_manifest) as floe:
        planned = set(floe.plan(select=select, exclude=exclude).unique_ids)
    keys = {
        key
        for key, spec in assets.specs_by_key.items()
        if spec.metadata.get(UNIQUE_ID_METADATA_KEY) in planned
    }
    if not keys:
        raise ConfigError(
            f"the dbt selection --select {' '.join(select) or '(all)'}"
            f"{' --exclude ' + ' '.join(exclude) if exclude else ''} picks none of the assets"
            f" of {assets.node_def.name!r}",
            hint="check the selection with `floe plan --select ...`",
        )
    return keys


def build_floe_schedule(
    project: FloeProject,
    assets: AssetsDefinition,
    *,
    name: str,
    cron_schedule: str | None = None,
    select: Iterable[str] = (),
    exclude: Iterable[str] = (),
    execution_timezone: str | None = None,
    tags: Mapping[str, str] | None = None,
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
) -> Any:
    """A schedule materializing the assets a dbt selection picks (with their checks).

    For time-partitioned assets the schedule follows the partitions (one run per new
    partition, its window passed to dbt as vars) and ``cron_schedule`` may be left out; that
    schedule resolves when ``Definitions`` load it (hence ``Any``: Dagster does not export
    the unresolved type).
    """
    keys = select_asset_keys(project, assets, select, exclude)
    job = define_asset_job(f"{name}_job", selection=AssetSelection.assets(*keys), tags=tags)
    if isinstance(assets.partitions_def, TimeWindowPartitionsDefinition) and not cron_schedule:
        return build_schedule_from_partitioned_job(job, name=name, default_status=default_status)
    if cron_schedule is None:
        raise ConfigError(
            f"schedule {name!r}: cron_schedule is required for assets that are not"
            " time-partitioned",
            hint='pass e.g. cron_schedule="0 6 * * *"',
        )
    return ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=cron_schedule,
        execution_timezone=execution_timezone,
        default_status=default_status,
    )
