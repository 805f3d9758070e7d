"""The rest of dbt's CLI: ``deps``, ``parse``, ``ls``/``list``, ``show``, ``run-operation``,
``source freshness``, ``docs generate``, ``debug``, ``clean`` and ``retry``.

Each is one :meth:`Floe.invoke <floe_core.api.Floe.invoke>` through :func:`run_command`, so it
gets the same runtime check, results store record, lineage and tracing as ``build``; only
what it prints differs.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from floe_core._invocation import DBTCommand
from floe_core._results import DBTRunResult
from floe_core.cli._options import (
    MultiValueOption,
    invocation_options,
    json_option,
    logging_options,
    manifest_options,
    parse_yaml_mapping,
)
from floe_core.cli._run import print_with_output, run_command
from floe_core.cli._summary import print_summary

__all__ = ["COMMANDS"]

_project_options = (
    click.option("--vars", callback=parse_yaml_mapping, help="YAML/JSON mapping of dbt vars."),
    click.option("--target", "-t", help="dbt target.  [default: the manifest's project.target]"),
)


def _with_project_options(function: Any) -> Any:
    for decorator in reversed(_project_options):
        function = decorator(function)
    return function


def _print_output(console: Console, result: DBTRunResult, results_dir: str | None) -> None:
    """What dbt printed, then the run's status and folder."""
    if result.output:
        console.print(result.output, markup=False, highlight=False, soft_wrap=True)
    if result.error:
        console.print(f"{result.command.value} {result.status.value}: {result.error}")
    else:
        console.print(f"{result.command.value} {result.status.value}", markup=False)
    if results_dir is not None:
        console.print(f"results: {results_dir}", markup=False)


def _print_lines(console: Console, result: DBTRunResult, results_dir: str | None) -> None:
    """Only the listed nodes, like ``dbt ls`` (so the output pipes into other tools)."""
    if result.output:
        console.print(result.output, markup=False, highlight=False, soft_wrap=True)


def _project_command(command: DBTCommand, help_text: str) -> click.Command:
    @click.command(name=command.value, help=help_text)
    @manifest_options
    @_with_project_options
    @json_option
    @logging_options
    @click.pass_context
    def project_command(ctx: click.Context, /, as_json: bool, **options: Any) -> None:
        ctx.exit(run_command(ctx, command, as_json, options, present=_print_output, progress=False))

    return project_command


deps = _project_command(DBTCommand.DEPS, "Install the packages in packages.yml.")
debug = _project_command(DBTCommand.DEBUG, "Check the profile, project and connection.")
clean = _project_command(DBTCommand.CLEAN, "Delete the project's clean-targets.")
parse = _project_command(DBTCommand.PARSE, "Parse the project and write manifest.json.")


@click.command(name="ls")
@manifest_options
@invocation_options
@click.option(
    "--resource-type",
    "--resource-types",
    "resource_types",
    cls=MultiValueOption,
    help="Only these resource types (model, seed, source, test...).",
)
@click.option(
    "--output",
    type=click.Choice(["name", "path", "json", "selector"]),
    help="What to print per node.  [default: selector]",
)
@click.option("--output-keys", cls=MultiValueOption, help="Keys of --output json.")
@json_option
@logging_options
@click.pass_context
def list_nodes(ctx: click.Context, /, as_json: bool, **options: Any) -> None:
    """List the selected resources (dbt ls)."""
    options["resource_types"] = _words(options["resource_types"])
    options["output_keys"] = _words(options["output_keys"])
    ctx.exit(
        run_command(ctx, DBTCommand.LIST, as_json, options, present=_print_lines, progress=False)
    )


def _words(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(word for value in values for word in value.split())


def _print_preview(console: Console, result: DBTRunResult, results_dir: str | None) -> None:
    if not result.output:
        print_summary(console, result, results_dir)
        return
    previews = json.loads(result.output)
    for preview in previews if isinstance(previews, list) else [previews]:
        # dbt's own JSON (a cloud step's output) names no inline node and lists no columns
        node = preview.get("node")
        console.print(f"Previewing node '{node}':" if node else "Previewing inline node:")
        rows = preview["show"]
        table = Table(show_edge=False, pad_edge=False)
        for column in preview.get("columns") or (list(rows[0]) if rows else []):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if value is None else str(value) for value in row.values()))
        console.print(table)


@click.command(name="show")
@manifest_options
@invocation_options
@click.option("--inline", help="SQL to preview instead of the selected node.")
@click.option(
    "--limit", type=int, default=5, show_default=True, help="Rows to show (negative: all)."
)
@click.option(
    "--output",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="A table, or dbt's JSON document of the rows.",
)
@json_option
@logging_options
@click.pass_context
def show(ctx: click.Context, /, as_json: bool, output_format: str, **options: Any) -> None:
    """Preview the rows of the selected node or of --inline SQL (dbt show)."""

    def print_json(console: Console, result: DBTRunResult, results_dir: str | None) -> None:
        if result.output:
            click.echo(result.output)
        else:
            print_summary(console, result, results_dir)

    present = print_json if output_format == "json" else _print_preview
    ctx.exit(run_command(ctx, DBTCommand.SHOW, as_json, options, present=present, progress=False))


@click.command(name="run-operation")
@click.argument("macro")
@manifest_options
@_with_project_options
@click.option(
    "--args", "macro_args", callback=parse_yaml_mapping, help="YAML mapping of the macro's args."
)
@json_option
@logging_options
@click.pass_context
def run_operation(ctx: click.Context, /, as_json: bool, **options: Any) -> None:
    """Run a macro (dbt run-operation MACRO --args '{...}')."""
    ctx.exit(
        run_command(
            ctx, DBTCommand.RUN_OPERATION, as_json, options, present=_print_output, progress=False
        )
    )


def _selection_command(command: DBTCommand, help_text: str) -> click.Command:
    """``source freshness`` / ``docs generate``: the selection options, the usual output."""

    @click.command(name=command.value.split()[-1], help=help_text)
    @manifest_options
    @invocation_options
    @json_option
    @logging_options
    @click.pass_context
    def selection_command(ctx: click.Context, /, as_json: bool, **options: Any) -> None:
        ctx.exit(run_command(ctx, command, as_json, options))

    return selection_command


@click.group(name="source")
def source() -> None:
    """Commands on the project's sources."""


@click.group(name="docs")
def docs() -> None:
    """The project's documentation."""


source.add_command(
    _selection_command(
        DBTCommand.SOURCE_FRESHNESS,
        "Check the freshness of the selected sources; sources.json goes to the results store.",
    )
)
docs.add_command(
    _selection_command(
        DBTCommand.DOCS_GENERATE,
        "Write catalog.json (kept in the results store) and manifest.json.",
    )
)


@click.command(name="retry")
@manifest_options
@_with_project_options
@click.option("--threads", type=click.IntRange(min=1), help="Nodes run at once.")
@json_option
@logging_options
@click.pass_context
def retry(ctx: click.Context, /, as_json: bool, **options: Any) -> None:
    """Re-run what failed or was skipped in the project's last run (dbt retry)."""
    ctx.exit(run_command(ctx, DBTCommand.RETRY, as_json, options, present=print_with_output))


list_alias = copy.copy(list_nodes)
list_alias.name = "list"

COMMANDS: tuple[click.Command, ...] = (
    deps,
    parse,
    list_nodes,
    list_alias,
    show,
    run_operation,
    source,
    docs,
    debug,
    clean,
    retry,
)
"""The commands above; ``ls`` is also ``list``, as in dbt."""
