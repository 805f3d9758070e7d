"""The ``floe`` command group: built-in commands, plugin commands, errors and exit codes.

Exit codes: 0 success; 1 a run with failures (or a runtime error); 2 a usage or
configuration error (any :class:`~floe_core.ConfigError`); 130 interrupted (Ctrl-C).

Every command is imported only when it runs: ``floe --help`` lists the built-in ones from
:data:`BUILT_IN` and contributed ones from package metadata, so it costs click and this
module, not the API, pydantic, rich or any runtime.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
from typing import Any, NamedTuple, NoReturn

import click

from floe_core._errors import FloeError
from floe_core.cli._console import error
from floe_core.cli._options import json_wanted, logging_options

__all__ = ["BUILT_IN", "CLI_COMMANDS_ENTRY_POINT_GROUP", "BuiltIn", "FloeGroup", "cli", "main"]

CLI_COMMANDS_ENTRY_POINT_GROUP = "floe.cli_commands"
"""Entry point group of extra commands: ``name = "package.module:click_command"``."""

EXIT_INTERRUPTED = 130


class BuiltIn(NamedTuple):
    module: str
    """The module whose ``COMMANDS`` holds the command."""
    summary: str
    """What ``floe --help`` shows. The dbt commands take it as their help; the others'
    docstrings start with it (a test keeps the two equal)."""


_RUN = "floe_core.cli._run"
_ADMIN = "floe_core.cli._admin"
_DBT = "floe_core.cli._dbt_commands"
BUILT_IN: dict[str, BuiltIn] = {
    "compile": BuiltIn(_RUN, "Compile the selected nodes to SQL (nothing is executed)."),
    "run": BuiltIn(_RUN, "Run the selected models."),
    "build": BuiltIn(_RUN, "Seed, run, snapshot and test the selected nodes in DAG order."),
    "test": BuiltIn(_RUN, "Run the selected data and unit tests."),
    "seed": BuiltIn(_RUN, "Load the selected seed files."),
    "snapshot": BuiltIn(_RUN, "Run the selected snapshots."),
    "plan": BuiltIn(
        "floe_core.cli._plan",
        "List the nodes `build` would run, in dependency order; execute nothing.",
    ),
    "init": BuiltIn(
        _ADMIN,
        "Write a commented platform-manifest.yaml for the dbt project here, using its own dbt"
        " profile when dbt would find one; add .floe/ to .gitignore.",
    ),
    "validate": BuiltIn(
        _ADMIN,
        "Check the manifest, runtime and its config, project, profile, artifact store, secrets"
        " (and with --connection, the warehouse connection).",
    ),
    "plugins": BuiltIn(_ADMIN, "Installed floe runtimes."),
    "runs": BuiltIn(
        "floe_core.cli._runs",
        "Runs kept in the artifact store (local folder or object storage).",
    ),
    "deps": BuiltIn(_DBT, "Install the packages in packages.yml."),
    "parse": BuiltIn(_DBT, "Parse the project and write manifest.json."),
    "ls": BuiltIn(_DBT, "List the selected resources (dbt ls)."),
    "list": BuiltIn(_DBT, "List the selected resources (dbt ls)."),
    "show": BuiltIn(_DBT, "Preview the rows of the selected node or of --inline SQL (dbt show)."),
    "run-operation": BuiltIn(_DBT, "Run a macro (dbt run-operation MACRO --args '{...}')."),
    "source": BuiltIn(_DBT, "Commands on the project's sources."),
    "docs": BuiltIn(_DBT, "The project's documentation."),
    "debug": BuiltIn(_DBT, "Check the profile, project and connection."),
    "clean": BuiltIn(_DBT, "Delete the project's clean-targets."),
    "retry": BuiltIn(
        _DBT, "Re-run what failed or was skipped in the project's last run (dbt retry)."
    ),
    "ui": BuiltIn(
        "floe_core.cli._ui",
        "Serve a web page and JSON API over the runs, models and lineage in the store.",
    ),
}
"""floe's own commands: name -> where it is defined and its summary."""


def _warn_broken(name: str, origin: str, problem: str) -> None:
    click.echo(
        f"warning: floe command {name!r} from {origin} could not be loaded"
        f" and is not available: {problem}",
        err=True,
    )


