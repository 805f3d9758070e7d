"""A faithful fake dbt Cloud for offline tests of floe and of your own pipelines.

``FakeDbtCloud`` serves the Admin API (v2 runs, jobs, steps, artifacts; v2/v3 accounts,
projects, environments) and the Discovery ``job(id, runId)`` query on loopback, following
dbt Labs' published contract, and runs every triggered job with real dbt-core against your
warehouse (DuckDB, PostgreSQL, ...), so run objects, steps and artifacts look like dbt
Cloud's and the data is real::

    from floe_dbt_cloud import CloudConfig, CloudRuntime
    from floe_dbt_cloud.testing import FakeDbtCloud, FakeJob

    job = FakeJob(id=1, project_dir=Path("my_project"),
                  connection={"type": "duckdb", "path": "/tmp/wh.duckdb"})
    with FakeDbtCloud([job]) as fake:
        runtime = CloudRuntime(fake.cloud_config(job_id=1))
        result = runtime.build(invocation)
        assert len(fake.runs()) == 1

``fake.faults`` injects 429s (with or without ``Retry-After``), 5xx, an HTML 502, slow
answers, lost trigger responses and slow runs (for timeouts); a job's ``timeout_seconds``
ends a run as dbt Cloud does (Cancelled, "timed out" message). Requires the ``testing``
extra (dbt-core and an adapter).
"""

from __future__ import annotations

from floe_dbt_cloud.testing._faults import TRIGGER_PATH, Fault, FaultInjector
from floe_dbt_cloud.testing._http import RecordedRequest, RecordedResponse
from floe_dbt_cloud.testing._server import FakeDbtCloud
from floe_dbt_cloud.testing._state import FakeJob, FakeRun, FakeStep

__all__ = [
    "TRIGGER_PATH",
    "FakeDbtCloud",
    "FakeJob",
    "FakeRun",
    "FakeStep",
    "Fault",
    "FaultInjector",
    "RecordedRequest",
    "RecordedResponse",
]
