"""``dbtRunner`` in this process, one invocation at a time.

dbt keeps process-wide state (flags, the event manager, the adapter factory), so an
invocation holds :data:`~floe_dbt_inprocess.DBT_LOCK` exclusively. After each invocation the
adapters and the event callbacks are dropped, so a long-lived process does not accumulate
connections or keep the last run's results alive through dbt's globals.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from dbt.adapters.factory import reset_adapters
from dbt.cli.main import dbtRunner, dbtRunnerResult
from dbt_common.events.base_types import EventMsg
from dbt_common.events.event_manager_client import cleanup_event_logger

from floe_dbt_inprocess._lock import DBT_LOCK

__all__ = [
    "DbtCallback",
    "close_embedded_databases",
    "invoke_dbt",
    "release_adapters",
]

DbtCallback = Callable[[EventMsg], None]


def invoke_dbt(
    args: Sequence[str],
    *,
    manifest: Any | None = None,
    callbacks: Sequence[DbtCallback] = (),
) -> dbtRunnerResult:
    """``dbtRunner(manifest, callbacks).invoke(args)`` under :data:`DBT_LOCK`.

    ``manifest`` (a parsed ``dbt.contracts.graph.manifest.Manifest``) skips parsing.
    ``callbacks`` run in dbt's threads as events fire; they must not raise.
    """
    with DBT_LOCK:
        try:
            return dbtRunner(manifest=manifest, callbacks=list(callbacks)).invoke(list(args))
        finally:
            release_adapters()
            cleanup_event_logger()


def release_adapters() -> None:
    """Drop dbt's registered adapters and close their connections."""
    with DBT_LOCK:
        reset_adapters()  # type: ignore[no-untyped-call]


def close_embedded_databases() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the whole process, if any.

    dbt-duckdb shares one database handle across invocations (so ``:memory:`` data survives
    between them); closing it releases the file lock for other processes.
    """
    duckdb_connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if duckdb_connections is not None:
        with DBT_LOCK:
            duckdb_connections.DuckDBConnectionManager.close_all_connections()
