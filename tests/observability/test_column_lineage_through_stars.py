"""End to end: column lineage through ``select *`` CTE chains, on a jaffle_shop-shaped project.

dbt's own jaffle_shop writes every model as ``with source as (select * from {{ ref(..) }}),
renamed as (select id as customer_id, ..) select * from renamed``; openlineage-sql alone sees
no column through the stars. One real ``floe build`` (local runtime, DuckDB) of such a project,
written here, with lineage to a file: the events validate against the OpenLineage schema and
carry the edges through the stars (seed CSV header -> staging model -> mart -> a plain
``select *`` view of the mart); ``floe ui``'s ``/api/column-lineage`` gives the same edges.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from floe_core.api import Floe
from floe_core.stores import LocalArtifactStore
from floe_core.testing import validate_openlineage_event
from floe_core.ui import UIServer, Workbench

pytestmark = pytest.mark.slow

FILES = {
    "dbt_project.yml": "name: jaffle\nprofile: floe\nseed-paths: [seeds]\n",
    "seeds/raw_customers.csv": "id,first_name,last_name\n1,Michael,P.\n2,Shawn,M.\n",
    "seeds/raw_orders.csv": "id,user_id,order_date,status\n1,1,2018-01-01,returned\n"
    "2,2,2018-01-02,completed\n3,1,2018-01-04,completed\n",
    "models/staging/stg_customers.sql": """\
with source as (
    select * from {{ ref('raw_customers') }}
),
renamed as (
    select id as customer_id, first_name, last_name from source
)
select * from renamed
""",
    "models/staging/stg_orders.sql": """\
with source as (
    select * from {{ ref('raw_orders') }}
),
renamed as (
    select id as order_id, user_id as customer_id, order_date, status from source
)
select * from renamed
""",
    "models/customers.sql": """\
with customers as (
    select * from {{ ref('stg_customers') }}
),
orders as (
    select * from {{ ref('stg_orders') }}
),
customer_orders as (
    select customer_id, min(order_date) as first_order, count(order_id) as number_of_orders
    from orders
    group by customer_id
),
final as (
    select customers.*, customer_orders.first_order, customer_orders.number_of_orders
    from customers
    left join customer_orders on customers.customer_id = customer_orders.customer_id
)
select * from final
""",
    "models/customers_view.sql": "{{ config(materialized='view') }}\n"
    "select * from {{ ref('customers') }}\n",
}
MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
project: {{dir: jaffle}}
plugins: {{dbt_runtime: {{type: local}}}}
compute: {{type: duckdb, config: {{path: warehouse/jaffle.duckdb}}}}
artifacts: {{path: results}}
observability:
  lineage:
    enabled: true
    transport: {{type: file, log_file_path: '{lineage}', append: true}}
"""

Edge = tuple[str, str, str, str]
"""(upstream relation, its column, model, the model's column), relations by their last name
part (seeds and models alike)."""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The results folder of one real build of the project, and its lineage events."""
    root = tmp_path_factory.mktemp("jaffle-stars")
    for name, text in FILES.items():
        (root / "jaffle" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "jaffle" / name).write_text(text, encoding="utf-8")
    lineage = root / "lineage.jsonl"
    manifest = root / "platform-manifest.yaml"
    manifest.write_text(MANIFEST.format(lineage=lineage), encoding="utf-8")
    with Floe.from_manifest(manifest) as floe:
        assert floe.build().status.value == "success"
    events = [json.loads(line) for line in lineage.read_text().splitlines() if line.strip()]
    return root / "results", events


def _facet_edges(events: list[dict[str, Any]]) -> set[Edge]:
    edges = set()
    for event in events:
        for output in event.get("outputs") or []:
            lineage = output["facets"].get("columnLineage")
            for column, spec in (lineage or {"fields": {}})["fields"].items():
                model = output["name"].split(".")[-1]
                edges |= {
                    (f["name"].split(".")[-1], f["field"], model, column)
                    for f in spec["inputFields"]
                }
    return edges


EXPECTED: set[Edge] = {
    ("raw_customers", "id", "stg_customers", "customer_id"),
    ("raw_customers", "first_name", "stg_customers", "first_name"),
    ("raw_orders", "user_id", "stg_orders", "customer_id"),
    ("raw_orders", "id", "stg_orders", "order_id"),
    ("stg_customers", "customer_id", "customers", "customer_id"),
    ("stg_customers", "last_name", "customers", "last_name"),
    ("stg_orders", "order_date", "customers", "first_order"),
    ("stg_orders", "order_id", "customers", "number_of_orders"),
    ("customers", "customer_id", "customers_view", "customer_id"),
    ("customers", "number_of_orders", "customers_view", "number_of_orders"),
}


def test_column_lineage_sees_through_select_star_cte_chains(
    built: tuple[Path, list[dict[str, Any]]],
) -> None:
    _, events = built
    for event in events:
        validate_openlineage_event(event)
    edges = _facet_edges(events)
    assert edges >= EXPECTED
    # Every model's every output column has its origin (none is lost behind a star) ...
    assert {(model, column) for _, _, model, column in edges} >= {
        ("customers_view", column)
        for column in ("customer_id", "first_name", "last_name", "first_order")
    }
    # ... and only its own: customer_id comes from the customers CTE, not from orders.
    assert {(up, col) for up, col, model, out in edges if (model, out) == (
        "customers", "customer_id")} == {("stg_customers", "customer_id")}  # fmt: skip


def test_the_workbench_traces_the_same_edges(built: tuple[Path, list[dict[str, Any]]]) -> None:
    results, events = built
    workbench = Workbench(LocalArtifactStore(results), "jaffle")
    with UIServer(workbench, poll_seconds=0.05) as server:
        trace = httpx.get(
            f"{server.url}/api/column-lineage",
            params={"node": "model.jaffle.customers", "column": "customer_id"},
        ).json()
    traced = {
        (e["source"]["unique_id"].split(".")[-1], e["source"]["column"],
         e["target"]["unique_id"].split(".")[-1], e["target"]["column"])
        for e in trace["edges"]
    }  # fmt: skip
    assert traced == {
        ("raw_customers", "id", "stg_customers", "customer_id"),
        ("stg_customers", "customer_id", "customers", "customer_id"),
        ("customers", "customer_id", "customers_view", "customer_id"),
    }
    assert traced <= _facet_edges(events)
    assert trace["note"] is None
