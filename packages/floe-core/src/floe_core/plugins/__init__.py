"""floe extension plugins: discovery from entry points, policy vetoes and hook dispatch.

A plugin implements hooks from :mod:`floe_core.hookspecs` with :data:`floe_core.hookimpl`
and registers under the ``floe.plugins`` entry-point group. The API loads them once::

    plugins = FloePluginManager.from_entry_points()
    plugins.check_run_allowed(invocation, command)   # RunVetoedError on a policy veto
    observers.append(PluginHookObserver(plugins))    # run/node hooks from the event stream
"""

from __future__ import annotations

from floe_core.plugins._manager import (
    PLUGINS_ENTRY_POINT_GROUP,
    FloePluginManager,
    PluginFailure,
    PluginInfo,
)
from floe_core.plugins._observer import PluginHookObserver
from floe_core.plugins._veto import RunVetoedError, Veto

__all__ = [
    "PLUGINS_ENTRY_POINT_GROUP",
    "FloePluginManager",
    "PluginFailure",
    "PluginHookObserver",
    "PluginInfo",
    "RunVetoedError",
    "Veto",
]
