"""The ``floe`` command line (click + rich); each command is one call on :mod:`floe_core.api`."""

from __future__ import annotations

from floe_core.cli._app import CLI_COMMANDS_ENTRY_POINT_GROUP, FloeGroup, cli, main

__all__ = ["CLI_COMMANDS_ENTRY_POINT_GROUP", "FloeGroup", "cli", "main"]
