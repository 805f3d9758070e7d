"""Dataset namespaces of every built-in type against the OpenLineage naming spec.

Expected values are the spec's own formats and examples
(https://openlineage.io/docs/spec/naming) and, where the OpenLineage Python client has a
naming helper for the platform, that helper's answer for the same connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openlineage.client.naming import dataset as ol_naming

from floe_core.warehouses import dataset_namespace


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        # Postgres: postgres://{host}:{port}  (spec example: postgres://db.foo.com:6543)
        ({"type": "postgres", "host": "db.foo.com", "port": 6543}, "postgres://db.foo.com:6543"),
        ({"type": "postgres", "host": "db"}, "postgres://db:5432"),
        # Redshift: redshift://{cluster_identifier}.{region_name}:{port}
        (
            {
                "type": "redshift",
                "host": "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com",
                "port": 5439,
            },
            "redshift://examplecluster.us-west-2:5439",
        ),
        (
            {
                "type": "redshift",
                "host": "analytics.123456789012.eu-west-1.redshift-serverless.amazonaws.com",
            },
            "redshift://analytics.eu-west-1:5439",
        ),
        (
            {
                "type": "redshift",
                "host": "tunnel.local",
                "cluster_id": "prod",
                "region": "us-east-1",
            },
            "redshift://prod.us-east-1:5439",
        ),
        (
            {"type": "redshift", "host": "tunnel.local", "port": 15439},
            "redshift://tunnel.local:15439",
        ),
        # Snowflake: snowflake://{organization name}-{account name}
        ({"type": "snowflake", "account": "MyOrg-MyAccount"}, "snowflake://myorg-myaccount"),
        ({"type": "snowflake", "account": "myorg-my_account"}, "snowflake://myorg-my_account"),
        # legacy account locators, completed as OpenLineage's integrations do
        ({"type": "snowflake", "account": "xy12345"}, "snowflake://xy12345.us-west-1.aws"),
        (
            {"type": "snowflake", "account": "xy12345.us-east-1"},
            "snowflake://xy12345.us-east-1.aws",
        ),
        (
            {"type": "snowflake", "account": "xy12345.east-us-2.azure"},
            "snowflake://xy12345.east-us-2.azure",
        ),
        # BigQuery: one global namespace
        ({"type": "bigquery", "project": "acme", "dataset": "marts"}, "bigquery"),
        # Databricks: databricks://{workspace host}
        (
            {"type": "databricks", "host": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com/"},
            "databricks://dbc-a1b2c3d4-e5f6.cloud.databricks.com",
        ),
        # Trino: trino://{host}:{port}
        (
            {"type": "trino", "host": "trino.example.com", "port": 8080},
            "trino://trino.example.com:8080",
        ),
        ({"type": "trino", "host": "trino.example.com"}, "trino://trino.example.com:443"),
        # DuckDB: the database file, absolute
        ({"type": "duckdb", "path": "/data/shop.duckdb"}, "duckdb:///data/shop.duckdb"),
        ({"type": "duckdb", "path": ":memory:"}, "duckdb://:memory:"),
        ({"type": "duckdb"}, "duckdb://:memory:"),
        ({"type": "duckdb", "path": "md:analytics"}, "duckdb://md:analytics"),
    ],
)
def test_namespace_follows_the_naming_spec(output: dict[str, Any], expected: str) -> None:
    assert dataset_namespace(output) == expected


def test_namespaces_agree_with_the_openlineage_clients_naming_helpers() -> None:
    table = "orders"
    helpers = [
        (
            {"type": "postgres", "host": "db.foo.com", "port": 6543},
            ol_naming.Postgres("db.foo.com", "6543", "metrics", "sales", table),
        ),
        (
            {"type": "trino", "host": "trino.foo.com", "port": 8080},
            ol_naming.Trino("trino.foo.com", "8080", "hive", "sales", table),
        ),
        (
            {"type": "redshift", "host": "c1.abc123.us-west-2.redshift.amazonaws.com"},
            ol_naming.Redshift("c1", "us-west-2", "5439", "dev", "sales", table),
        ),
        (
            {"type": "snowflake", "account": "myorg-myaccount"},
            ol_naming.Snowflake("myorg", "myaccount", "db", "sales", table),
        ),
        ({"type": "bigquery"}, ol_naming.BigQuery("acme", "sales", table)),
    ]
    for output, helper in helpers:
        assert dataset_namespace(output) == helper.get_namespace(), output


def test_relative_duckdb_paths_resolve_against_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    output = {"type": "duckdb", "path": "shop.duckdb"}
    assert dataset_namespace(output) == f"duckdb://{tmp_path}/shop.duckdb"
