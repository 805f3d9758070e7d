"""Plan construction from a manifest's nodes (pure logic, on minimal node stand-ins)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from floe_core import DBTCommand
from floe_dbt_local._plan import build_plan, executed_node_ids


def _node(uid: str, resource_type: str, parents: tuple[str, ...] = (), **config: Any) -> Any:
    return SimpleNamespace(
        unique_id=uid,
        name=uid.split(".")[-1],
        resource_type=resource_type,
        depends_on=SimpleNamespace(nodes=list(parents)),
        config=SimpleNamespace(materialized=config.get("materialized", "table")),
        relation_name=f'"db"."s"."{uid.split(".")[-1]}"',
    )


def _manifest(*nodes: Any) -> Any:
    return SimpleNamespace(nodes={node.unique_id: node for node in nodes})


MANIFEST = _manifest(
    _node("seed.p.raw", "seed"),
    _node("model.p.eph", "model", ("seed.p.raw",), materialized="ephemeral"),
    _node("model.p.a", "model", ("model.p.eph",)),
    _node("model.p.b", "model", ("model.p.a",)),
    _node("model.p.other", "model", ("seed.p.raw",)),
    _node("test.p.unique_a", "test", ("model.p.a",)),
    _node("test.p.rel_a_other", "test", ("model.p.a", "model.p.other")),
)


def test_executed_nodes_leave_out_ephemeral_models_and_other_resource_types() -> None:
    everything = list(MANIFEST.nodes)
    assert executed_node_ids(MANIFEST, DBTCommand.RUN, everything) == (
        "model.p.a",
        "model.p.b",
        "model.p.other",
    )
    assert executed_node_ids(MANIFEST, DBTCommand.TEST, everything) == (
        "test.p.rel_a_other",
        "test.p.unique_a",
    )
    assert "model.p.eph" not in executed_node_ids(MANIFEST, DBTCommand.BUILD, everything)
    assert executed_node_ids(MANIFEST, DBTCommand.SEED, ["source.p.x", "seed.p.raw"]) == (
        "seed.p.raw",
    )


def test_build_plan_adds_test_edges_only_where_dbt_build_does() -> None:
    selected = executed_node_ids(MANIFEST, DBTCommand.BUILD, list(MANIFEST.nodes))
    plan = build_plan(MANIFEST, "p", selected)
    depends_on = {node.name: set(node.depends_on) for node in plan.nodes}
    # b descends from a: it waits for a's single-node test ...
    assert depends_on["b"] == {"model.p.a", "test.p.unique_a"}
    # ... but not for the relationships test, whose other parent is not b's ancestor
    assert "test.p.rel_a_other" not in depends_on["b"]
    # a's parent is ephemeral (compiled into a): a waits for what the ephemeral model reads
    assert depends_on["a"] == {"seed.p.raw"}
    position = {uid: i for i, uid in enumerate(plan.unique_ids)}
    assert position["test.p.unique_a"] < position["model.p.b"]
    assert plan.nodes[0].relation_name is not None
