"""floe runtime ``temporal``: durable per-node fan-out of a dbt DAG on Temporal workers.

The client side (:class:`TemporalRuntime`) starts the ``floe_dbt_run`` workflow and streams
its node events; workers (``floe worker``, :func:`serve`) execute nodes on warm executors.

Public API: the runtime and its config types; a worker's settings and its project registry
entries; what a ``pre_run`` hook returns; and, for custom starters and operators, the
workflow's name, input, output and search attributes. Each is imported on first use, so
``floe worker healthcheck`` (an exec probe) starts without temporalio and dbt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe_core._lazy import lazy_getattr

if TYPE_CHECKING:
    from floe_dbt_temporal._config import TemporalRuntimeConfig
    from floe_dbt_temporal._models import (
        ActivityTimeouts,
        GitProject,
        HookOnError,
        HookRetries,
        HookSpec,
        LocalProject,
        ObjectProject,
        PreRunDecision,
        RetrySettings,
        RunContext,
        RunInput,
        RunOutput,
    )
    from floe_dbt_temporal._projects import ProjectEntry
    from floe_dbt_temporal._runtime import TemporalRuntime
    from floe_dbt_temporal._worker import WorkerSettings, build_worker, serve
    from floe_dbt_temporal._worker_options import WorkerOptions
    from floe_dbt_temporal._workflow import SEARCH_ATTRIBUTES, WORKFLOW_NAME

__all__ = [
    "SEARCH_ATTRIBUTES",
    "WORKFLOW_NAME",
    "ActivityTimeouts",
    "GitProject",
    "HookOnError",
    "HookRetries",
    "HookSpec",
    "LocalProject",
    "ObjectProject",
    "PreRunDecision",
    "ProjectEntry",
    "RetrySettings",
    "RunContext",
    "RunInput",
    "RunOutput",
    "TemporalRuntime",
    "TemporalRuntimeConfig",
    "WorkerOptions",
    "WorkerSettings",
    "build_worker",
    "serve",
]

_LAZY = {
    "ActivityTimeouts": "floe_dbt_temporal._models",
    "GitProject": "floe_dbt_temporal._models",
    "HookOnError": "floe_dbt_temporal._models",
    "HookRetries": "floe_dbt_temporal._models",
    "HookSpec": "floe_dbt_temporal._models",
    "LocalProject": "floe_dbt_temporal._models",
    "ObjectProject": "floe_dbt_temporal._models",
    "PreRunDecision": "floe_dbt_temporal._models",
    "ProjectEntry": "floe_dbt_temporal._projects",
    "RetrySettings": "floe_dbt_temporal._models",
    "RunContext": "floe_dbt_temporal._models",
    "RunInput": "floe_dbt_temporal._models",
    "RunOutput": "floe_dbt_temporal._models",
    "SEARCH_ATTRIBUTES": "floe_dbt_temporal._workflow",
    "TemporalRuntime": "floe_dbt_temporal._runtime",
    "TemporalRuntimeConfig": "floe_dbt_temporal._config",
    "WORKFLOW_NAME": "floe_dbt_temporal._workflow",
    "WorkerOptions": "floe_dbt_temporal._worker_options",
    "WorkerSettings": "floe_dbt_temporal._worker",
    "build_worker": "floe_dbt_temporal._worker",
    "serve": "floe_dbt_temporal._worker",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
