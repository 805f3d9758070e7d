"""dbt-core in this process: the one home of everything that drives it in-process.

Used by the ``local`` runtime (one ``dbtRunner`` invocation per run) and by the ``temporal``
runtime's workers (a warm executor per project, nodes executed one by one):

- :data:`DBT_LOCK`: the one lock over dbt's process-wide globals; hold it for any other use
  of dbt-core in the process.
- :func:`dbt_args`: the one builder of dbt command lines.
- :func:`invoke_dbt`: ``dbtRunner`` under the lock, adapters released afterwards.
- :func:`list_unique_ids`: what ``dbt ls`` selects from a parsed manifest, without ``dbtRunner``.
- :func:`node_result_from_run_result`: dbt's ``RunResult`` as a floe ``NodeResult``.
- :func:`floe_error_from_dbt`: dbt's exceptions as floe errors.
- :func:`retryable_node_ids`: the nodes of a previous run that ``dbt retry`` re-runs.
- :mod:`floe_dbt_inprocess.executor`: the warm node executor and its pool.

Everything that imports dbt-core (about 1.7 s) is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe_core._lazy import lazy_getattr
from floe_dbt_inprocess._args import LogLevel, dbt_args
from floe_dbt_inprocess._lock import DBT_LOCK, DbtLock
from floe_dbt_inprocess._retry import RETRYABLE_STATUSES, retryable_node_ids

if TYPE_CHECKING:
    from floe_dbt_inprocess._errors import floe_error_from_dbt
    from floe_dbt_inprocess._messages import MessageCollector
    from floe_dbt_inprocess._results import (
        adapter_response,
        as_utc,
        freshness_status,
        node_result_from_run_result,
        node_status,
    )
    from floe_dbt_inprocess._runner import (
        DbtCallback,
        close_embedded_databases,
        invoke_dbt,
        release_adapters,
    )
    from floe_dbt_inprocess._selection import list_unique_ids

__all__ = [
    "DBT_LOCK",
    "RETRYABLE_STATUSES",
    "DbtCallback",
    "DbtLock",
    "LogLevel",
    "MessageCollector",
    "adapter_response",
    "as_utc",
    "close_embedded_databases",
    "dbt_args",
    "floe_error_from_dbt",
    "freshness_status",
    "invoke_dbt",
    "list_unique_ids",
    "node_result_from_run_result",
    "node_status",
    "release_adapters",
    "retryable_node_ids",
]

_LAZY = {
    "DbtCallback": "floe_dbt_inprocess._runner",
    "MessageCollector": "floe_dbt_inprocess._messages",
    "adapter_response": "floe_dbt_inprocess._results",
    "as_utc": "floe_dbt_inprocess._results",
    "close_embedded_databases": "floe_dbt_inprocess._runner",
    "floe_error_from_dbt": "floe_dbt_inprocess._errors",
    "freshness_status": "floe_dbt_inprocess._results",
    "invoke_dbt": "floe_dbt_inprocess._runner",
    "list_unique_ids": "floe_dbt_inprocess._selection",
    "node_result_from_run_result": "floe_dbt_inprocess._results",
    "node_status": "floe_dbt_inprocess._results",
    "release_adapters": "floe_dbt_inprocess._runner",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
