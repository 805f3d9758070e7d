"""OpenLineage emission from the floe event stream (configuration: ``observability.lineage``)."""

from __future__ import annotations

from floe_core.lineage._config import LineageConfig

__all__ = ["LineageConfig"]
