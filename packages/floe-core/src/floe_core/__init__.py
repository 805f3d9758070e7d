"""floe: run dbt projects through pluggable execution runtimes.

The public contract for runtime authors and API users lives here; everything else is
reached through the sub-packages named in their own ``__all__``.
"""

from __future__ import annotations

from floe_core._errors import (
    ConfigError,
    DBTCompilationError,
    FloeError,
    ManifestError,
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
from floe_core._events import (
    EventBus,
    EventSubscriber,
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFinished,
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
    "EventBus",
    "EventSubscriber",
    "ExecutionPlan",
    "FloeError",
    "FloeEvent",
    "GeneratedProfile",
    "HealthStatus",
    "ManifestError",
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
    "RunFinished",
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