def _origin(point: importlib.metadata.EntryPoint) -> str:
    return point.dist.name if point.dist is not None else point.value


def _caused_by_interrupt(exc: BaseException) -> bool:
    """Whether Ctrl-C is behind ``exc`` (runtimes may translate it into their own error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _interrupted(ctx: click.Context) -> NoReturn:
    click.echo("\ninterrupted: the results produced so far were saved", err=True)
    ctx.exit(EXIT_INTERRUPTED)


def _print_error_document(message: str, hint: str | None, exit_code: int, kind: str) -> None:
    """What ``--json`` prints when the command could not run: still one JSON document."""
    document = {
        "status": "error",
        "error": message,
        "hint": hint,
        "exit_code": exit_code,
        "kind": kind,
    }
    click.echo(json.dumps(document, indent=2))


class FloeGroup(click.Group):
    """Built-in commands plus commands contributed by installed packages, loaded lazily.

    Contributed commands come from entry point group ``floe.cli_commands``. Listing them
    (``floe --help``, shell completion) reads package metadata only; a command's module is
    imported when that command runs, so ``floe --help`` never pays for temporalio or dbt.
    One that fails to load is named in a warning and left out; it never breaks the CLI.
    Built-in commands (:data:`BUILT_IN`) load the same way and win over contributed ones.
    """

    def _entry_points(self) -> dict[str, importlib.metadata.EntryPoint]:
        points = importlib.metadata.entry_points(group=CLI_COMMANDS_ENTRY_POINT_GROUP)
        taken = {*self.commands, *BUILT_IN}
        return {point.name: point for point in points if point.name not in taken}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *BUILT_IN, *self._entry_points()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in BUILT_IN:
            module = importlib.import_module(BUILT_IN[cmd_name].module)
            command: click.Command = {c.name: c for c in module.COMMANDS}[cmd_name]
            self.add_command(command)
            return command
        point = self._entry_points().get(cmd_name)
        if point is None:
            return None
        origin = _origin(point)
        try:
            command = point.load()
        except Exception as exc:
            _warn_broken(cmd_name, origin, f"{type(exc).__name__}: {exc}")
            return None
        if not isinstance(command, click.Command):
            _warn_broken(cmd_name, origin, f"{point.value} is not a click command")
            return None
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's command list, without importing the commands to describe them."""
        contributed = self._entry_points()
        rows: list[tuple[str, str]] = []
        width = max(map(len, self.list_commands(ctx)), default=0)
        limit = formatter.width - 6 - width
        for name in self.list_commands(ctx):
            if name in self.commands:
                if not self.commands[name].hidden:
                    rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                summary = (
                    BUILT_IN[name].summary
                    if name in BUILT_IN
                    else f"From {_origin(contributed[name])}; floe {name} --help."
                )
                # A stand-in command only to shorten the text as click does for real ones.
                rows.append((name, click.Command(name, help=summary).get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            if json_wanted(ctx):  # a bad option value: still one JSON document
                _print_error_document(
                    exc.format_message(), "see the command's --help", exc.exit_code, "UsageError"
                )
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except FloeError as exc:
            if not _caused_by_interrupt(exc):
                error(exc)
                if json_wanted(ctx):
                    _print_error_document(exc.message, exc.hint, exc.exit_code, type(exc).__name__)
                ctx.exit(exc.exit_code)
            _interrupted(ctx)
        except KeyboardInterrupt:
            _interrupted(ctx)
        except Exception as exc:
            import structlog

            structlog.get_logger("floe.cli").debug("unexpected error", exc_info=True)
            click.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
            click.echo("run with --log-level debug for the traceback", err=True)
            if json_wanted(ctx):
                _print_error_document(
                    f"unexpected {type(exc).__name__}: {exc}",
                    "run with --log-level debug for the traceback",
                    1,
                    type(exc).__name__,
                )
            ctx.exit(1)


@click.group(cls=FloeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="floe-core", prog_name="floe")
@logging_options
def cli() -> None:
    """floe: run dbt projects through pluggable execution runtimes."""


def main() -> None:
    """Console script entry point (``floe``)."""
    cli.main(prog_name="floe")
