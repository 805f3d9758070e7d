"""The warm node executor: one project parsed once, its nodes executed one by one.

A :class:`WarmExecutor` parses a project and links its graph once, keeps the adapter and its
connections open, and executes one node at the cost dbt pays per node inside a batch run
(instead of a whole ``dbtRunner`` invocation per node). All dbt-core internals it relies on
are isolated in ``_dbt_internals``. The temporal runtime's workers run every node on one;
the local runtime's ``processes: N`` runs N of them in child processes
(:class:`ExecutorProcesses`, ADR 0025). Modules that import dbt-core load on first use, so a
parent of executor processes stays free of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe_core._lazy import lazy_getattr
from floe_dbt_inprocess.executor._execution import FailureKind, NodeExecution
from floe_dbt_inprocess.executor._processes import ExecutorProcesses, NodeOutcome
from floe_dbt_inprocess.executor._spec import ExecutorSpec

if TYPE_CHECKING:
    from floe_dbt_inprocess.executor._executor import WarmExecutor
    from floe_dbt_inprocess.executor._outcome import classify_exception
    from floe_dbt_inprocess.executor._pool import ExecutorPool

__all__ = [
    "ExecutorPool",
    "ExecutorProcesses",
    "ExecutorSpec",
    "FailureKind",
    "NodeExecution",
    "NodeOutcome",
    "WarmExecutor",
    "classify_exception",
]

__getattr__ = lazy_getattr(
    __name__,
    {
        "ExecutorPool": "floe_dbt_inprocess.executor._pool",
        "WarmExecutor": "floe_dbt_inprocess.executor._executor",
        "classify_exception": "floe_dbt_inprocess.executor._outcome",
    },
)
