"""``floe runs list``, ``floe runs show <id>``, ``floe runs attach <id>`` and ``floe runs
fail-fast <id> on|off``: the runs in the artifact store; a detached run (its client died) is
followed to its end by ``attach`` and by ``show`` (``show`` of a run that is still going
prints what the run reports about itself instead, when its runtime can tell).

The store is the manifest's ``artifacts`` section, so on any machine with the same manifest
(a bucket, or a shared folder) these list the runs every machine wrote.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from floe_core._errors import ConfigError, FloeError
from floe_core._invocation import DBTInvocation
from floe_core._live import LiveStatus
from floe_core._results import RunStatus
from floe_core._runtime import read_project_name
from floe_core.api import Floe, load_or_assume_manifest
from floe_core.artifacts import RunHistory, RunRecord
from floe_core.cli._console import stdout_console
from floe_core.cli._options import json_option, logging_options
from floe_core.cli._run import follow_on_screen
from floe_core.cli._summary import print_summary
from floe_core.logging import EventLogger
from floe_core.manifest import PlatformManifest
from floe_core.stores import ArtifactNotFoundError, fetch_project, open_artifact_store

__all__ = ["COMMANDS", "runs"]


_STATUS_STYLES = {
    "success": "green",
    "failed": "red",
    "fail": "red",
    "error": "red",
    "warn": "yellow",
    "cancelled": "yellow",
    "detached": "cyan",
}

_manifest_option = click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(path_type=Path),
    envvar="FLOE_MANIFEST",
    help="Manifest whose `artifacts` store holds the runs.  [default: ./platform-manifest.yaml]",
)
_project_option = click.option(
    "--project",
    "project_name",
    help="dbt project name.  [default: the name in the manifest's project's dbt_project.yml]",
)


def _history(manifest_path: Path | None, project_name: str | None) -> tuple[RunHistory, str]:
    manifest = load_or_assume_manifest(manifest_path)
    return RunHistory(open_artifact_store(manifest)), project_name or _project_of(manifest)


def _project_of(manifest: PlatformManifest) -> str:
    try:
        if manifest.project.source is not None:
            return read_project_name(fetch_project(manifest).path)
        return read_project_name(manifest.project_dir())
    except FloeError as exc:
        raise ConfigError(
            f"cannot tell which project's runs to show: {exc.message}",
            hint="pass --project NAME (the `name:` in dbt_project.yml)",
        ) from exc


@click.group()
def runs() -> None:
    """Runs kept in the artifact store (local folder or object storage)."""


@runs.command("list")
@_manifest_option
@_project_option
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N runs."
)
@click.option(
    "--verbose", "-v", is_flag=True, help="Also how each run was asked (select, vars...)."
)
@json_option
@logging_options
def list_runs(
    manifest_path: Path | None, project_name: str | None, limit: int, verbose: bool, as_json: bool
) -> None:
    """The newest runs of the project, newest first."""
    history, project = _history(manifest_path, project_name)
    records = list(reversed(history.runs(project, last=limit)))
    if as_json:
        click.echo(json.dumps([record.model_dump(mode="json") for record in records], indent=2))
        return
    console = stdout_console()
    if not records:
        console.print(f"no runs of project {project} in {history.store.url}", markup=False)
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("invocation", "started (UTC)", "command", "runtime", "status", "nodes"):
        table.add_column(column, overflow="fold")
    table.add_column("time", justify="right")
    if verbose:
        table.add_column("asked as", overflow="fold")
    for record in records:
        described = [_describe(history.invocation(record), record.runtime)] * verbose
        table.add_row(
            record.invocation_id,
            f"{record.started_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
            record.command.value,
            record.runtime,
            Text(record.status.value, style=_STATUS_STYLES.get(record.status.value, "")),
            f"{record.nodes}" + (f" ({record.failures} failed)" if record.failures else ""),
            f"{record.elapsed_seconds:.1f}s",
            *described,
        )
    console.print(table)


LATEST = "latest"


def _find(history: RunHistory, project: str, invocation_id: str) -> RunRecord:
    """The run ``invocation_id`` names (``latest``: the newest); a ConfigError if none."""
    if invocation_id == LATEST:
        newest = history.runs(project, last=1)
        if not newest:
            raise ConfigError(
                f"project {project!r} has no runs yet",
                hint="run a command first (e.g. floe build), or pass --project NAME",
            )
        return newest[0]
    try:
        return history.find(project, invocation_id)
    except ArtifactNotFoundError as exc:
        raise ConfigError(
            f"no run {invocation_id!r} of project {project!r}", hint=exc.hint
        ) from None


def _describe(invocation: DBTInvocation | None, runtime: str) -> str:
    """``runtime=local target=dev select=a b exclude=c vars={...}``: how the run was asked."""
    if invocation is None:
        return f"runtime={runtime}"
    parts = [f"runtime={runtime}", f"target={invocation.target or '(profile default)'}"]
    if invocation.select:
        parts.append(f"select={' '.join(invocation.select)}")
    if invocation.exclude:
        parts.append(f"exclude={' '.join(invocation.exclude)}")
    if invocation.selector:
        parts.append(f"selector={invocation.selector}")
    if invocation.vars:
        parts.append(f"vars={json.dumps(invocation.vars, sort_keys=True, default=str)}")
    state = invocation.state
    if state is not None:
        parts.append(f"state={state.ref}" + (f" (run {state.run_id})" if state.run_id else ""))
        parts += ["defer"] * state.defer + ["favor-state"] * state.favor_state
    if invocation.retry_of is not None:
        parts.append(f"retry_of={invocation.retry_of}")
    return " ".join(parts)


@runs.command("show")
@click.argument("invocation_id")
@_manifest_option
@_project_option
@json_option
@logging_options
def show_run(
    invocation_id: str, manifest_path: Path | None, project_name: str | None, as_json: bool
) -> None:
    """One run (INVOCATION_ID, its first characters, or `latest`): how it was asked,
    nodes, failures and files."""
    history, project = _history(manifest_path, project_name)
    record = _find(history, project, invocation_id)
    if record.status is RunStatus.DETACHED and record.handle is not None:
        with _attaching(manifest_path, record) as floe:
            live = floe.runtime.live_status(record.handle)
        if live is not None and live.running:
            _print_live(record, live, as_json)
            return
        click.echo(
            f"run {record.invocation_id} is detached: following it to its end"
            f" ({record.runtime} {record.handle.external_id})",
            err=True,
        )
        with _attaching(manifest_path, record) as floe:
            floe.attach(record.invocation_id)
        record = history.find(project, record.invocation_id)
    result = history.result(record)
    if as_json:
        click.echo(result.model_dump_json(indent=2))
        return
    console = stdout_console()
    console.print(_heading(record), markup=False)
    console.print(f"invocation: {_describe(history.invocation(record), record.runtime)}")
    print_summary(console, result, results_dir=None)
    console.print("files:")
    for name in sorted(record.files):
        console.print(f"  {history.store.uri(f'{project}/{record.path}/{name}')}", markup=False)


def _print_live(record: RunRecord, live: LiveStatus, as_json: bool) -> None:
    """A run that is still going, as it reports itself (counts, latest outcomes, log)."""
    if as_json:
        click.echo(live.model_dump_json(indent=2))
        return
    console = stdout_console()
    console.print(_heading(record), markup=False)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(live.counts.items()) if n)
    total = f" of {live.total}" if live.total is not None else ""
    fail_fast = {True: "on", False: "off", None: "unknown"}[live.fail_fast]
    console.print(
        f"still running: {counts or 'no node finished yet'}{total} nodes; fail-fast {fail_fast}",
        markup=False,
    )
    if live.recent:
        console.print("latest nodes:")
        for node in live.recent:
            line = Text(f"  {node.status.value:<8}", style=_STATUS_STYLES.get(node.status, ""))
            line.append(f" {node.unique_id}" + (f": {node.message}" if node.message else ""))
            console.print(line)
    if live.log:
        console.print("latest log lines:")
        for text in live.log:
            console.print(f"  {text}", markup=False)


def _heading(record: RunRecord) -> str:
    return (
        f"run {record.invocation_id} of project {record.project}: {record.command.value} on"
        f" {record.runtime}, started {record.started_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    )


def _attaching(manifest_path: Path | None, record: RunRecord) -> Floe:
    """The manifest's project on the runtime the run was started on."""
    return Floe.from_manifest(
        manifest_path, runtime=record.runtime, event_logger=EventLogger(logging.DEBUG)
    )


