"""An execution plan: the selected nodes of an invocation in dependency order."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict

from floe_core._errors import DBTCompilationError

__all__ = ["ExecutionPlan", "PlannedNode", "order_nodes"]


class PlannedNode(BaseModel):
    """One selected node and the selected nodes it waits for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unique_id: str
    name: str
    resource_type: str
    materialization: str | None = None
    relation_name: str | None = None
    depends_on: tuple[str, ...] = ()
    """Selected nodes this one runs after (unselected parents are already built)."""


class ExecutionPlan(BaseModel):
    """Nodes in an order where every node comes after all of its ``depends_on``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    project_name: str
    nodes: tuple[PlannedNode, ...]

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def unique_ids(self) -> tuple[str, ...]:
        return tuple(node.unique_id for node in self.nodes)


def order_nodes(nodes: Iterable[PlannedNode]) -> tuple[PlannedNode, ...]:
    """Topological order (Kahn), ties broken by unique_id so the order is deterministic.

    Dependencies outside ``nodes`` are ignored; a cycle raises :class:`DBTCompilationError`
    naming the nodes on it.
    """
    by_id: Mapping[str, PlannedNode] = {node.unique_id: node for node in nodes}
    waiting_on = {uid: {d for d in node.depends_on if d in by_id} for uid, node in by_id.items()}
    children: dict[str, list[str]] = {uid: [] for uid in by_id}
    for uid, parents in waiting_on.items():
        for parent in parents:
            children[parent].append(uid)
    ready = [uid for uid, parents in waiting_on.items() if not parents]
    heapq.heapify(ready)
    ordered: list[PlannedNode] = []
    while ready:
        uid = heapq.heappop(ready)
        ordered.append(by_id[uid])
        for child in children[uid]:
            waiting_on[child].discard(uid)
            if not waiting_on[child]:
                heapq.heappush(ready, child)
    if len(ordered) != len(by_id):
        stuck = sorted(uid for uid, parents in waiting_on.items() if parents)
        raise DBTCompilationError(
            f"the selected nodes contain a dependency cycle: {', '.join(stuck[:10])}",
            hint="break the cycle in the models' ref()/source() calls",
        )
    return tuple(ordered)
