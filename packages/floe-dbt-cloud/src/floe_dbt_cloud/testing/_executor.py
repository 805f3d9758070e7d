"""Executes fake dbt Cloud runs with real dbt-core, one run at a time.

dbtRunner keeps global state (flags, adapters), so two invocations in one process must not
overlap: a single worker thread takes runs from a queue. Each run gets dbt Cloud's setup
steps (clone, profile, deps) and then one step per dbt command, each with its own target
directory, so artifacts are per step as in dbt Cloud.
"""

from __future__ import annotations

import queue
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from floe_dbt_cloud.testing._faults import FaultInjector
from floe_dbt_cloud.testing._state import (
    CANCELLED,
    ERROR,
    RUNNING,
    STARTING,
    SUCCESS,
    FakeRun,
    FakeStep,
)

__all__ = ["RunExecutor", "setup_steps"]

try:  # dbt must not run twice at once in a process: share the local runtime's lock if present
    from floe_dbt_local import DBT_LOCK as _DBT_LOCK
except ImportError:  # pragma: no cover - the fake alone serialises through its single worker
    _DBT_LOCK = threading.RLock()


_STARTING_SECONDS = 0.05
"""How long a run stays Starting (2) when no fault stretches it: long enough to be seen."""


def setup_steps(connection_type: str) -> list[FakeStep]:
    return [
        FakeStep(1, "Clone git repository"),
        FakeStep(2, f"Create profile from connection {connection_type}"),
        FakeStep(3, "Invoke dbt with `dbt deps`", command=["deps"]),
    ]


def _timeout_message(run: FakeRun, timeout: float) -> str:
    elapsed = (datetime.now(UTC) - (run.started_at or run.created_at)).total_seconds()
    return (
        f"This run timed out after running for {elapsed:.0f} seconds, which exceeded the "
        f"configured timeout of {timeout:g} seconds."
    )


class RunExecutor:
    def __init__(self, faults: FaultInjector) -> None:
        self._faults = faults
        self._queue: queue.Queue[FakeRun | None] = queue.Queue()
        self._thread = threading.Thread(
            target=self._loop, name="fake-dbt-cloud-executor", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=60)

    def submit(self, run: FakeRun) -> None:
        self._queue.put(run)

    def wait_idle(self) -> None:
        """Block until every submitted run has been processed."""
        self._queue.join()

    def _loop(self) -> None:
        while (run := self._queue.get()) is not None:
            try:
                self._execute(run)
            except Exception as exc:  # a fake that dies silently would hang every client
                run.finish(ERROR, f"fake dbt Cloud internal error: {type(exc).__name__}: {exc}")
            finally:
                self._queue.task_done()

    def _execute(self, run: FakeRun) -> None:
        if run.is_complete:  # cancelled while queued
            return
        run.status, run.dequeued_at = STARTING, datetime.now(UTC)
        timeout = float(run.trigger.get("timeout_seconds_override") or run.job.timeout_seconds)
        timer = None
        if timeout > 0:
            timer = threading.Timer(
                timeout, lambda: run.finish(CANCELLED, _timeout_message(run, timeout))
            )
            timer.daemon = True
            timer.start()
        try:
            # Status 2 (Starting) lasts while a runner is found; ``slow_run`` stretches it.
            run.done.wait(self._faults.take_run_delay() or _STARTING_SECONDS)
            if run.is_complete:  # cancelled or timed out while starting
                return
            run.status, run.started_at = RUNNING, datetime.now(UTC)
            for step in run.steps:
                if run.is_complete:
                    return
                if not self._run_step(run, step):
                    run.finish(ERROR, f"Step {step.index} ({step.name}) failed")
                    return
            run.finish(SUCCESS)
        finally:
            if timer is not None:
                timer.cancel()

    def _run_step(self, run: FakeRun, step: FakeStep) -> bool:
        step.status, step.started_at = RUNNING, datetime.now(UTC)
        if step.index == 1:
            step.logs = f"Cloned the project from {run.job.project_dir}"
            ok = True
        elif step.index == 2:
            step.logs = self._write_profile(run)
            ok = True
        elif step.command == ["deps"] and not _has_packages(run.job.project_dir):
            step.logs = "No packages.yml: nothing to install"
            ok = True
        else:
            ok = self._invoke_dbt(run, step)
        if run.is_complete:  # cancelled or timed out meanwhile: the terminal status stands
            return False
        step.status, step.finished_at = (SUCCESS if ok else ERROR), datetime.now(UTC)
        return ok

    def _write_profile(self, run: FakeRun) -> str:
        project = yaml.safe_load((run.job.project_dir / "dbt_project.yml").read_text()) or {}
        profile_name = str(project.get("profile") or "default")
        target = str(run.trigger.get("target_name_override") or run.job.target_name)
        threads = int(run.trigger.get("threads_override") or run.job.threads)
        output = {**run.job.connection, "threads": threads}
        if run.trigger.get("schema_override"):
            output["schema"] = run.trigger["schema_override"]
        profile = {profile_name: {"target": target, "outputs": {target: output}}}
        run.run_dir.mkdir(parents=True, exist_ok=True)
        (run.run_dir / "profiles.yml").write_text(yaml.safe_dump(profile), encoding="utf-8")
        schema = output.get("schema", "the connection's default schema")
        return f"Wrote profile {profile_name!r} (target {target!r}, {threads} threads, {schema})"

    def _invoke_dbt(self, run: FakeRun, step: FakeStep) -> bool:
        from dbt.cli.main import dbtRunner

        assert step.command is not None
        step_dir = run.run_dir / f"step_{step.index}"
        step.target_dir = step_dir / "target"
        step.target_dir.mkdir(parents=True, exist_ok=True)
        if step.command[:1] == ["retry"] and run.retried_from is not None:
            _copy_previous_state(run.retried_from, step.target_dir)
        logs: list[str] = []
        debug_logs: list[str] = []
        quiet = bool({"--quiet", "-q"} & set(step.command))
        args = [
            *step.command,
            "--project-dir",
            str(run.job.project_dir),
            "--profiles-dir",
            str(run.run_dir),
            *_path_options(step.command, step.target_dir, step_dir / "logs"),
            "--no-use-colors",
            *([] if quiet else ["--quiet"]),  # the console; the step log is the callback's
        ]
        _reuse_partial_parse(run, step.target_dir)
        with _DBT_LOCK:
            try:
                recorder = _EventRecorder(run, logs, debug_logs, self._faults, quiet=quiet)
                result = dbtRunner(callbacks=[recorder]).invoke(args)
            finally:
                _release_dbt_globals()
        if result.exception is not None:
            error = f"{type(result.exception).__name__}: {result.exception}"
            logs.append(error)
            debug_logs.append(error)
        step.logs = "\n".join(logs)
        step.debug_logs = "\n".join(debug_logs)
        return bool(result.success)


