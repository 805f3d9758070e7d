"""The results store: a RunObserver writing each invocation's files to an artifact store.

Layout under the store (a local folder by default, or object storage)::

    <project>/runs/<started_at>-<invocation_id>.json   one RunRecord per finished run
    <project>/<invocation_id>/invocation.json          what was asked (no secrets in it)
    <project>/<invocation_id>/events.jsonl             every event
    <project>/<invocation_id>/result.json              the DBTRunResult (of a retry: with the
                                                       retried run's other nodes, once each)
    <project>/<invocation_id>/manifest.json            dbt's artifacts, copied
    <project>/<invocation_id>/run_results.json
    <project>/<invocation_id>/catalog.json             (after ``docs generate``)
    <project>/<invocation_id>/sources.json             (after ``source freshness``)
    <project>/<invocation_id>/dbt.log                  the runtime's CLI-style log, if any

``events.jsonl`` is flushed per event so a crash keeps what happened: straight into the
store's folder when it is local, else into a local spool file uploaded when the run ends.
``result.json`` and the dbt artifacts are written when ``RunFinished`` arrives, which the
runtime ABC emits on failures and exceptions too; the run's index object is written last,
so a listed run always has its files.
"""

from __future__ import annotations

import getpass
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import IO

from floe_core._detach import RunHandle
from floe_core._events import FloeEvent, RunFinished, RunHandleReported, RunStarted
from floe_core._invocation import DBTCommand, DBTInvocation
from floe_core._results import DBTRunResult, RunStatus
from floe_core.artifacts._errors import ResultsNotKeptError
from floe_core.artifacts._history import RESULT_FILE, RunHistory, RunRecord, index_key
from floe_core.logging._lazy_logger import lazy_logger
from floe_core.manifest import RetentionConfig
from floe_core.stores import (
    ArtifactStore,
    ArtifactStoreError,
    LocalArtifactStore,
    StoredArtifact,
)
from floe_core.stores._base import sha256_of_file

__all__ = ["LocalResultsStore", "ResultsStore"]

_log = lazy_logger("floe.artifacts")

EVENTS_FILE = "events.jsonl"
DBT_ARTIFACTS = ("manifest.json", "run_results.json", "catalog.json", "sources.json", "dbt.log")


