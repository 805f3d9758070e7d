"""``floe init`` and ``floe plugins list`` as API calls: a starter manifest, installed runtimes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_core._errors import ConfigError, FloeError, PluginAPIVersionError
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
    name: str = "floe",
    force: bool = False,
) -> Path:
    """Write a commented starter manifest; an existing file is kept unless ``force``."""
    from floe_core.manifest import starter_manifest

    target = Path(path)
    if target.exists() and not force:
        raise ConfigError(
            f"{target} already exists",
            hint="pass --force to overwrite it, or --manifest to write somewhere else",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        starter_manifest(project_dir=project_dir, runtime=runtime, name=name), encoding="utf-8"
    )
    return target


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
        api_version = registry.load_class(entry.name).api_version
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
