"""examples/shop on a real PostgreSQL: the same portable project, a secret via env_var."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_core import DBTInvocation, GeneratedProfile, NodeStatus, RunStatus
from floe_core.testing import PostgresServer
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PASSWORD_VAR = "FLOE_TEST_SHOP_PG_PASSWORD"


def test_shop_builds_on_postgres_with_the_password_from_an_env_var(
    postgres_server: PostgresServer,
    postgres_database: str,
    shop_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_VAR, postgres_server.password)
    output = {
        "type": "postgres",
        "host": postgres_server.host,
        "port": postgres_server.port,
        "user": postgres_server.user,
        "password": f"{{{{ env_var('{PASSWORD_VAR}') }}}}",
        "dbname": postgres_database,
        "schema": "shop",
        "threads": 4,
    }
    profile = GeneratedProfile(outputs={"dev": output})
    invocation = DBTInvocation(
        project_dir=shop_root / "project", profile=profile, target_path=tmp_path / "target"
    )
    config = LocalRuntimeConfig(profiles_cache_dir=tmp_path / "cache")
    with LocalRuntime(config) as runtime:
        result = runtime.build(invocation)
    assert result.status is RunStatus.SUCCESS, [n.message for n in result.nodes if n.message]
    assert result.counts()[NodeStatus.SUCCESS] == len(result.nodes) == 46
    orders = result.node("model.shop.orders")
    assert orders.relation_name == f'"{postgres_database}"."shop"."orders"'
    assert orders.adapter_response.code == "SELECT"  # what PostgreSQL answered
    count = postgres_server.psql("select count(*) from shop.orders", dbname=postgres_database)
    assert count == "60"
    # the secret went through the environment, never into the profile file or dbt's log
    written = "".join(p.read_text() for p in (tmp_path / "cache").rglob("profiles.yml"))
    assert postgres_server.password not in written
    assert result.log_path is not None
    assert postgres_server.password not in result.log_path.read_text()
