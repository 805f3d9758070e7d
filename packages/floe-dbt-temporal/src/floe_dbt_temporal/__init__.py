"""floe runtime ``temporal``: durable per-node fan-out of a dbt DAG on Temporal workers.

The client side (:class:`TemporalRuntime`) starts the ``floe_dbt_run`` workflow and streams
its node events; workers (``floe worker``, :func:`serve`) execute nodes on warm executors.
"""

from __future__ import annotations

from floe_dbt_temporal._config import ConnectionSettings, StoreSettings, TemporalRuntimeConfig
from floe_dbt_temporal._models import (
    ArtifactRef,
    GitProject,
    HookOnError,
    HookSpec,
    LocalProject,
    PreRunDecision,
    RetrySettings,
    RunContext,
    RunInput,
    RunOutput,
)
from floe_dbt_temporal._projects import ProjectEntry, ProjectRegistry
from floe_dbt_temporal._runtime import TemporalRuntime
from floe_dbt_temporal._scheduler import DagScheduler
from floe_dbt_temporal._store import ArtifactStore, open_store
from floe_dbt_temporal._worker import WorkerSettings, build_worker, serve
from floe_dbt_temporal._workflow import SEARCH_ATTRIBUTES, WORKFLOW_NAME, DbtRunWorkflow

__all__ = [
    "SEARCH_ATTRIBUTES",
    "WORKFLOW_NAME",
    "ArtifactRef",
    "ArtifactStore",
    "ConnectionSettings",
    "DagScheduler",
    "DbtRunWorkflow",
    "GitProject",
    "HookOnError",
    "HookSpec",
    "LocalProject",
    "PreRunDecision",
    "ProjectEntry",
    "ProjectRegistry",
    "RetrySettings",
    "RunContext",
    "RunInput",
    "RunOutput",
    "StoreSettings",
    "TemporalRuntime",
    "TemporalRuntimeConfig",
    "WorkerSettings",
    "build_worker",
    "open_store",
    "serve",
]
