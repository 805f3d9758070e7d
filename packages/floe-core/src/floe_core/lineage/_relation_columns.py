"""The columns of a model's upstream relations, to see column lineage through ``select *``.

openlineage-sql is given no table schemas: ``select * from {{ ref('x') }}`` hides which columns
flow through, and a model written as a chain of such CTEs (dbt's own jaffle_shop) gets no
column lineage at all. :class:`RelationColumns` knows each relation's columns, best source first
(ADR 0018, addendum):

1. the warehouse's, from catalog.json (``floe docs generate``), when the run has one;
2. a model's output columns as floe computed them from its compiled SQL earlier in the same
   run (or, asked first, now: recursively through ``select *`` models);
3. the columns the manifest documents (possibly a subset);
4. for a seed, its CSV file's header line (not a load of the file).

:meth:`RelationColumns.expand` rewrites a model's SQL star-free with sqlglot's optimizer
(``qualify(expand_stars=True)`` over those columns) for the existing openlineage-sql parse.
One instance per run/manifest: it caches every answer.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import sqlglot
import structlog
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify

from floe_core.lineage._dbt_manifest import DbtManifest, NodeInfo

__all__ = ["RelationColumns", "selects_star"]

_log = structlog.get_logger("floe.lineage")

_STAR = re.compile(r"(?:\bselect(?:\s+distinct)?|,)\s*(?:[\w\"`\[\]]+\s*\.\s*)*\*", re.I)
"""A ``*`` or ``x.*`` select item (not ``count(*)``, not a product)."""

Schema = dict[str, object]
"""sqlglot's nested schema: database -> schema -> relation -> column -> type."""


class RelationColumns:
    """Known columns of the relations of one manifest; ``compiled_sql`` gives a model's SQL
    (to compute its output columns when not recorded yet), ``catalog`` the warehouse's
    columns of a node from a catalog.json read apart from the manifest."""

    def __init__(
        self,
        manifest: DbtManifest,
        compiled_sql: Callable[[NodeInfo], str | None],
        catalog: Callable[[str], Sequence[str] | None] | None = None,
        project_dir: Path | None = None,
    ) -> None:
        self.manifest = manifest
        self.compiled_sql = compiled_sql
        self.catalog = catalog
        self.project_dir = project_dir
        self._computed: dict[str, tuple[str, ...] | None] = {}
        self._sql: dict[str, str] = {}
        self._in_progress: set[str] = set()

    def record(self, unique_id: str, columns: Sequence[str] | None) -> None:
        """``unique_id``'s output columns, as parsed from its compiled SQL."""
        self._computed[unique_id] = tuple(columns) if columns else None

    def record_sql(self, unique_id: str, sql: str) -> None:
        """``unique_id``'s compiled SQL, parsed for its output columns only if a downstream
        model's ``select *`` needs them."""
        self._sql[unique_id] = sql

    def columns(self, node: NodeInfo) -> tuple[str, ...] | None:
        """``node``'s columns, in their order, or ``None`` when no source knows them."""
        found = self.catalog(node.unique_id) if self.catalog else None
        if found:
            return tuple(found)
        if node.columns_from_catalog:  # the manifest was read with its catalog.json
            return tuple(column.name for column in node.columns)
        if node.resource_type in ("model", "snapshot"):
            computed = self._computed_columns(node)
            if computed:
                return computed
        if node.columns:
            return tuple(column.name for column in node.columns)
        if node.resource_type == "seed":
            return self._seed_header(node)
        return None

    def _computed_columns(self, node: NodeInfo) -> tuple[str, ...] | None:
        if node.unique_id in self._computed:
            return self._computed[node.unique_id]
        sql = self._sql.get(node.unique_id) or self.compiled_sql(node)
        if sql is None or node.unique_id in self._in_progress:  # a cycle: give up on it
            return None
        self._in_progress.add(node.unique_id)
        try:
            upstream = self.manifest.relations(node.depends_on)
            _, columns = self.expand(sql, self.manifest.adapter_type, node, upstream)
        finally:
            self._in_progress.discard(node.unique_id)
        self.record(node.unique_id, columns)
        return self._computed[node.unique_id]

    def _seed_header(self, node: NodeInfo) -> tuple[str, ...] | None:
        if node.seed_file is None:
            return None
        path = Path(node.seed_file)
        if not path.is_absolute() and self.project_dir is not None:
            path = self.project_dir / path
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                header = next(csv.reader(handle), None)
        except OSError:
            return None
        return tuple(name.strip() for name in header) if header else None

    def schema(self, upstream: Iterable[NodeInfo]) -> Schema:
        """sqlglot's schema of the ``upstream`` relations whose columns are known."""
        schema: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
        for node in upstream:
            columns = self.columns(node)
            if columns:
                database, relation = node.database or "", node.identifier or node.name
                tables = schema.setdefault(database, {}).setdefault(node.schema or "", {})
                tables[relation] = dict.fromkeys(columns, "unknown")
        return dict(schema)

    def expand(
        self, sql: str, dialect: str | None, node: NodeInfo, upstream: Iterable[NodeInfo]
    ) -> tuple[str, tuple[str, ...] | None]:
        """``sql`` with every ``*`` over a known relation spelled out (else ``sql`` itself),
        and the model's output columns (``None`` if its SQL cannot be read)."""
        try:
            tree = sqlglot.parse_one(sql, dialect=dialect)
            if not isinstance(tree, exp.Query):
                return sql, None
            if not selects_star(sql):  # nothing to expand: only the output columns are wanted
                return sql, tuple(tree.named_selects) or None
            star_free = qualify(
                tree,
                dialect=dialect,
                schema=self.schema(upstream),
                catalog=node.database,
                db=node.schema,
                expand_stars=True,
                validate_qualify_columns=False,
                identify=False,
            )
        except Exception:  # sqlglot raises many kinds; the plain parse still runs
            _log.debug("column lineage: could not expand stars", unique_id=node.unique_id)
            return sql, None
        outputs = tuple(star_free.named_selects)
        if any(column == "*" for column in outputs):
            outputs = ()  # a star over an unknown relation: the columns are not known
        return star_free.sql(dialect=dialect), outputs or None


def selects_star(sql: str) -> bool:
    """Whether ``sql`` may select ``*`` or ``x.*`` (a cheap textual test, no parse)."""
    return _STAR.search(sql) is not None
