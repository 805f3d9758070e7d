"""A :class:`~floe_core.DBTInvocation` run by the local runtime, as dbt command-line arguments."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from floe_core import DBTInvocation
from floe_core.profiles import MaterializedProfile
from floe_dbt_inprocess import dbt_args
from floe_dbt_local._config import LocalRuntimeConfig

__all__ = ["invocation_args", "log_path_for"]


def log_path_for(invocation: DBTInvocation, config: LocalRuntimeConfig) -> Path:
    """Folder of dbt's ``dbt.log`` for this invocation."""
    if config.log_path is not None:
        return config.log_path
    if invocation.target_path is not None:
        return invocation.target_path / "logs"
    return invocation.project_dir / "logs"


def invocation_args(
    command: str,
    invocation: DBTInvocation,
    profile: MaterializedProfile,
    config: LocalRuntimeConfig,
    *,
    extra: Sequence[str] = (),
) -> list[str]:
    """:func:`~floe_dbt_inprocess.dbt_args` for ``command`` (``build``, ``parse``, ``ls``...):
    the invocation's target and threads win over the profile's and the config's."""
    state = invocation.state
    return dbt_args(
        command,
        project_dir=invocation.project_dir,
        profiles_dir=profile.profiles_dir,
        profile_name=profile.profile_name,
        target=invocation.target or profile.target,
        target_path=invocation.target_path,
        log_path=log_path_for(invocation, config),
        log_level_file=config.log_level,
        vars=invocation.vars,
        threads=invocation.threads or config.threads,
        full_refresh=invocation.full_refresh,
        fail_fast=invocation.fail_fast,
        select=invocation.select,
        exclude=invocation.exclude,
        selector=invocation.selector,
        state=state.path if state is not None else None,
        defer=state is not None and state.defer,
        favor_state=state is not None and state.favor_state,
        partial_parse=config.partial_parse,
        populate_cache=config.populate_cache,
        send_anonymous_usage_stats=config.send_anonymous_usage_stats,
        extra=extra,
    )
