"""How the local runtime turns a DBTInvocation and its config into dbt's arguments."""

from __future__ import annotations

from pathlib import Path

from floe_core import DBTInvocation, ProfilesDirProfile
from floe_core.profiles import MaterializedProfile
from floe_dbt_local import LocalRuntimeConfig
from floe_dbt_local._invocation_args import invocation_args, log_path_for

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


def test_invocation_fields_and_config_reach_dbt() -> None:
    invocation = _invocation(
        target="prod",
        select=("stg_orders+",),
        vars={"fail_model": True},
        full_refresh=True,
        fail_fast=True,
        target_path=Path("/out/target"),
    )
    config = LocalRuntimeConfig(log_level="info", partial_parse=False, populate_cache=False)
    args = invocation_args("build", invocation, PROFILE, config)
    assert _option(args, "--profile") == "floe"
    assert _option(args, "--target") == "prod"  # the invocation wins over the profile's
    assert _option(args, "--target-path") == "/out/target"
    assert _option(args, "--log-level-file") == "info"
    assert _option(args, "--log-path") == "/out/target/logs"
    assert _option(args, "--select") == "stg_orders+"
    assert {"--full-refresh", "--fail-fast", "--no-partial-parse", "--no-populate-cache"} <= set(
        args
    )
    assert _option(invocation_args("run", _invocation(), PROFILE, config), "--target") == "dev"


def test_threads_default_to_the_config_then_to_the_profile() -> None:
    with_config = invocation_args("run", _invocation(), PROFILE, LocalRuntimeConfig(threads=3))
    assert _option(with_config, "--threads") == "3"
    explicit = invocation_args(
        "run", _invocation(threads=8), PROFILE, LocalRuntimeConfig(threads=3)
    )
    assert _option(explicit, "--threads") == "8"
    assert "--threads" not in invocation_args("run", _invocation(), PROFILE, LocalRuntimeConfig())


def test_log_path_follows_the_target_path() -> None:
    config = LocalRuntimeConfig()
    assert log_path_for(_invocation(), config) == Path("/proj/logs")
    assert log_path_for(_invocation(target_path=Path("/t")), config) == Path("/t/logs")
    explicit = LocalRuntimeConfig(log_path=Path("/var/log/floe"))
    assert log_path_for(_invocation(target_path=Path("/t")), explicit) == Path("/var/log/floe")
