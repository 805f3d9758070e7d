"""dbt command-line arguments: the one builder for every in-process use of dbt-core.

``dbtRunner`` invocations (the local runtime) and warm executors (parsed once, nodes run one by
one) both describe their run to dbt as a command line, so both build it here and cannot
drift apart.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    pass

__all__ = ["LogLevel", "dbt_args"]

LogLevel = Literal["debug", "info", "warn", "error", "none"]


@functools.cache
def _options_of(command: str) -> frozenset[str]:
    """Every option string the dbt sub-command (``build``, ``source freshness``...) accepts
    (``--threads``, ``--no-write-json``...)."""
    import click
    from dbt.cli.main import cli

    found: click.Command = cli
    for word in command.split():
        assert isinstance(found, click.Group), command
        found = found.commands[word]
    params = found.params
    return frozenset(opt for param in params for opt in (*param.opts, *param.secondary_opts))


def dbt_args(
    command: str,
    *,
    project_dir: Path,
    profiles_dir: Path,
    log_path: Path,
    profile_name: str | None = None,
    target: str | None = None,
    target_path: Path | None = None,
    log_level_file: LogLevel = "debug",
    vars: Mapping[str, Any] | None = None,
    threads: int | None = None,
    full_refresh: bool = False,
    fail_fast: bool = False,
    select: Sequence[str] = (),
    exclude: Sequence[str] = (),
    selector: str | None = None,
    state: Path | None = None,
    defer: bool = False,
    favor_state: bool = False,
    partial_parse: bool = True,
    populate_cache: bool = True,
    send_anonymous_usage_stats: bool = False,
    extra: Sequence[str] = (),
) -> list[str]:
    """Arguments for ``dbt <command>`` (``build``, ``parse``, ``ls``...), ``extra`` after it.

    Options the sub-command does not accept (``--threads`` for ``ls``, ``--full-refresh`` for
    ``test``) are left out, as dbt itself defines them, so one mapping serves every command.
    dbt never writes to the console (floe owns it); its own log goes to ``dbt.log`` in
    ``log_path`` at ``log_level_file``. Paths are made absolute: dbt would read a relative
    one from the project folder, floe from the working directory.
    """
    accepted = _options_of(command)
    args = [*command.split(), *extra]

    def add(option: str, *values: str) -> None:
        if option in accepted:
            args.extend((option, *values))

    def toggle(name: str, enabled: bool) -> None:
        add(f"--{name}" if enabled else f"--no-{name}")

    add("--project-dir", str(project_dir))
    add("--profiles-dir", str(profiles_dir))
    if profile_name:
        add("--profile", profile_name)
    if target:
        add("--target", target)
    if target_path is not None:
        add("--target-path", str(target_path.absolute()))
    add("--log-path", str(log_path.absolute()))
    add("--log-level", "none")
    add("--log-level-file", log_level_file)
    toggle("use-colors", False)  # messages floe shows (debug, deps) carry no ANSI codes
    toggle("use-colors-file", False)
    toggle("partial-parse", partial_parse)
    toggle("send-anonymous-usage-stats", send_anonymous_usage_stats)
    toggle("populate-cache", populate_cache)
    if vars:
        # sorted: the same vars are the same command line; str(): dates from YAML vars
        add("--vars", json.dumps(dict(vars), sort_keys=True, default=str))
    if threads is not None:
        add("--threads", str(threads))
    if full_refresh:
        add("--full-refresh")
    if fail_fast:
        add("--fail-fast")
    if select:
        add("--select", *select)
    if exclude:
        add("--exclude", *exclude)
    if selector:
        add("--selector", selector)
    if state is not None:
        # the comparison run's manifest.json, run_results.json and sources.json (slim CI)
        add("--state", str(state.absolute()))
        if defer:
            add("--defer")
        if favor_state:
            add("--favor-state")
    return args
