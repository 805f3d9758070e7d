"""The workbench API over a real build of examples/shop: runs, nodes, models, lineage, SSE."""

from __future__ import annotations

import http.client
import itertools
import json
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest

from floe_core.ui import UIServer

if TYPE_CHECKING:
    from tests.ui.conftest import FailingShop

pytestmark = pytest.mark.slow


def raw_get(server: UIServer, path: str, host: str | None = None) -> tuple[int, bytes]:
    """GET ``path`` exactly as given (httpx would normalise ``..`` away)."""
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_run_is_listed_with_its_nodes_timeline_and_critical_path(
    ui_server: UIServer, shop_run_id: str
) -> None:
    client = httpx.Client(base_url=ui_server.url)
    runs = client.get("/api/runs").json()
    assert runs["project"] == "shop"
    [run] = [r for r in runs["runs"] if r["invocation_id"] == shop_run_id]
    assert (run["command"], run["runtime"], run["status"]) == ("build", "local", "success")
    assert run["nodes"] == 46
    assert run["elapsed_seconds"] > 0

    detail = client.get(f"/api/runs/{shop_run_id}").json()
    nodes = {node["unique_id"]: node for node in detail["nodes"]}
    assert len(nodes) == 46
    orders = nodes["model.shop.orders"]
    assert orders["status"] == "success"
    assert set(orders["depends_on"]) == {"model.shop.stg_orders", "model.shop.stg_payments"}
    assert orders["result"]["compiled_code"] is None  # the bulk of a big run: fetched per node
    orders = client.get(f"/api/runs/{shop_run_id}/nodes/model.shop.orders").json()
    assert "stg_payments" in orders["result"]["compiled_code"]
    assert client.get(f"/api/runs/{shop_run_id}/nodes/model.shop.nope").status_code == 404
    # The critical path is a chain of dependencies that starts at a root of the run.
    chain = detail["critical_path"]
    assert len(chain) >= 3
    assert not nodes[chain[0]]["depends_on"]
    for parent, child in itertools.pairwise(chain):
        assert parent in nodes[child]["depends_on"]
        assert nodes[child]["critical"]
    assert {"result.json", "events.jsonl", "manifest.json"} <= set(detail["files"])


def test_models_come_from_the_newest_manifest_with_columns_tests_and_status(
    ui_server: UIServer, shop_run_id: str
) -> None:
    client = httpx.Client(base_url=ui_server.url)
    models = client.get("/api/models").json()
    assert models["manifest_run"] == shop_run_id
    names = {model["name"]: model for model in models["models"]}
    assert {"orders", "customers", "raw_orders", "customers_snapshot"} <= set(names)
    assert names["orders"]["last_status"] == "success"
    assert names["orders"]["last_run"] == shop_run_id

    searched = client.get("/api/models", params={"q": "STG_"}).json()["models"]
    assert searched
    assert all(model["name"].startswith("stg_") for model in searched)

    orders = client.get("/api/models/model.shop.orders").json()
    assert orders["model"]["description"].startswith("One row per order")
    assert "order_id" in [column["name"] for column in orders["columns"]]
    tests = {test["name"]: test["status"] for test in orders["tests"]}
    assert tests["unique_orders_order_id"] == "success"
    assert "model.shop.customers" in orders["downstream"]


def test_lineage_walks_up_and_downstream_to_the_asked_depth(ui_server: UIServer) -> None:
    client = httpx.Client(base_url=ui_server.url)
    near = client.get("/api/lineage", params={"node": "model.shop.orders", "depth": 1}).json()
    depths = {node["unique_id"]: node["depth"] for node in near["nodes"]}
    assert depths == {
        "model.shop.orders": 0,
        "model.shop.stg_orders": -1,
        "model.shop.stg_payments": -1,
        "model.shop.customers": 1,
        "model.shop.daily_revenue": 1,
    }
    assert {"source": "model.shop.stg_orders", "target": "model.shop.orders"} in near["edges"]

    far = client.get("/api/lineage", params={"node": "model.shop.orders", "depth": 2}).json()
    assert depths.keys() < {node["unique_id"] for node in far["nodes"]}
    assert "seed.shop.raw_orders" in {node["unique_id"] for node in far["nodes"]}

    whole = client.get("/api/lineage").json()
    assert not any(node["resource_type"] == "test" for node in whole["nodes"])
    assert len(whole["nodes"]) == 14
    assert client.get("/api/lineage", params={"depth": "-1"}).status_code == 400
    assert client.get("/api/lineage", params={"node": "model.shop.nope"}).status_code == 404


