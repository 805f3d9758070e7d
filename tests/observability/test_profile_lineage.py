"""``profile:`` (an existing profiles.yml) with lineage on: datasets are named after the
profile target's warehouse, through the warehouse table, on DuckDB and a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from floe_core import RunStatus
from floe_core.api import Floe
from floe_core.testing import PostgresServer

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"
FLOE = Path(sys.executable).parent / "floe"

MANIFEST = """
apiVersion: floe.dev/v1
kind: PlatformManifest
project: {{dir: shop}}
plugins:
  dbt_runtime: {{type: local, config: {{profiles_cache_dir: profiles-cache}}}}
profile: {{profiles_dir: dbt-profiles}}
artifacts: {{path: results}}
observability:
  lineage:
    enabled: true
    namespace: shop-prod
    transport: {{type: http, url: "{url}", timeout: 5}}
"""


def _workspace(root: Path, receiver: Any, profiles_yml: str) -> Path:
    shutil.copytree(EXAMPLE, root / "shop", ignore=shutil.ignore_patterns("target", "logs"))
    (root / "dbt-profiles").mkdir()
    (root / "dbt-profiles" / "profiles.yml").write_text(profiles_yml, encoding="utf-8")
    manifest = root / "platform-manifest.yaml"
    manifest.write_text(MANIFEST.format(url=receiver.url), encoding="utf-8")
    return manifest


def _dataset_namespaces(events: list[dict[str, Any]]) -> set[str]:
    return {d["namespace"] for e in events for d in [*e.get("inputs", []), *e.get("outputs", [])]}


def test_floe_build_with_a_duckdb_profile_sends_lineage(receiver: Any, tmp_path: Path) -> None:
    # The profile the shop project names (`profile: floe` in dbt_project.yml), its paths from
    # the environment as profiles.yml files usually have them; --target picks the second one.
    dev, prod = tmp_path / "warehouse" / "dev.duckdb", tmp_path / "warehouse" / "prod.duckdb"
    dev.parent.mkdir()
    manifest = _workspace(
        tmp_path,
        receiver,
        "floe:\n  target: dev\n  outputs:\n"
        "    dev: {type: duckdb, path: \"{{ env_var('SHOP_DEV_DB') }}\", threads: 2}\n"
        "    prod: {type: duckdb, path: \"{{ env_var('SHOP_PROD_DB') }}\", threads: 2}\n",
    )
    done = subprocess.run(
        [
            str(FLOE),
            "build",
            "--manifest",
            str(manifest),
            "--target",
            "prod",
            "--select",
            "+stg_orders",
            "--exclude",
            "resource_type:test",
        ],
        cwd=tmp_path,
        env={**os.environ, "SHOP_DEV_DB": str(dev), "SHOP_PROD_DB": str(prod)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert prod.is_file()
    assert not dev.exists()
    events = receiver.wait_for("/api/v1/lineage", 6)
    assert {e["job"]["namespace"] for e in events} == {"shop-prod"}
    assert _dataset_namespaces(events) == {f"duckdb://{prod.resolve()}"}
    assert "unknown to floe" not in done.stderr


@pytest.mark.postgres
def test_a_postgres_profile_names_datasets_by_host_and_port(
    receiver: Any,
    postgres_server: PostgresServer,
    postgres_database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOP_PG_PASSWORD", postgres_server.password)
    manifest = _workspace(
        tmp_path,
        receiver,
        f"""\
floe:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: ":memory:"
    prod:
      type: postgres
      host: {postgres_server.host}
      port: {postgres_server.port}
      user: {postgres_server.user}
      password: "{{{{ env_var('SHOP_PG_PASSWORD') }}}}"
      dbname: {postgres_database}
      schema: public
      threads: 2
""",
    )
    # project.target picks the postgres target of the profile
    manifest.write_text(
        manifest.read_text().replace("project: {dir: shop}", "project: {dir: shop, target: prod}")
    )
    with Floe.from_manifest(manifest) as floe:
        result = floe.build(select=["+stg_orders"], exclude=["resource_type:test"])
    assert result.status is RunStatus.SUCCESS

    namespace = f"postgres://{postgres_server.host}:{postgres_server.port}"
    events = receiver.wait_for("/api/v1/lineage", 6)
    assert _dataset_namespaces(events) == {namespace}
    [view] = [
        e
        for e in events
        if e["eventType"] == "COMPLETE" and e["job"]["name"].endswith(".stg_orders")
    ]
    assert [(o["namespace"], o["name"]) for o in view["outputs"]] == [
        (namespace, f"{postgres_database}.public.stg_orders")
    ]
