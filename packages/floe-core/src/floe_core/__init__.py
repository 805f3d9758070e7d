"""floe: run dbt projects through pluggable execution runtimes.

The public contract for runtime authors and API users lives here; everything else is
reached through the sub-packages named in their own ``__all__``.

Names other than the errors are imported on first use (PEP 562): ``floe --help`` and other
light entry points import ``floe_core`` without paying for pydantic models, structlog or
pluggy. ``from floe_core import DBTRuntimePlugin`` works as always.
"""

from __future__ import annotations

import typing

from floe_core._errors import (
    ConfigError,
    DBTCompilationError,
    FloeError,
    ManifestError,
    MissingExtraError,
    PluginAPIVersionError,
    PluginConfigError,
    PluginError,
    PluginNotFoundError,
    ProfileError,
    ProjectError,
    RunCancelledError,
    RuntimeExecutionError,
    SecretError,
    UnsupportedCommandError,
    WarehouseError,
)
from floe_core._lazy import lazy_getattr as _lazy_getattr

if typing.TYPE_CHECKING:
    from floe_core._detach import DetachRequested, RunDetachedError, RunHandle
    from floe_core._events import (
        EventBus,
        EventSubscriber,
        FloeEvent,
        NodeFinished,
        NodeSkipped,
        NodeStarted,
        RunFinished,
        RunHandleReported,
        RunPlanned,
        RunStarted,
        events_for_result,
    )
    from floe_core._invocation import (
        NODE_COMMANDS,
        CommandArgs,
        DBTCommand,
        DBTInvocation,
        GeneratedProfile,
        ProfilesDirProfile,
        ProfileSource,
        StateReference,
    )
    from floe_core._live import LiveNode, LiveStatus
    from floe_core._observer import RunObserver
    from floe_core._plan import ExecutionPlan, PlannedNode, order_nodes
    from floe_core._results import (
        AdapterResponse,
        DBTRunResult,
        NodeResult,
        NodeStatus,
        NodeTiming,
        RunStatus,
    )
    from floe_core._runtime import (
        PLUGIN_API_VERSION,
        DBTRuntimePlugin,
        HealthStatus,
        RuntimeMetadata,
        read_project_name,
    )
    from floe_core.hookspecs import hookimpl
    from floe_core.plugins import RunVetoedError, Veto

_LAZY = {
    "DetachRequested": "floe_core._detach",
    "RunDetachedError": "floe_core._detach",
    "RunHandle": "floe_core._detach",
    "RunHandleReported": "floe_core._events",
    "EventBus": "floe_core._events",
    "EventSubscriber": "floe_core._events",
    "FloeEvent": "floe_core._events",
    "NodeFinished": "floe_core._events",
    "NodeSkipped": "floe_core._events",
    "NodeStarted": "floe_core._events",
    "RunFinished": "floe_core._events",
    "RunPlanned": "floe_core._events",
    "RunStarted": "floe_core._events",
    "events_for_result": "floe_core._events",
    "NODE_COMMANDS": "floe_core._invocation",
    "CommandArgs": "floe_core._invocation",
    "DBTCommand": "floe_core._invocation",
    "DBTInvocation": "floe_core._invocation",
    "GeneratedProfile": "floe_core._invocation",
    "ProfilesDirProfile": "floe_core._invocation",
    "StateReference": "floe_core._invocation",
    "ProfileSource": "floe_core._invocation",
    "LiveNode": "floe_core._live",
    "LiveStatus": "floe_core._live",
    "RunObserver": "floe_core._observer",
    "ExecutionPlan": "floe_core._plan",
    "PlannedNode": "floe_core._plan",
    "order_nodes": "floe_core._plan",
    "AdapterResponse": "floe_core._results",
    "DBTRunResult": "floe_core._results",
    "NodeResult": "floe_core._results",
    "NodeStatus": "floe_core._results",
    "NodeTiming": "floe_core._results",
    "RunStatus": "floe_core._results",
    "PLUGIN_API_VERSION": "floe_core._runtime",
    "DBTRuntimePlugin": "floe_core._runtime",
    "HealthStatus": "floe_core._runtime",
    "RuntimeMetadata": "floe_core._runtime",
    "read_project_name": "floe_core._runtime",
    "hookimpl": "floe_core.hookspecs",
    "RunVetoedError": "floe_core.plugins",
    "Veto": "floe_core.plugins",
}

__all__ = [
    "NODE_COMMANDS",
    "PLUGIN_API_VERSION",
    "AdapterResponse",
    "CommandArgs",
    "ConfigError",
    "DBTCommand",
    "DBTCompilationError",
    "DBTInvocation",
    "DBTRunResult",
    "DBTRuntimePlugin",
    "DetachRequested",
    "EventBus",
    "EventSubscriber",
    "ExecutionPlan",
    "FloeError",
    "FloeEvent",
    "GeneratedProfile",
    "HealthStatus",
    "LiveNode",
    "LiveStatus",
    "ManifestError",
    "MissingExtraError",
    "NodeFinished",
    "NodeResult",
    "NodeSkipped",
    "NodeStarted",
    "NodeStatus",
    "NodeTiming",
    "PlannedNode",
    "PluginAPIVersionError",
    "PluginConfigError",
    "PluginError",
    "PluginNotFoundError",
    "ProfileError",
    "ProfileSource",
    "ProfilesDirProfile",
    "ProjectError",
    "RunCancelledError",
    "RunDetachedError",
    "RunFinished",
    "RunHandle",
    "RunHandleReported",
    "RunObserver",
    "RunPlanned",
    "RunStarted",
    "RunStatus",
    "RunVetoedError",
    "RuntimeExecutionError",
    "RuntimeMetadata",
    "SecretError",
    "StateReference",
    "UnsupportedCommandError",
    "Veto",
    "WarehouseError",
    "events_for_result",
    "hookimpl",
    "order_nodes",
    "read_project_name",
]


__getattr__ = _lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
