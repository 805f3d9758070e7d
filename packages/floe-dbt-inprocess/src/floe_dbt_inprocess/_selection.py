# dbt-core internals are partially typed; this boundary module accepts that.
# mypy: disable-error-code="no-untyped-call"
"""What ``dbt ls`` selects, from an already parsed manifest, without a ``dbtRunner`` call.

A second ``dbtRunner`` invocation after the parse (``dbt ls --output json``) costs its
per-invocation set-up, ``ls``'s output (every selected node serialized whole to print its id),
the graph files it writes, and above all dbt's cycle check: ``networkx.find_cycle`` walks
every edge path (~85% of the selection's CPU at 2,000 nodes). Here dbt's own ``Linker`` links
the graph, acyclicity is checked by a topological sort (linear), dbt's ``find_cycles`` runs
only to word the error when there is a cycle, and ``ListTask``'s own selector picks the nodes
exactly as ``dbt ls`` would.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import networkx
from dbt.cli.flags import Flags, args_to_context
from dbt.compilation import Linker
from dbt.config.runtime import RuntimeConfig, load_profile, load_project
from dbt.flags import set_flags
from dbt.graph.graph import Graph
from dbt.task.list import ListTask
from dbt_common.context import set_invocation_context
from dbt_common.events.contextvars import task_contextvars

from floe_dbt_inprocess._lock import DBT_LOCK

__all__ = ["list_unique_ids"]


def list_unique_ids(ls_args: Sequence[str], manifest: Any) -> list[str]:
    """The unique ids ``dbt <ls_args>`` (an ``ls`` command line) selects from ``manifest``
    (a parsed ``dbt.contracts.graph.manifest.Manifest``), sorted as ``dbt ls`` prints them.

    dbt's errors (an unknown selector, a cycle) propagate as dbt raises them.
    """
    with DBT_LOCK:
        set_invocation_context(dict(os.environ))  # env_var() in selectors.yml, as dbt does
        flags = Flags(args_to_context(list(ls_args)))
        set_flags(flags)
        # as dbt's own `requires` decorators build it (`ls` has no --threads for from_args)
        profile = load_profile(flags.PROJECT_DIR, flags.VARS, flags.PROFILE, flags.TARGET, None)
        project = load_project(
            flags.PROJECT_DIR, flags.VERSION_CHECK, profile, flags.VARS, validate=True
        )
        config = RuntimeConfig.from_parts(project, profile, flags)
        task = ListTask(flags, config, manifest)
        with task_contextvars(project_root=config.project_root):
            task.graph = _linked_graph(manifest)
            selected = task.get_node_selector().get_selected(task.get_selection_spec())
        return sorted(selected)


def _linked_graph(manifest: Any) -> Graph:
    """dbt's graph of ``manifest`` as ``Compiler.compile`` links it (without writing
    graph_summary.json and graph.gpickle), raising dbt's own error on a cycle."""
    linker = Linker()

    def find_cycles() -> str | None:
        return None if networkx.is_directed_acyclic_graph(linker.graph) else dbt_find_cycles()

    dbt_find_cycles = linker.find_cycles
    linker.find_cycles = find_cycles  # type: ignore[method-assign]
    linker.link_graph(manifest)
    return Graph(linker.graph)