@runs.command("attach")
@click.argument("invocation_id")
@_manifest_option
@_project_option
@json_option
@logging_options
@click.pass_context
def attach_run(
    ctx: click.Context,
    invocation_id: str,
    manifest_path: Path | None,
    project_name: str | None,
    as_json: bool,
) -> None:
    """Follow a detached run (its client was stopped or lost its connection) to its end,
    with the progress display, and write its final record. Never starts the run again."""
    history, project = _history(manifest_path, project_name)
    record = _find(history, project, invocation_id)
    with _attaching(manifest_path, record) as floe:
        code = follow_on_screen(floe, as_json, lambda: floe.attach(record.invocation_id))
    ctx.exit(code)


@runs.command("fail-fast")
@click.argument("invocation_id")
@click.argument("setting", type=click.Choice(["on", "off"]))
@_manifest_option
@_project_option
@json_option
@logging_options
def fail_fast_run(
    invocation_id: str,
    setting: str,
    manifest_path: Path | None,
    project_name: str | None,
    as_json: bool,
) -> None:
    """Turn fail-fast on or off in a run that is still going (INVOCATION_ID or `latest`):
    on, it schedules no new node after the next failure (at once if one already failed);
    off, it runs every node its failures do not skip."""
    history, project = _history(manifest_path, project_name)
    record = _find(history, project, invocation_id)
    if record.status is not RunStatus.DETACHED or record.handle is None:
        raise ConfigError(
            f"run {record.invocation_id} has ended ({record.status.value}): there is nothing"
            " to change",
            hint=f"`floe runs show {record.invocation_id}` shows its outcome",
        )
    with _attaching(manifest_path, record) as floe:
        live = floe.runtime.set_fail_fast(record.handle, setting == "on")
    if as_json:
        click.echo(live.model_dump_json(indent=2))
        return
    counts = ", ".join(f"{n} {status}" for status, n in sorted(live.counts.items()) if n)
    click.echo(
        f"run {record.invocation_id}: fail-fast {setting}"
        + (f" ({counts} so far)" if counts else "")
    )


COMMANDS = [runs]
