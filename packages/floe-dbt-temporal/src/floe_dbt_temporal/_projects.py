"""Where a worker finds the dbt project of a run: a registry by name, a path, or git.

The plan activity pins a *version* (a content hash of a folder, or a git commit); every node
activity asks for that version, so all workers execute the same project even if the folder
or the branch moves during the run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from floe_core import ProfileError, ProfileSource, ProjectError
from floe_dbt_temporal._models import GitProject, LocalProject, ProjectSource, RunContext

__all__ = ["ProjectEntry", "ProjectRegistry", "folder_version"]

_NOT_PROJECT_FILES = {"target", "logs", "dbt_packages", ".git", "__pycache__"}


class ProjectEntry(BaseModel):
    """A project a worker serves: where it is and which profile it runs with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: ProjectSource
    profile: ProfileSource | None = None


def folder_version(project_dir: Path) -> str:
    """SHA-256 over the project's files (paths and contents), build output excluded."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(project_dir):
        dirs[:] = sorted(d for d in dirs if d not in _NOT_PROJECT_FILES)
        for name in sorted(files):
            if name.endswith((".duckdb", ".duckdb.wal")):
                continue
            path = Path(root) / name
            digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _git(*args: str, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=300
        )
    except (OSError, subprocess.SubprocessError) as exc:
        stderr = getattr(exc, "stderr", "") or ""
        raise ProjectError(f"git {args[0]} failed: {stderr.strip() or exc}") from exc
    return done.stdout.strip()


class ProjectRegistry:
    """Projects of one worker by name; ``cache_dir`` holds git checkouts by commit."""

    def __init__(self, projects: Mapping[str, ProjectEntry], cache_dir: Path) -> None:
        self.projects = dict(projects)
        self.cache_dir = Path(cache_dir)

    def entry(self, context: RunContext) -> ProjectEntry:
        if context.source is not None:
            return ProjectEntry(source=context.source, profile=context.profile)
        if context.project is None or context.project not in self.projects:
            known = ", ".join(sorted(self.projects)) or "none"
            raise ProjectError(
                f"project {context.project!r} is not registered on this worker (known: {known})",
                hint="start the worker with --project NAME=PATH_OR_GIT_URL",
            )
        registered = self.projects[context.project]
        if context.profile is not None:
            return ProjectEntry(source=registered.source, profile=context.profile)
        return registered

    def profile(self, context: RunContext) -> ProfileSource:
        profile = self.entry(context).profile
        if profile is None:
            raise ProfileError(
                f"no dbt profile for project {context.project or context.source}",
                hint="pass the profile in the run or register the project with one",
            )
        return profile

    def current_version(self, source: ProjectSource) -> str:
        """The version a run planned now executes."""
        if isinstance(source, LocalProject):
            self._require_project(source.path)
            return folder_version(source.path)
        return _git("ls-remote", source.url, source.ref).split()[0] if source.ref else ""

    def checkout(self, source: ProjectSource, version: str) -> Path:
        """A local folder holding ``source`` at ``version``."""
        if isinstance(source, LocalProject):
            if version and folder_version(source.path) != version:
                raise ProjectError(
                    f"dbt project {source.path} changed since the run was planned",
                    hint="do not edit the project during a run; start a new run",
                )
            return source.path
        return self._git_checkout(source, version)

    def _git_checkout(self, source: GitProject, commit: str) -> Path:
        target = self.cache_dir / "git" / commit
        if not target.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{commit}."))
            _git("clone", "--quiet", "--no-checkout", source.url, str(staging))
            _git("checkout", "--quiet", commit, cwd=staging)
            try:
                staging.rename(target)
            except OSError:  # another activity checked it out first
                shutil.rmtree(staging, ignore_errors=True)
        project = target / source.subdir if source.subdir else target
        self._require_project(project)
        return project

    @staticmethod
    def _require_project(path: Path) -> None:
        if not (path / "dbt_project.yml").is_file():
            raise ProjectError(
                f"no dbt project at {path}: dbt_project.yml not found",
                hint="point the project at the folder holding dbt_project.yml",
            )
