"""The warm node executor: one project parsed once, its nodes executed one by one.

A :class:`WarmExecutor` parses a project and links its graph once, keeps the adapter and its
connections open, and executes one node at the cost dbt pays per node inside a batch run
(instead of a whole ``dbtRunner`` invocation per node). All dbt-core internals it relies on
are isolated in ``_dbt_internals``. The temporal runtime's workers run every node on one;
``docs/adr/0012-local-runtime-execution.md`` says why the local runtime does not (yet).
"""

from __future__ import annotations

from floe_dbt_inprocess.executor._executor import ExecutorSpec, WarmExecutor
from floe_dbt_inprocess.executor._outcome import (
    FailureKind,
    NodeExecution,
    classify_exception,
)
from floe_dbt_inprocess.executor._pool import ExecutorPool

__all__ = [
    "ExecutorPool",
    "ExecutorSpec",
    "FailureKind",
    "NodeExecution",
    "WarmExecutor",
    "classify_exception",
]
