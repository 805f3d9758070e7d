"""The hooks a floe extension plugin may implement.

An extension plugin is any object (usually a module) with functions decorated by
:data:`hookimpl` and named after the specifications below; it is found through an entry
point in group ``floe.plugins``::

    [project.entry-points."floe.plugins"]
    slack = "floe_slack.hooks"

As in pluggy, an implementation declares only the arguments it uses, in any order: a
``floe_node_finished(result)`` implementation is valid. Signatures are validated when the
plugin is loaded (an unknown hook or argument is a :class:`~floe_core.PluginError` naming the
plugin), and a plugin that raises in a notification hook is logged and skipped: it never
breaks a run. Only :func:`floe_check_run` can stop one, by returning a :class:`Veto`.

Notification hooks run synchronously in the thread that emitted the event (a dbt worker
thread for the local runtime): keep them quick and put slow work (HTTP calls) on a queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from floe_core._events import (
        FloeEvent,
        NodeFinished,
        NodeSkipped,
        NodeStarted,
        RunFinished,
        RunStarted,
    )
    from floe_core._invocation import DBTCommand, DBTInvocation
    from floe_core._results import DBTRunResult, NodeResult
    from floe_core.plugins import Veto

__all__ = [
    "PROJECT_NAME",
    "floe_check_run",
    "floe_lineage_run_facets",
    "floe_node_finished",
    "floe_node_started",
    "floe_run_finished",
    "floe_run_started",
    "hookimpl",
    "hookspec",
]

PROJECT_NAME = "floe"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a function of a floe extension plugin as a hook implementation."""


@hookspec
def floe_check_run(invocation: DBTInvocation, command: DBTCommand) -> Veto | None:
    """Policy check before a run starts: return ``Veto(reason)`` to refuse the run.

    Example: ``Veto("production target requires --full-refresh approval")``. Every plugin
    is asked; the first veto stops the run with a :class:`~floe_core.plugins.RunVetoedError`
    naming the plugin. A plugin that raises here also stops the run (a policy that cannot
    be evaluated must not silently allow it).
    """


@hookspec
def floe_run_started(event: RunStarted) -> None:
    """An invocation began (after every :func:`floe_check_run` allowed it)."""


@hookspec
def floe_node_started(event: NodeStarted) -> None:
    """A node began executing."""


@hookspec
def floe_node_finished(event: NodeFinished | NodeSkipped, result: NodeResult) -> None:
    """A node reached its outcome; ``result.status`` is ``skipped`` for skipped nodes."""


@hookspec
def floe_run_finished(event: RunFinished, result: DBTRunResult) -> None:
    """An invocation ended, successfully or not; ``result`` holds every node result."""


@hookspec
def floe_lineage_run_facets(event: FloeEvent) -> Mapping[str, Any] | None:
    """Extra OpenLineage run facets for the lineage event built from ``event``.

    Return ``{facet_name: facet}`` where a facet is an OpenLineage ``RunFacet`` or its
    JSON dict (with ``_producer`` and ``_schemaURL``); facets of all plugins are merged.
    """
