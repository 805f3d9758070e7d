"""The fake's data: jobs, runs and steps, serialised exactly as the Admin API v2 does."""

from __future__ import annotations

import importlib.metadata
import itertools
import shlex
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "DBT_VERSION",
    "FakeJob",
    "FakeRun",
    "FakeStep",
    "RunStore",
    "cloud_time",
    "environment_object",
]

QUEUED, STARTING, RUNNING, SUCCESS, ERROR, CANCELLED = 1, 2, 3, 10, 20, 30
_HUMANIZED = {
    QUEUED: "Queued",
    STARTING: "Starting",
    RUNNING: "Running",
    SUCCESS: "Success",
    ERROR: "Error",
    CANCELLED: "Cancelled",
}
_COLORS = {
    QUEUED: "gray",
    STARTING: "blue",
    RUNNING: "blue",
    SUCCESS: "green",
    ERROR: "red",
    CANCELLED: "orange",
}


def _dbt_version() -> str:
    try:
        return importlib.metadata.version("dbt-core")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - the extra is missing
        return "1.11.0"


DBT_VERSION = _dbt_version()
"""The dbt-core that executes the fake's runs, reported as the runs' ``dbt_version``."""


def cloud_time(value: datetime | None) -> str | None:
    """``2024-05-27 10:42:16.179903+00:00``: dbt Cloud's space-separated timestamps."""
    return str(value) if value is not None else None


def _seconds(start: datetime | None, end: datetime | None) -> int:
    return int(((end or datetime.now(UTC)) - start).total_seconds()) if start else 0


