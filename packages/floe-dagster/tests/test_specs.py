"""Specs from a real manifest.json: assets, external sources, deps, metadata and checks."""

from __future__ import annotations

import json

import pytest
from dagster import AssetKey, TableSchemaMetadataValue

from floe_core import ProjectError
from floe_dagster import FloeProject, floe_source_specs
from floe_dagster._specs import build_specs


def test_models_become_assets_with_dbt_deps(orchard_project: FloeProject) -> None:
    specs = build_specs(orchard_project.load_manifest())
    by_key = {spec.key: spec for spec in specs.assets}
    assert set(by_key) == {
        AssetKey(["stg_sales"]),
        AssetKey(["daily_sales"]),
        AssetKey(["analytics", "big_sales"]),  # schema config, as dagster-dbt
        AssetKey(["sales_summary_v1"]),  # versioned model: its alias
        AssetKey(["reports", "top_day"]),  # meta.dagster.asset_key
    }  # the ephemeral model is no asset...
    big = by_key[AssetKey(["analytics", "big_sales"])]
    assert [dep.asset_key for dep in big.deps] == [AssetKey(["stg_sales"])]  # ...but looked through
    stg = by_key[AssetKey(["stg_sales"])]
    assert [dep.asset_key for dep in stg.deps] == [AssetKey(["landing", "sales"])]
    assert stg.owners == ["sales@example.com"]
    assert stg.group_name == "staging"
    assert stg.tags == {"staging": "", "dagster/kind/dbt": "", "dagster/kind/duckdb": ""}
    assert stg.description == "Sales with typed columns."
    schema = stg.metadata["dagster/column_schema"]
    assert isinstance(schema, TableSchemaMetadataValue)
    assert [(c.name, c.type, c.tags) for c in schema.schema.columns] == [
        ("sale_id", "integer", {"pk": ""}),
        ("amount", "double", {}),
    ]
    manifest = json.loads(orchard_project.manifest_path.read_bytes())
    node = manifest["nodes"]["model.orchard.stg_sales"]
    assert stg.code_version == node["checksum"]["checksum"]
    assert stg.metadata["floe/selector"] == "fqn:orchard.staging.stg_sales"
    daily = by_key[AssetKey(["daily_sales"])]
    assert (daily.group_name, daily.owners) == ("finance", ["finance@example.com"])  # dbt group


def test_sources_are_external_assets(orchard_project: FloeProject) -> None:
    [source] = floe_source_specs(orchard_project)
    assert source.key == AssetKey(["landing", "sales"])
    assert source.owners == ["team:export-team"]
    assert source.description == "One row per sale."


def test_tests_become_checks_blocking_by_severity(orchard_project: FloeProject) -> None:
    checks = {
        (c.asset_key.to_user_string(), c.name): c.blocking
        for c in build_specs(orchard_project.load_manifest()).checks
    }
    assert checks == {
        ("stg_sales", "unique_stg_sales_sale_id"): True,
        ("stg_sales", "not_null_stg_sales_sale_id"): True,
        ("stg_sales", "not_null_stg_sales_amount"): False,  # severity: warn
        ("daily_sales", "assert_daily_totals_positive"): True,  # singular test, one parent
    }


def test_two_resources_with_one_key_are_refused(orchard_project: FloeProject) -> None:
    manifest = json.loads(orchard_project.manifest_path.read_bytes())
    clash = manifest["nodes"]["model.orchard.top_day"]
    clash["config"]["meta"]["dagster"]["asset_key"] = ["stg_sales"]
    with pytest.raises(ProjectError, match=r"stg_sales: .*model\.orchard\.top_day") as caught:
        build_specs(manifest)
    assert "meta.dagster.asset_key" in (caught.value.hint or "")
