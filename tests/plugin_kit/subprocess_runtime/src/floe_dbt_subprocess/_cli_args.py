"""A :class:`~floe_core.DBTInvocation` as dbt CLI arguments."""

from __future__ import annotations

import json

from floe_core import DBTCommand, DBTInvocation
from floe_core.profiles import MaterializedProfile

__all__ = ["dbt_arguments"]

_FULL_REFRESH = {DBTCommand.RUN, DBTCommand.BUILD, DBTCommand.SEED}
_FAIL_FAST = {
    DBTCommand.RUN,
    DBTCommand.BUILD,
    DBTCommand.TEST,
    DBTCommand.SEED,
    DBTCommand.SNAPSHOT,
}


def dbt_arguments(
    subcommand: str, invocation: DBTInvocation, profile: MaterializedProfile
) -> list[str]:
    """``[subcommand, --project-dir ..., --select ...]`` for ``dbt`` (``ls`` included)."""
    args = [
        subcommand,
        "--project-dir",
        str(invocation.project_dir.resolve()),
        "--profiles-dir",
        str(profile.profiles_dir),
        "--target-path",
        str(invocation.artifacts_dir.resolve()),
        "--log-path",
        str(invocation.artifacts_dir.resolve()),
    ]
    if profile.profile_name:
        args += ["--profile", profile.profile_name]
    target = invocation.target or profile.target
    if target:
        args += ["--target", target]
    if invocation.select:
        args += ["--select", *invocation.select]
    if invocation.exclude:
        args += ["--exclude", *invocation.exclude]
    if invocation.selector:
        args += ["--selector", invocation.selector]
    if invocation.vars:
        args += ["--vars", json.dumps(invocation.vars)]
    if invocation.threads is not None and subcommand != "ls":
        args += ["--threads", str(invocation.threads)]
    if invocation.full_refresh and subcommand in _FULL_REFRESH:
        args.append("--full-refresh")
    if invocation.fail_fast and subcommand in _FAIL_FAST:
        args.append("--fail-fast")
    return args
