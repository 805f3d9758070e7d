"""Where invocation results are kept: a local results directory (object storage later)."""

from __future__ import annotations

from floe_core.artifacts._store import LocalResultsStore, RunRecord, read_index

__all__ = ["LocalResultsStore", "RunRecord", "read_index"]
