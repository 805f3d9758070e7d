# dbt-core internals are partially typed; this boundary module accepts that.
# mypy: disable-error-code="no-untyped-call"
"""What ``dbt ls`` selects, from an already parsed manifest, without a ``dbtRunner`` call.

A second ``dbtRunner`` invocation after the parse (``dbt ls --output json``) costs, besides
the graph it has to link anyway, its per-invocation set-up (event logger, adapter) and above
all ``ls``'s output: every selected node serialized whole (``node.to_dict()``) to print its
id. Here dbt's own ``ListTask`` links the graph (with its cycle check) and its own selector
picks the nodes, exactly as ``dbt ls`` would, and only the unique ids come back.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from dbt.cli.flags import Flags, args_to_context
from dbt.config.runtime import RuntimeConfig, load_profile, load_project
from dbt.flags import set_flags
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
            task.compile_manifest()
            selected = task.get_node_selector().get_selected(task.get_selection_spec())
        return sorted(selected)
