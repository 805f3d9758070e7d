"""The dbt project of a run, from a local folder, git, or object storage, pinned to a version.

:meth:`ProjectStore.resolve` names the version a source has *now* (a commit SHA, or a hash of
the content); :meth:`ProjectStore.checkout` gives a local folder holding exactly that version,
fetched once into the cache and reused. A run resolves once and every worker checks out the
same version, so all of them run the same project even if the branch, folder or prefix moves
during the run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from floe_core._errors import ProjectError
from floe_core.manifest import (
    GitProjectSource,
    ObjectProjectSource,
    PlatformManifest,
    resolve_secret_refs,
)
from floe_core.stores._base import ArtifactStore
from floe_core.stores._factory import open_object_store
from floe_core.stores._git import GitCheckouts

__all__ = ["FetchedProject", "ProjectLocation", "ProjectStore", "fetch_project", "folder_version"]

ProjectLocation = Path | GitProjectSource | ObjectProjectSource
"""A local project folder, or a ``project.source`` of the manifest."""

_BUILD_OUTPUT = {"target", "logs", "dbt_packages", ".git", "__pycache__"}
DEFAULT_CACHE = Path(".floe/cache/projects")


class FetchedProject(BaseModel):
    """A project ready to run: the folder holding ``dbt_project.yml`` and its version."""

    model_config = ConfigDict(frozen=True)

    path: Path
    version: str


def folder_version(project_dir: Path) -> str:
    """SHA-256 over the project's file paths and contents, build output excluded."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(project_dir):
        dirs[:] = sorted(d for d in dirs if d not in _BUILD_OUTPUT and not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.endswith((".duckdb", ".duckdb.wal")):
                continue
            path = Path(root) / name
            digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


class ProjectStore:
    """Resolves and checks out projects; fetched versions are cached under ``cache_dir``."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir).expanduser().resolve()
        self._git = GitCheckouts(self.cache_dir)

    def resolve(self, location: ProjectLocation) -> str:
        """The version ``location`` holds now."""
        if isinstance(location, GitProjectSource):
            return self._git.resolve(location)
        if isinstance(location, ObjectProjectSource):
            return _listing_version(self._object_store(location))
        _require_project(location)
        return folder_version(location)

    def checkout(self, location: ProjectLocation, version: str) -> Path:
        """A local folder holding ``location`` at ``version`` (fetched unless cached)."""
        if isinstance(location, GitProjectSource):
            path = self._git.checkout(location, version)
        elif isinstance(location, ObjectProjectSource):
            path = self._download(location, version)
        else:
            if folder_version(location) != version:
                raise _changed(str(location))
            path = location
        _require_project(path)
        return path

    def fetch(self, location: ProjectLocation) -> FetchedProject:
        """The current version of ``location``, checked out."""
        version = self.resolve(location)
        return FetchedProject(path=self.checkout(location, version), version=version)

    def _object_store(self, source: ObjectProjectSource) -> ArtifactStore:
        options = resolve_secret_refs(source.options, field="project.source.options")
        return open_object_store(source.url, options)

    def _download(self, source: ObjectProjectSource, version: str) -> Path:
        url_key = hashlib.sha256(source.url.encode()).hexdigest()[:16]
        target = self.cache_dir / "objects" / url_key / version
        if target.is_dir():
            return target
        store = self._object_store(source)
        if _listing_version(store) != version:
            raise _changed(source.url)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{version}."))
        try:
            for key in sorted(_project_files(store.fingerprints())):
                path = staging / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(store.get(key))
            if _listing_version(store) != version:  # an upload landed while we downloaded
                raise _changed(source.url)
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # not just another worker downloading it first
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target


def _project_files(fingerprints: dict[str, str]) -> dict[str, str]:
    """The keys of a project prefix that are the project: not hidden files or folders
    (``.github/``, ``.devcontainer.json``), as :func:`folder_version` skips them (and
    artifact keys cannot start with a dot)."""
    return {
        key: fingerprint
        for key, fingerprint in fingerprints.items()
        if not any(part.startswith(".") for part in key.split("/"))
    }


def _listing_version(store: ArtifactStore) -> str:
    fingerprints = _project_files(store.fingerprints())
    if not fingerprints:
        raise ProjectError(
            f"no dbt project at {store.url}: the prefix is empty",
            hint="upload the project folder (with dbt_project.yml) under `project.source.url`",
        )
    digest = hashlib.sha256()
    for key, fingerprint in sorted(fingerprints.items()):
        digest.update(f"{key}\0{fingerprint}\0".encode())
    return digest.hexdigest()[:20]


def _changed(where: str) -> ProjectError:
    return ProjectError(
        f"dbt project {where} changed since the run was planned",
        hint="do not change the project during a run; start a new run to use the new version",
    )


def _require_project(path: Path) -> None:
    if not (path / "dbt_project.yml").is_file():
        raise ProjectError(
            f"no dbt project at {path}: dbt_project.yml not found",
            hint="point the project (`project.dir`, or `project.source` and its `subdir`) at"
            " the folder holding dbt_project.yml",
        )


def fetch_project(manifest: PlatformManifest, *, cache_dir: Path | None = None) -> FetchedProject:
    """The manifest's project, fetched: ``project.source`` if set, else ``project.dir``.

    ``cache_dir`` defaults to ``.floe/cache/projects`` next to the manifest.
    """
    store = ProjectStore(cache_dir or manifest.resolve_path(DEFAULT_CACHE))
    return store.fetch(manifest.project.source or manifest.project_dir())


def project_directory(manifest: PlatformManifest, override: Path | None = None) -> Path:
    """The folder a run uses: ``override`` (``--project-dir``), else ``project.source`` fetched
    into the cache, else ``project.dir``. A plain ``project.dir`` is used in place (no copy,
    no hashing), so dbt's partial-parse state in its ``target/`` keeps working."""
    if override is not None:
        return override.resolve()
    if manifest.project.source is not None:
        return fetch_project(manifest).path.resolve()
    return manifest.project_dir().resolve()
