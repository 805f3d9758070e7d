from __future__ import annotations

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
