"""``FakeDbtCloud``: a dbt Cloud Admin API v2 + Discovery endpoint on loopback.

It honours the documented contract (paths, ``Token``/``Bearer`` auth, envelopes, status
codes, field names, timestamp formats, list filters and pagination, per-step artifacts) and
executes every triggered run with real dbt-core, so the artifacts it serves are genuine.
"""

from __future__ import annotations

import re
import shlex
import tempfile
import threading
from collections.abc import Collection
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from floe_dbt_cloud._config import CloudConfig, RetryPolicy
from floe_dbt_cloud.testing._executor import RunExecutor, setup_steps
from floe_dbt_cloud.testing._faults import FaultInjector
from floe_dbt_cloud.testing._graphql import execute_discovery_query
from floe_dbt_cloud.testing._http import ApiError, RecordedRequest, make_handler, status_block
from floe_dbt_cloud.testing._state import CANCELLED, FakeJob, FakeRun, FakeStep, RunStore

__all__ = ["FakeDbtCloud", "RecordedRequest"]

_HIDDEN_ARTIFACTS = {"partial_parse.msgpack", "graph.gpickle"}
_NOT_FOUND = (
    "The requested resource was not found. Please check that you have the proper permissions."
)


def _related(query: dict[str, list[str]]) -> set[str]:
    """``include_related`` as repeated keys, a comma list or a JSON-ish list."""
    names: set[str] = set()
    for value in query.get("include_related", []):
        names.update(part.strip(" \"'") for part in value.strip("[]").split(",") if part.strip())
    return names


