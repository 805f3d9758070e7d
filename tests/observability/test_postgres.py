"""Lineage dataset names from a real PostgreSQL warehouse (the local runtime, dbt-postgres)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openlineage.client import OpenLineageClient

from floe_core import DBTInvocation, GeneratedProfile, RunStatus
from floe_core.lineage import (
    InMemoryTransport,
    LineageConfig,
    create_lineage_observer,
)
from floe_core.testing import PostgresServer
from floe_core.warehouses import dataset_namespace
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"


def test_postgres_datasets_are_named_by_host_port_and_database(
    postgres_server: PostgresServer, postgres_database: str, tmp_path: Path
) -> None:
    project = tmp_path / "shop"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("target", "logs"))
    output = {
        "type": "postgres",
        "host": postgres_server.host,
        "port": postgres_server.port,
        "user": postgres_server.user,
        "password": postgres_server.password,
        "dbname": postgres_database,
        "schema": "public",
        "threads": 2,
    }
    namespace = dataset_namespace(output)
    transport = InMemoryTransport()
    lineage = create_lineage_observer(
        LineageConfig(enabled=True),
        compute_namespace=namespace,
        client=OpenLineageClient(transport=transport),
    )
    assert lineage is not None
    runtime = LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=tmp_path / "profiles"))
    invocation = DBTInvocation(
        project_dir=project,
        profile=GeneratedProfile(outputs={"dev": output}),
        select=("+stg_orders",),
        exclude=("resource_type:test",),  # relationship tests need models not selected here
    )
    with runtime, runtime.events.subscribed(lineage):
        result = runtime.build(invocation)
    lineage.close()
    assert result.status is RunStatus.SUCCESS, [
        (n.unique_id, n.message) for n in result.nodes if n.status.is_failure
    ]

    events = transport.json_events()
    assert namespace == f"postgres://127.0.0.1:{postgres_server.port}"
    [view] = [
        e
        for e in events
        if e["eventType"] == "COMPLETE" and e["job"]["name"].endswith(".stg_orders")
    ]
    assert view["job"]["name"] == f"{postgres_database}.public.stg_orders"
    assert view["job"]["facets"]["sql"]["dialect"] == "postgres"
    assert [(o["namespace"], o["name"]) for o in view["outputs"]] == [
        (namespace, f"{postgres_database}.public.stg_orders")
    ]
    assert [(i["namespace"], i["name"]) for i in view["inputs"]] == [
        (namespace, f"{postgres_database}.public.raw_orders")
    ]
