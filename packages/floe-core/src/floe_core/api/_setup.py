"""``floe init`` and ``floe plugins list`` as API calls: a starter manifest, installed runtimes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_core._errors import ConfigError, FloeError, PluginAPIVersionError, ProjectError
from floe_core.registry import PluginRegistry, RuntimeEntry

if TYPE_CHECKING:
    from floe_core._runtime import HealthStatus
    from floe_core.manifest import PlatformManifest

__all__ = ["RuntimeInfo", "init_manifest", "list_runtimes"]


def init_manifest(
    path: str | Path = "platform-manifest.yaml",
    *,
    project_dir: str = ".",
    runtime: str = "local",
    name: str | None = None,
    force: bool = False,
    profiles_dir: str | Path | None = None,
) -> Path:
    """Write a commented starter manifest for the dbt project at ``project_dir`` (relative
    to the manifest's folder); an existing file is kept unless ``force``.

    The manifest is named after the project (unless ``name``) and uses the project's own
    dbt profile where dbt would find it (``profiles_dir``, ``$DBT_PROFILES_DIR``,
    ./profiles.yml, ~/.dbt), else a ``compute`` section; ``.floe/`` goes into .gitignore.
    """
    from floe_core.api._dbt_project import dbt_profiles_dir
    from floe_core.manifest import starter_manifest

    target = Path(path)
    if target.exists() and not force:
        raise ConfigError(
            f"{target} already exists",
            hint="pass --force to overwrite it, or --manifest to write somewhere else",
        )
    project = target.parent / project_dir
    if not (project / "dbt_project.yml").is_file():
        raise ProjectError(
            f"no dbt project at {project.absolute()}: dbt_project.yml not found",
            hint="run `floe init` in the dbt project's folder, or pass --project-dir",
        )
    project_name, profile_name = _project_names(project)
    profiles = dbt_profiles_dir(Path(profiles_dir) if profiles_dir is not None else None)
    existing = _has_profile(profiles, profile_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        starter_manifest(
            project_dir=project_dir,
            runtime=runtime,
            name=name or project_name,
            profiles_dir=_portable(profiles, target.parent) if existing else None,
            profile_name=profile_name,
        ),
        encoding="utf-8",
    )
    _ignore_results(target.parent / ".gitignore")
    return target


def _project_names(project: Path) -> tuple[str, str | None]:
    """The project's ``name`` and ``profile`` in dbt_project.yml."""
    import yaml

    from floe_core._runtime import read_project_name

    data = yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    profile = data.get("profile") if isinstance(data, dict) else None
    return read_project_name(project), profile if isinstance(profile, str) else None


def _has_profile(profiles_dir: Path, profile_name: str | None) -> bool:
    import yaml  # `floe plugins list` shares this module and must not pay for it

    path = profiles_dir / "profiles.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and profile_name in data


def _portable(folder: Path, base: Path) -> str:
    """``folder`` as written in the manifest: relative to it, or under ``~``."""
    folder, base, home = folder.absolute(), base.absolute(), Path.home()
    if folder.is_relative_to(base):
        return str(folder.relative_to(base))
    if folder.is_relative_to(home):
        return str(Path("~") / folder.relative_to(home))
    return str(folder)


def _ignore_results(gitignore: Path) -> None:
    """``.floe/`` (runs, generated profiles, warehouses) stays out of git."""
    lines = gitignore.read_text(encoding="utf-8").splitlines() if gitignore.exists() else []
    if any(line.strip() in (".floe", ".floe/", "/.floe", "/.floe/") for line in lines):
        return
    lines.append(".floe/")
    gitignore.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True, kw_only=True)
class RuntimeInfo:
    """An installed runtime, whether it fits this floe-core and (if asked) its health.

    A dataclass, not a pydantic model: listing runtimes from package metadata should not
    cost pydantic's import (``floe plugins list``).
    """

    name: str
    distribution: str | None
    version: str | None
    requires_floe_core: str | None = None
    """The distribution's floe-core requirement (package metadata, nothing imported)."""
    loaded: bool = False
    """Whether the runtime was imported and checked (``api_version``, ``problem``)."""
    api_version: str | None = None
    """The plugin API the runtime targets, when it could be loaded."""
    commands: tuple[str, ...] = ()
    """The dbt commands the runtime declares (``supported_commands``), when it loaded."""
    client_side: tuple[str, ...] = ()
    """Those of ``commands`` that run on the client (``client_side_commands``)."""
    state_options: tuple[str, ...] = ()
    """The slim-CI options the runtime honours (``--state``, ``--defer``, ``--favor-state``)."""
    problem: str | None = None
    """Why the runtime cannot be used (import failure, incompatible API), if it cannot."""
    health: HealthStatus | None = None
    health_error: str | None = None
    """Why no health check could run (e.g. the runtime's config is incomplete)."""

    @property
    def compatible(self) -> bool:
        return self.problem is None


