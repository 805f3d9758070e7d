"""The nodes a selection would execute, in dependency order, from a parsed manifest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from floe_core import DBTCommand, ExecutionPlan, PlannedNode, order_nodes

__all__ = ["EXECUTED_RESOURCE_TYPES", "build_plan", "deferred_node_ids", "executed_node_ids"]

_COMPILED = frozenset({"model", "seed", "snapshot", "test", "unit_test", "analysis", "function"})

EXECUTED_RESOURCE_TYPES: Mapping[DBTCommand, frozenset[str]] = {
    DBTCommand.BUILD: frozenset({"model", "seed", "snapshot", "test", "unit_test", "function"}),
    DBTCommand.RUN: frozenset({"model"}),
    DBTCommand.TEST: frozenset({"test", "unit_test"}),
    DBTCommand.SEED: frozenset({"seed"}),
    DBTCommand.SNAPSHOT: frozenset({"snapshot"}),
    DBTCommand.COMPILE: _COMPILED,
    DBTCommand.DOCS_GENERATE: _COMPILED,
    DBTCommand.SHOW: _COMPILED,
    DBTCommand.SOURCE_FRESHNESS: frozenset({"source"}),
}
"""Resource types each command executes (and reports node events for); the other commands
execute no node."""


def executed_node_ids(
    manifest: Any, command: DBTCommand, selected: Iterable[str]
) -> tuple[str, ...]:
    """The selected ids ``command`` executes: right resource type, ephemeral models left out
    (dbt compiles them into their children and reports no result for them)."""
    types = EXECUTED_RESOURCE_TYPES.get(command, frozenset())
    executed = []
    for unique_id in selected:
        node = manifest.nodes.get(unique_id) or getattr(manifest, "sources", {}).get(unique_id)
        if node is None or str(node.resource_type) not in types:
            continue
        if getattr(node.config, "materialized", None) == "ephemeral":
            continue
        executed.append(unique_id)
    return tuple(sorted(executed))


def build_plan(manifest: Any, project_name: str, node_ids: Iterable[str]) -> ExecutionPlan:
    """An :class:`ExecutionPlan` of ``node_ids`` ordered the way ``dbt build`` runs them.

    Besides ``ref``/``source`` edges, ``dbt build`` makes a node wait for the tests of its
    ancestors when the node descends from every node such a test depends on (dbt's
    ``add_test_edges``), so a failing test stops bad data before it propagates.
    """
    selected = set(node_ids)
    parents = {uid: _parents(manifest.nodes[uid]) for uid in manifest.nodes}
    tests_by_parent: dict[str, list[str]] = {}
    for uid in selected:
        if str(manifest.nodes[uid].resource_type) in ("test", "unit_test"):
            for parent in parents[uid]:
                tests_by_parent.setdefault(parent, []).append(uid)
    ancestors_of: dict[str, frozenset[str]] = {}

    def ancestors(uid: str) -> frozenset[str]:
        if uid not in ancestors_of:
            found: set[str] = set()
            stack = list(parents.get(uid, ()))
            while stack:
                current = stack.pop()
                if current not in found:
                    found.add(current)
                    stack.extend(parents.get(current, ()))
            ancestors_of[uid] = frozenset(found)
        return ancestors_of[uid]

    planned = []
    for uid in selected:
        node = manifest.nodes[uid]
        depends_on = _through_ephemeral(manifest, parents, uid) & selected
        if str(node.resource_type) not in ("test", "unit_test"):
            upstream = ancestors(uid)
            for ancestor in upstream & tests_by_parent.keys():
                depends_on.update(
                    test for test in tests_by_parent[ancestor] if parents[test] <= upstream
                )
        planned.append(
            PlannedNode(
                unique_id=uid,
                name=node.name,
                resource_type=str(node.resource_type),
                materialization=getattr(node.config, "materialized", None),
                relation_name=getattr(node, "relation_name", None),
                depends_on=tuple(sorted(depends_on)),
            )
        )
    return ExecutionPlan(project_name=project_name, nodes=order_nodes(planned))


def _through_ephemeral(manifest: Any, parents: Mapping[str, frozenset[str]], uid: str) -> set[str]:
    """Parents of ``uid``, with ephemeral models replaced by their own parents (they are
    compiled into their children, so a child really waits for what they select from)."""
    found: set[str] = set()
    stack = list(parents.get(uid, ()))
    while stack:
        parent = stack.pop()
        node = manifest.nodes.get(parent)
        if node is not None and getattr(node.config, "materialized", None) == "ephemeral":
            stack.extend(parents.get(parent, ()))
        else:
            found.add(parent)
    return found


def deferred_node_ids(manifest: Any, executed: Iterable[str]) -> tuple[str, ...]:
    """The unbuilt models, seeds and snapshots ``executed`` nodes read: with ``--defer``,
    dbt resolves them to the state's relations."""
    built = set(executed)
    parents = {
        parent
        for unique_id in built
        if unique_id in manifest.nodes
        for parent in _parents(manifest.nodes[unique_id])
    }
    return tuple(
        sorted(
            parent
            for parent in parents - built
            if parent in manifest.nodes
            and str(manifest.nodes[parent].resource_type) in _RELATION_TYPES
        )
    )


_RELATION_TYPES = frozenset({"model", "seed", "snapshot"})


def _parents(node: Any) -> frozenset[str]:
    depends_on = getattr(node, "depends_on", None)
    return frozenset(getattr(depends_on, "nodes", None) or ())
