"""The warehouse a manifest runs on, from ``compute`` or from its profiles.yml target."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from floe_core import ProfileError
from floe_core.manifest import PlatformManifest, parse_manifest
from floe_core.warehouses import namespace_by_target, warehouse_target

HEADER = "apiVersion: floe.dev/v1\nkind: PlatformManifest\nplugins: {dbt_runtime: {type: local}}\n"

PROFILES = """\
shop:
  target: "{{ env_var('SHOP_TARGET', 'dev') }}"
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('SHOP_DB', '/data/dev.duckdb') }}"
    prod:
      type: snowflake
      account: "{{ env_var('SF_ACCOUNT') }}"
      user: floe
      password: "{{ env_var('SF_PASSWORD') }}"
      database: analytics
      schema: marts
    lake:
      type: clickhouse
      host: ch.internal
      port: "{{ env_var('CH_PORT', '9000') | as_number }}"
    files:
      type: sqlite
      schema_directory: /data
      database: main
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_text(PROFILES, encoding="utf-8")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    return tmp_path


def _manifest(workspace: Path) -> PlatformManifest:
    text = HEADER + "project: {dir: shop}\nprofile: {profiles_dir: profiles}\n"
    return parse_manifest(text, base_dir=workspace)


def test_the_profile_named_by_dbt_project_and_its_default_target(workspace: Path) -> None:
    target = warehouse_target(_manifest(workspace))
    assert target.type == "duckdb"
    assert target.source.endswith("profiles.yml: profile shop, target dev")
    assert target.namespace() == "duckdb:///data/dev.duckdb"


def test_env_vars_choose_the_target_and_fill_its_fields(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_TARGET", "prod")
    monkeypatch.setenv("SF_ACCOUNT", "MyOrg-Analytics")
    target = warehouse_target(_manifest(workspace))
    assert (target.type, target.namespace()) == ("snowflake", "snowflake://myorg-analytics")


def test_secrets_of_the_output_never_show_in_its_repr(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCOUNT", "myorg-analytics")
    monkeypatch.setenv("SF_PASSWORD", "hunter2-not-real")
    target = warehouse_target(_manifest(workspace), target="prod")
    assert target.output["password"] == "hunter2-not-real"  # rendered for the probe
    assert "hunter2" not in repr(target)


def test_an_empty_default_renders_empty(workspace: Path) -> None:
    profiles = workspace / "profiles" / "profiles.yml"
    profiles.write_text(
        PROFILES.replace("env_var('SHOP_DB', '/data/dev.duckdb')", "env_var('SHOP_DB', '')")
    )
    assert warehouse_target(_manifest(workspace)).namespace() == "duckdb://:memory:"


def test_the_target_given_wins(workspace: Path) -> None:
    assert warehouse_target(_manifest(workspace), target="lake").type == "clickhouse"


def test_each_target_of_a_profile_has_its_namespace(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCOUNT", "myorg-analytics")
    namespaces = namespace_by_target(_manifest(workspace))
    assert namespaces(None) == "duckdb:///data/dev.duckdb"
    assert namespaces("prod") == "snowflake://myorg-analytics"
    assert namespaces("qa") == "duckdb:///data/dev.duckdb"  # dbt itself reports a bad target


def test_an_unknown_type_still_gets_a_namespace_and_one_warning(workspace: Path) -> None:
    with capture_logs() as logs:
        lake = warehouse_target(_manifest(workspace), target="lake").namespace()
    assert lake == "clickhouse://ch.internal:9000"
    [warning] = [log for log in logs if log["log_level"] == "warning"]
    assert warning["type"] == "clickhouse"
    assert "floe.warehouses" in warning["hint"]
    files = warehouse_target(_manifest(workspace), target="files")
    assert files.warehouse is None
    assert files.namespace() == "sqlite://main"
    assert files.probe().healthy


def test_a_missing_target_names_the_ones_there(workspace: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        warehouse_target(_manifest(workspace), target="qa")
    assert "profile 'shop' has no target 'qa' with a `type`" in caught.value.message
    assert "(targets: dev, files, lake, prod)" in caught.value.message
    assert caught.value.hint is not None
    assert "project.target" in caught.value.hint


def test_a_missing_profile_names_the_ones_there(workspace: Path) -> None:
    (workspace / "shop" / "dbt_project.yml").write_text("name: shop\nprofile: jaffle\n")
    with pytest.raises(ProfileError, match=r"profile 'jaffle' not found \(profiles: shop\)"):
        warehouse_target(_manifest(workspace))


def test_a_missing_profiles_file_is_located(tmp_path: Path) -> None:
    manifest = parse_manifest(
        HEADER + "profile: {profiles_dir: nowhere, profile_name: x}\n", base_dir=tmp_path
    )
    with pytest.raises(ProfileError, match=r"nowhere/profiles.yml: profiles.yml not found"):
        warehouse_target(manifest)


def test_compute_gives_the_generated_output(tmp_path: Path) -> None:
    manifest = parse_manifest(
        HEADER + "compute: {type: trino, config: {host: t, user: u, database: hive, schema: s}}\n",
        base_dir=tmp_path,
    )
    target = warehouse_target(manifest)
    assert (target.source, target.namespace()) == ("compute", "trino://t:443")


def test_the_probe_connects_to_the_warehouse_endpoint(tmp_path: Path) -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        manifest = parse_manifest(
            HEADER + f"compute: {{type: postgres, config: {{host: 127.0.0.1, port: {port},"
            " user: u, dbname: d}}\n",
            base_dir=tmp_path,
        )
        up = warehouse_target(manifest).probe(timeout=2)
    down = warehouse_target(manifest).probe(timeout=2)  # the socket is closed now
    assert up.healthy, up.message
    assert up.checks["endpoint"] == f"127.0.0.1:{port} reachable"
    assert up.checks["adapter"].startswith("dbt-postgres ")
    assert not down.healthy
    assert down.checks["endpoint"].startswith(f"127.0.0.1:{port} unreachable")
    assert f"127.0.0.1:{port} is unreachable" in down.message
