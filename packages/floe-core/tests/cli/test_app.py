"""The command table ``floe --help`` reads instead of importing every command."""

from __future__ import annotations

import importlib

import click

from floe_core.cli._app import BUILT_IN


def test_the_table_lists_every_built_in_command_with_its_own_summary() -> None:
    defined: dict[str, click.Command] = {}
    for module in {entry.module for entry in BUILT_IN.values()}:
        for command in importlib.import_module(module).COMMANDS:
            defined[command.name] = command
    assert set(defined) == set(BUILT_IN)
    for name, command in defined.items():
        described = click.Command(name, help=BUILT_IN[name].summary)
        assert described.get_short_help_str(200) == command.get_short_help_str(200), name
