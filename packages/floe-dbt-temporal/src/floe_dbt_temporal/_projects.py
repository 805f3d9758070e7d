"""Where a worker finds the dbt project of a run: a registry by name, a path, git, or an
object-storage prefix.

The plan activity pins a *version* (a content hash of a folder or of an object prefix's
listing, or a git commit); every node
activity asks for that version, so all workers execute the same project even if the folder
or the branch moves during the run. Resolving and checking out is floe-core's
:class:`~floe_core.stores.ProjectStore`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from floe_core import ProfileError, ProfileSource, ProjectError
from floe_core.manifest import GitProjectSource, ObjectProjectSource, object_store_kind
from floe_core.stores import ProjectLocation, ProjectStore
from floe_dbt_temporal._models import (
    GitProject,
    LocalProject,
    ObjectProject,
    ProjectSource,
    RunContext,
)

__all__ = ["ProjectEntry", "ProjectRegistry"]


class ProjectEntry(BaseModel):
    """A project a worker serves: where it is and which profile it runs with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: ProjectSource
    profile: ProfileSource | None = None


def _location(source: ProjectSource) -> ProjectLocation:
    if isinstance(source, LocalProject):
        return source.path
    if isinstance(source, ObjectProject):
        return ObjectProjectSource.model_validate(
            {"type": object_store_kind(source.url), "url": source.url, "options": source.options}
        )
    return GitProjectSource(type="git", url=source.url, ref=source.ref, subdir=source.subdir)


class ProjectRegistry:
    """Projects of one worker by name; ``cache_dir`` holds git checkouts by commit.

    A worker runs only the projects registered with it (``--project``, ``--manifest``),
    with their source and their profile: a client names the project (and, for git, the
    commit), it cannot make the worker run another folder or another profile (the worker's
    secrets are visible to a project's Jinja). ``allow_any_project`` (``floe worker
    --allow-any-project``) opts into running what a client sends, folder or profile (one
    trusted machine).
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
            if registered.profile is None and self.allow_any_project:
                return registered.model_copy(update={"profile": context.profile})
            return registered
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
                f"project {context.project or context.source!r} is registered on this worker"
                " without a dbt profile, and a worker never uses the profile a client sends"
                " (its Jinja would see this worker's secrets)",
                hint="start the worker with --manifest (its compute/profile serves its project"
                " and every --project), or with --allow-any-project on a trusted machine",
            )
        return profile

    def planned_version(self, context: RunContext) -> str:
        """The version a run executes: for a project served from git, the commit the client
        checked out (``context.project_version``), checked out here now so a commit this
        worker cannot fetch fails the plan, not every node; else the source's current one."""
        entry = self.entry(context)
        if not (isinstance(entry.source, GitProject) and context.project_version):
            return self.current_version(entry.source)
        try:
            self.store.checkout(_location(entry.source), context.project_version)
        except ProjectError as exc:
            raise ProjectError(
                f"project {context.project!r}: commit {context.project_version} the client"
                f" runs cannot be checked out from {entry.source.url} on this worker: {exc}",
                hint="push the commit to the repository the worker serves (floe worker"
                " --project NAME=GIT_URL#REF) and point the client's project.source at it",
            ) from exc
        return context.project_version

    def current_version(self, source: ProjectSource) -> str:
        """The version a run planned now executes."""
        return self.store.resolve(_location(source))

    def checkout(self, source: ProjectSource, version: str) -> Path:
        """A local folder holding ``source`` at ``version`` (its current one if not pinned:
        a hook that runs before the plan)."""
        location = _location(source)
        return self.store.checkout(location, version or self.store.resolve(location))