def test_column_lineage_comes_from_the_stored_compiled_sql(ui_server: UIServer) -> None:
    """The columnLineage facet's parser over the run's compiled SQL: a model page's columns
    name their upstream columns, and a trace follows one column up and down."""
    client = httpx.Client(base_url=ui_server.url)
    orders = client.get("/api/models/model.shop.orders").json()
    origins = {
        column["name"]: {(ref["unique_id"], ref["column"]) for ref in column["upstream"]}
        for column in orders["columns"]
    }
    assert origins["order_id"] == {("model.shop.stg_orders", "order_id")}
    assert origins["amount"] == {("model.shop.stg_payments", "amount_cents")}
    assert orders["column_lineage_note"] is None

    trace = client.get(
        "/api/column-lineage", params={"node": "model.shop.orders", "column": "amount_cents"}
    ).json()
    edges = {
        (edge["source"]["unique_id"], edge["source"]["column"],
         edge["target"]["unique_id"], edge["target"]["column"])
        for edge in trace["edges"]
    }  # fmt: skip
    assert {
        ("seed.shop.raw_payments", "amount_cents", "model.shop.stg_payments", "amount_cents"),
        ("model.shop.stg_payments", "amount_cents", "model.shop.orders", "amount_cents"),
        ("model.shop.orders", "amount_cents", "model.shop.daily_revenue", "revenue"),
        ("model.shop.orders", "amount_cents", "model.shop.customers", "lifetime_value"),
    } <= edges
    assert (
        client.get("/api/column-lineage", params={"node": "model.shop.orders"}).status_code == 400
    )
    missing = client.get("/api/column-lineage", params={"node": "model.shop.x", "column": "a"})
    assert missing.status_code == 404


def test_the_event_stream_replays_the_run_and_ends_after_run_finished(
    ui_server: UIServer, shop_run_id: str
) -> None:
    with httpx.stream("GET", f"{ui_server.url}/api/runs/{shop_run_id}/events") as r:
        assert r.headers["content-type"] == "text/event-stream"
        lines = list(r.iter_lines())
    kinds = [json.loads(line[6:]).get("kind") for line in lines if line.startswith("data: ")]
    assert lines[-3:-1] == ["event: end", "data: {}"]
    kinds.pop()  # the end event
    assert kinds[0] == "run_started"
    assert kinds[-1] == "run_finished"
    assert kinds.count("node_finished") == 46


def test_openapi_names_every_endpoint_and_its_schemas(ui_server: UIServer) -> None:
    document = httpx.get(f"{ui_server.url}/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert {
        "/api/runs",
        "/api/runs/{invocation_id}",
        "/api/runs/{invocation_id}/events",
        "/api/runs/{invocation_id}/files/{name}",
        "/api/runs/{invocation_id}/nodes/{unique_id}",
        "/api/models",
        "/api/models/{unique_id}",
        "/api/lineage",
        "/api/column-lineage",
    } <= set(document["paths"])
    assert {
        "RunDetail",
        "RunList",
        "ModelDetail",
        "LineageGraph",
        "ColumnTrace",
        "NodeResult",
    } <= set(document["components"]["schemas"])


@pytest.mark.parametrize(
    "path",
    [
        "/api/runs/..%2F..%2Fetc%2Fpasswd",
        "/api/runs/..%252F..%252Fetc%252Fpasswd",
        "/api/runs/../../etc/passwd",
        "/api/runs/%2e%2e/result.json",
        "/api/runs/..%2Fruns/events",
        "/static/../_server.py",
        "/static/..%2F_server.py",
        "/static/..%252F_server.py",
        "/static/%2e%2e/%2e%2e/_workbench.py",
        "/static/vendor/../../_server.py",
        "/static/vendor/..%2F..%2F__init__.py",
        "/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/runs/x/files/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/runs/x/files/%2e%2e%2Fruns",
        "/api/runs/..%2Fshop/files/result.json",
    ],
)
def test_no_path_leaves_the_store_or_the_static_files(ui_server: UIServer, path: str) -> None:
    status, body = raw_get(ui_server, path)
    assert status in (400, 404), body
    assert b"root:" not in body
    assert b"import" not in body


