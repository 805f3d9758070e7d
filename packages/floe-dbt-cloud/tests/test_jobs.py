"""Jobs by name and lists past one page, against a fake account with many jobs and runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from floe_core import DBTInvocation, PluginConfigError, RunStatus
from floe_core.manifest import load_manifest
from floe_core.registry import PluginRegistry
from floe_dbt_cloud import CloudRuntime, DbtCloudClient
from floe_dbt_cloud.testing import FakeDbtCloud, FakeJob, FakeRun

FILLER_JOBS = 130  # more than one page (100) of jobs


@pytest.fixture(scope="module")
def crowded(tiny_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeDbtCloud]:
    """An account whose job names repeat across projects, behind more than 100 other jobs."""
    root = tmp_path_factory.mktemp("crowded")
    connection = {"type": "duckdb", "path": str(root / "warehouse.duckdb")}

    def job(job_id: int, name: str, project: int = 1, environment: int = 1) -> FakeJob:
        return FakeJob(job_id, tiny_project, connection, name, project_id=project,
                       environment_id=environment)  # fmt: skip

    jobs = [job(i, f"filler {i}") for i in range(1, FILLER_JOBS + 1)]
    jobs += [
        job(501, "nightly", project=1, environment=1),
        job(502, "nightly", project=2, environment=3),
        job(503, "Hourly build", project=2, environment=3),
    ]
    with FakeDbtCloud(jobs, work_dir=root / "runs") as fake:
        yield fake


def _client(fake: FakeDbtCloud) -> DbtCloudClient:
    return DbtCloudClient(fake.cloud_config(1))


def test_job_list_reads_every_page(crowded: FakeDbtCloud) -> None:
    crowded.requests.clear()
    with _client(crowded) as client:
        jobs = client.list_jobs()
    assert len(jobs) == FILLER_JOBS + 3
    assert len({job["id"] for job in jobs}) == len(jobs)
    pages = [r for r in crowded.requests if r.path.endswith("/jobs/")]
    assert [r.query["offset"] for r in pages] == [["0"], ["100"]]


def test_run_list_reads_past_one_page(crowded: FakeDbtCloud) -> None:
    job = crowded.jobs[1]
    for _ in range(150):  # finished runs, as an account's history holds them
        run_id, trigger_id = crowded.store.next_ids()
        run = FakeRun(run_id, job, {"cause": "history"}, [], Path("unused"), trigger_id)
        run.finish(10)
        crowded.store.add(run)
    with _client(crowded) as client:
        runs = client.list_runs(1, limit=140)
        everything = list(client.iter_runs(1))
    assert len(runs) == 140
    assert [r.id for r in runs] == sorted((r.id for r in runs), reverse=True)
    assert len(everything) == 150
    assert runs[0].finished_at is not None
    assert runs[0].finished_at <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        ({"name": "nightly", "project_id": 2}, 502),
        ({"name": "nightly", "environment_id": 1}, 501),
        ({"name": "Hourly build"}, 503),
    ],
)
def test_job_named_in_the_manifest_is_resolved(
    crowded: FakeDbtCloud, job: dict[str, object], expected: int
) -> None:
    with CloudRuntime(crowded.cloud_config(job=job)) as runtime:
        assert runtime.jobs.job_id(runtime.config.job_for_target(None)) == expected
        health = runtime.health_check()
    assert health.healthy, health.message
    assert health.checks["job"] == job["name"]


def test_ambiguous_job_name_lists_the_matches_and_how_to_choose(crowded: FakeDbtCloud) -> None:
    config = crowded.cloud_config(jobs={"prod": {"name": "nightly"}})
    with CloudRuntime(config) as runtime, pytest.raises(PluginConfigError) as excinfo:
        runtime.jobs.job_id(config.job_for_target("prod"))
    assert excinfo.value.message == (
        "plugins.dbt_runtime.config.jobs.prod: 2 dbt Cloud jobs match the job named 'nightly': "
        "id 501 (project 1, environment 1); id 502 (project 2, environment 3)"
    )
    assert "add project_id and/or environment_id" in (excinfo.value.hint or "")
    assert excinfo.value.exit_code == 2


def test_unknown_job_name_suggests_the_close_ones(crowded: FakeDbtCloud) -> None:
    config = crowded.cloud_config(job={"name": "hourly"})
    with CloudRuntime(config) as runtime:
        health = runtime.health_check()
    assert not health.healthy
    assert health.message == (
        "plugins.dbt_runtime.config.job: dbt Cloud account 1 has no job named 'hourly'"
    )
    assert health.checks == {"dbt_cloud_api": "ok", "job": "not resolved"}
    with CloudRuntime(config) as runtime, pytest.raises(PluginConfigError) as excinfo:
        runtime.jobs.job_id(config.job_for_target(None))
    assert "did you mean 'Hourly build'?" in (excinfo.value.hint or "")


@pytest.mark.slow
def test_job_name_is_resolved_once_for_every_run(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    runtime = make_runtime(job_id=None, job={"name": "floe job", "project_id": 1})
    first = runtime.build(invocation)
    second = runtime.run_models(invocation)
    assert (first.status, second.status) == (RunStatus.SUCCESS, RunStatus.SUCCESS)
    assert first.metadata["dbt_cloud_job_id"] == second.metadata["dbt_cloud_job_id"] == 42
    lookups = [r for r in fake.requests if r.path.endswith("/jobs/")]
    assert len(lookups) == 1
    assert lookups[0].query["name__icontains"] == ["floe job"]


@pytest.mark.parametrize(
    ("config", "field", "message"),
    [
        ({"job_id": 1, "job": {"name": "x"}}, "job_id", "not both"),
        ({"job": {"name": ""}}, "job.name", "at least 1 character"),
        ({"job": {"name": "x", "project": 2}}, "job.project", "did you mean 'project_id'"),
        ({"jobs": {"prod": {"id": 3}}}, "jobs.prod", ""),
        ({"job_id": 1, "run_overrides": {"threads_override": 0}}, "threads_override", ""),
        ({"job_id": 1, "run_overrides": {"steps_override": ["ls"]}}, "steps_override", "dbt"),
        ({"job_id": 1, "run_overrides": {"git_sha_override": "x"}}, "git_sha_override", ""),
    ],
)
def test_bad_job_or_overrides_config_is_located(
    tmp_path: Path, config: dict[str, object], field: str, message: str
) -> None:
    manifest = tmp_path / "platform-manifest.yaml"
    lines = "\n".join(f"        {line}" for line in _yaml(config).splitlines())
    manifest.write_text(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\nplugins:\n  dbt_runtime:\n"
        "    type: cloud\n    config:\n        account_id: 1\n        token: t\n" + lines + "\n"
    )
    loaded = load_manifest(manifest)
    with pytest.raises(PluginConfigError) as excinfo:
        PluginRegistry().create_from_manifest(loaded)
    text = str(excinfo.value)
    assert f"{manifest}:" in text
    assert field in text
    assert message in text


def _yaml(config: dict[str, object]) -> str:
    return yaml.safe_dump(config, default_flow_style=False)
