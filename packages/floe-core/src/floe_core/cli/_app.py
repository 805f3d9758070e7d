"""The ``floe`` command group: built-in commands, plugin commands, errors and exit codes.

Exit codes: 0 success; 1 a run with failures (or a runtime error); 2 a usage or
configuration error (any :class:`~floe_core.ConfigError`); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import importlib.metadata
import json
from typing import Any, NoReturn

import click
import structlog

from floe_core._errors import FloeError
from floe_core.cli._admin import init, plugins, validate
from floe_core.cli._console import error
from floe_core.cli._dbt_commands import DBT_COMMANDS
from floe_core.cli._options import json_wanted, logging_options
from floe_core.cli._run import COMMANDS, plan
from floe_core.cli._runs import runs
from floe_core.cli._ui import ui

__all__ = ["CLI_COMMANDS_ENTRY_POINT_GROUP", "FloeGroup", "cli", "main"]

CLI_COMMANDS_ENTRY_POINT_GROUP = "floe.cli_commands"
"""Entry point group of extra commands: ``name = "package.module:click_command"``."""

EXIT_INTERRUPTED = 130

_log = structlog.get_logger("floe.cli")


def _warn_broken(name: str, origin: str, problem: str) -> None:
    click.echo(
        f"warning: floe command {name!r} from {origin} could not be loaded"
        f" and is not available: {problem}",
        err=True,
    )


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

    Contributed commands come from entry point group ``floe.cli_commands`` and from
    extension plugins' ``floe_cli_commands`` hook; one that fails to load is named in a
    warning and left out, it never breaks the CLI.
    """

    def _entry_points(self) -> dict[str, importlib.metadata.EntryPoint]:
        points = importlib.metadata.entry_points(group=CLI_COMMANDS_ENTRY_POINT_GROUP)
        return {point.name: point for point in points if point.name not in self.commands}

    def _plugin_commands(self) -> dict[str, click.Command]:
        from floe_core.plugins import FloePluginManager

        contributed = FloePluginManager.from_entry_points().cli_commands()
        return {c.name: c for c in contributed if c.name and c.name not in self.commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = {*self.commands, *self._entry_points(), *self._plugin_commands()}
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        point = self._entry_points().get(cmd_name)
        if point is None:
            return self._plugin_commands().get(cmd_name)
        origin = point.dist.name if point.dist is not None else point.value
        try:
            command = point.load()
        except Exception as exc:
            _warn_broken(cmd_name, origin, f"{type(exc).__name__}: {exc}")
            return None
        if not isinstance(command, click.Command):
            _warn_broken(cmd_name, origin, f"{point.value} is not a click command")
            return None
        return command

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
            _log.debug("unexpected error", exc_info=True)
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


for _command in (*COMMANDS, *DBT_COMMANDS, plan, init, validate, plugins, runs, ui):
    cli.add_command(_command)
cli.add_command(cli.commands["ls"], name="list")


def main() -> None:
    """Console script entry point (``floe``)."""
    cli.main(prog_name="floe")