def test_static_files_and_pages_are_served_with_a_strict_policy(ui_server: UIServer) -> None:
    page = httpx.get(f"{ui_server.url}/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/static/vendor/markdown-it.min.js">' in page.text  # cytoscape: lazily
    script = httpx.get(f"{ui_server.url}/static/vendor/cytoscape.min.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{ui_server.url}/static/vendor/cytoscape.LICENSE").status_code == 200


def test_on_loopback_a_foreign_host_name_is_refused(ui_server: UIServer) -> None:
    """A page on another site resolving its name to 127.0.0.1 cannot read the API."""
    assert raw_get(ui_server, "/api/runs", host="evil.example:80")[0] == 403
    assert raw_get(ui_server, "/api/runs", host="localhost:1234")[0] == 200


def test_a_selection_is_evaluated_by_floes_plan(ui_server: UIServer) -> None:
    client = httpx.Client(base_url=ui_server.url, timeout=120)
    upstream = client.get("/api/lineage", params={"select": "+orders"}).json()
    assert {node["name"] for node in upstream["nodes"]} == {
        "orders", "stg_orders", "stg_payments", "raw_orders", "raw_payments"}  # fmt: skip
    assert upstream["select"] == "+orders"
    owned = client.get("/api/lineage", params={"select": "config.meta.owner:finance-team"})
    assert owned.status_code == 200
    assert owned.json()["nodes"]
    assert {n["name"] for n in owned.json()["nodes"]} < {
        n["name"] for n in client.get("/api/lineage").json()["nodes"]
    }
    with_tests = client.get("/api/lineage", params={"select": "orders", "tests": "1"}).json()
    assert "unique_orders_order_id" in {node["name"] for node in with_tests["nodes"]}
    nothing = client.get("/api/lineage", params={"select": "no_such_model"}).json()
    assert nothing["nodes"] == []


def test_a_state_selection_compares_with_the_newest_successful_run(
    ui_server: UIServer, shop_results: Path
) -> None:
    """``state:modified+`` in the select box: floe's plan with ``--state latest``."""
    client = httpx.Client(base_url=ui_server.url, timeout=120)
    model = shop_results.parent / "shop" / "models" / "marts" / "daily_revenue.sql"
    original = model.read_text()
    model.write_text(original + "\n-- changed since the last run\n")
    try:
        changed = client.get("/api/lineage", params={"select": "state:modified+"}).json()
    finally:
        model.write_text(original)
    assert {node["name"] for node in changed["nodes"]} == {"daily_revenue"}


def test_a_failed_run_explains_itself_and_compares_with_the_previous_run(
    failing_server: UIServer, failing_shop: FailingShop
) -> None:
    client = httpx.Client(base_url=failing_server.url)
    detail = client.get(f"/api/runs/{failing_shop.failed}").json()
    assert detail["invocation"]["vars"] == {"fail_model": True}
    assert detail["invocation"]["dbt_version"].startswith("1.11")
    nodes = {node["name"]: node for node in detail["nodes"]}
    orders = nodes["orders"]
    assert orders["status"] == "error"
    assert orders["new_failure"] is True
    assert any("floe_fail_model_missing_table" in line for line in orders["log"])
    assert any("ERROR creating" in line for line in orders["log"])
    assert nodes["customers"]["status"] == "skipped"
    assert nodes["stg_orders"]["log"] == []  # only failed and warned nodes carry log lines
    assert nodes["stg_orders"]["previous_seconds"] > 0
    previous = detail["previous"]
    assert previous["invocation_id"] == failing_shop.passed
    assert previous["new_failures"] == ["model.shop.orders"]
    log = client.get(f"/api/runs/{failing_shop.failed}/files/dbt.log")
    assert log.headers["content-type"].startswith("text/plain")
    assert "floe_fail_model_missing_table" in log.text
    assert client.get(f"/api/runs/{failing_shop.failed}/files/profiles.yml").status_code == 404


def test_sources_exposures_and_markdown_docs_come_from_the_manifest(
    failing_server: UIServer,
) -> None:
    client = httpx.Client(base_url=failing_server.url)
    kinds = {m["unique_id"]: m["resource_type"] for m in client.get("/api/models").json()["models"]}
    assert kinds["exposure.shop.revenue_dashboard"] == "exposure"
    assert (kinds["source.shop.crm.raw_customers"], kinds["seed.shop.raw_customers"]) == (
        "source", "seed")  # fmt: skip
    source = client.get("/api/models/source.shop.crm.raw_customers").json()
    assert "| id    | customer key |" in source["model"]["description"]
    graph = client.get("/api/lineage", params={"node": "exposure.shop.revenue_dashboard"}).json()
    assert {"source.shop.crm.raw_customers", "model.shop.customers"} <= {
        node["unique_id"] for node in graph["nodes"]}  # fmt: skip
    orders = client.get("/api/models/model.shop.orders").json()
    assert [run["status"] for run in orders["runs"]] == ["success", "error"]
    [unique] = [test for test in orders["tests"] if test["name"] == "unique_orders_order_id"]
    assert [outcome["status"] for outcome in unique["history"]] == ["skipped", "success"]
