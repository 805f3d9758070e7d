from __future__ import annotations

import pytest

from floe_core import DBTCompilationError, PlannedNode, order_nodes


def _node(uid: str, *deps: str) -> PlannedNode:
    return PlannedNode(
        unique_id=uid, name=uid.rsplit(".", 1)[-1], resource_type="model", depends_on=deps
    )


def test_every_node_comes_after_its_dependencies() -> None:
    nodes = [_node("m.d", "m.b", "m.c"), _node("m.b", "m.a"), _node("m.c", "m.a"), _node("m.a")]
    ordered = [n.unique_id for n in order_nodes(nodes)]
    assert ordered == ["m.a", "m.b", "m.c", "m.d"]


def test_dependencies_outside_the_selection_are_ignored() -> None:
    ordered = order_nodes([_node("m.b", "m.unselected"), _node("m.a")])
    assert [n.unique_id for n in ordered] == ["m.a", "m.b"]


def test_order_is_deterministic_whatever_the_input_order() -> None:
    nodes = [_node(f"m.n{i}") for i in range(20)]
    assert order_nodes(nodes) == order_nodes(list(reversed(nodes)))


def test_cycle_is_reported_with_the_nodes_on_it() -> None:
    with pytest.raises(DBTCompilationError, match=r"cycle: m\.a, m\.b"):
        order_nodes([_node("m.a", "m.b"), _node("m.b", "m.a"), _node("m.c")])
