"""What dbt's catalog.json (``floe docs generate``) and sources.json (``floe source
freshness``) add to a model or source page: the warehouse's column types and freshness."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from floe_core.stores import ArtifactCorruptedError
from floe_core.ui._models import ModelColumn, SourceFreshness

__all__ = ["CATALOG_FILE", "SOURCES_FILE", "Catalog", "Freshness"]

CATALOG_FILE = "catalog.json"
SOURCES_FILE = "sources.json"


def _load(data: bytes, where: str, what: str) -> Mapping[str, Any]:
    try:
        parsed = json.loads(data)
    except ValueError as exc:
        raise ArtifactCorruptedError(where, f"not dbt's {what}: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ArtifactCorruptedError(where, f"not dbt's {what}: not a JSON object")
    return parsed


class Catalog:
    """Column names and types the warehouse reported, by node."""

    def __init__(self, data: bytes, where: str) -> None:
        catalog = _load(data, where, CATALOG_FILE)
        self.entries: dict[str, Mapping[str, Any]] = {
            **(catalog.get("nodes") or {}),
            **(catalog.get("sources") or {}),
        }

    def names(self, unique_id: str) -> list[str]:
        """``unique_id``'s column names in the warehouse's order (none if not catalogued)."""
        found = (self.entries.get(unique_id) or {}).get("columns") or {}
        ordered = sorted(found.values(), key=lambda column: column.get("index") or 0)
        return [str(column.get("name")) for column in ordered]

    def columns(
        self, unique_id: str, documented: tuple[tuple[str, str, str | None], ...]
    ) -> list[ModelColumn]:
        """The documented columns with the warehouse's types, then the undocumented ones,
        in the warehouse's order; names match case-insensitively (warehouses upper-case)."""
        entry = self.entries.get(unique_id) or {}
        found = sorted(
            (entry.get("columns") or {}).values(), key=lambda column: column.get("index") or 0
        )
        types = {str(column.get("name", "")).lower(): column.get("type") for column in found}
        columns = [
            ModelColumn(name=name, description=text, data_type=types.get(name.lower()) or declared)
            for name, text, declared in documented
        ]
        named = {name.lower() for name, _, _ in documented}
        columns += [
            ModelColumn(name=str(column.get("name")), description=column.get("comment") or "",
                        data_type=column.get("type"))
            for column in found
            if str(column.get("name", "")).lower() not in named
        ]  # fmt: skip
        return columns


class Freshness:
    """Each source's outcome in one ``floe source freshness`` run."""

    def __init__(self, data: bytes, where: str, invocation_id: str) -> None:
        results = _load(data, where, SOURCES_FILE).get("results") or []
        self.by_source: dict[str, SourceFreshness] = {}
        for entry in results:
            if not isinstance(entry, dict) or "unique_id" not in entry:
                continue
            age = entry.get("max_loaded_at_time_ago_in_s")
            self.by_source[str(entry["unique_id"])] = SourceFreshness(
                invocation_id=invocation_id,
                status=str(entry.get("status", "unknown")),
                max_loaded_at=entry.get("max_loaded_at"),
                snapshotted_at=entry.get("snapshotted_at"),
                age_seconds=float(age) if isinstance(age, int | float) else None,
                criteria=dict(entry.get("criteria") or {}),
                error=entry.get("error"),
            )
