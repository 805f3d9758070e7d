"""Column-level lineage of a project's models for the workbench, from their compiled SQL.

The same parser and table resolution as the ``columnLineage`` OpenLineage facet
(:func:`floe_core.lineage._column_lineage.column_origins`, ADR 0018), over the newest stored
manifest.json; each model's SQL is parsed once, when first asked. The SQL is the one the
newest run that ran the model compiled (else the manifest's ``compiled_code``): a model
never compiled has no column lineage, and the page says so.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable

from floe_core.lineage._dbt_manifest import DbtManifest, NodeInfo
from floe_core.ui._models import ColumnEdge, ColumnRef, ColumnTrace

__all__ = ["ColumnLineage"]

Origins = dict[str, list[ColumnRef]]
"""Output column (lower case) -> the upstream columns it comes from."""
_MAX_TRACED = 500
"""Columns a trace visits at most (a wide fan-out on a large project stays a page)."""
NEEDS_EXTRA = "column lineage needs openlineage-sql: pip install 'floe-core[lineage]'"


Parser = Callable[
    [str, str | None, NodeInfo, Iterable[NodeInfo]], dict[str, list[tuple[NodeInfo, str]]]
]


def _parser() -> Parser | None:
    try:
        from floe_core.lineage._column_lineage import column_origins
    except ImportError:  # the lineage extra is not installed
        return None
    return column_origins


class ColumnLineage:
    """Column lineage over one manifest; ``compiled`` gives a node's newest compiled SQL."""

    def __init__(self, manifest: DbtManifest, compiled: Callable[[str], str | None]) -> None:
        self.manifest = manifest
        self.compiled = compiled
        self.children: dict[str, list[str]] = {}
        for node in manifest.nodes.values():
            for parent in node.depends_on:
                self.children.setdefault(parent, []).append(node.unique_id)
        self._origins: dict[str, Origins] = {}
        self._lock = threading.Lock()
        self._parse = _parser()

    def _sql(self, unique_id: str) -> str | None:
        node = self.manifest.get(unique_id)
        if node is None or node.resource_type not in ("model", "snapshot"):
            return None
        return self.compiled(unique_id) or node.compiled_code

    def note(self, unique_id: str) -> str | None:
        """Why ``unique_id`` has no column lineage, or ``None`` if it has (or cannot have)."""
        node = self.manifest.get(unique_id)
        if node is None or node.resource_type not in ("model", "snapshot"):
            return None
        if self._parse is None:
            return NEEDS_EXTRA
        if self._sql(unique_id) is None:
            return "no compiled SQL yet: run floe build (or floe compile) to see column lineage"
        if not self.origins(unique_id):
            return "the parser found no upstream column in its compiled SQL"
        return None

    def origins(self, unique_id: str) -> Origins:
        """Each output column of ``unique_id`` -> the upstream columns it comes from."""
        with self._lock:
            found = self._origins.get(unique_id)
        if found is not None:
            return found
        node, sql = self.manifest.get(unique_id), self._sql(unique_id)
        found = {}
        if node is not None and sql is not None and self._parse is not None:
            upstream = self.manifest.relations(node.depends_on)
            parsed = self._parse(sql, self.manifest.adapter_type, node, upstream)
            found = {
                column.lower(): [
                    ColumnRef(unique_id=relation.unique_id, column=field)
                    for relation, field in inputs
                ]
                for column, inputs in parsed.items()
            }
        with self._lock:
            self._origins[unique_id] = found
        return found

    def _readers(self, unique_id: str) -> list[str]:
        """Models whose SQL reads ``unique_id``'s relation (through ephemeral models)."""
        found, pending, seen = [], list(self.children.get(unique_id, ())), set[str]()
        while pending:
            child = pending.pop()
            node = self.manifest.get(child)
            if child in seen or node is None:
                continue
            seen.add(child)
            if node.materialization == "ephemeral":
                pending.extend(self.children.get(child, ()))
            elif node.resource_type in ("model", "snapshot"):
                found.append(child)
        return found

    def trace(self, unique_id: str, column: str) -> ColumnTrace:
        """The columns ``unique_id.column`` comes from (all the way up) and the columns
        computed from it (all the way down)."""
        focus = ColumnRef(unique_id=unique_id, column=column)
        seen = {(unique_id, column.lower()): focus}
        edges: list[ColumnEdge] = []
        for downstream in (False, True):
            queue = deque([focus])
            while queue and len(seen) < _MAX_TRACED:
                at = queue.popleft()
                for edge in self._downstream(at) if downstream else self._upstream(at):
                    other = edge.target if downstream else edge.source
                    edges.append(edge)
                    key = (other.unique_id, other.column.lower())
                    if key not in seen:
                        seen[key] = other
                        queue.append(other)
        missing = [
            uid
            for uid in dict.fromkeys(ref.unique_id for ref in seen.values())
            if self.note(uid) is not None
        ]
        note = None
        if self._parse is None:
            note = NEEDS_EXTRA
        elif len(seen) >= _MAX_TRACED:
            note = f"stopped after {_MAX_TRACED} columns"
        elif missing:
            note = f"no column lineage for {', '.join(missing[:5])}: {self.note(missing[0])}"
        return ColumnTrace(focus=focus, columns=list(seen.values()), edges=edges, note=note)

    def _upstream(self, at: ColumnRef) -> list[ColumnEdge]:
        return [
            ColumnEdge(source=source, target=at)
            for source in self.origins(at.unique_id).get(at.column.lower(), [])
        ]

    def _downstream(self, at: ColumnRef) -> list[ColumnEdge]:
        wanted = (at.unique_id, at.column.lower())
        return [
            ColumnEdge(source=at, target=ColumnRef(unique_id=reader, column=column))
            for reader in self._readers(at.unique_id)
            for column, sources in self.origins(reader).items()
            if any((s.unique_id, s.column.lower()) == wanted for s in sources)
        ]
