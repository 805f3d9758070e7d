"""A worker serving a project from git runs the commit the client checked out, never the one
its branch points at later; a commit it cannot fetch is refused by name."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from floe_core import DBTInvocation, GeneratedProfile, RunStatus
from floe_core.api import Floe
from floe_core.manifest import load_manifest
from floe_dbt_temporal import GitProject, ProjectEntry, TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]

_MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
project:
  source: {{type: git, url: "{url}", ref: main}}
  target: dev
plugins:
  dbt_runtime:
    type: temporal
    config: {{address: "{address}", task_queue: {queue}, artifact_store: {store}}}
compute: {{type: duckdb, config: {{path: {warehouse}, threads: 1}}}}
"""


def _git(*args: str, cwd: Path) -> str:
    command = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def _commit(repo: Path, value: int) -> str:
    (repo / "models" / "m.sql").write_text(f"select {value} as v")
    _git("add", ".", cwd=repo)
    _git("commit", "-qm", f"v{value}", cwd=repo)
    return _git("rev-parse", "HEAD", cwd=repo).strip()


def test_the_worker_runs_the_commit_the_client_resolved(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    (repo / "models").mkdir(parents=True)
    (repo / "dbt_project.yml").write_text("name: p\nconfig-version: 2\nprofile: floe\n")
    _git("init", "-q", "-b", "main", cwd=repo)
    first = _commit(repo, 1)
    url = f"file://{repo}"
    manifest = tmp_path / "platform-manifest.yaml"
    manifest.write_text(
        _MANIFEST.format(
            url=url,
            address=settings.address,
            queue=settings.task_queue,
            store=settings.artifact_store,
            warehouse=tmp_path / "client.duckdb",
        )
    )
    worker = settings.model_copy(
        update={
            "allow_any_project": False,
            "projects": {
                "p": ProjectEntry(source=GitProject(url=url, ref="main"), profile=duckdb_profile)
            },
        }
    )
    runtime = make_runtime()
    floe = Floe(load_manifest(manifest), runtime)  # the client checks out `main` now: v1
    assert floe.project_version == first
    _commit(repo, 2)  # the branch moves before the run starts

    with temporal_server.worker(worker):
        result = floe.build()
        refused = runtime.build(
            DBTInvocation(
                project_dir=floe.project_dir, profile=floe.profile, project_version="0" * 40
            )
        )

    assert result.status is RunStatus.SUCCESS, result.error
    warehouse = duckdb_profile.outputs["dev"]["path"]
    with duckdb.connect(warehouse, read_only=True) as connection:
        assert connection.execute("select v from m").fetchall() == [(1,)]
    assert refused.status is RunStatus.ERROR
    assert f"commit {'0' * 40} the client runs cannot be checked out from {url}" in (
        refused.error or ""
    )
    assert refused.nodes == ()
