"""The fake's data: jobs, runs and steps, serialised exactly as the Admin API v2 does."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["FakeJob", "FakeRun", "FakeStep", "RunStore", "cloud_time"]

QUEUED, STARTING, RUNNING, SUCCESS, ERROR, CANCELLED = 1, 2, 3, 10, 20, 30
_HUMANIZED = {
    QUEUED: "Queued",
    STARTING: "Starting",
    RUNNING: "Running",
    SUCCESS: "Success",
    ERROR: "Error",
    CANCELLED: "Cancelled",
}


def cloud_time(value: datetime | None) -> str | None:
    """``2024-05-27 10:42:16.179903+00:00``: dbt Cloud's space-separated timestamps."""
    return str(value) if value is not None else None


def _duration(start: datetime | None, end: datetime | None) -> str:
    seconds = int(((end or datetime.now(UTC)) - start).total_seconds()) if start else 0
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class FakeJob:
    """A dbt Cloud job: the project it runs and the warehouse connection of its environment.

    ``connection`` is one dbt ``outputs`` entry (e.g. ``{"type": "duckdb", "path": ...}``);
    the fake writes it into a profiles.yml per run, like dbt Cloud's profile step.
    """

    id: int
    project_dir: Path
    connection: dict[str, Any]
    name: str = "floe job"
    steps: list[str] = field(default_factory=lambda: ["dbt build"])
    target_name: str = "default"
    threads: int = 4
    timeout_seconds: float = 0
    """0 means no timeout, as in dbt Cloud."""
    environment_id: int = 1
    project_id: int = 1
    last_target_dir: Path | None = field(default=None, repr=False)
    """The target dir of the job's last dbt step (its partial parse is reused)."""

    def as_api(self, account_id: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": account_id,
            "project_id": self.project_id,
            "environment_id": self.environment_id,
            "name": self.name,
            "execute_steps": list(self.steps),
            "settings": {"threads": self.threads, "target_name": self.target_name},
            "execution": {"timeout_seconds": int(self.timeout_seconds)},
            "state": 1,
        }


@dataclass
class FakeStep:
    index: int
    name: str
    command: list[str] | None = None
    """dbt arguments (without ``dbt``) for command steps; ``None`` for setup steps."""
    status: int = QUEUED
    logs: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    target_dir: Path | None = None

    def as_api(self, run_id: int) -> dict[str, Any]:
        return {
            "id": run_id * 100 + self.index,
            "run_id": run_id,
            "index": self.index,
            "name": self.name,
            "status": self.status,
            "status_humanized": _HUMANIZED[self.status],
            "logs": self.logs,
            "truncated_debug_logs": self.logs[-10_000:],
            "started_at": cloud_time(self.started_at),
            "finished_at": cloud_time(self.finished_at),
            "duration": _duration(self.started_at, self.finished_at),
        }


@dataclass
class FakeRun:
    id: int
    job: FakeJob
    trigger: dict[str, Any]
    steps: list[FakeStep]
    run_dir: Path
    status: int = QUEUED
    status_message: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
    finished_at: datetime | None = None
    retried_from: FakeRun | None = None
    live_nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Discovery API view: nodes as dbt finishes them."""
    done: threading.Event = field(default_factory=threading.Event)
    _finish_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def is_complete(self) -> bool:
        return self.status in (SUCCESS, ERROR, CANCELLED)

    def finish(self, status: int, message: str | None = None) -> bool:
        """Move to a terminal status once; ``False`` if already terminal (e.g. cancelled)."""
        with self._finish_lock:  # the executor, a cancel and the job timer may race
            if self.is_complete:
                return False
            self._set_terminal(status, message)
            return True

    def _set_terminal(self, status: int, message: str | None) -> None:
        now = datetime.now(UTC)
        for step in self.steps:
            if step.status in (STARTING, RUNNING):
                step.status, step.finished_at = status, now
        self.status, self.status_message, self.finished_at = status, message, now
        self.done.set()

    def retry_not_supported_reason(self, newest_id: int) -> str | None:
        if self.id != newest_id:
            return "RETRY_NOT_LATEST_RUN"
        if self.status != ERROR:
            return "RETRY_NOT_FAILED_RUN"
        if not any(
            step.target_dir is not None and (step.target_dir / "run_results.json").is_file()
            for step in self.steps
        ):
            return "RETRY_NO_RUN_RESULTS"
        return None

    def as_api(
        self, account_id: int, base_url: str, related: set[str], newest_id: int
    ) -> dict[str, Any]:
        reason = self.retry_not_supported_reason(newest_id)
        data: dict[str, Any] = {
            "id": self.id,
            "trigger_id": self.id,
            "account_id": account_id,
            "environment_id": self.job.environment_id,
            "project_id": self.job.project_id,
            "job_definition_id": self.job.id,
            "job_id": self.job.id,
            "status": self.status,
            "status_humanized": _HUMANIZED[self.status],
            "status_message": self.status_message,
            "dbt_version": "1.11.16",
            "git_branch": "main",
            "git_sha": "0" * 40,
            "created_at": cloud_time(self.created_at),
            "started_at": cloud_time(self.started_at),
            "finished_at": cloud_time(self.finished_at),
            "updated_at": cloud_time(self.finished_at or self.started_at or self.created_at),
            "in_progress": self.status in (STARTING, RUNNING),
            "is_complete": self.is_complete,
            "is_success": self.status == SUCCESS,
            "is_error": self.status == ERROR,
            "is_cancelled": self.status == CANCELLED,
            "is_running": None,
            "duration": _duration(self.created_at, self.finished_at),
            "queued_duration": _duration(self.created_at, self.started_at or self.finished_at),
            "run_duration": _duration(self.started_at, self.finished_at),
            "href": f"{base_url}/deploy/{account_id}/projects/1/runs/{self.id}/",
            "artifacts_saved": self.is_complete,
            "can_retry": reason is None,
            "retry_not_supported_reason": reason,
            "trigger": None,
            "job": None,
            "run_steps": [],
        }
        if "trigger" in related:
            data["trigger"] = {"id": self.id, "job_definition_id": self.job.id, **self.trigger}
        if "job" in related:
            data["job"] = self.job.as_api(account_id)
        if "run_steps" in related:
            data["run_steps"] = [step.as_api(self.id) for step in self.steps]
        return data


class RunStore:
    """All runs, thread-safe; ids grow like dbt Cloud's."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._runs: dict[int, FakeRun] = {}
        self._ids = itertools.count(70_000_001)

    def next_id(self) -> int:
        return next(self._ids)

    def add(self, run: FakeRun) -> None:
        with self.lock:
            self._runs[run.id] = run

    def get(self, run_id: int) -> FakeRun | None:
        with self.lock:
            return self._runs.get(run_id)

    def clear(self) -> None:
        with self.lock:
            self._runs.clear()

    def all(self) -> list[FakeRun]:
        with self.lock:
            return sorted(self._runs.values(), key=lambda run: run.id)

    def newest_of_job(self, job_id: int) -> FakeRun | None:
        runs = [run for run in self.all() if run.job.id == job_id]
        return runs[-1] if runs else None
