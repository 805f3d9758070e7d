"""dbt's sources.json: the outcome of ``source freshness`` per source."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from floe_core import ProjectError

__all__ = ["SourceFreshness", "read_sources_json"]


@dataclass(frozen=True)
class SourceFreshness:
    """One source's entry of dbt's sources.json."""

    unique_id: str
    status: str
    """``pass``, ``warn``, ``error`` (stale) or ``runtime error`` (could not be checked)."""
    max_loaded_at: datetime | None
    error: str | None = None


def read_sources_json(content: bytes, *, origin: str) -> list[SourceFreshness]:
    """The results of a ``source freshness`` run from its sources.json (``origin`` names
    where it came from, for the error)."""
    try:
        data = json.loads(content)
    except ValueError as exc:
        raise ProjectError(f"{origin}: sources.json is not valid JSON: {exc}") from exc
    results = []
    for entry in data.get("results") or ():
        loaded = entry.get("max_loaded_at")
        results.append(
            SourceFreshness(
                unique_id=entry["unique_id"],
                status=str(entry.get("status")),
                max_loaded_at=datetime.fromisoformat(loaded) if loaded else None,
                error=entry.get("error"),
            )
        )
    return results
