from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import pytest

from floe_core import ConfigError, DBTCommand
from floe_core.api import init_manifest, list_runtimes, validate


def test_init_manifest_writes_a_manifest_that_validates_and_keeps_an_existing_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: floe\n")
    path = init_manifest(tmp_path / "platform-manifest.yaml")
    report = validate(path)
    assert report.ok, report.failures
    with pytest.raises(ConfigError, match="already exists"):
        init_manifest(path)
    assert init_manifest(path, runtime="cloud", force=True) == path
    assert 'type: "cloud"' in path.read_text()


def test_list_runtimes_reports_the_installed_local_runtime_and_its_health(
    tmp_path: Path,
) -> None:
    [local] = list_runtimes(["local"], health=True, manifest=_local_manifest(tmp_path))
    assert (local.name, local.distribution, local.compatible) == ("local", "floe-dbt-local", True)
    assert local.api_version == "1.0"
    assert set(local.commands) == {command.value for command in DBTCommand}
    assert local.health is not None
    assert local.health.healthy, local.health


def _local_manifest(tmp_path: Path) -> Path:
    path = tmp_path / "platform-manifest.yaml"
    path.write_text(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\n"
        "plugins: {dbt_runtime: {type: local, config: {partial_parse: false}}}\n"
    )
    return path


def _profile_workspace(tmp_path: Path, output: str, *, lineage: bool = True) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    (tmp_path / "dbt").mkdir()
    (tmp_path / "dbt" / "profiles.yml").write_text(
        f"shop:\n  target: dev\n  outputs:\n    dev:\n{output}"
    )
    path = tmp_path / "platform-manifest.yaml"
    path.write_text(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\nproject: {dir: shop}\n"
        "plugins: {dbt_runtime: {type: local}}\nprofile: {profiles_dir: dbt}\n"
        f"observability: {{lineage: {{enabled: {str(lineage).lower()}}}}}\n"
    )
    return path


def test_validate_names_the_warehouse_of_a_profile_and_its_lineage_namespace(
    tmp_path: Path,
) -> None:
    database = tmp_path / "shop.duckdb"
    path = _profile_workspace(tmp_path, f"      type: duckdb\n      path: {database}\n")
    report = validate(path)
    assert report.ok, report.failures
    [warehouse] = [check for check in report.checks if check.name == "warehouse"]
    assert warehouse.message.startswith("duckdb (dbt-duckdb 1.")
    assert "profile shop, target dev" in warehouse.message
    assert warehouse.message.endswith(f"; lineage datasets in duckdb://{database}")


def test_validate_fails_for_a_profile_whose_adapter_is_not_installed(tmp_path: Path) -> None:
    if importlib.util.find_spec("dbt.adapters.databricks") is not None:
        pytest.skip("dbt-databricks is installed here")
    path = _profile_workspace(
        tmp_path, "      type: databricks\n      host: dbc.cloud.databricks.com\n"
    )
    report = validate(path)
    [failure] = report.failures
    assert failure.name == "warehouse"
    assert "warehouse type databricks needs the dbt adapter dbt-databricks" in failure.message
    assert failure.hint == "pip install dbt-databricks"


def test_plugins_health_probes_the_manifests_warehouse(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again when the probe runs
    path = _profile_workspace(
        tmp_path,
        f"      type: postgres\n      host: 127.0.0.1\n      port: {port}\n"
        "      user: u\n      password: ''\n      dbname: d\n      schema: public\n",
        lineage=False,
    )
    [local] = list_runtimes(["local"], health=True, manifest=path)
    assert local.health is not None
    assert not local.health.healthy
    assert local.health.checks["warehouse.endpoint"].startswith(f"127.0.0.1:{port} unreachable")
    assert local.health.checks["warehouse.adapter"].startswith("dbt-postgres ")
    assert f"warehouse postgres: 127.0.0.1:{port} is unreachable" in local.health.message


def test_plugins_health_reports_a_warehouse_it_cannot_resolve(tmp_path: Path) -> None:
    path = _profile_workspace(tmp_path, "      type: duckdb\n", lineage=False)
    (tmp_path / "dbt" / "profiles.yml").write_text("other: {outputs: {}}\n")
    [local] = list_runtimes(["local"], health=True, manifest=path)
    assert local.health is not None
    assert not local.health.healthy
    assert "profile 'shop' not found (profiles: other)" in local.health.message
    assert local.health.checks["dbt"]  # the runtime's own checks are still there
