"""The runs of a project in an artifact store: one small index object per finished run.

Each finished run writes ``<project>/runs/<started_at>-<invocation_id>.json`` (a
:class:`RunRecord`) after its files. Listing that prefix lists the runs, oldest first (the
names sort by start time), from any machine; two writers never touch the same object, so
there is no shared index file for them to corrupt. Retention deletes a run's folder first
and its index object last, so an interrupted prune is finished by the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from floe_core._detach import RunHandle
from floe_core._errors import FloeError
from floe_core._invocation import DBTCommand, DBTInvocation
from floe_core._results import DBTRunResult, RunStatus
from floe_core.manifest import RetentionConfig
from floe_core.stores import (
    ArtifactCorruptedError,
    ArtifactNotFoundError,
    ArtifactStore,
    LocalArtifactStore,
)

__all__ = ["RunHistory", "RunRecord", "index_key", "read_index"]

RUNS_FOLDER = "runs"
RESULT_FILE = "result.json"
INVOCATION_FILE = "invocation.json"


class RunRecord(BaseModel):
    """One run's index object: enough to list runs without opening their folders."""

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
    """The run's folder, relative to the project's folder in the store."""
    files: dict[str, str] = Field(default_factory=dict)
    """SHA-256 of each file in the run's folder, checked when the file is read back."""
    handle: RunHandle | None = None
    """Where the run lives when it outlives its client (status ``detached`` until followed
    to its end by ``floe runs attach``)."""
    target: str | None = None
    """The dbt target the run ran against (``None``: not recorded, or the profile's default)."""
    retry_of: str | None = None
    """The invocation id of the run this one retried (``floe retry``, ``--retry-failed``)."""


_STAMP = "%Y%m%dT%H%M%S.%fZ"


def index_key(project: str, started_at: datetime, invocation_id: str) -> str:
    stamp = started_at.astimezone(UTC).strftime(_STAMP)
    return f"{project}/{RUNS_FOLDER}/{stamp}-{invocation_id}.json"


@dataclass(frozen=True)
class _IndexEntry:
    """What an index object's name says: enough to order, find and prune without reading it."""

    key: str
    started_at: datetime
    invocation_id: str

    @classmethod
    def parse(cls, key: str) -> _IndexEntry:
        stamp, _, invocation_id = key.rsplit("/", 1)[-1].removesuffix(".json").partition("-")
        started_at = datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
        return cls(key=key, started_at=started_at, invocation_id=invocation_id)


class RunHistory:
    """Reads, finds and prunes the finished runs kept in ``store``."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    def runs(self, project: str, *, last: int | None = None) -> list[RunRecord]:
        """The finished runs of ``project`` (only the ``last`` newest if given), oldest first."""
        entries = self._entries(project)
        if last is not None:
            entries = entries[-last:] if last else []
        return [self._record(entry.key) for entry in entries]

    def find(self, project: str, invocation_id: str) -> RunRecord:
        """The run whose id is (or starts with) ``invocation_id``."""
        matches = [
            entry.key
            for entry in self._entries(project)
            if entry.invocation_id.startswith(invocation_id)
        ]
        if len(matches) != 1:
            hint = (
                f"{len(matches)} runs start with {invocation_id!r}; give more of the id"
                if matches
                else f"`floe runs list` shows the runs of project {project!r}"
            )
            raise ArtifactNotFoundError(
                self.store.uri(f"{project}/{RUNS_FOLDER}/*-{invocation_id}*.json"), hint=hint
            )
        return self._record(matches[0])

    def read(self, record: RunRecord, name: str) -> bytes:
        """A file of the run, checked against the hash written in its record."""
        key = f"{record.project}/{record.path}/{name}"
        expected = record.files.get(name)
        return self.store.get_verified(key, expected) if expected else self.store.get(key)

    def invocation(self, record: RunRecord) -> DBTInvocation | None:
        """What the run was asked (kept as invocation.json), if the run kept it readable."""
        if INVOCATION_FILE not in record.files:
            return None
        try:
            return DBTInvocation.model_validate_json(self.read(record, INVOCATION_FILE))
        except (FloeError, ValueError):
            return None

    def result(self, record: RunRecord) -> DBTRunResult:
        data = self.read(record, RESULT_FILE)
        try:
            return DBTRunResult.model_validate_json(data)
        except ValidationError as exc:
            key = f"{record.project}/{record.path}/{RESULT_FILE}"
            raise ArtifactCorruptedError(self.store.uri(key), _first_error(exc)) from exc

    def prune(
        self, project: str, retention: RetentionConfig, *, now: datetime | None = None
    ) -> list[str]:
        """Delete the runs ``retention`` no longer keeps; returns their invocation ids.

        Decided from the index objects' names alone: one listing, no reads.
        """
        if retention.keep_last is None and retention.keep_days is None:
            return []
        entries = self._entries(project)
        expired: list[_IndexEntry] = []
        if retention.keep_last is not None and len(entries) > retention.keep_last:
            expired = entries[: len(entries) - retention.keep_last]
        if retention.keep_days is not None:
            cutoff = (now or datetime.now(UTC)) - timedelta(days=retention.keep_days)
            expired += [e for e in entries if e.started_at < cutoff and e not in expired]
        for entry in expired:
            self.store.delete_prefix(f"{project}/{entry.invocation_id}")
            self.store.delete([entry.key])
        return [entry.invocation_id for entry in expired]

    def _entries(self, project: str) -> list[_IndexEntry]:
        """The project's index objects, oldest first (their names sort by start time)."""
        entries = []
        for key in self.store.list(f"{project}/{RUNS_FOLDER}"):
            try:
                entries.append(_IndexEntry.parse(key))
            except ValueError:
                raise ArtifactCorruptedError(
                    self.store.uri(key), "the name is not <started_at>-<invocation_id>.json"
                ) from None
        return entries

    def _record(self, key: str) -> RunRecord:
        data = self.store.get(key)
        try:
            return RunRecord.model_validate_json(data)
        except ValidationError as exc:
            raise ArtifactCorruptedError(self.store.uri(key), _first_error(exc)) from exc


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def read_index(root: Path | ArtifactStore, project: str) -> list[RunRecord]:
    """The finished runs of ``project`` in ``root`` (a local folder or a store), oldest first."""
    store = root if isinstance(root, ArtifactStore) else LocalArtifactStore(root)
    return RunHistory(store).runs(project)
