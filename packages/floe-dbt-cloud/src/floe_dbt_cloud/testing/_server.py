"""``FakeDbtCloud``: a dbt Cloud Admin API v2 + Discovery endpoint on loopback.

It honours the documented contract (paths, ``Token``/``Bearer`` auth, envelopes, status
codes, field names, timestamp formats, list filters and pagination, per-step artifacts) and
executes every triggered run with real dbt-core, so the artifacts it serves are genuine.
"""

from __future__ import annotations

import shlex
import tempfile
import threading
from collections.abc import Collection
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from floe_dbt_cloud._config import CloudConfig, RetryPolicy
from floe_dbt_cloud.testing._admin import ROUTES
from floe_dbt_cloud.testing._envelope import NOT_FOUND, ApiError
from floe_dbt_cloud.testing._executor import RunExecutor, setup_steps
from floe_dbt_cloud.testing._faults import FaultInjector
from floe_dbt_cloud.testing._graphql import execute_discovery_query
from floe_dbt_cloud.testing._http import RecordedRequest, RecordedResponse, make_handler
from floe_dbt_cloud.testing._query import Query
from floe_dbt_cloud.testing._state import FakeJob, FakeRun, FakeStep, RunStore
from floe_dbt_cloud.testing._trigger import split_dbt_command

__all__ = ["FakeDbtCloud"]


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
        self.responses: list[RecordedResponse] = []
        """Every answer given (not injected faults), for contract checks."""
        self.store = RunStore()
        """Every run the fake created (thread-safe)."""
        self.created_at = datetime.now(UTC)
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

    def cloud_config(self, job_id: int | None = None, **overrides: Any) -> CloudConfig:
        """A :class:`CloudConfig` for this fake, polling fast and backing off briefly.

        ``job_id`` may be left out when ``overrides`` name the job (``job=`` or ``jobs=``).
        """
        settings: dict[str, Any] = {
            "access_url": self.url,
            "discovery_url": self.discovery_url,
            "account_id": self.account_id,
            "token": self.token,
            "poll_interval_seconds": 0.05,
            "http_timeout_seconds": 5.0,
            "retry": RetryPolicy(backoff_base_seconds=0.01, backoff_max_seconds=0.1),
        }
        if job_id is not None:
            settings["job_id"] = job_id
        return CloudConfig.model_validate({**settings, **overrides})

    # -- inspection -----------------------------------------------------------------------
    def runs(self, job_id: int | None = None) -> list[FakeRun]:
        return [run for run in self.store.all() if job_id is None or run.job.id == job_id]

    def wait_idle(self) -> None:
        """Block until every run ended and the dbt work of cancelled ones is over too."""
        self._executor.wait_idle()

    def reset(self) -> None:
        """Wait for runs in flight, then forget runs, requests and pending faults."""
        self.wait_idle()
        self.store.clear()
        self.requests.clear()
        self.responses.clear()
        self.faults.clear()

    def run_object(self, run: FakeRun, related: Collection[str] = ("trigger",)) -> Any:
        """``run`` as the API serialises it, with the ``include_related`` objects asked for."""
        newest = self.store.newest_of_job(run.job.id)
        return run.as_api(self.account_id, self.url, set(related), newest.id if newest else 0)

    # -- API ----------------------------------------------------------------------------
    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any, str]:
        """``(status, payload, content type)`` for one authenticated request."""
        if path in ("/graphql", "/beta/graphql"):
            if method != "POST":
                raise ApiError(405, f"Method {method!r} not allowed.", {"Allow": "POST"})
            payload = execute_discovery_query(body, self._find_run_for_discovery)
            return 200, payload, "application/json"
        allowed: list[str] = []
        served = "GET" if method == "HEAD" else method  # HEAD: a GET's headers, no body
        for route in ROUTES:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            if route.method != served:
                allowed.append(route.method)
                continue
            if int(match.groupdict().get("account") or self.account_id) != self.account_id:
                raise ApiError(404, NOT_FOUND)
            return route.handler(self, match, Query(query), body)
        if allowed:
            raise ApiError(405, f"Method {method!r} not allowed.", {"Allow": ", ".join(allowed)})
        raise ApiError(404, NOT_FOUND)

    def trigger(self, job: FakeJob, body: dict[str, Any]) -> FakeRun:
        """A run of ``job`` with the (validated) trigger ``body``'s overrides."""
        steps = body.get("steps_override") or job.steps
        commands = [split_dbt_command(step) for step in steps]
        docs = body.get("generate_docs_override")
        if (job.generate_docs if docs is None else docs) and ["docs", "generate"] not in commands:
            commands.append(["docs", "generate"])
        return self._create_run(job, body, commands)

    def rerun(self, job: FakeJob, previous: FakeRun | None = None) -> FakeRun:
        latest = previous or self.store.newest_of_job(job.id)
        newest = self.store.newest_of_job(job.id)
        if latest is None or latest.retry_not_supported_reason(newest.id if newest else 0):
            trigger = {"cause": "Rerun of job (no failed run to retry)"}
            return self._create_run(job, trigger, [split_dbt_command(s) for s in job.steps])
        trigger = {**latest.trigger, "cause": f"Retry of run {latest.id}"}
        return self._create_run(job, trigger, [["retry"]], retried_from=latest)

    def _create_run(
        self,
        job: FakeJob,
        trigger: dict[str, Any],
        commands: list[list[str]],
        retried_from: FakeRun | None = None,
    ) -> FakeRun:
        with self.store.lock:
            run_id, trigger_id = self.store.next_ids()
            steps = setup_steps(str(job.connection.get("type", "warehouse")))
            for command in commands:
                index = len(steps) + 1
                steps.append(
                    FakeStep(index, f"Invoke dbt with `{shlex.join(['dbt', *command])}`", command)
                )
            run = FakeRun(
                id=run_id,
                trigger_id=trigger_id,
                job=job,
                trigger=dict(trigger),
                steps=steps,
                run_dir=self._work_dir / f"run_{run_id}",
                retried_from=retried_from,
            )
            self.store.add(run)
        self._executor.submit(run)
        return run

    def _find_run_for_discovery(self, job_id: int, run_id: int | None) -> FakeRun | None:
        if run_id is not None:
            run = self.store.get(run_id)
            return run if run is not None and run.job.id == job_id else None
        return self.store.newest_of_job(job_id)
