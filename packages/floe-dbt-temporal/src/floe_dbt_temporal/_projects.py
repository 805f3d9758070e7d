"""Where a worker finds the dbt project of a run: a registry by name, a path, or git.

The plan activity pins a *version* (a content hash of a folder, or a git commit); every node
activity asks for that version, so all workers execute the same project even if the folder
or the branch moves during the run. Resolving and checking out is floe-core's
:class:`~floe_core.stores.ProjectStore`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from floe_core import ProfileError, ProfileSource, ProjectError
from floe_core.manifest import GitProjectSource
from floe_core.stores import ProjectLocation, ProjectStore
from floe_dbt_temporal._models import LocalProject, ProjectSource, RunContext

__all__ = ["ProjectEntry", "ProjectRegistry"]


class ProjectEntry(BaseModel):
    """A project a worker serves: where it is and which profile it runs with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: ProjectSource
    profile: ProfileSource | None = None


def _location(source: ProjectSource) -> ProjectLocation:
    if isinstance(source, LocalProject):
        return source.path
    return GitProjectSource(type="git", url=source.url, ref=source.ref, subdir=source.subdir)


class ProjectRegistry:
    """Projects of one worker by name; ``cache_dir`` holds git checkouts by commit.

    A worker runs only the projects registered with it (``--project``, ``--manifest``),
    with their source and, when registered with one, their profile: a client names the
    project, it cannot make the worker run another folder or another profile (the worker's
    secrets are visible to a project's Jinja). ``allow_any_project`` (``floe worker
    --allow-any-project``) opts into running what a client sends (one trusted machine).
    """

    def __init__(
        self,
        projects: Mapping[str, ProjectEntry],
        cache_dir: Path,
        *,
        allow_any_project: bool = False,
    ) -> None:
        self.projects = dict(projects)
        self.store = ProjectStore(cache_dir)
        self.allow_any_project = allow_any_project

    def entry(self, context: RunContext) -> ProjectEntry:
        registered = self.projects.get(context.project or "")
        if registered is not None:
            return registered.model_copy(update={"profile": registered.profile or context.profile})
        if self.allow_any_project and context.source is not None:
            return ProjectEntry(source=context.source, profile=context.profile)
        known = ", ".join(sorted(self.projects)) or "none"
        raise ProjectError(
            f"project {context.project or context.source!r} is not registered on this worker"
            f" (known: {known})",
            hint="start the worker with --project NAME=PATH_OR_GIT_URL (or --manifest naming"
            " the project); --allow-any-project runs whatever a client sends",
        )

    def profile(self, context: RunContext) -> ProfileSource:
        profile = self.entry(context).profile
        if profile is None:
            raise ProfileError(
                f"no dbt profile for project {context.project or context.source}",
                hint="register the project with a profile (floe worker --manifest)",
            )
        return profile

    def current_version(self, source: ProjectSource) -> str:
        """The version a run planned now executes."""
        return self.store.resolve(_location(source))

    def checkout(self, source: ProjectSource, version: str) -> Path:
        """A local folder holding ``source`` at ``version`` (its current one if not pinned:
        a hook that runs before the plan)."""
        location = _location(source)
        return self.store.checkout(location, version or self.store.resolve(location))
