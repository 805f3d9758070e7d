"""The one dbt command-line builder, shared by dbtRunner invocations and warm executors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from floe_dbt_inprocess import dbt_args

BASE = {"project_dir": Path("/proj"), "profiles_dir": Path("/p"), "log_path": Path("/proj/logs")}


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def test_every_option_maps_to_its_dbt_flag() -> None:
    args = dbt_args(
        "build",
        **BASE,
        profile_name="floe",
        target="prod",
        target_path=Path("/out/target"),
        vars={"fail_model": True, "day": "2026-01-01"},
        threads=8,
        full_refresh=True,
        fail_fast=True,
        select=("stg_orders+", "tag:daily"),
        exclude=("orders",),
        selector="nightly",
    )
    assert args[0] == "build"
    assert _option(args, "--project-dir") == "/proj"
    assert _option(args, "--profiles-dir") == "/p"
    assert _option(args, "--profile") == "floe"
    assert _option(args, "--target") == "prod"
    assert _option(args, "--target-path") == "/out/target"
    assert _option(args, "--threads") == "8"
    assert json.loads(_option(args, "--vars") or "") == {"fail_model": True, "day": "2026-01-01"}
    assert args[args.index("--select") + 1 : args.index("--select") + 3] == [
        "stg_orders+",
        "tag:daily",
    ]
    assert _option(args, "--exclude") == "orders"
    assert _option(args, "--selector") == "nightly"
    assert "--full-refresh" in args
    assert "--fail-fast" in args


def test_dbt_stays_off_the_console_and_logs_to_its_file_at_the_given_level() -> None:
    args = dbt_args("run", **BASE, log_level_file="info")
    assert _option(args, "--log-level") == "none"
    assert _option(args, "--log-level-file") == "info"
    assert _option(args, "--log-path") == "/proj/logs"
    assert "--no-send-anonymous-usage-stats" in args
    assert "--no-use-colors-file" in args
    assert "--partial-parse" in args
    assert "--populate-cache" in args
    assert _option(dbt_args("run", **BASE), "--log-level-file") == "debug"  # dbt's default


@pytest.mark.parametrize(
    ("command", "accepts"),
    [
        ("build", True),
        ("run", True),
        ("seed", True),
        ("compile", True),
        ("test", False),
        ("snapshot", False),
        ("ls", False),
    ],
)
def test_full_refresh_goes_to_the_commands_dbt_accepts_it_for(command: str, accepts: bool) -> None:
    # The executor used to pass it for build/run/seed only: `dbt compile --full-refresh`
    # compiles the full-refresh SQL of incremental models, so compile gets it too.
    assert ("--full-refresh" in dbt_args(command, **BASE, full_refresh=True)) is accepts


def test_options_a_command_does_not_accept_are_left_out() -> None:
    ls_args = dbt_args("ls", **BASE, threads=2, extra=("--output", "json"))
    assert "--threads" not in ls_args
    assert ls_args[:3] == ["ls", "--output", "json"]


def test_vars_are_sorted_json_with_dates_as_text_and_left_out_when_empty() -> None:
    # The executor used to dump vars unsorted and without default=str: a date from a YAML
    # `vars:` block raised TypeError before dbt even started.
    args = dbt_args("run", **BASE, vars={"b": 1, "a": date(2026, 1, 2)})
    assert _option(args, "--vars") == '{"a": "2026-01-02", "b": 1}'
    assert "--vars" not in dbt_args("run", **BASE, vars={})


def test_relative_target_and_log_paths_are_made_absolute_from_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = dbt_args("run", **{**BASE, "log_path": Path("out/logs")}, target_path=Path("out"))
    assert _option(args, "--target-path") == str(tmp_path / "out")
    assert _option(args, "--log-path") == str(tmp_path / "out" / "logs")


def test_state_defer_and_favor_state_go_to_the_commands_that_take_them() -> None:
    args = dbt_args("build", **BASE, state=Path("/s/run-1"), defer=True, favor_state=True)
    assert _option(args, "--state") == "/s/run-1"
    assert "--defer" in args
    assert "--favor-state" in args
    listed = dbt_args("ls", **BASE, state=Path("/s/run-1"))
    assert _option(listed, "--state") == "/s/run-1"
    assert "--defer" not in listed
    assert "--state" not in dbt_args("build", **BASE, defer=True)  # defer needs a state
