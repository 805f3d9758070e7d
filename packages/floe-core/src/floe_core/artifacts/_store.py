"""The local results directory: one folder per invocation, written as the run happens.

Layout under the manifest's ``artifacts.path``::

    <project>/index.jsonl                  one RunRecord per finished invocation
    <project>/<invocation_id>/invocation.json   what was asked (no secrets in it)
    <project>/<invocation_id>/events.jsonl      every event, flushed as it arrives
    <project>/<invocation_id>/result.json       the DBTRunResult
    <project>/<invocation_id>/manifest.json     dbt's artifacts, copied
    <project>/<invocation_id>/run_results.json

``events.jsonl`` is flushed per event so a crash keeps what happened; ``result.json`` and the
dbt artifacts are written when ``RunFinished`` arrives, which the runtime ABC emits on
failures and exceptions too (with the node results produced so far).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

import structlog
from pydantic import BaseModel, ConfigDict

from floe_core._events import FloeEvent, RunFinished, RunStarted
from floe_core._invocation import DBTCommand, DBTInvocation
from floe_core._results import DBTRunResult, RunStatus
from floe_core.artifacts._files import atomic_copy, atomic_write_bytes

__all__ = ["LocalResultsStore", "RunRecord", "read_index"]

_log = structlog.get_logger("floe.artifacts")

INDEX_FILE = "index.jsonl"
DBT_ARTIFACTS = ("manifest.json", "run_results.json")


class RunRecord(BaseModel):
    """One line of ``index.jsonl``: enough to list runs without opening their folders."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    invocation_id: str
    project: str
    command: DBTCommand
    runtime: str
    status: RunStatus
    started_at: datetime
    completed_at: datetime
    elapsed_seconds: float
    nodes: int
    failures: int
    path: str
    """The run's folder, relative to the project's folder in the results directory."""


@dataclass
class _OpenRun:
    project: str
    directory: Path
    events: IO[str]
    invocation: DBTInvocation | None
    lock: threading.Lock = field(default_factory=threading.Lock)


def read_index(root: Path, project: str) -> list[RunRecord]:
    """The finished runs of ``project`` under ``root``, oldest first."""
    index = root / project / INDEX_FILE
    if not index.is_file():
        return []
    lines = index.read_text(encoding="utf-8").splitlines()
    return [RunRecord.model_validate_json(line) for line in lines if line.strip()]


class LocalResultsStore:
    """A :class:`~floe_core.RunObserver` that keeps every invocation's results under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._prepared: dict[str, DBTInvocation] = {}
        self._runs: dict[str, _OpenRun] = {}
        self._finished: dict[str, Path] = {}

    def run_dir(self, invocation_id: str) -> Path | None:
        """The folder of an invocation this store has seen start, if any."""
        with self._lock:
            run = self._runs.get(invocation_id)
            return run.directory if run is not None else self._finished.get(invocation_id)

    # -- RunObserver -----------------------------------------------------------------------
    def prepare(self, invocation: DBTInvocation) -> DBTInvocation:
        with self._lock:
            self._prepared[invocation.invocation_id] = invocation
        return invocation

    def __call__(self, event: FloeEvent) -> None:
        if isinstance(event, RunStarted):
            self._open(event)
        with self._lock:
            run = self._runs.get(event.invocation_id)
        if run is None:
            return
        with run.lock:
            run.events.write(event.model_dump_json() + "\n")
            run.events.flush()
        if isinstance(event, RunFinished):
            self._finish(run, event.result)

    def close(self) -> None:
        """Close the event logs of runs that never finished (their events stay on disk)."""
        with self._lock:
            runs, self._runs = list(self._runs.values()), {}
            self._prepared.clear()
        for run in runs:
            with run.lock:
                run.events.close()

    # -- internals -------------------------------------------------------------------------
    def _open(self, event: RunStarted) -> None:
        directory = self.root / event.project_name / event.invocation_id
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            invocation = self._prepared.pop(event.invocation_id, None)
            self._runs[event.invocation_id] = _OpenRun(
                project=event.project_name,
                directory=directory,
                events=(directory / "events.jsonl").open("a", encoding="utf-8"),
                invocation=invocation,
            )
        if invocation is not None:
            atomic_write_bytes(
                directory / "invocation.json", invocation.model_dump_json(indent=2).encode()
            )

    def _finish(self, run: _OpenRun, result: DBTRunResult) -> None:
        with self._lock:
            self._runs.pop(result.invocation_id, None)
            self._finished[result.invocation_id] = run.directory
        with run.lock:
            run.events.close()
        self._copy_dbt_artifacts(run, result)
        atomic_write_bytes(run.directory / "result.json", result.model_dump_json(indent=2).encode())
        failures = sum(1 for node in result.nodes if node.status.is_failure)
        record = RunRecord(
            invocation_id=result.invocation_id,
            project=run.project,
            command=result.command,
            runtime=result.runtime,
            status=result.status,
            started_at=result.started_at,
            completed_at=result.completed_at,
            elapsed_seconds=result.elapsed_seconds,
            nodes=len(result.nodes),
            failures=failures,
            path=run.directory.name,
        )
        # One short O_APPEND write per run: concurrent writers do not interleave lines.
        with (run.directory.parent / INDEX_FILE).open("a", encoding="utf-8") as index:
            index.write(record.model_dump_json() + "\n")

    def _copy_dbt_artifacts(self, run: _OpenRun, result: DBTRunResult) -> None:
        explicit = {
            "manifest.json": result.manifest_path,
            "run_results.json": result.run_results_path,
        }
        fallback_dir = run.invocation.artifacts_dir if run.invocation is not None else None
        for name in DBT_ARTIFACTS:
            source = explicit[name] or (fallback_dir / name if fallback_dir else None)
            if source is None or not source.is_file():
                continue
            try:
                atomic_copy(source, run.directory / name)
            except OSError as exc:
                _log.warning("could not copy a dbt artifact", file=str(source), error=str(exc))
