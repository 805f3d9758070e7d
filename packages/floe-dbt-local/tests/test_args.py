"""How a DBTInvocation becomes dbt command-line arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from floe_core import DBTInvocation, ProfilesDirProfile
from floe_core.profiles import MaterializedProfile
from floe_dbt_local import LocalRuntimeConfig
from floe_dbt_local._args import dbt_args, log_path_for

PROFILE = MaterializedProfile(profiles_dir=Path("/p"), profile_name="floe", target="dev")


def _invocation(**fields: object) -> DBTInvocation:
    values: dict[str, object] = {
        "project_dir": Path("/proj"),
        "profile": ProfilesDirProfile(profiles_dir=Path("/p")),
    }
    values.update(fields)
    return DBTInvocation.model_validate(values)


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def test_every_invocation_field_maps_to_its_dbt_flag() -> None:
    invocation = _invocation(
        target="prod",
        select=("stg_orders+", "tag:daily"),
        exclude=("orders",),
        selector="nightly",
        vars={"fail_model": True, "day": "2026-01-01"},
        full_refresh=True,
        threads=8,
        fail_fast=True,
        target_path=Path("/out/target"),
    )
    args = dbt_args("build", invocation, PROFILE, LocalRuntimeConfig())
    assert args[0] == "build"
    assert _option(args, "--project-dir") == "/proj"
    assert _option(args, "--profiles-dir") == "/p"
    assert _option(args, "--profile") == "floe"
    assert _option(args, "--target") == "prod"  # the invocation wins over the profile's
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


def test_dbt_stays_off_the_console_and_keeps_its_log_file() -> None:
    args = dbt_args("run", _invocation(), PROFILE, LocalRuntimeConfig(log_level="info"))
    assert _option(args, "--log-level") == "none"
    assert _option(args, "--log-level-file") == "info"
    assert _option(args, "--log-path") == "/proj/logs"
    assert "--no-send-anonymous-usage-stats" in args
    assert "--partial-parse" in args
    assert _option(args, "--target") == "dev"


def test_options_a_command_does_not_accept_are_left_out() -> None:
    invocation = _invocation(full_refresh=True, threads=2)
    test_args = dbt_args("test", invocation, PROFILE, LocalRuntimeConfig())
    assert "--full-refresh" not in test_args
    ls_args = dbt_args("ls", invocation, PROFILE, LocalRuntimeConfig())
    assert "--threads" not in ls_args


def test_threads_default_to_the_config_then_to_the_profile() -> None:
    with_config = dbt_args("run", _invocation(), PROFILE, LocalRuntimeConfig(threads=3))
    assert _option(with_config, "--threads") == "3"
    assert "--threads" not in dbt_args("run", _invocation(), PROFILE, LocalRuntimeConfig())


def test_log_path_follows_the_target_path() -> None:
    config = LocalRuntimeConfig()
    assert log_path_for(_invocation(), config) == Path("/proj/logs")
    assert log_path_for(_invocation(target_path=Path("/t")), config) == Path("/t/logs")
    explicit = LocalRuntimeConfig(log_path=Path("/var/log/floe"))
    assert log_path_for(_invocation(target_path=Path("/t")), explicit) == Path("/var/log/floe")


def test_relative_target_and_log_paths_are_made_absolute_from_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = dbt_args("run", _invocation(target_path=Path("out")), PROFILE, LocalRuntimeConfig())
    assert _option(args, "--target-path") == str(tmp_path / "out")
    assert _option(args, "--log-path") == str(tmp_path / "out" / "logs")