@dataclass
class _OpenRun:
    invocation_id: str
    project: str
    command: DBTCommand
    runtime: str
    folder: str
    started_at: datetime
    """When the run started (``RunStarted``): its index object's name, kept when a detached
    run is attached again."""
    events_path: Path
    events: IO[str]
    spooled: bool
    """The event log is a local spool file, uploaded while the run goes and when it ends."""
    invocation: DBTInvocation | None
    files: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Guards ``events``."""
    upload_lock: threading.Lock = field(default_factory=threading.Lock)
    """Orders uploads of the event log, so an older snapshot never lands after the last one."""
    written: int = 0
    uploaded: int = 0
    handle: RunHandle | None = None


class ResultsStore:
    """A :class:`~floe_core.RunObserver` that keeps every invocation's results in a store.

    ``store`` is an :class:`~floe_core.stores.ArtifactStore` or a local folder; ``retention``
    prunes a project's old runs after each run of it finishes. On a remote store the event
    logs of running invocations are uploaded every ``sync_seconds`` by a background thread,
    so a client that dies mid-run leaves its events up to then.

    A store that cannot be written fails the run: :meth:`prepare` refuses to start one when a
    probe write fails, and a write failing mid-run is kept for :meth:`write_error` (the
    runtime's bus must not see it raise). ``where`` is the manifest location of the
    ``artifacts`` section, named in those errors.
    """

    def __init__(
        self,
        store: ArtifactStore | Path,
        *,
        retention: RetentionConfig | None = None,
        sync_seconds: float = 15.0,
        where: str | None = None,
    ) -> None:
        self.store = store if isinstance(store, ArtifactStore) else LocalArtifactStore(store)
        self.retention = retention or RetentionConfig()
        self.history = RunHistory(self.store)
        self.sync_seconds = sync_seconds
        self.where = where
        self._failures: dict[str, ArtifactStoreError] = {}
        self._lock = threading.Lock()
        self._prepared: dict[str, DBTInvocation] = {}
        self._runs: dict[str, _OpenRun] = {}
        self._finished: dict[str, Path] = {}
        self._stop_sync = threading.Event()
        self._sync_thread: threading.Thread | None = None

    def run_dir(self, invocation_id: str) -> Path | None:
        """The local folder of an invocation this store has seen start, if it has one."""
        with self._lock:
            run = self._runs.get(invocation_id)
            if run is not None and not run.spooled:
                return run.events_path.parent
            return self._finished.get(invocation_id)

    # -- RunObserver -----------------------------------------------------------------------
    def write_error(
        self, invocation_id: str, result: DBTRunResult | None = None
    ) -> ResultsNotKeptError | None:
        """Why the files of a run (whose outcome is ``result``) could not all be kept, if they
        could not; asked once."""
        with self._lock:
            cause = self._failures.pop(invocation_id, None)
        if cause is None:
            return None
        return ResultsNotKeptError(self.store.url, cause, where=self.where, result=result)

    def prepare(self, invocation: DBTInvocation) -> DBTInvocation:
        """Refuse the run (:class:`ResultsNotKeptError`) if the store cannot be written."""
        try:
            self.store.check_writable()
        except ArtifactStoreError as exc:
            raise ResultsNotKeptError(self.store.url, exc, where=self.where) from exc
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
            run.written += 1
        if isinstance(event, RunHandleReported):
            self._detachable(run, event)
        elif isinstance(event, RunFinished):
            self._finish(run, event.result)

    def close(self) -> None:
        """Close (and upload) the event logs of runs that never finished."""
        with self._lock:
            runs, self._runs = list(self._runs.values()), {}
            self._prepared.clear()
            sync_thread, self._sync_thread = self._sync_thread, None
        self._stop_sync.set()
        if sync_thread is not None:
            sync_thread.join()
        for run in runs:
            self._close_events(run)

    # -- internals -------------------------------------------------------------------------
    def _open(self, event: RunStarted) -> None:
        folder = f"{event.project_name}/{event.invocation_id}"
        local = self.store.local_path(f"{folder}/{EVENTS_FILE}")
        with self._lock:
            invocation = self._prepared.pop(event.invocation_id, None)
        try:
            if local is not None:
                local.parent.mkdir(parents=True, exist_ok=True)
                events_path = local
            else:
                descriptor, spool = tempfile.mkstemp(prefix="floe-events-", suffix=".jsonl")
                os.close(descriptor)
                events_path = Path(spool)
            events = events_path.open("a", encoding="utf-8")
        except OSError as exc:
            self._failed(
                event.invocation_id,
                ArtifactStoreError(
                    f"cannot write {self.store.uri(f'{folder}/{EVENTS_FILE}')}:"
                    f" {exc.strerror or exc}"
                ),
            )
            return
        run = _OpenRun(
            invocation_id=event.invocation_id,
            project=event.project_name,
            command=event.command,
            runtime=event.runtime,
            folder=folder,
            started_at=event.started_at,
            events_path=events_path,
            events=events,
            spooled=local is None,
            invocation=invocation,
        )
        with self._lock:
            self._runs[event.invocation_id] = run
            if run.spooled and self._sync_thread is None:
                self._sync_thread = threading.Thread(
                    target=self._sync_events, name="floe-results-sync", daemon=True
                )
                self._sync_thread.start()
        if invocation is not None:
            data = invocation.model_dump_json(indent=2).encode()
            self._keep(run, "invocation.json", partial(self.store.put, data=data))

    def _detachable(self, run: _OpenRun, event: RunHandleReported) -> None:
        """Index the run at once as ``detached`` with its handle: a client that dies from
        here on (even ``kill -9``) leaves a run ``floe runs attach`` can follow."""
        run.handle = event.handle
        self._index(
            run,
            status=RunStatus.DETACHED,
            completed_at=event.emitted_at,
            elapsed_seconds=(event.emitted_at - run.started_at).total_seconds(),
            nodes=0,
            failures=0,
        )

    def _finish(self, run: _OpenRun, result: DBTRunResult) -> None:
        result = result.model_copy(update={"metadata": {**_origin(), **result.metadata}})
        with self._lock:
            self._runs.pop(result.invocation_id, None)
            if not run.spooled:
                self._finished[result.invocation_id] = run.events_path.parent
        self._close_events(run)
        self._copy_dbt_artifacts(run, result)
        if run.invocation is not None and run.invocation.retry_of is not None:
            result = self._combined(run.project, run.invocation.retry_of, result)
        data = result.model_dump_json(indent=2).encode()
        self._keep(run, RESULT_FILE, partial(self.store.put, data=data))
        self._index(
            run,
            status=result.status,
            completed_at=result.completed_at,
            elapsed_seconds=result.elapsed_seconds,
            nodes=len(result.nodes),
            failures=sum(1 for node in result.nodes if node.status.is_failure),
            command=result.command,
            runtime=result.runtime,
        )
        if result.status is not RunStatus.DETACHED:
            try:
                self.history.prune(run.project, self.retention)
            except ArtifactStoreError as exc:
                self._failed(run.invocation_id, exc)

    def _index(
        self,
        run: _OpenRun,
        *,
        status: RunStatus,
        completed_at: datetime,
        elapsed_seconds: float,
        nodes: int,
        failures: int,
        command: DBTCommand | None = None,
        runtime: str | None = None,
    ) -> None:
        """Write (or replace) the run's index object, named by its start and id."""
        record = RunRecord(
            invocation_id=run.invocation_id,
            project=run.project,
            command=command or run.command,
            runtime=runtime or run.runtime,
            status=status,
            started_at=run.started_at,
            completed_at=completed_at,
            elapsed_seconds=elapsed_seconds,
            nodes=nodes,
            failures=failures,
            path=run.invocation_id,
            files=dict(run.files),
            handle=run.handle,
            target=run.invocation.effective_target if run.invocation is not None else None,
            retry_of=run.invocation.retry_of if run.invocation is not None else None,
        )
        key = index_key(run.project, run.started_at, run.invocation_id)
        try:
            self.store.put(key, record.model_dump_json(indent=2).encode())
        except ArtifactStoreError as exc:
            self._failed(run.invocation_id, exc)

    def _combined(self, project: str, retried_id: str, retry: DBTRunResult) -> DBTRunResult:
        """A retry's result as the record of both runs: the retried run's nodes, each one
        the retry ran replaced by its new result (dbt retry keeps the rest's results)."""
        try:
            retried = self.history.result(self.history.find(project, retried_id))
        except ArtifactStoreError as exc:
            _log.warning("could not combine a retry with its run", error=str(exc))
            return retry
        rerun = {node.unique_id for node in retry.nodes}
        kept = tuple(node for node in retried.nodes if node.unique_id not in rerun)
        nodes = (*kept, *retry.nodes)
        status = retry.status
        if status in (RunStatus.SUCCESS, RunStatus.FAILED):  # else the run itself broke
            status = DBTRunResult.status_from_nodes(nodes)
        return retry.model_copy(update={"nodes": nodes, "status": status})

    def _sync_events(self) -> None:
        """Upload the event logs of running invocations that grew, until :meth:`close`."""
        while not self._stop_sync.wait(self.sync_seconds):
            with self._lock:
                runs = [run for run in self._runs.values() if run.spooled]
            for run in runs:
                # Held through the upload: the final one (in _close_events) waits, so an
                # older snapshot never lands after it.
                with run.upload_lock:
                    with run.lock:
                        if run.events.closed or run.uploaded == run.written:
                            continue
                        snapshot, run.uploaded = run.events_path.read_bytes(), run.written
                    self._keep(run, EVENTS_FILE, partial(self.store.put, data=snapshot))

    def _close_events(self, run: _OpenRun) -> None:
        with run.upload_lock:
            with run.lock:
                if run.events.closed:
                    return
                run.events.close()
            if run.spooled:
                self._keep(run, EVENTS_FILE, partial(self.store.put_file, source=run.events_path))
                run.events_path.unlink(missing_ok=True)
            else:
                run.files[EVENTS_FILE] = sha256_of_file(run.events_path)

    def _copy_dbt_artifacts(self, run: _OpenRun, result: DBTRunResult) -> None:
        explicit = {
            "manifest.json": result.manifest_path,
            "run_results.json": result.run_results_path,
            "dbt.log": result.log_path,
        }
        fallback_dir = run.invocation.artifacts_dir if run.invocation is not None else None
        for name in DBT_ARTIFACTS:
            source = explicit.get(name)
            if source is None and fallback_dir is not None:
                source = fallback_dir / name
                # target/ keeps other commands' files (an older catalog.json): not this run's
                if source.is_file() and source.stat().st_mtime < run.started_at.timestamp():
                    continue
            if source is not None and source.is_file():
                self._keep(run, name, partial(self.store.put_file, source=source))

    def _keep(self, run: _OpenRun, name: str, write: Callable[[str], StoredArtifact]) -> None:
        """Write one file of the run; a store failure is kept for :meth:`write_error`."""
        try:
            run.files[name] = write(f"{run.folder}/{name}").sha256
        except ArtifactStoreError as exc:
            self._failed(run.invocation_id, exc)

    def _failed(self, invocation_id: str, error: ArtifactStoreError) -> None:
        """Keep the first write failure of a run; the caller of the run raises it."""
        _log.debug("could not keep a run file", error=str(error))
        with self._lock:
            self._failures.setdefault(invocation_id, error)


def _origin() -> dict[str, str]:
    """Who ran it, from where, with which floe: kept with the result for `floe ui`."""
    origin = {"floe_version": version("floe-core"), "host": socket.gethostname()}
    with suppress(KeyError, OSError):  # no user name in some containers
        origin["user"] = getpass.getuser()
    return origin


LocalResultsStore = ResultsStore
"""The name this class had while it could only write a local folder."""
