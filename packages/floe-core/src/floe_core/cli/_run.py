"""``floe compile|run|build|test|seed|snapshot``: one Floe call each."""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import click
from rich.console import Console

from floe_core._detach import DetachRequested
from floe_core._events import FloeEvent, RunStarted
from floe_core._invocation import NODE_COMMANDS, DBTCommand
from floe_core._results import DBTRunResult
from floe_core.api import Floe
from floe_core.artifacts import ResultsNotKeptError
from floe_core.cli._app import BUILT_IN
from floe_core.cli._ci_output import CIHeader, print_completion
from floe_core.cli._console import stdout_console
from floe_core.cli._options import (
    invocation_options,
    json_option,
    log_format,
    logging_options,
    manifest_options,
    retry_failed_option,
)
from floe_core.cli._progress import ProgressDisplay
from floe_core.cli._summary import print_summary
from floe_core.logging import EventLogger

__all__ = ["COMMANDS", "Presenter", "follow_on_screen", "print_with_output", "run_command"]


def _open(ctx: click.Context, options: dict[str, Any], *, progress_shown: bool) -> Floe:
    """The :class:`Floe` for the command line's manifest options (popped from ``options``).

    Run and node log lines drop to debug when a human reads the same in the progress display;
    JSON logs always carry them.
    """
    quiet = progress_shown and log_format(ctx) == "console"
    return Floe.from_manifest(
        options.pop("manifest_path"),
        project_dir=options.pop("project_dir"),
        runtime=options.pop("runtime"),
        profiles_dir=options.pop("profiles_dir"),
        retry_failed=options.pop("retry_failed", False),
        event_logger=EventLogger(logging.DEBUG if quiet else logging.INFO),
    )


def _results_location(floe: Floe, started: list[str]) -> str | None:
    """Where the run's files are: a local folder, or the run's prefix in object storage."""
    if not started or floe.results is None:
        return None
    folder = floe.results.run_dir(started[0])
    if folder is not None:
        return str(folder)
    return floe.results.store.uri(f"{floe.project_name}/{started[0]}")


Presenter = Callable[[Console, DBTRunResult, "str | None"], None]
"""Prints a finished run for a human: the result and where its files are."""


def run_command(
    ctx: click.Context,
    command: DBTCommand,
    as_json: bool,
    options: dict[str, Any],
    *,
    present: Presenter = print_summary,
    progress: bool = True,
) -> int:
    """Run ``command`` with the CLI's ``options``; print JSON or ``present`` the result.

    The exit code: 0 when the run succeeded, else 1. ``progress`` shows nodes as they run.
    """
    with _open(ctx, options, progress_shown=not as_json) as floe:
        return follow_on_screen(
            floe,
            as_json,
            lambda: floe.invoke(command, **options),
            present=present,
            progress=progress,
        )


@contextlib.contextmanager
def _sigterm_detaches(floe: Floe) -> Iterator[None]:
    """SIGTERM during the block leaves a run that can outlive this process to go on (the
    runtime raises RunDetachedError, exit 3); an in-process run is interrupted like Ctrl-C."""

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if floe.runtime.supports_attach():
            raise DetachRequested
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread (an embedding application): leave it alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def follow_on_screen(
    floe: Floe,
    as_json: bool,
    call: Callable[[], DBTRunResult],
    *,
    present: Presenter = print_summary,
    progress: bool = True,
) -> int:
    """Run ``call`` (an invocation, or attaching to one) with the progress display, then
    print its summary (or its JSON); returns the exit code."""
    started: list[str] = []

    def remember_invocation(event: FloeEvent) -> None:
        if isinstance(event, RunStarted):
            started.append(event.invocation_id)

    console = stdout_console()
    floe.subscribe(remember_invocation)
    display = (
        ProgressDisplay(console, live=console.is_terminal) if progress and not as_json else None
    )
    if display is not None and not console.is_terminal:
        # a CI log reads like dbt's: header and START lines; at the end only problems
        floe.subscribe(CIHeader(console))
        if present is print_summary:
            present = print_completion
    if display is not None:
        floe.subscribe(display)
    try:
        with (
            _sigterm_detaches(floe),
            display if display is not None else contextlib.nullcontext(),
        ):
            result = call()
    except ResultsNotKeptError as exc:
        # What ran is shown; where it would have been kept is the error itself.
        if exc.result is not None and not as_json:
            present(console, exc.result, None)
        raise
    except BaseException:
        # The summary that names the results folder is not coming: name it now.
        saved = _results_location(floe, started)
        if saved is not None:
            click.echo(f"results of invocation {started[0]} so far: {saved}", err=True)
        raise
    location = _results_location(floe, started)
    if as_json:
        click.echo(result.model_copy(update={"stored_at": location}).model_dump_json(indent=2))
    else:
        present(console, result, location)
    return 0 if result.success else 1


def _command(command: DBTCommand) -> click.Command:
    @click.command(name=command.value, help=BUILT_IN[command.value].summary)
    @manifest_options
    @invocation_options
    @retry_failed_option
    @json_option
    @logging_options
    @click.pass_context
    def dbt_command(ctx: click.Context, /, as_json: bool, **options: Any) -> None:
        ctx.exit(run_command(ctx, command, as_json, options))

    return dbt_command


def print_with_output(console: Console, result: DBTRunResult, results_dir: str | None) -> None:
    """The summary, then what the command printed (e.g. the compiled SQL)."""
    print_summary(console, result, results_dir)
    if result.output:
        console.print()
        console.print(result.output, markup=False, highlight=False, soft_wrap=True)


@click.command(name="compile", help=BUILT_IN["compile"].summary)
@manifest_options
@invocation_options
@click.option("--inline", help="SQL to compile instead of the selected nodes (dbt --inline).")
@retry_failed_option
@json_option
@logging_options
@click.pass_context
def compile_command(ctx: click.Context, /, as_json: bool, **options: Any) -> None:
    ctx.exit(run_command(ctx, DBTCommand.COMPILE, as_json, options, present=print_with_output))


COMMANDS = [
    compile_command,
    *(_command(command) for command in sorted(NODE_COMMANDS - {DBTCommand.COMPILE})),
]