def _path_options(command: list[str], target_dir: Path, log_dir: Path) -> list[str]:
    """Each step's own target and log folders, where the command takes them: ``debug`` takes
    neither, and ``clean`` cleans the clone's own folders (dbt refuses any outside it)."""
    if "debug" in command:
        return []
    if "clean" in command:
        return ["--log-path", str(log_dir)]
    return ["--target-path", str(target_dir), "--log-path", str(log_dir)]


def _reuse_partial_parse(run: FakeRun, target_dir: Path) -> None:
    """Start from the job's last parse, as dbt Cloud keeps it between runs of a job."""
    previous = run.job.last_target_dir
    if previous is not None and (previous / "partial_parse.msgpack").is_file():
        shutil.copy2(previous / "partial_parse.msgpack", target_dir / "partial_parse.msgpack")
    run.job.last_target_dir = target_dir


def _release_dbt_globals() -> None:
    """Drop dbt's adapters, event callbacks and DuckDB handles, as a finished run would."""
    import sys

    from dbt.adapters.factory import reset_adapters
    from dbt_common.events.event_manager_client import cleanup_event_logger

    reset_adapters()  # type: ignore[no-untyped-call]
    cleanup_event_logger()
    duckdb_connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if duckdb_connections is not None:
        duckdb_connections.DuckDBConnectionManager.close_all_connections()


def _has_packages(project_dir: Path) -> bool:
    return any((project_dir / name).is_file() for name in ("packages.yml", "dependencies.yml"))


def _copy_previous_state(previous: FakeRun, target_dir: Path) -> None:
    """dbt retry reads the previous run_results.json/manifest.json from its target path."""
    for step in reversed(previous.steps):
        if step.target_dir is not None and (step.target_dir / "run_results.json").is_file():
            for name in ("run_results.json", "manifest.json"):
                shutil.copy2(step.target_dir / name, target_dir / name)
            return


_HOLD_SECONDS = 30.0


class _EventRecorder:
    """dbt event callback: step logs, and the live node view the Discovery API serves."""

    def __init__(
        self,
        run: FakeRun,
        logs: list[str],
        debug_logs: list[str],
        faults: FaultInjector,
        *,
        quiet: bool = False,
    ) -> None:
        self._run = run
        self._quiet = quiet
        self._logs = logs
        self._debug_logs = debug_logs
        self._faults = faults

    def __call__(self, msg: Any) -> None:
        name = msg.info.name
        if name in ("NodeStart", "NodeFinished"):
            info = msg.data.node_info
            node = self._run.live_nodes.setdefault(
                info.unique_id,
                {"uniqueId": info.unique_id, "name": info.node_name},
            )
            relation = info.node_relation
            node.update(
                resourceType=info.resource_type,
                executeStartedAt=info.node_started_at or None,
                materializedType=info.materialized or None,
                database=relation.database or None if relation else None,
                schema=relation.schema or None if relation else None,
                alias=relation.alias or None if relation else None,
            )
            if name == "NodeFinished":
                result = msg.data.run_result
                node["status"] = result.status
                node["executionTime"] = result.execution_time
                node["executeCompletedAt"] = info.node_finished_at or None
                node["error"] = result.message if result.status in ("error", "fail") else None
                node["runGeneratedAt"] = datetime.now(UTC).isoformat()
                hold = self._faults.hold_for(info.node_name)
                if hold is not None:
                    hold.wait(_HOLD_SECONDS)
        if not msg.info.msg:
            return
        self._debug_logs.append(f"{msg.info.ts} [{msg.info.level}] {msg.info.msg}")
        if self._printed(msg):
            self._logs.append(msg.info.msg)

    def _printed(self, msg: Any) -> bool:
        """Whether dbt writes ``msg`` to stdout, which is the step's log in dbt Cloud: with
        the step's own ``--quiet``, only errors and print events (``ls`` lines, a preview)."""
        from dbt_common.events.logger import PRINT_EVENT_NAMES

        if self._quiet:
            return msg.info.level == "error" or msg.info.name in PRINT_EVENT_NAMES
        return msg.info.level in ("info", "warn", "error")
