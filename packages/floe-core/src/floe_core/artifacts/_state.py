"""``--state REF``: a previous run's dbt artifacts, from a folder or from the results store.

dbt's slim CI compares the project against another run's manifest.json (``state:modified``),
run_results.json (``result:<status>``) and sources.json (``source_status:fresher``). floe
keeps those files for every run, so a state is named by what the user knows: a folder, a
stored run id, ``latest`` (the newest successful run of this project and target) or
``latest:TARGET`` (e.g. the last prod run). A stored run is fetched into a local folder
named after its id; runs are never rewritten, so a fetched folder is reused as is.
"""

from __future__ import annotations

from pathlib import Path

from floe_core._errors import ConfigError
from floe_core._invocation import NODE_COMMANDS, DBTCommand, StateReference
from floe_core._results import RunStatus
from floe_core.artifacts._history import RunHistory, RunRecord
from floe_core.stores import ArtifactNotFoundError

__all__ = ["LATEST_STATE", "STATE_FILES", "fetch_state", "find_state_run", "resolve_state"]

LATEST_STATE = "latest"
MANIFEST = "manifest.json"
SOURCES = "sources.json"
STATE_FILES = (MANIFEST, "run_results.json", SOURCES)
"""The files of a state folder dbt reads; only manifest.json is required."""

_STATE_COMMANDS = NODE_COMMANDS | {DBTCommand.RETRY}
_HINT = (
    "--state takes a folder holding a manifest.json, a run id from `floe runs list`,"
    " `latest` (the last successful run of this project and target) or `latest:TARGET`"
)


def resolve_state(
    ref: str,
    *,
    history: RunHistory | None,
    project: str,
    target: str | None,
    into: Path,
    defer: bool = False,
    favor_state: bool = False,
) -> StateReference:
    """The state ``ref`` names, its files in a local folder (a stored run's under ``into``)."""
    folder = Path(ref).expanduser()
    if folder.is_dir():
        if not (folder / MANIFEST).is_file():
            raise ConfigError(f"--state {ref}: the folder has no {MANIFEST}", hint=_HINT)
        return StateReference(ref=ref, path=folder.resolve(), defer=defer, favor_state=favor_state)
    if history is None:
        raise ConfigError(
            f"--state {ref}: not a folder, and the manifest keeps no results store to find"
            " a run in",
            hint=_HINT,
        )
    record = find_state_run(history, project, ref, target)
    path = fetch_state(history, record, into / record.invocation_id)
    return StateReference(
        ref=ref,
        project=project,
        run_id=record.invocation_id,
        path=path,
        defer=defer,
        favor_state=favor_state,
    )


def find_state_run(
    history: RunHistory, project: str, ref: str, target: str | None = None
) -> RunRecord:
    """The stored run ``ref`` names: a run id (or its first characters), ``latest`` (on
    ``target``) or ``latest:TARGET``; a :class:`ConfigError` saying what exists if none."""
    if ref != LATEST_STATE and not ref.startswith(f"{LATEST_STATE}:"):
        try:
            record = history.find(project, ref)
        except ArtifactNotFoundError as exc:
            raise ConfigError(
                f"--state {ref}: neither a folder nor a run of project {project!r}",
                hint=f"{exc.hint}; {_HINT}" if exc.hint else _HINT,
            ) from exc
        if MANIFEST not in record.files:
            raise ConfigError(
                f"--state {ref}: run {record.invocation_id} kept no {MANIFEST}", hint=_HINT
            )
        return record
    wanted = ref.partition(":")[2] or target
    for record in reversed(history.runs(project)):
        if (
            record.status is RunStatus.SUCCESS
            and record.command in _STATE_COMMANDS
            and MANIFEST in record.files
            and (wanted is None or record.target == wanted)
        ):
            return record
    on = f" on target {wanted!r}" if wanted else ""
    raise ConfigError(
        f"--state {ref}: the results store {history.store.uri(project)} has no successful"
        f" run of project {project!r}{on}",
        hint=f"run `floe build{f' --target {wanted}' if wanted else ''}` first; {_HINT}",
    )


def fetch_state(history: RunHistory, record: RunRecord, folder: Path) -> Path:
    """``folder`` holding the state files of ``record`` (fetched unless already there).

    sources.json is the run's own, else that of the newest ``source freshness`` run that
    finished before it: the source data the state's run saw.
    """
    if (folder / MANIFEST).is_file():
        return folder
    partial = folder.with_name(f"{folder.name}.partial")
    partial.mkdir(parents=True, exist_ok=True)
    for name in STATE_FILES:
        source = record if name in record.files else None
        if source is None and name == SOURCES:
            source = _freshness_before(history, record)
        if source is not None:
            (partial / name).write_bytes(history.read(source, name))
    partial.replace(folder)  # the folder appears whole or not at all
    return folder


def _freshness_before(history: RunHistory, record: RunRecord) -> RunRecord | None:
    earlier = [
        run
        for run in history.runs(record.project)
        if run.command is DBTCommand.SOURCE_FRESHNESS
        and SOURCES in run.files
        and run.completed_at <= record.completed_at
    ]
    return earlier[-1] if earlier else None
