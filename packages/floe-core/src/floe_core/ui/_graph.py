"""The project's DAG as dbt's manifest.json describes it: lineage walks and critical paths."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from floe_core.stores import ArtifactCorruptedError

__all__ = ["DbtGraph", "GraphNode", "critical_path", "manifest_parents", "name_of"]

GRAPH_TYPES = frozenset({"model", "seed", "snapshot", "source", "exposure"})
"""Resource types drawn in the lineage graph; tests are drawn only when asked for."""
TEST = "test"


@dataclass(frozen=True)
class GraphNode:
    unique_id: str
    name: str
    resource_type: str
    description: str
    materialization: str | None
    path: str | None
    tags: tuple[str, ...]
    relation_name: str | None
    columns: tuple[tuple[str, str, str | None], ...]
    """(name, description, data_type) of each documented column."""
    raw_code: str | None
    parents: tuple[str, ...]


@dataclass
class DbtGraph:
    """Nodes, sources and their edges from one manifest.json."""

    nodes: dict[str, GraphNode]
    children: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_manifest(cls, data: bytes, where: str) -> DbtGraph:
        try:
            manifest = json.loads(data)
        except ValueError as exc:
            raise ArtifactCorruptedError(where, f"not a dbt manifest.json: {exc}") from exc
        return cls.from_json(manifest, where)

    @classmethod
    def from_json(cls, manifest: Any, where: str) -> DbtGraph:
        """From a decoded manifest.json (``where`` names it in errors)."""
        try:
            entries: dict[str, Mapping[str, Any]] = {
                **manifest.get("nodes", {}),
                **manifest.get("sources", {}),
                **manifest.get("exposures", {}),
            }
            nodes = {uid: _node(uid, entry) for uid, entry in entries.items()}
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise ArtifactCorruptedError(where, f"not a dbt manifest.json: {exc}") from exc
        graph = cls(nodes=nodes, children={uid: [] for uid in nodes})
        for node in nodes.values():
            for parent in node.parents:
                graph.children.setdefault(parent, []).append(node.unique_id)
        return graph

    def tests_of(self, unique_id: str) -> list[GraphNode]:
        return [
            self.nodes[child]
            for child in self.children.get(unique_id, [])
            if self.nodes[child].resource_type == "test"
        ]

    def lineage(
        self, focus: str | None, depth: int, *, tests: bool = False, among: set[str] | None = None
    ) -> dict[str, int]:
        """Graph nodes within ``depth`` hops of ``focus`` (all of them without a focus),
        each with its signed distance: negative upstream, positive downstream.

        ``tests`` draws tests too; ``among`` keeps only those nodes (a dbt selection).
        """
        drawn = GRAPH_TYPES | {TEST} if tests else GRAPH_TYPES

        def kept(uid: str) -> bool:
            node = self.nodes.get(uid)
            return (
                node is not None
                and node.resource_type in drawn
                and (among is None or uid in among or uid == focus)
            )

        if focus is None:
            return {uid: 0 for uid in self.nodes if kept(uid)}
        found = {focus: 0}
        for sign, step in ((-1, self._parents), (1, self._children)):
            frontier = [focus]
            for hop in range(1, depth + 1):
                frontier = [n for uid in frontier for n in step(uid) if n not in found and kept(n)]
                for uid in frontier:
                    found[uid] = sign * hop
        return found

    def with_sources(self, selected: set[str]) -> set[str]:
        """``selected`` and the sources they read (a dbt plan never lists sources)."""
        sources = {
            parent
            for uid in selected
            if uid in self.nodes
            for parent in self.nodes[uid].parents
            if parent in self.nodes and self.nodes[parent].resource_type == "source"
        }
        return selected | sources

    def edges(self, among: Iterable[str]) -> list[tuple[str, str]]:
        members = set(among)
        return [
            (parent, uid)
            for uid in sorted(members)
            for parent in self.nodes[uid].parents
            if parent in members
        ]

    def _parents(self, uid: str) -> list[str]:
        return list(self.nodes[uid].parents)

    def _children(self, uid: str) -> list[str]:
        return self.children.get(uid, [])


def _node(uid: str, entry: Mapping[str, Any]) -> GraphNode:
    config = entry.get("config") or {}
    columns = entry.get("columns") or {}
    return GraphNode(
        unique_id=uid,
        name=str(entry.get("name", uid)),
        resource_type=str(entry.get("resource_type", uid.split(".", 1)[0])),
        description=str(entry.get("description") or ""),
        materialization=config.get("materialized"),
        path=entry.get("original_file_path"),
        tags=tuple(entry.get("tags") or ()),
        relation_name=entry.get("relation_name"),
        columns=tuple(
            (str(c.get("name", name)), str(c.get("description") or ""), c.get("data_type"))
            for name, c in columns.items()
        ),
        raw_code=entry.get("raw_code"),
        parents=tuple((entry.get("depends_on") or {}).get("nodes") or ()),
    )


_PARENT_MAP = b'"parent_map":'


def manifest_parents(data: bytes, where: str) -> dict[str, tuple[str, ...]]:
    """Each node's parents from a manifest.json's top-level ``parent_map``, decoding only it:
    nodes, macros and docs are nearly all of a large manifest's bytes (5 MB at 2,000 nodes)
    and a run page needs none of them.

    In JSON text ``"parent_map":`` can only be a key (a quote inside a string is escaped);
    dbt writes the top-level one after every section that could hold such a key but
    ``group_map``/``unit_tests``, so the last one is taken, checked, and the whole file
    decoded if it is not a map of lists of ids.
    """
    at = data.rfind(_PARENT_MAP)
    if at >= 0:
        try:
            text = data[at + len(_PARENT_MAP) :].decode("utf-8").lstrip()
            found, _ = json.JSONDecoder().raw_decode(text)
        except ValueError:
            found = None
        if isinstance(found, dict) and all(
            isinstance(parents, list) and all(isinstance(p, str) for p in parents)
            for parents in found.values()
        ):
            return {uid: tuple(parents) for uid, parents in found.items()}
    graph = DbtGraph.from_manifest(data, where)
    return {uid: node.parents for uid, node in graph.nodes.items()}


def name_of(unique_id: str) -> str:
    """A node's name from its unique id (``model.pkg.name[.v2]``, ``test.pkg.name.hash``,
    ``source.pkg.source.table``)."""
    parts = unique_id.split(".")
    if len(parts) < 3:
        return unique_id
    return parts[-1] if parts[0] == "source" else parts[2]


def critical_path(
    spans: Mapping[str, tuple[datetime | None, datetime | None]],
    parents: Mapping[str, Iterable[str]],
) -> list[str]:
    """The chain of waits that decided the run's end, first node first.

    From the node that finished last, step to the parent it waited for longest (the one that
    finished last) until a node waited for none: shortening any other node would not have
    ended the run sooner. ``spans`` are the nodes that ran, with their start and end.
    """
    ended = {uid: end for uid, (_, end) in spans.items() if end is not None}
    chain: list[str] = []
    current = max(ended, key=lambda uid: ended[uid], default=None)
    while current is not None and current not in chain:  # a corrupt manifest may loop
        chain.append(current)
        ran = [parent for parent in parents.get(current, ()) if parent in ended]
        current = max(ran, key=lambda uid: ended[uid], default=None)
    return chain[::-1]
