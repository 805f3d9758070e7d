"""The ``columnLineage`` facet of a model, from its compiled SQL (openlineage-sql, ADR 0018).

Parsed on the lineage worker thread when the model completes, never on a dbt thread (and by
``floe ui`` from a stored run's manifest, :func:`column_origins`). The
parser names the tables as the SQL spells them; each is resolved to the upstream dataset it
is (by ``database.schema.relation``, then ``schema.relation``, then ``relation``, ignoring
case and quotes), so the input fields name the same datasets as the event's inputs; a table
that is not an upstream is left out.
"""

from __future__ import annotations

from collections.abc import Iterable

import openlineage_sql  # type: ignore[import-untyped]  # compiled, no stubs
import structlog
from openlineage.client.facet_v2 import column_lineage_dataset

from floe_core.lineage._dbt_manifest import NodeInfo
from floe_core.lineage._facets import PRODUCER

__all__ = ["column_lineage_facet", "column_origins"]

_log = structlog.get_logger("floe.lineage")


def _keys(database: str | None, schema: str | None, name: str) -> list[str]:
    """Most qualified first: ``db.schema.name``, ``schema.name``, ``name``."""
    parts = [part.strip('"`[]').lower() for part in (database, schema) if part]
    name = name.strip('"`[]').lower()
    return [".".join([*parts[start:], name]) for start in range(len(parts) + 1)]


def _index(upstream: Iterable[NodeInfo]) -> dict[str, NodeInfo]:
    """Lookup key -> upstream relation; the most qualified key of a relation wins over a
    shorter."""
    index: dict[str, NodeInfo] = {}
    for node in upstream:
        for depth, key in enumerate(
            _keys(node.database, node.schema, node.identifier or node.name)
        ):
            if depth == 0 or key not in index:
                index[key] = node
    return index


def column_origins(
    sql: str, dialect: str | None, node: NodeInfo, upstream: Iterable[NodeInfo]
) -> dict[str, list[tuple[NodeInfo, str]]]:
    """Output column of ``node`` -> the (upstream relation, column) pairs it comes from, in
    the parser's order; columns with no upstream origin are left out."""
    try:
        parsed = openlineage_sql.parse([sql], dialect=dialect, default_schema=node.schema)
    except Exception:
        _log.debug("column lineage: could not parse the compiled SQL", unique_id=node.unique_id)
        return {}
    if parsed is None or not parsed.column_lineage:
        return {}
    index = _index(upstream)
    origins: dict[str, list[tuple[NodeInfo, str]]] = {}
    for column in parsed.column_lineage:
        inputs = []
        for origin in column.lineage:
            table = origin.origin
            if table is None:
                continue
            keys = _keys(table.database, table.schema, table.name)
            found = next((index[key] for key in keys if key in index), None)
            if found is None:
                # Not an upstream: the parser names a CTE that has no input column (e.g. a
                # count(*) inside it), or the SQL reads a table dbt does not know.
                continue
            inputs.append((found, origin.name))
        if inputs:
            origins[column.descendant.name] = inputs
    return origins


def column_lineage_facet(
    sql: str, dialect: str | None, node: NodeInfo, upstream: Iterable[NodeInfo], namespace: str
) -> column_lineage_dataset.ColumnLineageDatasetFacet | None:
    """Which input columns each output column of ``node`` comes from, or ``None`` when the
    parser finds no column lineage."""
    origins = column_origins(sql, dialect, node, upstream)
    if not origins:
        return None
    fields = {
        name: column_lineage_dataset.Fields(
            inputFields=[
                column_lineage_dataset.InputField(
                    namespace=namespace, name=relation.relation_path, field=field
                )
                for relation, field in inputs
            ]
        )
        for name, inputs in origins.items()
    }
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields, producer=PRODUCER)
