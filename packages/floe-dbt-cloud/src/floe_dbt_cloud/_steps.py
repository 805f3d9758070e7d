"""A floe invocation -> the body of a dbt Cloud job trigger (``steps_override`` & co)."""

from __future__ import annotations

import json
import shlex
from typing import Any

from floe_core import NODE_COMMANDS, DBTCommand, DBTInvocation
from floe_dbt_cloud._config import RunOverrides

__all__ = [
    "CAUSE_MAX_LENGTH",
    "PRINTING_COMMANDS",
    "STEP_COMMANDS",
    "cause_tag",
    "dbt_command_line",
    "trigger_body",
]

CAUSE_MAX_LENGTH = 255
"""dbt Cloud rejects a longer ``cause``."""

_FULL_REFRESH_COMMANDS = {DBTCommand.RUN, DBTCommand.BUILD, DBTCommand.SEED}

STEP_COMMANDS = frozenset(DBTCommand) - {DBTCommand.RETRY}
"""What floe runs as a dbt Cloud job step. ``retry`` is not one: dbt Cloud retries a run
through its retry endpoint (``POST runs/{id}/retry/``), which re-uses the run's arguments."""

PRINTING_COMMANDS = frozenset({DBTCommand.LIST, DBTCommand.SHOW, DBTCommand.COMPILE})
"""Run with ``--quiet``, so the step's log is exactly what they print (dbt's print events)."""

_SELECTING = frozenset(
    STEP_COMMANDS
    - {DBTCommand.DEPS, DBTCommand.DEBUG, DBTCommand.CLEAN, DBTCommand.RUN_OPERATION}
    - {DBTCommand.PARSE}
)


def cause_tag(invocation_id: str) -> str:
    """The marker that identifies runs floe triggered for one invocation."""
    return f"[floe:{invocation_id}]"


def _cause(command: DBTCommand, invocation: DBTInvocation, project_name: str) -> str:
    tag = cause_tag(invocation.invocation_id)
    text = f"Triggered by floe: dbt {command.value} of {project_name}"
    room = CAUSE_MAX_LENGTH - len(tag) - 1
    return f"{text[:room]} {tag}"


def dbt_command_line(command: DBTCommand, invocation: DBTInvocation) -> str:
    """One ``steps_override`` entry, every argument shell-quoted as dbt Cloud splits it."""
    args = ["dbt", *(["--quiet"] if command in PRINTING_COMMANDS else []), *command.value.split()]
    args += _command_options(command, invocation)
    if command not in _SELECTING:
        return shlex.join(args)
    if invocation.select:
        args += ["--select", *invocation.select]
    if invocation.exclude:
        args += ["--exclude", *invocation.exclude]
    if invocation.selector:
        args += ["--selector", invocation.selector]
    if invocation.vars:
        args += ["--vars", json.dumps(invocation.vars, sort_keys=True, separators=(",", ":"))]
    if invocation.full_refresh and command in _FULL_REFRESH_COMMANDS:
        args.append("--full-refresh")
    if invocation.fail_fast and command in NODE_COMMANDS - {DBTCommand.COMPILE}:
        args.append("--fail-fast")
    return shlex.join(args)


def _command_options(command: DBTCommand, invocation: DBTInvocation) -> list[str]:
    """``command``'s own options, as the dbt CLI takes them; ``show`` prints JSON, which the
    runtime reads back from the step's log."""
    options = invocation.command_args.dbt_options(command)
    return [*options, "--output", "json"] if command is DBTCommand.SHOW else options


def trigger_body(
    command: DBTCommand,
    invocation: DBTInvocation,
    *,
    project_name: str,
    overrides: RunOverrides | None = None,
) -> dict[str, Any]:
    """The ``POST jobs/{id}/run/`` body for ``command`` of ``invocation``.

    ``overrides`` (the manifest's ``run_overrides``) pass through; their steps run before
    floe's command, and the invocation's threads and target win over theirs.
    """
    passed = (overrides or RunOverrides()).model_dump(exclude_none=True)
    body: dict[str, Any] = {
        **passed,
        "cause": _cause(command, invocation, project_name),
        "steps_override": [
            *passed.get("steps_override", ()),
            dbt_command_line(command, invocation),
        ],
    }
    if invocation.threads is not None:
        body["threads_override"] = invocation.threads
    if invocation.target is not None:
        body["target_name_override"] = invocation.target
    return body
