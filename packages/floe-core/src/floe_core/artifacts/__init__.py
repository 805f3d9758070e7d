"""Where invocation results are kept: run folders and a run index in an artifact store;
earlier runs as the state of a new one (``--state``)."""

from __future__ import annotations

from floe_core.artifacts._errors import ResultsNotKeptError
from floe_core.artifacts._history import RunHistory, RunRecord, index_key, read_index
from floe_core.artifacts._state import (
    LATEST_STATE,
    STATE_FILES,
    fetch_state,
    find_state_run,
    resolve_state,
)
from floe_core.artifacts._store import LocalResultsStore, ResultsStore

__all__ = [
    "LATEST_STATE",
    "STATE_FILES",
    "LocalResultsStore",
    "ResultsNotKeptError",
    "ResultsStore",
    "RunHistory",
    "RunRecord",
    "fetch_state",
    "find_state_run",
    "index_key",
    "read_index",
    "resolve_state",
]
