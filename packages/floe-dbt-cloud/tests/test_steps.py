from __future__ import annotations

import json
import shlex
from pathlib import Path

from floe_core import DBTCommand, DBTInvocation, GeneratedProfile
from floe_dbt_cloud._steps import cause_tag, dbt_command_line, trigger_body


def _invocation(**fields: object) -> DBTInvocation:
    return DBTInvocation.model_validate(
        {"project_dir": Path("p"), "profile": GeneratedProfile(outputs={"dev": {}}), **fields}
    )


def test_command_line_round_trips_through_shell_splitting() -> None:
    invocation = _invocation(
        select=("tag:nightly", "path:models/my dir"),
        exclude=("stg_*",),
        selector="daily",
        vars={"name": "O'Brien; rm -rf /", "n": 1},
        full_refresh=True,
        fail_fast=True,
    )
    line = dbt_command_line(DBTCommand.BUILD, invocation)
    args = shlex.split(line)
    assert args[:2] == ["dbt", "build"]
    assert args[args.index("--select") + 1 : args.index("--exclude")] == [
        "tag:nightly",
        "path:models/my dir",
    ]
    assert args[args.index("--selector") + 1] == "daily"
    assert json.loads(args[args.index("--vars") + 1]) == {"name": "O'Brien; rm -rf /", "n": 1}
    assert "--full-refresh" in args
    assert "--fail-fast" in args


def test_full_refresh_only_where_dbt_accepts_it() -> None:
    line = dbt_command_line(DBTCommand.TEST, _invocation(full_refresh=True))
    assert line == "dbt test"


def test_body_carries_overrides_and_a_bounded_cause() -> None:
    invocation = _invocation(threads=8, target="prod")
    body = trigger_body(DBTCommand.RUN, invocation, project_name="p" * 400)
    assert len(body["cause"]) == 255
    assert body["cause"].endswith(cause_tag(invocation.invocation_id))
    assert body["threads_override"] == 8
    assert body["target_name_override"] == "prod"
    assert body["steps_override"] == ["dbt run"]
    assert "threads_override" not in trigger_body(DBTCommand.RUN, _invocation(), project_name="p")


def test_printing_commands_run_quiet_with_their_own_options() -> None:
    listed = dbt_command_line(
        DBTCommand.LIST,
        _invocation(
            select=("stg+",),
            command_args={"output": "json", "output_keys": ("name",), "resource_types": ("model",)},
        ),
    )
    assert shlex.split(listed) == [
        "dbt", "--quiet", "ls", "--resource-type", "model", "--output", "json",
        "--output-keys", "name", "--select", "stg+",
    ]  # fmt: skip
    shown = shlex.split(
        dbt_command_line(DBTCommand.SHOW, _invocation(command_args={"inline": "select 1"}))
    )
    assert shown == [
        "dbt", "--quiet", "show", "--inline", "select 1", "--limit", "5", "--output", "json",
    ]  # fmt: skip


def test_commands_without_a_selection_take_none() -> None:
    invocation = _invocation(
        select=("a",), fail_fast=True, command_args={"macro": "greet", "macro_args": {"n": "x"}}
    )
    operation = shlex.split(dbt_command_line(DBTCommand.RUN_OPERATION, invocation))
    assert operation == ["dbt", "run-operation", "greet", "--args", '{"n": "x"}']
    assert shlex.split(dbt_command_line(DBTCommand.DEBUG, invocation)) == ["dbt", "debug"]
    freshness = shlex.split(dbt_command_line(DBTCommand.SOURCE_FRESHNESS, invocation))
    assert freshness == ["dbt", "source", "freshness", "--select", "a"]
