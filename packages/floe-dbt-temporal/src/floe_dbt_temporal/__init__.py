"""floe runtime ``temporal``: durable per-node fan-out of a dbt DAG on Temporal workers.

The client side (:class:`TemporalRuntime`) starts the ``floe_dbt_run`` workflow and streams
its node events; workers (``floe worker``, :func:`serve`) execute nodes on warm executors.

Public API: the runtime and its config types; a worker's settings and its project registry
entries; what a ``pre_run`` hook returns; and, for custom starters and operators, the
workflow's name, input, output and search attributes.
"""

from __future__ import annotations

from floe_dbt_temporal._config import TemporalRuntimeConfig
from floe_dbt_temporal._models import (
    ActivityTimeouts,
    GitProject,
    HookOnError,
    HookRetries,
    HookSpec,
    LocalProject,
    PreRunDecision,
    RetrySettings,
    RunContext,
    RunInput,
    RunOutput,
)
from floe_dbt_temporal._projects import ProjectEntry
from floe_dbt_temporal._runtime import TemporalRuntime
from floe_dbt_temporal._worker import WorkerSettings, build_worker, serve
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
    "PreRunDecision",
    "ProjectEntry",
    "RetrySettings",
    "RunContext",
    "RunInput",
    "RunOutput",
    "TemporalRuntime",
    "TemporalRuntimeConfig",
    "WorkerSettings",
    "build_worker",
    "serve",
]
