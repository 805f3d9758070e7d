"""The node metadata lineage needs, read from a run's dbt ``manifest.json`` (and catalog).

Loaded on the lineage worker thread, never on a node's critical path, and cached by path and
modification time so consecutive invocations of one project parse it once.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RELATION_TYPES", "Column", "DbtManifest", "NodeInfo", "load_manifest"]

RELATION_TYPES = frozenset({"model", "seed", "snapshot", "source"})
"""Resource types that are a relation in the warehouse (a dataset)."""


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class NodeInfo:
    """One manifest node or source, reduced to what lineage and tracing use."""

    unique_id: str
    resource_type: str
    name: str
    database: str | None = None
    schema: str | None = None
    identifier: str | None = None
    """The relation name (alias of models, seeds and snapshots; identifier of sources)."""
    description: str = ""
    owners: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    depends_on: tuple[str, ...] = ()
    materialization: str | None = None
    compiled_code: str | None = None
    compiled_file: str | None = None
    """Where dbt writes the compiled SQL, relative to ``<target>/compiled``."""
    # Tests only.
    test_name: str | None = None
    column_name: str | None = None
    severity: str | None = None
    attached_node: str | None = None
    fail_calc: str = "count(*)"
    """The expression dbt computes over the test's rows (its ``failures``)."""
    warn_if: str = "!= 0"
    error_if: str = "!= 0"
    tags: tuple[str, ...] = field(default=())

    @property
    def relation_path(self) -> str:
        """``<database>.<schema>.<relation>`` (parts dbt leaves out are left out)."""
        parts = (self.database, self.schema, self.identifier or self.name)
        return ".".join(part for part in parts if part)


@dataclass(frozen=True)
class DbtManifest:
    path: Path
    project_name: str | None
    dbt_version: str | None
    adapter_type: str | None
    nodes: dict[str, NodeInfo]

    @classmethod
    def from_json(
        cls, raw: dict[str, Any], path: Path, catalog: dict[str, Any] | None = None
    ) -> DbtManifest:
        """From a parsed manifest.json (and catalog.json); ``path`` is where it was read."""
        columns_of = {**(catalog or {}).get("sources", {}), **(catalog or {}).get("nodes", {})}
        metadata = raw.get("metadata") or {}
        nodes: dict[str, NodeInfo] = {}
        for section in ("nodes", "sources"):
            for unique_id, node in (raw.get(section) or {}).items():
                catalog_columns = (columns_of.get(unique_id) or {}).get("columns") or {}
                nodes[unique_id] = _node_info(unique_id, node, catalog_columns)
        return cls(
            path=path,
            project_name=metadata.get("project_name"),
            dbt_version=metadata.get("dbt_version"),
            adapter_type=metadata.get("adapter_type"),
            nodes=nodes,
        )

    def get(self, unique_id: str) -> NodeInfo | None:
        return self.nodes.get(unique_id)

    def relations(self, unique_ids: Iterable[str]) -> list[NodeInfo]:
        """The relations behind ``unique_ids``, looking through ephemeral models."""
        found: dict[str, NodeInfo] = {}
        pending, seen = list(unique_ids), set[str]()
        while pending:
            unique_id = pending.pop(0)
            node = self.get(unique_id)
            if node is None or unique_id in seen or node.resource_type not in RELATION_TYPES:
                continue
            seen.add(unique_id)
            if node.materialization == "ephemeral":
                pending.extend(node.depends_on)
            else:
                found[unique_id] = node
        return list(found.values())

    def compiled_sql(self, node: NodeInfo) -> str | None:
        """The SQL dbt compiled for ``node`` in this run's target folder, if it wrote it."""
        if node.compiled_code:
            return node.compiled_code
        if node.compiled_file is None:
            return None
        try:
            return (self.path.parent / "compiled" / node.compiled_file).read_text("utf-8")
        except OSError:
            return None


def _owners(meta: Any) -> tuple[str, ...]:
    owner = meta.get("owner") if isinstance(meta, dict) else None
    if isinstance(owner, str) and owner:
        return (owner,)
    if isinstance(owner, list):
        return tuple(str(item) for item in owner if item)
    return ()


