"""Where invocation results are kept: run folders and a run index in an artifact store."""

from __future__ import annotations

from floe_core.artifacts._errors import ResultsNotKeptError
from floe_core.artifacts._history import RunHistory, RunRecord, index_key, read_index
from floe_core.artifacts._store import LocalResultsStore, ResultsStore

__all__ = [
    "LocalResultsStore",
    "ResultsNotKeptError",
    "ResultsStore",
    "RunHistory",
    "RunRecord",
    "index_key",
    "read_index",
]
