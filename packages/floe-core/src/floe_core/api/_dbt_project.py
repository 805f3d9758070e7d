"""floe in a dbt project with no platform manifest: the dbt CLI's own behaviour.

The local runtime, dbt's profile resolution (``--profiles-dir``, ``DBT_PROFILES_DIR``,
``./profiles.yml``, ``~/.dbt``), the profile's own targets, and results under ``.floe/`` in
the project.
"""

from __future__ import annotations

import os
from pathlib import Path

from floe_core._errors import ConfigError, ProfileError
from floe_core.manifest import MANIFEST_FILENAME, PlatformManifest, load_manifest

__all__ = ["PROJECT_RESULTS_DIR", "dbt_profiles_dir", "load_or_assume_manifest"]

PROJECT_RESULTS_DIR = ".floe/artifacts"
"""Where runs are kept, relative to the project, when there is no manifest."""

_PROFILES = "profiles.yml"


def dbt_profiles_dir(given: Path | None = None) -> Path:
    """The folder dbt reads profiles.yml from: ``given`` (``--profiles-dir``), else
    ``$DBT_PROFILES_DIR``, else the working directory if it holds one, else ``~/.dbt``."""
    if given is not None:
        return given.expanduser().absolute()
    from_env = os.environ.get("DBT_PROFILES_DIR")
    if from_env:
        return Path(from_env).expanduser().absolute()
    if (Path.cwd() / _PROFILES).is_file():
        return Path.cwd()
    return Path.home() / ".dbt"


def load_or_assume_manifest(
    path: str | Path | None,
    *,
    project_dir: str | Path | None = None,
    profiles_dir: str | Path | None = None,
) -> PlatformManifest:
    """The manifest at ``path`` (default ./platform-manifest.yaml) or, when none is given
    and none exists, the one dbt's CLI implies for the dbt project at ``project_dir``
    (default: the working directory)."""
    given_profiles = Path(profiles_dir) if profiles_dir is not None else None
    if path is not None or Path(MANIFEST_FILENAME).is_file():
        if given_profiles is not None:
            raise ConfigError(
                "--profiles-dir applies to a dbt project without a platform manifest",
                hint="set `profile.profiles_dir` in the manifest instead",
            )
        return load_manifest(Path(path) if path is not None else Path(MANIFEST_FILENAME))
    project = Path(project_dir) if project_dir is not None else Path.cwd()
    if not (project / "dbt_project.yml").is_file():
        # no manifest and no dbt project: say what is missing, as before
        return load_manifest(Path(MANIFEST_FILENAME))
    profiles = dbt_profiles_dir(given_profiles)
    if not (profiles / _PROFILES).is_file():
        raise ProfileError(
            f"no platform manifest and no dbt profile: {profiles / _PROFILES} not found",
            hint="pass --profiles-dir (or set DBT_PROFILES_DIR) to the folder holding"
            " profiles.yml, or run `floe init` to write a platform manifest",
        )
    data = {
        "apiVersion": "floe.dev/v1",
        "kind": "PlatformManifest",
        "project": {"dir": "."},
        "plugins": {"dbt_runtime": {"type": "local"}},
        "profile": {"profiles_dir": str(profiles)},
        "artifacts": {"path": PROJECT_RESULTS_DIR},
    }
    return PlatformManifest.from_data(data, base_dir=project.absolute())
