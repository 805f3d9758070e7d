"""Where the CLI writes: human output on stdout, logs and errors on stderr."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from floe_core._errors import FloeError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["NOTHING_SELECTED_MESSAGE", "error", "stderr_console", "stdout_console"]

NOTHING_SELECTED_MESSAGE = (
    "nothing to do: the selection matched no nodes (check --select/--exclude/--selector)"
)

_PIPE_WIDTH = 140
"""Rich renders 80 columns when stdout is not a terminal; CI logs deserve more."""


def stdout_console() -> Console:
    """A console on the *current* stdout (click's test runner replaces it per call)."""
    from rich.console import Console  # not for `floe --help` or an error line

    stream = sys.stdout
    terminal = stream.isatty()
    return Console(file=stream, width=None if terminal else _PIPE_WIDTH, highlight=False)


def stderr_console() -> Console:
    from rich.console import Console

    stream = sys.stderr
    return Console(file=stream, width=None if stream.isatty() else _PIPE_WIDTH, highlight=False)


def error(exc: FloeError) -> None:
    """``error: <message>`` and ``hint: <hint>`` on stderr, never a traceback."""
    click.echo(f"error: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"hint: {exc.hint}", err=True)
