"""The cloud runtime against the fake dbt Cloud (``floe_dbt_cloud.testing.FakeDbtCloud``).

The fake runs in the bench process and executes each triggered job with real dbt-core, so a
``floe build`` with the cloud runtime costs the fake's own execution plus the client's work
(triggering, polling, fetching artifacts, translating results). After every repetition the
subject reads the fake's run (``dequeued_at`` to ``finished_at``) so the report can show the
client's overhead above that execution.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.services import register_service
from bench.subjects import Action, Workspace, floe_subjects, register

__all__ = ["SERVICE", "TOKEN_ENV"]

SERVICE = "dbt-cloud-fake"
TOKEN_ENV = "FLOE_BENCH_DBT_CLOUD_TOKEN"
_POLL_SECONDS = 0.2
"""The client's poll interval: a fixed latency of up to this much per run."""


@contextmanager
def _fake_dbt_cloud(scratch: Path) -> Iterator[dict[str, Any]]:
    from floe_dbt_cloud.testing import FakeDbtCloud

    with FakeDbtCloud([], work_dir=scratch / "dbt-cloud-fake") as fake:
        yield {"fake": fake, "jobs": {}, "env": {TOKEN_ENV: fake.token}}


def _job_id(ws: Workspace) -> int:
    jobs: dict[Path, int] = ws.services[SERVICE]["jobs"]
    return jobs.setdefault(ws.root, len(jobs) + 1)


def _plugin(ws: Workspace) -> dict[str, Any]:
    """Give the workspace its own job on the fake and point the runtime at it."""
    from floe_dbt_cloud.testing import FakeJob

    fake = ws.services[SERVICE]["fake"]
    job_id = _job_id(ws)
    connection = ws.warehouse.dbt_output(ws.root, ws.threads)
    fake.jobs[job_id] = FakeJob(
        id=job_id, project_dir=ws.project_dir, connection=connection, threads=ws.threads
    )
    config = {
        "access_url": fake.url,
        "discovery_url": fake.discovery_url,
        "account_id": fake.account_id,
        "job_id": job_id,
        "token": f"${{env:{TOKEN_ENV}}}",
        "poll_interval_seconds": _POLL_SECONDS,
    }
    return {"type": "cloud", "config": config}


def _server_seconds(ws: Workspace) -> dict[str, float]:
    """The fake's own execution time of the newest run of the workspace's job."""
    fake = ws.services[SERVICE]["fake"]
    fake.wait_idle()
    runs = fake.runs(_job_id(ws))
    # From pick-up (``dequeued_at``) on: the Starting phase is the fake's time, not floe's.
    if not runs or runs[-1].dequeued_at is None or runs[-1].finished_at is None:
        return {}
    return {"server_seconds": (runs[-1].finished_at - runs[-1].dequeued_at).total_seconds()}


register_service(SERVICE, _fake_dbt_cloud)
register(
    *floe_subjects(
        "cloud",
        plugin=_plugin,
        services=(SERVICE,),
        warehouses=("duckdb",),
        actions=(Action.RUN, Action.BUILD),
        prime=Action.BUILD,
        observe=_server_seconds,
    )
)
