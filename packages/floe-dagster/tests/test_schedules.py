"""Schedules for a dbt selection, resolved by floe's plan."""

from __future__ import annotations

from typing import Any

import pytest
from dagster import AssetKey, DailyPartitionsDefinition, Definitions

from floe_core import ConfigError
from floe_dagster import (
    FloeProject,
    FloeResource,
    build_floe_schedule,
    select_asset_keys,
)


def test_a_dbt_selection_picks_asset_keys(orchard_project: FloeProject, assets_for: Any) -> None:
    assets = assets_for(orchard_project)
    assert select_asset_keys(orchard_project, assets, ["tag:daily"]) == {AssetKey("daily_sales")}
    assert select_asset_keys(orchard_project, assets, ["+top_day"], ["stg_sales"]) == {
        AssetKey(["analytics", "big_sales"]),
        AssetKey(["reports", "top_day"]),
    }
    with pytest.raises(ConfigError, match="picks none of the assets"):
        select_asset_keys(orchard_project, assets, ["tag:nothing_has_this"])


def test_the_schedule_runs_a_job_of_the_selection(
    orchard_project: FloeProject, assets_for: Any
) -> None:
    assets = assets_for(orchard_project)
    schedule = build_floe_schedule(
        orchard_project, assets, name="nightly", cron_schedule="0 3 * * *", select=["+daily_sales"]
    )
    assert schedule.cron_schedule == "0 3 * * *"
    assert schedule.job.name == "nightly_job"
    assert schedule.job.selection.resolve([assets]) == {
        AssetKey("stg_sales"),
        AssetKey("daily_sales"),
    }
    defs = Definitions(assets=[assets], schedules=[schedule], resources={"floe": FloeResource()})
    assert defs.resolve_schedule_def("nightly").job_name == "nightly_job"


def test_partitioned_assets_get_a_partition_schedule(
    orchard_project: FloeProject, assets_for: Any
) -> None:
    assets = assets_for(orchard_project, partitions_def=DailyPartitionsDefinition("2024-01-01"))
    schedule = build_floe_schedule(orchard_project, assets, name="daily", select=["tag:daily"])
    defs = Definitions(assets=[assets], schedules=[schedule], resources={"floe": FloeResource()})
    assert defs.resolve_schedule_def("daily").cron_schedule == "0 0 * * *"
    with pytest.raises(ConfigError, match="cron_schedule is required"):
        build_floe_schedule(orchard_project, assets_for(orchard_project), name="x")