def _health(
    registry: PluginRegistry, name: str, config: dict[str, Any], manifest: PlatformManifest | None
) -> tuple[HealthStatus | None, str | None]:
    from floe_core._runtime import HealthStatus
    from floe_core.warehouses import warehouse_target

    try:
        with registry.create(name, config) as runtime:
            health = runtime.health_check()
    except FloeError as exc:
        return None, exc.message
    if manifest is not None and (manifest.compute or manifest.profile) is not None:
        try:
            probe = warehouse_target(manifest).probe()
        except FloeError as exc:  # e.g. the profiles.yml target is missing
            probe = HealthStatus(healthy=False, message=exc.message, checks={"target": "unknown"})
        health = _with_warehouse(health, probe)
    return health, None


def _with_warehouse(runtime: HealthStatus, warehouse: HealthStatus) -> HealthStatus:
    """The runtime's health and the probe of the manifest's warehouse, as one status."""
    from floe_core._runtime import HealthStatus

    checks = {f"warehouse.{key}": value for key, value in warehouse.checks.items()}
    return HealthStatus(
        healthy=runtime.healthy and warehouse.healthy,
        message=f"{runtime.message}; warehouse {warehouse.message}",
        checks={**runtime.checks, **checks},
    )


def _info(
    registry: PluginRegistry,
    entry: RuntimeEntry,
    *,
    load: bool,
    health_config: dict[str, Any] | None,
    manifest: PlatformManifest | None = None,
) -> RuntimeInfo:
    described: dict[str, Any] = {
        "name": entry.name,
        "distribution": entry.distribution,
        "version": entry.version,
        "requires_floe_core": entry.requires_floe_core,
    }
    if not load:
        return RuntimeInfo(**described)
    described["loaded"] = True
    try:
        loaded = registry.load_class(entry.name)
        api_version = loaded.api_version
        from floe_core._invocation import DBTCommand  # loading a runtime loads it anyway

        declared = loaded.supported_commands
        described["commands"] = tuple(c.value for c in DBTCommand if c in declared)
        on_client = loaded.client_side_commands
        described["client_side"] = tuple(c.value for c in DBTCommand if c in on_client)
        described["state_options"] = ("--state", "--defer") * loaded.supports_state + (
            "--favor-state",
        ) * (loaded.supports_state and loaded.supports_favor_state)
    except PluginAPIVersionError as exc:
        return RuntimeInfo(**described, problem=f"incompatible: {exc.message}")
    except FloeError as exc:
        return RuntimeInfo(**described, problem=f"broken: {exc.message}")
    if health_config is None:
        return RuntimeInfo(**described, api_version=api_version)
    health, health_error = _health(registry, entry.name, health_config, manifest)
    return RuntimeInfo(
        **described, api_version=api_version, health=health, health_error=health_error
    )


def list_runtimes(
    names: Iterable[str] = (),
    *,
    load: bool = False,
    health: bool = False,
    manifest: str | Path | None = None,
) -> list[RuntimeInfo]:
    """The installed runtimes (all, or those in ``names``), sorted by name.

    From package metadata only, unless ``load``: then each runtime is imported and its plugin
    API checked (``api_version``, or ``problem`` when it is broken or incompatible). With
    ``health`` (implies ``load``), each runtime that loads is built and health-checked: the
    manifest's own runtime with the manifest's config (``manifest``, else
    ./platform-manifest.yaml when it exists) and the probe of the manifest's warehouse
    (``compute`` or the ``profile`` target), the others with an empty config.
    """
    wanted = set(names)
    loaded: PlatformManifest | None = None
    if health:
        from floe_core.manifest import MANIFEST_FILENAME, load_manifest

        manifest_path = Path(manifest) if manifest is not None else Path(MANIFEST_FILENAME)
        if manifest is not None or manifest_path.is_file():
            loaded = load_manifest(manifest_path)
    registry = PluginRegistry()
    infos = []
    for entry in registry.available():
        if wanted and entry.name not in wanted:
            continue
        if not health:
            infos.append(_info(registry, entry, load=load, health_config=None))
        elif loaded is not None and entry.name == loaded.runtime.type:
            infos.append(
                _info(
                    registry, entry, load=True, health_config=loaded.runtime.config, manifest=loaded
                )
            )
        else:
            infos.append(_info(registry, entry, load=True, health_config={}))
    return infos