def _columns(raw: dict[str, Any], catalog_columns: dict[str, Any]) -> tuple[Column, ...]:
    columns: dict[str, Column] = {}
    for name, spec in (raw.get("columns") or {}).items():
        columns[name.lower()] = Column(
            name=spec.get("name") or name,
            data_type=spec.get("data_type") or None,
            description=spec.get("description") or None,
        )
    # The catalog knows every column and its warehouse type; the manifest only documented ones.
    ordered = sorted(catalog_columns.values(), key=lambda c: c.get("index") or 0)
    for spec in ordered:
        documented = columns.get(str(spec.get("name", "")).lower())
        columns[str(spec.get("name", "")).lower()] = Column(
            name=documented.name if documented else spec["name"],
            data_type=spec.get("type") or (documented.data_type if documented else None),
            description=documented.description if documented else None,
        )
    return tuple(columns.values())


def _compiled_file(raw: dict[str, Any]) -> str | None:
    source_file, package = raw.get("original_file_path"), raw.get("package_name")
    if not source_file or not package or raw.get("resource_type") == "seed":
        return None
    if str(source_file).endswith((".yml", ".yaml")):
        # Generic tests and YAML snapshots compile into a folder named after their YAML file.
        return f"{package}/{source_file}/{Path(raw.get('path') or '').name}"
    return f"{package}/{source_file}"


def _node_info(unique_id: str, raw: dict[str, Any], catalog_columns: dict[str, Any]) -> NodeInfo:
    config = raw.get("config") or {}
    test_metadata = raw.get("test_metadata") or {}
    kwargs = test_metadata.get("kwargs") or {}
    severity = config.get("severity")
    return NodeInfo(
        unique_id=unique_id,
        resource_type=raw.get("resource_type", ""),
        name=raw.get("name", unique_id),
        database=raw.get("database"),
        schema=raw.get("schema"),
        identifier=raw.get("alias") or raw.get("identifier") or raw.get("name"),
        description=raw.get("description") or "",
        owners=_owners(raw.get("meta")) or _owners(config.get("meta")),
        columns=_columns(raw, catalog_columns),
        depends_on=tuple((raw.get("depends_on") or {}).get("nodes") or ()),
        materialization=config.get("materialized"),
        compiled_code=raw.get("compiled_code"),
        compiled_file=_compiled_file(raw),
        test_name=(test_metadata.get("name") or raw.get("name"))
        if raw.get("resource_type") == "test"
        else None,
        column_name=raw.get("column_name") or kwargs.get("column_name"),
        severity=str(severity).lower() if severity else None,
        attached_node=raw.get("attached_node"),
        fail_calc=str(config.get("fail_calc") or "count(*)"),
        warn_if=str(config.get("warn_if") or "!= 0"),
        error_if=str(config.get("error_if") or "!= 0"),
        tags=tuple(raw.get("tags") or ()),
    )


def _read_json(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _parse(manifest_path: Path) -> DbtManifest:
    catalog_path = manifest_path.with_name("catalog.json")
    catalog = _read_json(catalog_path) if catalog_path.is_file() else None
    return DbtManifest.from_json(_read_json(manifest_path), manifest_path, catalog)


_CACHE_SIZE = 4
_cache: OrderedDict[tuple[str, int, int], DbtManifest] = OrderedDict()
_cache_lock = threading.Lock()


def load_manifest(manifest_path: Path) -> DbtManifest:
    """Parse ``manifest_path`` (plus a ``catalog.json`` beside it), cached by path and mtime."""
    catalog_path = manifest_path.with_name("catalog.json")
    catalog_mtime = catalog_path.stat().st_mtime_ns if catalog_path.is_file() else 0
    stat = manifest_path.stat()
    key = (str(manifest_path.resolve()), stat.st_mtime_ns, catalog_mtime)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    manifest = _parse(manifest_path)
    with _cache_lock:
        _cache[key] = manifest
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return manifest
