"""``--favor-state`` on the workers: the state's manifest without the run's own nodes."""

from __future__ import annotations

import json
from pathlib import Path

from floe_core import ExecutionPlan, PlannedNode
from floe_core.stores import LocalArtifactStore
from floe_dbt_temporal._models import StateFiles
from floe_dbt_temporal._state import favored_state, without_nodes

_MANIFEST = {
    "metadata": {"dbt_version": "1.10.0", "project_name": "shop"},
    "nodes": {
        "model.shop.stg_orders": {"schema": "prod", "name": "stg_orders"},
        "model.shop.stg_customers": {"schema": "prod", "name": "stg_customers"},
        "model.shop.customers": {"schema": "prod", "name": "customers"},
        "test.shop.not_null_customers_id": {"schema": "prod", "name": "not_null"},
    },
    "sources": {"source.shop.raw.orders": {"schema": "raw"}},
    "parent_map": {"model.shop.customers": ["model.shop.stg_customers"]},
}


def test_without_nodes_leaves_out_only_the_given_nodes() -> None:
    left = json.loads(
        without_nodes(
            json.dumps(_MANIFEST).encode(),
            ["model.shop.customers", "test.shop.not_null_customers_id", "model.shop.absent"],
        )
    )
    assert set(left["nodes"]) == {"model.shop.stg_orders", "model.shop.stg_customers"}
    assert (
        left["nodes"]["model.shop.stg_customers"] == _MANIFEST["nodes"]["model.shop.stg_customers"]
    )
    assert {k: v for k, v in left.items() if k != "nodes"} == {
        k: v for k, v in _MANIFEST.items() if k != "nodes"
    }


def test_favored_state_is_the_state_without_the_plan_once_per_run(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path / "store")
    state = StateFiles(
        ref="latest:prod",
        files={
            "manifest.json": store.put(
                "runs/r1/state/manifest.json", json.dumps(_MANIFEST).encode()
            ),
            "run_results.json": store.put("runs/r1/state/run_results.json", b'{"results": []}'),
        },
        defer=True,
        favor_state=True,
    )
    plan = ExecutionPlan(
        project_name="shop",
        nodes=(
            PlannedNode(
                unique_id="model.shop.stg_orders", name="stg_orders", resource_type="model"
            ),
            PlannedNode(
                unique_id="model.shop.customers",
                name="customers",
                resource_type="model",
                depends_on=("model.shop.stg_orders",),
            ),
        ),
    )
    plan_ref = store.put("runs/r1/plan.json", plan.model_dump_json().encode())
    run_folder = tmp_path / "worker" / "state" / "r1"

    favored = favored_state(state, store, plan_ref, run_folder / "favor")

    assert favored == run_folder / "favor"
    nodes = json.loads((favored / "manifest.json").read_bytes())["nodes"]
    assert set(nodes) == {"model.shop.stg_customers", "test.shop.not_null_customers_id"}
    # the whole state is fetched next to it (the plan activity's) and left whole
    full = json.loads((run_folder / "manifest.json").read_bytes())
    assert full == _MANIFEST
    assert (run_folder / "run_results.json").read_bytes() == b'{"results": []}'
    # once per run: a second node activity reuses it, and no partial folder is left behind
    (favored / "manifest.json").write_text('{"nodes": {}}')
    assert favored_state(state, store, plan_ref, run_folder / "favor") == favored
    assert (favored / "manifest.json").read_text() == '{"nodes": {}}'
    assert sorted(p.name for p in run_folder.iterdir()) == [
        "favor",
        "manifest.json",
        "run_results.json",
    ]
