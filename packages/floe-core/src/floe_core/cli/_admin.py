"""``floe init``, ``floe validate`` and ``floe plugins list``: one API call each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table
from rich.text import Text

from floe_core.cli._console import stdout_console
from floe_core.cli._options import json_option, logging_options, manifest_options

if TYPE_CHECKING:
    from floe_core.api import RuntimeInfo

__all__ = ["COMMANDS", "init", "plugins", "validate"]


@click.command()
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(path_type=Path),
    default=Path("platform-manifest.yaml"),
    show_default=True,
    help="Where to write the manifest.",
)
@click.option("--project-dir", default=".", show_default=True, help="dbt project folder.")
@click.option("--runtime", default="local", show_default=True, help="Runtime to configure.")
@click.option("--name", help="metadata.name.  [default: the dbt project's name]")
@click.option(
    "--profiles-dir",
    type=click.Path(path_type=Path),
    help="Folder of the profiles.yml to use.  [default: where dbt looks for it]",
)
@click.option("--force", is_flag=True, help="Overwrite an existing manifest.")
@logging_options
def init(
    manifest_path: Path,
    project_dir: str,
    runtime: str,
    name: str | None,
    profiles_dir: Path | None,
    force: bool,
) -> None:
    """Write a commented platform-manifest.yaml for the dbt project here, using its own
    dbt profile when dbt would find one; add .floe/ to .gitignore."""
    from floe_core.api import init_manifest

    written = init_manifest(
        manifest_path,
        project_dir=project_dir,
        runtime=runtime,
        name=name,
        force=force,
        profiles_dir=profiles_dir,
    )
    click.echo(f"wrote {written}; check it with: floe validate --manifest {written}")


@click.command()
@manifest_options
@click.option("--connection", is_flag=True, help="Also connect to the warehouse.")
@json_option
@logging_options
@click.pass_context
def validate(
    ctx: click.Context,
    /,
    manifest_path: Path | None,
    project_dir: Path | None,
    runtime: str | None,
    profiles_dir: Path | None,
    connection: bool,
    as_json: bool,
) -> None:
    """Check the manifest, runtime and its config, project, profile, artifact store, secrets
    (and with --connection, the warehouse connection)."""
    from floe_core.api import validate as validate_manifest

    report = validate_manifest(
        manifest_path,
        project_dir=project_dir,
        runtime=runtime,
        profiles_dir=profiles_dir,
        connection=connection,
    )
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        console = stdout_console()
        for check in report.checks:
            mark = Text("ok    ", style="green") if check.ok else Text("error ", style="red")
            console.print(mark + Text(f"{check.name}: {check.message}"))
            if check.hint:
                console.print(f"      hint: {check.hint}", markup=False)
        console.print("OK" if report.ok else f"{len(report.failures)} problem(s) found")
    ctx.exit(0 if report.ok else 2)


@click.group()
def plugins() -> None:
    """Installed floe runtimes."""


def _health(runtime: RuntimeInfo) -> Text:
    if runtime.health is None:
        return Text(f"cannot create: {runtime.health_error}", style="yellow")
    status = runtime.health
    checks = ", ".join(f"{key}={value}" for key, value in status.checks.items())
    text = f"{status.message}" + (f" ({checks})" if checks else "")
    return Text(text, style="green" if status.healthy else "red")


def _commands(declared: tuple[str, ...], client_side: tuple[str, ...] = ()) -> str:
    """``all dbt commands``, or the ones declared; those run on the client say so."""
    from floe_core._invocation import DBTCommand

    if set(declared) == {command.value for command in DBTCommand} and not client_side:
        return "all dbt commands"
    return ", ".join(f"{c} (on the client)" if c in client_side else c for c in declared)


@plugins.command("list")
@click.argument("names", nargs=-1)
@click.option(
    "--check",
    is_flag=True,
    help="Import each runtime and check its plugin API (implied by NAMES and --health).",
)
@click.option("--health", is_flag=True, help="Also run each runtime's health check.")
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(path_type=Path),
    help="Manifest whose runtime config the health check uses for its runtime.",
)
@logging_options
def list_plugins(
    names: tuple[str, ...], check: bool, health: bool, manifest_path: Path | None
) -> None:
    """List installed runtimes (all, or NAMES): distribution, version, floe-core range.

    The list comes from package metadata without importing any runtime; NAMES, --check or
    --health import them to show the plugin API each implements (or why it cannot load).
    """
    from floe_core.api import list_runtimes

    load = check or health or bool(names)
    columns = ["runtime", "distribution", "version", "floe-core"]
    columns += ["commands", "state", "plugin API"] * load + ["health"] * health
    table = Table(show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for runtime in list_runtimes(names, load=load, health=health, manifest=manifest_path):
        requirement = runtime.requires_floe_core or ""
        row: list[str | Text] = [
            runtime.name,
            runtime.distribution or "",
            runtime.version or "",
            requirement.removeprefix("floe-core").removeprefix("floe_core").strip() or "any",
        ]
        if load:
            row += [
                _commands(runtime.commands, runtime.client_side),
                ", ".join(runtime.state_options) or "no",
                runtime.problem or f"{runtime.api_version} ok",
            ]
        if health and runtime.compatible:
            row.append(_health(runtime))
        table.add_row(*row)
    stdout_console().print(table)


COMMANDS = [init, validate, plugins]
