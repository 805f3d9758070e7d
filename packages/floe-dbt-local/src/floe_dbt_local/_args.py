"""A :class:`~floe_core.DBTInvocation` as dbt command-line arguments."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import click
from dbt.cli.main import cli

from floe_core import DBTInvocation
from floe_core.profiles import MaterializedProfile
from floe_dbt_local._config import LocalRuntimeConfig

__all__ = ["dbt_args", "log_path_for"]


@functools.cache
def _options_of(command: str) -> frozenset[str]:
    """Every option string the dbt sub-command (``build``, ``source freshness``...) accepts
    (``--threads``, ``--no-write-json``...)."""
    found: click.Command = cli
    for word in command.split():
        assert isinstance(found, click.Group), command
        found = found.commands[word]
    params = found.params
    return frozenset(opt for param in params for opt in (*param.opts, *param.secondary_opts))


def log_path_for(invocation: DBTInvocation, config: LocalRuntimeConfig) -> Path:
    """Folder of dbt's ``dbt.log`` for this invocation."""
    if config.log_path is not None:
        return config.log_path
    if invocation.target_path is not None:
        return invocation.target_path / "logs"
    return invocation.project_dir / "logs"


def dbt_args(
    command: str,
    invocation: DBTInvocation,
    profile: MaterializedProfile,
    config: LocalRuntimeConfig,
    *,
    extra: Sequence[str] = (),
) -> list[str]:
    """Arguments for ``dbtRunner.invoke`` running ``command`` (``build``, ``parse``, ``ls``...).

    Options the sub-command does not accept (``--threads`` for ``ls``) are left out, so one
    mapping serves every command. dbt never writes to the console: floe owns it; dbt's own
    log goes to ``dbt.log`` at ``config.log_level``.
    """
    accepted = _options_of(command)
    args = [*command.split(), *extra]

    def add(option: str, *values: str) -> None:
        if option in accepted:
            args.extend((option, *values))

    def toggle(name: str, enabled: bool) -> None:
        add(f"--{name}" if enabled else f"--no-{name}")

    add("--project-dir", str(invocation.project_dir))
    add("--profiles-dir", str(profile.profiles_dir))
    if profile.profile_name:
        add("--profile", profile.profile_name)
    target = invocation.target or profile.target
    if target:
        add("--target", target)
    if invocation.target_path is not None:
        # absolute: dbt would read a relative one from the project folder, floe from the cwd
        add("--target-path", str(invocation.target_path.absolute()))
    add("--log-path", str(log_path_for(invocation, config).absolute()))
    add("--log-level", "none")
    add("--log-level-file", config.log_level)
    toggle("use-colors", False)  # messages floe shows (debug, deps) carry no ANSI codes
    toggle("use-colors-file", False)
    toggle("partial-parse", config.partial_parse)
    toggle("send-anonymous-usage-stats", config.send_anonymous_usage_stats)
    toggle("populate-cache", config.populate_cache)
    if invocation.vars:
        add("--vars", json.dumps(invocation.vars, sort_keys=True, default=str))
    threads = invocation.threads or config.threads
    if threads is not None:
        add("--threads", str(threads))
    if invocation.full_refresh:
        add("--full-refresh")
    if invocation.fail_fast:
        add("--fail-fast")
    if invocation.select:
        add("--select", *invocation.select)
    if invocation.exclude:
        add("--exclude", *invocation.exclude)
    if invocation.selector:
        add("--selector", invocation.selector)
    state = invocation.state
    if state is not None and state.path is not None:
        add("--state", str(state.path.absolute()))
        if state.defer:
            add("--defer")
        if state.favor_state:
            add("--favor-state")
    return args