def _duration(start: datetime | None, end: datetime | None) -> str:
    seconds = _seconds(start, end)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _humanized(seconds: int) -> str:
    """``"3 minutes, 2 seconds"``, as dbt Cloud's ``*_humanized`` fields read."""
    parts = [(seconds // 3600, "hour"), (seconds % 3600 // 60, "minute"), (seconds % 60, "second")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return ", ".join(words) or "0 seconds"


def _ago(moment: datetime | None) -> str | None:
    return None if moment is None else f"{_humanized(_seconds(moment, None))} ago"


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
    generate_docs: bool = False
    """Append ``dbt docs generate`` to every run (``generate_docs_override`` wins)."""
    job_type: str = "other"
    dbt_version: str = "latest"
    state: int = 1
    """1 active, 2 deleted (listed only with ``state=2``/``all``)."""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_target_dir: Path | None = field(default=None, repr=False)
    """The target dir of the job's last dbt step (its partial parse is reused)."""

    def as_api(self, account_id: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": account_id,
            "project_id": self.project_id,
            "environment_id": self.environment_id,
            "name": self.name,
            "description": "",
            "dbt_version": self.dbt_version,
            "raw_dbt_version": self.dbt_version,
            "job_type": self.job_type,
            "execute_steps": list(self.steps),
            "settings": {"threads": self.threads, "target_name": self.target_name},
            "execution": {"timeout_seconds": int(self.timeout_seconds)},
            "triggers": {
                "github_webhook": False,
                "git_provider_webhook": False,
                "schedule": False,
                "on_merge": False,
            },
            "schedule": {
                "cron": "0 * * * *",
                "date": {"type": "every_day"},
                "time": {"type": "every_hour", "interval": 1},
            },
            "generate_docs": self.generate_docs,
            "run_generate_sources": False,
            "run_lint": False,
            "errors_on_lint_failure": True,
            "run_compare_changes": False,
            "lifecycle_webhooks": False,
            "deferring_environment_id": None,
            "deferring_job_definition_id": None,
            "is_deferrable": False,
            "state": self.state,
            "created_at": cloud_time(self.created_at),
            "updated_at": cloud_time(self.created_at),
        }


@dataclass
class FakeStep:
    index: int
    name: str
    command: list[str] | None = None
    """dbt arguments (without ``dbt``) for command steps; ``None`` for setup steps."""
    status: int = QUEUED
    logs: str = ""
    debug_logs: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    target_dir: Path | None = None

    def step_id(self, run_id: int) -> int:
        return run_id * 100 + self.index

    def as_api(self, account_id: int, run_id: int, related: set[str]) -> dict[str, Any]:
        data = {
            "id": self.step_id(run_id),
            "run_id": run_id,
            "account_id": account_id,
            "index": self.index,
            "name": self.name,
            "status": self.status,
            "status_humanized": _HUMANIZED[self.status],
            "status_color": _COLORS[self.status],
            "logs": self.logs,
            "truncated_debug_logs": self.debug_logs[-10_000:],
            "log_path": None,
            "debug_log_path": None,
            "started_at": cloud_time(self.started_at),
            "finished_at": cloud_time(self.finished_at),
            "created_at": cloud_time(self.started_at),
            "updated_at": cloud_time(self.finished_at or self.started_at),
            "duration": _duration(self.started_at, self.finished_at),
            "duration_humanized": _humanized(_seconds(self.started_at, self.finished_at)),
            "run_step_command": None
            if self.command is None
            else shlex.join(["dbt", *self.command]),
            "run_step_invocation": None,
        }
        if "debug_logs" in related:
            data["debug_logs"] = self.debug_logs
        return data


@dataclass
class FakeRun:
    id: int
    job: FakeJob
    trigger: dict[str, Any]
    steps: list[FakeStep]
    run_dir: Path
    trigger_id: int = 0
    status: int = QUEUED
    status_message: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    dequeued_at: datetime | None = None
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
        job = self.job
        data: dict[str, Any] = {
            "id": self.id,
            "trigger_id": self.trigger_id,
            "account_id": account_id,
            "environment_id": job.environment_id,
            "project_id": job.project_id,
            "job_definition_id": job.id,
            "job_id": job.id,
            "status": self.status,
            "status_humanized": _HUMANIZED[self.status],
            "status_message": self.status_message,
            "dbt_version": self.trigger.get("dbt_version_override") or DBT_VERSION,
            "git_branch": self.trigger.get("git_branch") or "main",
            "git_sha": self.trigger.get("git_sha") or "0" * 40,
            "owner_thread_id": None,
            "executed_by_thread_id": None,
            "deferring_run_id": None,
            "artifact_s3_path": f"fake/runs/{self.id}/" if self.is_complete else None,
            "has_docs_generated": any(s.command == ["docs", "generate"] for s in self.steps),
            "has_sources_generated": False,
            "notifications_sent": self.is_complete,
            "blocked_by": [],
            "created_at": cloud_time(self.created_at),
            "updated_at": cloud_time(self.finished_at or self.started_at or self.created_at),
            "dequeued_at": cloud_time(self.dequeued_at),
            "started_at": cloud_time(self.started_at),
            "finished_at": cloud_time(self.finished_at),
            "last_checked_at": None,
            "last_heartbeat_at": None,
            "should_start_at": None,
            "in_progress": not self.is_complete,
            "is_complete": self.is_complete,
            "is_success": self.status == SUCCESS,
            "is_error": self.status == ERROR,
            "is_cancelled": self.status == CANCELLED,
            "is_running": None,
            "duration": _duration(self.created_at, self.finished_at),
            "queued_duration": _duration(self.created_at, self.started_at or self.finished_at),
            "run_duration": _duration(self.started_at, self.finished_at),
            "duration_humanized": _humanized(_seconds(self.created_at, self.finished_at)),
            "queued_duration_humanized": _humanized(
                _seconds(self.created_at, self.started_at or self.finished_at)
            ),
            "run_duration_humanized": _humanized(_seconds(self.started_at, self.finished_at)),
            "created_at_humanized": _ago(self.created_at),
            "finished_at_humanized": _ago(self.finished_at),
            "retrying_run_id": self.retried_from.id if self.retried_from else None,
            "href": f"{base_url}/deploy/{account_id}/projects/{job.project_id}/runs/{self.id}/",
            "artifacts_saved": self.is_complete,
            "used_repo_cache": False,
            "can_retry": reason is None,
            "retry_not_supported_reason": reason,
            "trigger": None,
            "job": None,
            "environment": None,
            "run_steps": [],
        }
        if "trigger" in related:
            data["trigger"] = {"id": self.trigger_id, "job_definition_id": job.id, **self.trigger}
        if "job" in related:
            data["job"] = job.as_api(account_id)
        if "environment" in related:
            data["environment"] = environment_object(job, account_id)
        if "run_steps" in related:
            data["run_steps"] = [step.as_api(account_id, self.id, related) for step in self.steps]
        return data

    def failure_details(self) -> dict[str, Any]:
        """``GET runs/{id}/retry/``: the failed step and the steps after it."""
        failed = next((s for s in self.steps if s.status == ERROR), None)
        later = [s.name for s in self.steps if failed is not None and s.index > failed.index]
        return {"failed_step": failed.name if failed else None, "skipped_steps": later}


def environment_object(job: FakeJob, account_id: int) -> dict[str, Any]:
    """The deployment environment of ``job`` (each job's ``environment_id`` names one)."""
    moment = cloud_time(job.created_at)
    return {
        "id": job.environment_id,
        "account_id": account_id,
        "project_id": job.project_id,
        "name": f"Environment {job.environment_id}",
        "type": "deployment",
        "deployment_type": "production",
        "dbt_version": job.dbt_version,
        "raw_dbt_version": job.dbt_version,
        "use_custom_branch": False,
        "custom_branch": None,
        "supports_docs": True,
        "is_deferrable": False,
        "credentials_id": None,
        "connection_id": None,
        "state": 1,
        "created_at": moment,
        "updated_at": moment,
    }


class RunStore:
    """All runs, thread-safe; ids grow like dbt Cloud's."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._runs: dict[int, FakeRun] = {}
        self._ids = itertools.count(70_000_001)
        self._trigger_ids = itertools.count(90_000_001)

    def next_ids(self) -> tuple[int, int]:
        """A new run id and its trigger's id (two sequences, as in dbt Cloud)."""
        return next(self._ids), next(self._trigger_ids)

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

    def step(self, step_id: int) -> tuple[FakeRun, FakeStep] | None:
        run = self.get(step_id // 100)
        matching = [s for s in run.steps if s.index == step_id % 100] if run else []
        return (run, matching[0]) if run is not None and matching else None

    def newest_of_job(self, job_id: int) -> FakeRun | None:
        runs = [run for run in self.all() if run.job.id == job_id]
        return runs[-1] if runs else None
