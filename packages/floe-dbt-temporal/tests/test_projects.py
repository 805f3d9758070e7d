from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from floe_core import DBTCommand, GeneratedProfile, ProfileError, ProjectError
from floe_core.stores import folder_version
from floe_dbt_temporal import (
    GitProject,
    LocalProject,
    ProjectEntry,
    RunContext,
)
from floe_dbt_temporal._projects import ProjectRegistry


def _project(root: Path, sql: str = "select 1 as id") -> Path:
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text("name: p\nprofile: floe\n")
    (root / "models" / "m.sql").write_text(sql)
    return root


def _git(*args: str, cwd: Path) -> str:
    command = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_folder_version_follows_content_not_build_output(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    before = folder_version(project)
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")
    assert folder_version(project) == before
    (project / "models" / "m.sql").write_text("select 2 as id")
    assert folder_version(project) != before


def test_a_local_project_changed_after_planning_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    registry = ProjectRegistry({}, tmp_path / "cache")
    version = registry.current_version(LocalProject(path=project))
    (project / "models" / "m.sql").write_text("select 2 as id")
    with pytest.raises(ProjectError, match="changed since the run was planned"):
        registry.checkout(LocalProject(path=project), version)


def test_git_projects_are_checked_out_at_the_planned_commit(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo" / "analytics")
    _git("init", "-q", cwd=repo.parent)
    _git("add", ".", cwd=repo.parent)
    _git("commit", "-qm", "v1", cwd=repo.parent)
    source = GitProject(url=str(repo.parent), ref="HEAD", subdir="analytics")
    registry = ProjectRegistry({"analytics": ProjectEntry(source=source)}, tmp_path / "cache")
    context = RunContext(run_id="r", project="analytics", command=DBTCommand.RUN)

    planned = registry.current_version(registry.entry(context).source)
    (repo / "models" / "m.sql").write_text("select 2 as id")
    _git("commit", "-qam", "v2", cwd=repo.parent)
    checkout = registry.checkout(source, planned)

    assert planned == _git("rev-parse", "HEAD~1", cwd=repo.parent).strip()
    assert (checkout / "models" / "m.sql").read_text() == "select 1 as id"


def test_unknown_project_names_the_registered_ones(tmp_path: Path) -> None:
    registry = ProjectRegistry(
        {"shop": ProjectEntry(source=LocalProject(path=tmp_path))}, tmp_path / "cache"
    )
    with pytest.raises(ProjectError, match=r"'crm' is not registered.*known: shop"):
        registry.entry(RunContext(run_id="r", project="crm", command=DBTCommand.RUN))


def test_a_project_registered_without_profile_never_runs_with_the_clients(
    tmp_path: Path,
) -> None:
    client_profile = GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": "x.duckdb"}})
    projects = {"shop": ProjectEntry(source=LocalProject(path=tmp_path))}
    context = RunContext(run_id="r", project="shop", command=DBTCommand.RUN, profile=client_profile)

    with pytest.raises(ProfileError, match="never uses the profile a client sends") as refused:
        ProjectRegistry(projects, tmp_path / "cache").profile(context)
    assert "--allow-any-project" in (refused.value.hint or "")
    trusting = ProjectRegistry(projects, tmp_path / "cache", allow_any_project=True)
    assert trusting.profile(context) == client_profile
