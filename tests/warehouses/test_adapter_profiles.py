"""Each built-in warehouse type's generated profile, parsed by dbt-core and the adapter itself.

No warehouse is reached: dbt's own profile loading renders the output (``env_var()`` and
all) and builds the adapter's ``Credentials`` from it, which is where a wrong key, a missing
field or a bad value fails first in a real run. An adapter that is not installed in the
test environment is skipped with the reason (docs/adr/0013-warehouse-table.md says which).
"""

from __future__ import annotations

import importlib.util
import os
from argparse import Namespace
from pathlib import Path
from typing import Any

import pytest
import yaml
from dbt.config.profile import Profile
from dbt.config.renderer import ProfileRenderer
from dbt.flags import set_from_args
from dbt_common.context import set_invocation_context

from floe_core import GeneratedProfile
from floe_core.manifest import parse_manifest
from floe_core.profiles import profile_source_for
from floe_core.warehouses import warehouse

pytestmark = pytest.mark.slow  # imports every installed adapter (~30 s)

SECRET = "not-a-real-secret"

# compute.config per type -> what the adapter's Credentials must then hold
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "duckdb": (
        {"path": "warehouse/shop.duckdb", "extensions": ["httpfs"]},
        {"schema": "main", "extensions": ("httpfs",)},
    ),
    "postgres": (
        {"host": "db.internal", "user": "floe", "password": "${env:WH_SECRET}", "dbname": "shop"},
        {"host": "db.internal", "port": 5432, "password": SECRET, "database": "shop"},
    ),
    "redshift": (
        {
            "host": "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com",
            "user": "floe",
            "password": "${env:WH_SECRET}",
            "dbname": "analytics",
            "schema": "marts",
        },
        {"port": 5439, "password": SECRET, "database": "analytics", "schema": "marts"},
    ),
    "snowflake": (
        {
            "account": "myorg-myaccount",
            "user": "floe",
            "password": "${env:WH_SECRET}",
            "role": "transformer",
            "database": "ANALYTICS",
            "warehouse": "TRANSFORMING",
            "schema": "marts",
        },
        {"account": "myorg-myaccount", "password": SECRET, "warehouse": "TRANSFORMING"},
    ),
    "bigquery": (
        {
            "method": "service-account",
            "project": "acme-analytics",
            "dataset": "marts",
            "keyfile": "secrets/key.json",
            "location": "EU",
        },
        {"database": "acme-analytics", "schema": "marts", "location": "EU"},
    ),
    "databricks": (
        {
            "host": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com/",
            "http_path": "/sql/1.0/warehouses/abc123",
            "token": "${env:WH_SECRET}",
            "catalog": "main",
            "schema": "marts",
        },
        {"host": "dbc-a1b2c3d4-e5f6.cloud.databricks.com", "token": SECRET, "database": "main"},
    ),
    "trino": (
        {
            "method": "ldap",
            "host": "trino.example.com",
            "user": "floe",
            "password": "${env:WH_SECRET}",
            "database": "hive",
            "schema": "marts",
        },
        {"host": "trino.example.com", "port": 443, "password": SECRET, "database": "hive"},
    ),
}


@pytest.fixture(autouse=True)
def _dbt_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WH_SECRET", SECRET)
    set_from_args(Namespace(), None)
    set_invocation_context(dict(os.environ))


def _credentials(name: str, config: dict[str, Any], base: Path) -> Any:
    manifest = parse_manifest(
        yaml.safe_dump(
            {
                "apiVersion": "floe.dev/v1",
                "kind": "PlatformManifest",
                "plugins": {"dbt_runtime": {"type": "local"}},
                "compute": {"type": name, "config": config},
            }
        ),
        base_dir=base,
    )
    source = profile_source_for(manifest)
    assert isinstance(source, GeneratedProfile)
    raw = {"target": source.target, "outputs": source.outputs}
    profile = Profile.from_raw_profile_info(raw, source.profile_name, ProfileRenderer({}))
    return profile.credentials


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_adapter_accepts_the_generated_profile(name: str, tmp_path: Path) -> None:
    if importlib.util.find_spec(f"dbt.adapters.{name}") is None:
        pytest.skip(f"{warehouse(name).adapter_package} is not installed here (see ADR 0013)")
    config, expected = CASES[name]
    credentials = _credentials(name, config, tmp_path)
    assert credentials.type == name
    held = {key: getattr(credentials, key) for key in expected}
    if "extensions" in held:
        held["extensions"] = tuple(held["extensions"])
    assert held == expected


def test_relative_paths_resolve_against_the_manifest_folder(tmp_path: Path) -> None:
    duckdb = _credentials("duckdb", CASES["duckdb"][0], tmp_path)
    assert duckdb.path == str(tmp_path / "warehouse" / "shop.duckdb")
    bigquery = _credentials("bigquery", CASES["bigquery"][0], tmp_path)
    assert bigquery.keyfile == str(tmp_path / "secrets" / "key.json")
