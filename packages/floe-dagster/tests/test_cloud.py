"""The resource's runtime override: the orchard assets on the cloud runtime (the fake dbt Cloud
running real dbt-core), the subset selected through the job's step override."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, materialize

from floe_dagster import FloeResource
from floe_dbt_cloud.testing import FakeDbtCloud, FakeJob

pytestmark = pytest.mark.slow


def test_a_subset_runs_on_dbt_cloud(orchard: Path, assets_for: Any) -> None:
    assets = assets_for(orchard)

    warehouse = orchard.parent / "warehouse" / "orchard.duckdb"
    job = FakeJob(
        id=7,
        project_dir=orchard.parent / "orchard",
        connection={"type": "duckdb", "path": str(warehouse)},
    )
    with FakeDbtCloud([job], work_dir=orchard.parent / "cloud-runs") as fake:
        config = fake.cloud_config(job_id=7).model_dump(mode="json", exclude_unset=True)
        resource = FloeResource(
            platform_manifest=str(orchard),
            runtime="cloud",
            runtime_config={**config, "token": fake.token},
        )
        result = materialize(
            [assets],
            resources={"floe": resource},
            selection=[AssetKey("stg_sales"), AssetKey("daily_sales")],
        )
        [run] = fake.runs(7)
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {
        AssetKey("stg_sales"),
        AssetKey("daily_sales"),
    }
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        "unique_stg_sales_sale_id": True,
        "not_null_stg_sales_sale_id": True,
        "not_null_stg_sales_amount": False,
        "assert_daily_totals_positive": True,
    }
    [build] = [step.command for step in run.steps if step.command and step.command[0] == "build"]
    selected = build[build.index("--select") + 1 :]
    assert "fqn:orchard.staging.stg_sales" in selected
    assert "fqn:orchard.marts.daily_sales" in selected
