"""The fake dbt Cloud executing jobs on a real PostgreSQL (the ``postgres_server`` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_core import DBTInvocation, NodeStatus, RunStatus
from floe_core.testing import PostgresServer
from floe_dbt_cloud import CloudRuntime
from floe_dbt_cloud.testing import FakeDbtCloud, FakeJob


@pytest.mark.slow
@pytest.mark.postgres
def test_job_runs_on_postgres(
    postgres_server: PostgresServer,
    postgres_database: str,
    tiny_project: Path,
    invocation: DBTInvocation,
    tmp_path: Path,
) -> None:
    connection = {
        "type": "postgres",
        "host": postgres_server.host,
        "port": postgres_server.port,
        "user": postgres_server.user,
        "password": postgres_server.password,
        "dbname": postgres_database,
        "schema": "analytics",
    }
    job = FakeJob(id=5, project_dir=tiny_project, connection=connection)
    with FakeDbtCloud([job], work_dir=tmp_path / "cloud") as fake:
        with CloudRuntime(fake.cloud_config(5)) as runtime:
            result = runtime.build(invocation)
        assert fake.runs()[0].steps[1].name == "Create profile from connection postgres"
    assert result.status is RunStatus.SUCCESS, result.error
    assert {node.name: node.status for node in result.nodes} == {
        "numbers": NodeStatus.SUCCESS,
        "doubled": NodeStatus.SUCCESS,
        "not_null_doubled_n": NodeStatus.SUCCESS,
    }
    assert result.node("model.tiny.doubled").relation_name == (
        f'"{postgres_database}"."analytics"."doubled"'
    )
