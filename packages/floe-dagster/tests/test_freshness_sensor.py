"""The source freshness sensor on real sources.json from `floe source freshness` (DuckDB)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import AssetKey, build_sensor_context, instance_for_test, materialize

from floe_core import DBTCommand
from floe_core.api import Floe
from floe_dagster import (
    FloeProject,
    FloeResource,
    build_source_freshness_sensor,
)

pytestmark = pytest.mark.slow

DOWNSTREAM = {
    AssetKey("stg_sales"),
    AssetKey("daily_sales"),
    AssetKey(["analytics", "big_sales"]),
    AssetKey(["reports", "top_day"]),
    AssetKey("sales_summary_v1"),
}


def _load(manifest: Path, sql: str) -> None:
    with duckdb.connect(str(manifest.parent / "warehouse" / "orchard.duckdb")) as connection:
        connection.execute(sql)


def test_new_source_data_triggers_the_assets_it_made_stale(
    orchard: Path, tmp_path: Path, assets_for: Any
) -> None:
    project = FloeProject(orchard)
    project.prepare()
    assets = assets_for(project)

    sensor = build_source_freshness_sensor(project, assets)
    resource = FloeResource(platform_manifest=str(orchard))
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:

        def tick() -> Any:
            return sensor(build_sensor_context(instance=instance, resources={"floe": resource}))

        first = tick()  # nothing materialized yet: everything downstream is behind the source
        [request] = first.run_requests
        assert set(request.asset_selection) == DOWNSTREAM
        [observation] = first.asset_events
        assert observation.asset_key == AssetKey(["landing", "sales"])
        assert observation.metadata["freshness_status"].value == "pass"

        assert materialize([assets], resources={"floe": resource}, instance=instance).success
        second = tick()
        assert not second.run_requests
        assert second.skip_reason is not None

        _load(orchard, "insert into landing.sales values (6, '2024-01-03', 30, current_timestamp)")
        [again] = tick().run_requests
        assert set(again.asset_selection) == DOWNSTREAM
        assert again.run_key != request.run_key

        _load(orchard, "update landing.sales set loaded_at = current_timestamp - interval 10 day")
        stale = tick()  # error_after 7 days: stale data triggers nothing
        assert not stale.run_requests
        assert stale.asset_events[0].metadata["freshness_status"].value == "error"

        # each tick's check was a floe run on the manifest's runtime, kept in the results store
        with Floe.from_manifest(orchard) as floe:
            assert floe.results is not None
            checks = [
                run
                for run in floe.results.history.runs(floe.project_name)
                if run.command is DBTCommand.SOURCE_FRESHNESS
            ]
        assert len(checks) == 4
        assert all("sources.json" in run.files for run in checks)

        # a real fault: the source table is gone. dbt reports a runtime error for it, the
        # sensor observes that and requests nothing
        _load(orchard, "drop table landing.sales")
        broken = tick()
        assert not broken.run_requests
        [observation] = broken.asset_events
        assert observation.metadata["freshness_status"].value == "runtime error"
        assert "sales" in observation.metadata["error"].value