class FakeDbtCloud:
    """A fake dbt Cloud account serving ``jobs`` on ``http://127.0.0.1:<free port>``.

    Use as a context manager; ``url`` is the access URL, ``discovery_url`` the GraphQL
    endpoint, ``faults`` the fault switches, ``requests`` every request received and
    :meth:`runs` the runs created (assert there is no duplicate).
    """

    def __init__(
        self,
        jobs: list[FakeJob],
        *,
        account_id: int = 1,
        token: str = "fake-dbt-cloud-token",
        work_dir: Path | None = None,
    ) -> None:
        self.account_id = account_id
        self.token = token
        self.jobs = {job.id: job for job in jobs}
        self.faults = FaultInjector()
        self.requests: list[RecordedRequest] = []
        self._store = RunStore()
        self._executor = RunExecutor(self.faults)
        self._own_dir = tempfile.TemporaryDirectory(prefix="fake-dbt-cloud-")
        self._work_dir = work_dir or Path(self._own_dir.name)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> FakeDbtCloud:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._executor.start()
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._executor.stop()
        self._own_dir.cleanup()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/graphql"

    def cloud_config(self, job_id: int, **overrides: Any) -> CloudConfig:
        """A :class:`CloudConfig` for this fake, polling fast and backing off briefly."""
        settings: dict[str, Any] = {
            "access_url": self.url,
            "discovery_url": self.discovery_url,
            "account_id": self.account_id,
            "job_id": job_id,
            "token": self.token,
            "poll_interval_seconds": 0.05,
            "http_timeout_seconds": 5.0,
            "retry": RetryPolicy(backoff_base_seconds=0.01, backoff_max_seconds=0.1),
        }
        return CloudConfig.model_validate({**settings, **overrides})

    # -- inspection -----------------------------------------------------------------------
    def runs(self, job_id: int | None = None) -> list[FakeRun]:
        return [run for run in self._store.all() if job_id is None or run.job.id == job_id]

    def wait_idle(self) -> None:
        """Block until every run ended and the dbt work of cancelled ones is over too."""
        self._executor.wait_idle()

    def reset(self) -> None:
        """Wait for runs in flight, then forget runs, requests and pending faults."""
        self.wait_idle()
        self._store.clear()
        self.requests.clear()
        self.faults.clear()

    def run_object(self, run: FakeRun, related: Collection[str] = ("trigger",)) -> Any:
        """``run`` as the API serialises it, with the ``include_related`` objects asked for."""
        newest = self._store.newest_of_job(run.job.id)
        return run.as_api(self.account_id, self.url, set(related), newest.id if newest else 0)

    # -- API ------------------------------------------------------------------------------
    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any, str]:
        """``(status, payload, content type)`` for one authenticated request."""
        if path == "/graphql" and method == "POST":
            payload = execute_discovery_query(
                str((body or {}).get("query", "")),
                (body or {}).get("variables") or {},
                self._find_run_for_discovery,
            )
            return 200, payload, "application/json"
        if path in ("/api/v2/whoami/", "/api/v2/accounts/"):
            return (
                200,
                _envelope({"id": self.account_id, "name": "fake account"}),
                "application/json",
            )
        match = re.fullmatch(r"/api/v2/accounts/(\d+)/(.*)", path)
        if match is None or int(match.group(1)) != self.account_id:
            raise ApiError(404, _NOT_FOUND)
        rest = match.group(2)
        artifact = re.fullmatch(r"runs/(\d+)/artifacts/(.+)", rest)
        if artifact is not None and method == "GET":
            return self._artifact(int(artifact.group(1)), artifact.group(2), query)
        return 200, self._api(method, rest, query, body), "application/json"

    def _api(self, method: str, rest: str, query: dict[str, list[str]], body: Any) -> Any:
        related = _related(query)
        if method == "GET" and rest == "jobs/":
            jobs = [job.as_api(self.account_id) for job in self.jobs.values()]
            return _list_envelope(jobs, 0, len(jobs), len(jobs))
        if (m := re.fullmatch(r"jobs/(\d+)/", rest)) and method == "GET":
            return _envelope(self._job(int(m.group(1))).as_api(self.account_id))
        if (m := re.fullmatch(r"jobs/(\d+)/run/", rest)) and method == "POST":
            run = self._trigger(self._job(int(m.group(1))), body if isinstance(body, dict) else {})
            return _envelope(self.run_object(run, {"trigger", "job"}))
        if (m := re.fullmatch(r"jobs/(\d+)/rerun/", rest)) and method == "POST":
            return _envelope(self.run_object(self._rerun(self._job(int(m.group(1)))), {"trigger"}))
        if (m := re.fullmatch(r"runs/(\d+)/retry/", rest)) and method == "POST":
            previous = self._run(int(m.group(1)))
            return _envelope(self.run_object(self._rerun(previous.job, previous), {"trigger"}))
        if (m := re.fullmatch(r"runs/(\d+)/", rest)) and method == "GET":
            return _envelope(self.run_object(self._run(int(m.group(1))), related))
        if (m := re.fullmatch(r"runs/(\d+)/cancel/", rest)) and method == "POST":
            run = self._run(int(m.group(1)))
            run.finish(CANCELLED, "Cancelled by user")
            return _envelope(self.run_object(run, related))
        if (m := re.fullmatch(r"runs/(\d+)/artifacts/", rest)) and method == "GET":
            step = self._artifact_step(self._run(int(m.group(1))), query)
            return _envelope(None if step is None else _artifact_paths(step))
        if rest == "runs/" and method == "GET":
            return self._list_runs(query, related)
        raise ApiError(404, _NOT_FOUND)

    def _job(self, job_id: int) -> FakeJob:
        if job_id not in self.jobs:
            raise ApiError(404, _NOT_FOUND)
        return self.jobs[job_id]

    def _run(self, run_id: int) -> FakeRun:
        run = self._store.get(run_id)
        if run is None:
            raise ApiError(404, _NOT_FOUND)
        return run

    def _trigger(self, job: FakeJob, body: dict[str, Any]) -> FakeRun:
        cause = body.get("cause")
        if not isinstance(cause, str) or not cause:
            raise ApiError(400, "cause: This field is required.")
        if len(cause) > 255:
            raise ApiError(400, "cause: Ensure this field has no more than 255 characters.")
        steps = body.get("steps_override") or job.steps
        commands: list[list[str]] = []
        for step in steps:
            args = _split_dbt_command(step)
            commands.append(args)
        return self._create_run(job, body, commands)

    def _rerun(self, job: FakeJob, previous: FakeRun | None = None) -> FakeRun:
        latest = previous or self._store.newest_of_job(job.id)
        newest = self._store.newest_of_job(job.id)
        if latest is None or latest.retry_not_supported_reason(newest.id if newest else 0):
            trigger = {"cause": "Rerun of job (no failed run to retry)"}
            return self._create_run(job, trigger, [_split_dbt_command(s) for s in job.steps])
        trigger = {**latest.trigger, "cause": f"Retry of run {latest.id}"}
        return self._create_run(job, trigger, [["retry"]], retried_from=latest)

    def _create_run(
        self,
        job: FakeJob,
        trigger: dict[str, Any],
        commands: list[list[str]],
        retried_from: FakeRun | None = None,
    ) -> FakeRun:
        with self._store.lock:
            run_id = self._store.next_id()
            steps = setup_steps(str(job.connection.get("type", "warehouse")))
            for command in commands:
                index = len(steps) + 1
                steps.append(
                    FakeStep(index, f"Invoke dbt with `{shlex.join(['dbt', *command])}`", command)
                )
            run = FakeRun(
                id=run_id,
                job=job,
                trigger=dict(trigger),
                steps=steps,
                run_dir=self._work_dir / f"run_{run_id}",
                retried_from=retried_from,
            )
            self._store.add(run)
        self._executor.submit(run)
        return run

    def _list_runs(self, query: dict[str, list[str]], related: set[str]) -> Any:
        runs = self._store.all()
        if job := query.get("job_definition_id"):
            runs = [run for run in runs if run.job.id == int(job[0])]
        if status := query.get("status"):
            runs = [run for run in runs if run.status == int(status[0])]
        if status_in := query.get("status__in"):
            wanted = {int(v) for v in re.findall(r"\d+", status_in[0])}
            runs = [run for run in runs if run.status in wanted]
        order_by = (query.get("order_by") or ["id"])[0]
        runs.sort(key=lambda run: run.id, reverse=order_by.startswith("-"))
        limit = min(int((query.get("limit") or ["100"])[0]), 100)
        offset = int((query.get("offset") or ["0"])[0])
        page = [self.run_object(run, related) for run in runs[offset : offset + limit]]
        return _list_envelope(page, offset, limit, len(runs), order_by=order_by)

    def _artifact_step(self, run: FakeRun, query: dict[str, list[str]]) -> FakeStep | None:
        if step := query.get("step"):
            index = int(step[0])
            matching = [s for s in run.steps if s.index == index]
            return matching[0] if matching and matching[0].target_dir else None
        with_artifacts = [s for s in run.steps if s.target_dir is not None]
        return with_artifacts[-1] if with_artifacts else None

    def _artifact(
        self, run_id: int, path: str, query: dict[str, list[str]]
    ) -> tuple[int, Any, str]:
        step = self._artifact_step(self._run(run_id), query)
        if step is None or step.target_dir is None or ".." in path.split("/"):
            raise ApiError(404, _NOT_FOUND)
        file = step.target_dir / path
        if not file.is_file():
            raise ApiError(404, _NOT_FOUND)
        content_type = "application/json" if path.endswith(".json") else "text/plain"
        return 200, file.read_bytes(), content_type

    def _find_run_for_discovery(self, job_id: int, run_id: int | None) -> FakeRun | None:
        if run_id is not None:
            run = self._store.get(run_id)
            return run if run is not None and run.job.id == job_id else None
        return self._store.newest_of_job(job_id)


def _split_dbt_command(step: Any) -> list[str]:
    if not isinstance(step, str):
        raise ApiError(400, "steps_override: each step must be a string")
    try:
        args = shlex.split(step)
    except ValueError as exc:
        raise ApiError(400, f"steps_override: cannot parse {step!r}: {exc}") from exc
    if len(args) < 2 or args[0] != "dbt":
        raise ApiError(400, f"steps_override: {step!r} is not a dbt command")
    return args[1:]


def _artifact_paths(step: FakeStep) -> list[str]:
    assert step.target_dir is not None
    return sorted(
        str(path.relative_to(step.target_dir))
        for path in step.target_dir.rglob("*")
        if path.is_file() and path.name not in _HIDDEN_ARTIFACTS
    )


def _envelope(data: Any) -> dict[str, Any]:
    return {"status": status_block(200), "data": data}


def _list_envelope(
    items: list[Any], offset: int, limit: int, total: int, *, order_by: str = "id"
) -> dict[str, Any]:
    return {
        "status": status_block(200),
        "data": items,
        "extra": {
            "filters": {"limit": limit, "offset": offset},
            "order_by": order_by,
            "pagination": {"count": len(items), "total_count": total},
        },
    }
