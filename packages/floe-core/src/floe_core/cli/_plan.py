"""``floe plan``: the nodes ``build`` would run, in dependency order; nothing is executed.

Kept apart from the run commands (``_run.py``) so that a plan answered from the runtime's
cache pays for no progress display, rich or structlog: on a large project the listing of
thousands of nodes, not the planning, was most of its time.
"""

from __future__ import annotations

from typing import Any

import click

from floe_core._plan import ExecutionPlan
from floe_core.api import Floe
from floe_core.cli._app import BUILT_IN
from floe_core.cli._console import NOTHING_SELECTED_MESSAGE
from floe_core.cli._options import (
    invocation_options,
    json_option,
    logging_options,
    manifest_options,
)

__all__ = ["COMMANDS", "format_plan", "plan"]

_HEADER = ("#", "node", "type", "materialized", "after")


def format_plan(execution_plan: ExecutionPlan) -> str:
    """The plan as a plain-text table, one line per node (``after``: the selected nodes it
    waits for, by the last part of their id), then a count line."""
    if not execution_plan.nodes:
        return NOTHING_SELECTED_MESSAGE
    rows = [
        (
            str(position),
            node.unique_id,
            node.resource_type,
            node.materialization or "",
            ", ".join(parent.rsplit(".", 1)[-1] for parent in node.depends_on),
        )
        for position, node in enumerate(execution_plan.nodes, start=1)
    ]
    widths = [max(len(row[column]) for row in (_HEADER, *rows)) for column in range(4)]

    def line(row: tuple[str, ...]) -> str:
        number, *middle, after = row
        cells = [number.rjust(widths[0])]
        cells += [cell.ljust(width) for cell, width in zip(middle, widths[1:], strict=True)]
        return (" | ".join([*cells, after])).rstrip()

    rule = "-+-".join("-" * width for width in widths) + "-+-" + "-" * len(_HEADER[-1])
    lines = [line(_HEADER), rule, *map(line, rows)]
    lines.append(
        f"{len(execution_plan)} nodes in project {execution_plan.project_name};"
        " nothing was executed"
    )
    return "\n".join(lines)


@click.command(name="plan", help=BUILT_IN["plan"].summary)
@manifest_options
@invocation_options
@json_option
@logging_options
def plan(as_json: bool, **options: Any) -> None:
    with Floe.from_manifest(
        options.pop("manifest_path"),
        project_dir=options.pop("project_dir"),
        runtime=options.pop("runtime"),
        profiles_dir=options.pop("profiles_dir"),
    ) as floe:
        execution_plan = floe.plan(**options)
    if as_json:
        click.echo(execution_plan.model_dump_json(indent=2))
    else:
        click.echo(format_plan(execution_plan))


COMMANDS = [plan]
