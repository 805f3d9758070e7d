"""A :class:`~floe_core.RunObserver` that turns the event stream into plugin hook calls."""

from __future__ import annotations

from floe_core._events import (
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFinished,
    RunStarted,
)
from floe_core._invocation import DBTInvocation
from floe_core.plugins._manager import FloePluginManager

__all__ = ["PluginHookObserver"]


class PluginHookObserver:
    """Calls the run and node hooks of every plugin as the runtime emits events.

    The API subscribes it for each invocation like any other observer; a plugin that
    raises is logged by the manager and the run goes on.
    """

    def __init__(self, plugins: FloePluginManager) -> None:
        self.plugins = plugins

    def prepare(self, invocation: DBTInvocation) -> DBTInvocation:
        return invocation

    def __call__(self, event: FloeEvent) -> None:
        if isinstance(event, RunStarted):
            self.plugins.notify("floe_run_started", event=event)
        elif isinstance(event, NodeStarted):
            self.plugins.notify("floe_node_started", event=event)
        elif isinstance(event, NodeFinished | NodeSkipped):
            self.plugins.notify("floe_node_finished", event=event, result=event.result)
        elif isinstance(event, RunFinished):
            self.plugins.notify("floe_run_finished", event=event, result=event.result)

    def close(self) -> None:
        """Nothing to flush: hooks are called synchronously."""
