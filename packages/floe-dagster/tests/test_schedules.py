"""Schedules for a dbt selection, resolved by floe's plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, DailyPartitionsDefinition, Definitions

from floe_core import ConfigError
from floe_dagster import (
    FloeProject,
    FloeResource,
    build_floe_schedule,
    floe_assets,
    select_asset_keys,
)


def assets_of(project: FloeProject, **options: Any) -> Any:
    @floe_assets(project, **options)
    def orchard(context, floe: FloeResource) -> Iterator[Any]:  # type: ignore[no-untyped-def]
        yield from floe.build(context)

    return orchard


def test_a_dbt_selection_picks_asset_keys(orchard_project: FloeProject) -> None:
    assets = assets_of(orchard_project)
    assert select_asset_keys(orchard_project, assets, ["tag:daily"]) == {AssetKey("daily_sales")}
    assert select_asset_keys(orchard_project, assets, ["+top_day"], ["stg_sales"]) == {
        AssetKey(["analytics", "big_sales"]),
        AssetKey(["reports", "top_day"]),
    }
    with pytest.raises(ConfigError, match="picks none of the assets"):
        select_asset_keys(orchard_project, assets, ["tag:nothing_has_this"])


@pytest.mark.slow
def test_the_scheduled_job_materializes_the_selection(orchard: Path) -> None:
    project = FloeProject(orchard)
    project.prepare()
    assets = assets_of(project)
    schedule = build_floe_schedule(
        project, assets, name="nightly", cron_schedule="0 3 * * *", select=["+daily_sales"]
    )
    defs = Definitions(
        assets=[assets],
        schedules=[schedule],
        resources={"floe": FloeResource(platform_manifest=str(orchard))},
    )
    assert schedule.cron_schedule == "0 3 * * *"
    result = defs.resolve_job_def("nightly_job").execute_in_process()
    keys = {e.asset_key for e in result.get_asset_materialization_events()}
    assert keys == {AssetKey("stg_sales"), AssetKey("daily_sales")}


def test_partitioned_assets_get_a_partition_schedule(orchard_project: FloeProject) -> None:
    assets = assets_of(orchard_project, partitions_def=DailyPartitionsDefinition("2024-01-01"))
    schedule = build_floe_schedule(orchard_project, assets, name="daily", select=["tag:daily"])
    defs = Definitions(assets=[assets], schedules=[schedule], resources={"floe": FloeResource()})
    assert defs.resolve_schedule_def("daily").cron_schedule == "0 0 * * *"
    with pytest.raises(ConfigError, match="cron_schedule is required"):
        build_floe_schedule(orchard_project, assets_of(orchard_project), name="x")
