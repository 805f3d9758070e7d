"""``floe validate``: every check a run would fail on, reported together, nothing executed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from floe_core._errors import ConfigError, FloeError, SecretError
from floe_core._invocation import DBTCommand, GeneratedProfile
from floe_core._runtime import read_project_name
from floe_core.api._dbt_project import load_or_assume_manifest
from floe_core.api._options import choose_runtime
from floe_core.manifest import MANIFEST_FILENAME, PlatformManifest, missing_secrets
from floe_core.profiles import PROFILES_FILENAME, profile_source_for
from floe_core.registry import PluginRegistry
from floe_core.stores import open_artifact_store, project_directory
from floe_core.warehouses import warehouse_target

__all__ = ["Check", "ValidationReport", "check_secrets", "validate"]


class Check(BaseModel):
    """One validation step: ``ok`` with what was found, or the error and how to fix it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    ok: bool
    message: str
    hint: str | None = None


class ValidationReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    manifest_path: Path
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.ok)


def _run_check(name: str, step: Callable[[], str]) -> Check:
    try:
        return Check(name=name, ok=True, message=step())
    except ConfigError as exc:
        return Check(name=name, ok=False, message=exc.message, hint=exc.hint)


def check_secrets(manifest: PlatformManifest) -> str:
    """Raise :class:`SecretError` naming every unset ``${env:NAME}`` and where it is used."""
    missing = missing_secrets(manifest)
    if missing:
        listing = ", ".join(
            f"{name} ({manifest.locate(field) or field})" for field, name in missing
        )
        raise SecretError(
            f"environment variables referenced by the manifest are not set: {listing}",
            hint="export them before running floe (values are never written to the manifest)",
        )
    return "every ${env:NAME} reference is set"


def _check_connection(
    manifest: PlatformManifest,
    name: str,
    config: dict[str, Any],
    project_dir: str | Path | None,
) -> str:
    """Connect to the warehouse the way a run would: the runtime's ``debug`` (dbt's
    connection test), else its health check. Nothing is kept in the results store."""
    from floe_core.api._floe import Floe  # Floe validates through this module

    runtime = PluginRegistry().create(name, config, location_of=manifest.locate)
    with Floe(manifest, runtime, project_dir=Path(project_dir) if project_dir else None) as floe:
        if DBTCommand.DEBUG not in runtime.supported_commands:
            health = runtime.health_check()
            if not health.healthy:
                raise WarehouseConnectionError(f"runtime {name!r}: {health.message}")
            return f"runtime {name!r} is healthy: {health.message}"
        try:
            result = runtime.invoke(DBTCommand.DEBUG, floe.invocation())
        except FloeError as exc:
            raise WarehouseConnectionError(exc.message, hint=exc.hint) from exc
    said = [line.strip() for line in (result.output or "").splitlines() if line.strip()]
    tested = [line for line in said if line.startswith("Connection test")]
    if not result.success:
        # dbt's reason follows its "Database Error" line
        start = next((i for i, line in enumerate(said) if "Database Error" in line), None)
        reason = " ".join(said[start + 1 : start + 3]) if start is not None else ""
        raise WarehouseConnectionError(
            f"cannot connect to the warehouse: {reason or 'the connection test failed'}",
            hint="fix the warehouse settings (compute/profile); `floe debug` says more",
        )
    return tested[0] if tested else "connected"


class WarehouseConnectionError(ConfigError):
    """The warehouse could not be reached with the manifest's settings."""


def _check_profile(manifest: PlatformManifest) -> str:
    source = profile_source_for(manifest)
    if isinstance(source, GeneratedProfile):
        output = next(iter(source.outputs.values()))
        return f"generated from compute ({output.get('type')}, target {source.target})"
    profiles = source.profiles_dir / PROFILES_FILENAME
    if not profiles.is_file():
        raise ConfigError(
            f"{manifest.locate('profile.profiles_dir') or 'profile.profiles_dir'}:"
            f" {profiles} does not exist",
            hint="point profile.profiles_dir at the folder holding profiles.yml",
        )
    return f"{profiles} (profile {source.profile_name or 'from dbt_project.yml'})"


