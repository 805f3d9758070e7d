"""Shared fixtures: a tiny dbt project and a fake dbt Cloud running it on DuckDB."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from floe_core import DBTInvocation, GeneratedProfile
from floe_dbt_cloud import CloudRuntime
from floe_dbt_cloud.testing import FakeDbtCloud, FakeJob
from floe_dbt_cloud.testing._contract import contract_violation

JOB_ID = 42


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two models and a test: a real dbt project that runs in about a second."""
    project = tmp_path_factory.mktemp("tiny") / "tiny"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: tiny\nversion: '1.0'\nconfig-version: 2\nprofile: floe\n"
    )
    (project / "models" / "numbers.sql").write_text(
        "select * from (values (1), (2), (3)) as t(n)\n"
        "{% if var('fail_model', false) %} cross join missing_table {% endif %}"
    )
    (project / "models" / "doubled.sql").write_text("select n * 2 as n from {{ ref('numbers') }}")
    (project / "models" / "schema.yml").write_text(
        "version: 2\nmodels:\n  - name: doubled\n    columns:\n      - name: n\n"
        "        data_tests: [not_null]\n"
    )
    return project


@pytest.fixture(scope="session")
def fake_account(
    tiny_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FakeDbtCloud]:
    """One fake account for the session: dbt stays warm and the job's parse is reused."""
    root = tmp_path_factory.mktemp("fake-cloud")
    job = FakeJob(
        id=JOB_ID,
        project_dir=tiny_project,
        connection={"type": "duckdb", "path": str(root / "warehouse.duckdb")},
    )
    with FakeDbtCloud([job], work_dir=root / "runs") as server:
        yield server


@pytest.fixture
def fake(fake_account: FakeDbtCloud) -> Iterator[FakeDbtCloud]:
    """The session's fake, emptied of runs, requests and faults left by earlier tests.

    Every answer it gave during the test must have the documented shape.
    """
    fake_account.reset()
    yield fake_account
    violations = [
        violation
        for r in fake_account.responses
        if (violation := contract_violation(r.method, r.path, r.status, r.content_type, r.payload))
    ]
    assert not violations, "the fake broke the documented contract:\n" + "\n".join(violations)


@pytest.fixture
def invocation(tiny_project: Path, tmp_path: Path) -> DBTInvocation:
    return DBTInvocation(
        project_dir=tiny_project,
        profile=GeneratedProfile(outputs={"dev": {"type": "duckdb"}}),
        target_path=tmp_path / "artifacts",
    )


@pytest.fixture
def job_id() -> int:
    return JOB_ID


@pytest.fixture
def delays() -> list[float]:
    """The delays asked of the ``sleep`` fixture, in order."""
    return []


@pytest.fixture
def sleep(delays: list[float]) -> Callable[[float], None]:
    """Records each requested delay but sleeps at most 10 ms, so backoff tests are fast."""

    def record(seconds: float) -> None:
        delays.append(seconds)
        time.sleep(min(seconds, 0.01))

    return record


@pytest.fixture
def make_runtime(
    fake: FakeDbtCloud, sleep: Callable[[float], None]
) -> Iterator[Callable[..., CloudRuntime]]:
    made: list[CloudRuntime] = []

    def make(**overrides: object) -> CloudRuntime:
        settings = {"job_id": JOB_ID, **overrides}  # job_id=None to name the job instead
        runtime = CloudRuntime(fake.cloud_config(**settings), sleep=sleep)
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()