def _check_warehouse(manifest: PlatformManifest, project_dir: Path | None) -> str:
    target = warehouse_target(manifest, project_dir=project_dir)
    lineage = manifest.observability.lineage.enabled
    described = target.warehouse
    if described is None:
        found = f"{target.type} from {target.source}: a type unknown to floe's warehouse table"
        return found + (f"; lineage datasets in {target.namespace()}" if lineage else "")
    version = described.adapter_version()
    if version is None:
        raise ConfigError(
            f"{target.source}: warehouse type {target.type} needs the dbt adapter"
            f" {described.adapter_package}, which is not installed",
            hint=f"pip install {described.adapter_package}",
        )
    found = f"{target.type} ({described.adapter_package} {version}) from {target.source}"
    return found + (f"; lineage datasets in {target.namespace()}" if lineage else "")


def validate(
    path: str | Path | None = None,
    *,
    project_dir: str | Path | None = None,
    runtime: str | None = None,
    runtime_config: dict[str, Any] | None = None,
    profiles_dir: str | Path | None = None,
    connection: bool = False,
) -> ValidationReport:
    """Check the manifest, its runtime and config, the project, the profile, the warehouse
    (its adapter installed; its lineage namespace when lineage is on), the artifact store and
    the secrets; with ``connection``, also connect to the warehouse.

    Unlike :meth:`Floe.from_manifest`, which stops at the first problem, this reports every
    problem it can find (a later check is skipped only when it depends on a failed one).
    """
    manifest_path = Path(path) if path is not None else Path(MANIFEST_FILENAME)
    loaded: list[PlatformManifest] = []

    def load() -> str:
        manifest = load_or_assume_manifest(path, project_dir=project_dir, profiles_dir=profiles_dir)
        loaded.append(manifest)
        if manifest.source_path is None:
            return f"no {MANIFEST_FILENAME}: the dbt project's own profile, runtime local"
        return f"{manifest.source_path} is valid"

    checks = [_run_check("manifest", load)]
    if not loaded:
        return ValidationReport(manifest_path=manifest_path, checks=tuple(checks))
    manifest = loaded[0]
    name, config = choose_runtime(manifest, runtime, runtime_config)
    registry = PluginRegistry()

    def load_runtime() -> str:
        runtime_class = registry.load_class(name)
        entry = next(e for e in registry.available() if e.name == name)
        return f"{name}: {runtime_class.__qualname__} from {entry.distribution} {entry.version}"

    def validate_config() -> str:
        registry.validate_config(name, config, location_of=manifest.locate)
        return f"plugins.dbt_runtime.config is valid for runtime {name!r}"

    directories: list[Path] = []

    def load_project() -> str:
        directory = project_directory(manifest, Path(project_dir) if project_dir else None)
        directories.append(directory)
        return f"dbt project {read_project_name(directory)!r} at {directory}"

    checks.append(runtime_check := _run_check("runtime", load_runtime))
    if runtime_check.ok:
        checks.append(_run_check("runtime config", validate_config))
    checks += [
        _run_check("project", load_project),
        _run_check("profile", lambda: _check_profile(manifest)),
    ]
    if (manifest.compute or manifest.profile) is not None:  # else the profile check says so
        warehouse = partial(_check_warehouse, manifest, next(iter(directories), None))
        checks.append(_run_check("warehouse", warehouse))
    checks += [
        _run_check("artifacts", lambda: f"results go to {open_artifact_store(manifest).url}"),
        _run_check("secrets", lambda: check_secrets(manifest)),
    ]
    if connection and all(check.ok for check in checks):
        checks.append(
            _run_check("connection", lambda: _check_connection(manifest, name, config, project_dir))
        )
    return ValidationReport(manifest_path=manifest_path, checks=tuple(checks))
