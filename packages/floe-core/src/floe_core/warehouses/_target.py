"""The warehouse a manifest runs on: its ``compute`` section or its profiles.yml target.

Both become a dbt profile *output* (the mapping dbt reads under ``outputs.<target>``), so
every feature that needs the warehouse (lineage namespaces, health, the adapter to install)
works the same way whether floe generates the profile or the user wrote it.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from floe_core._errors import FloeError, ProfileError
from floe_core._runtime import HealthStatus
from floe_core.logging._lazy_logger import lazy_logger
from floe_core.manifest._secrets import render_dbt_env_vars
from floe_core.warehouses._table import find_warehouse, warehouse
from floe_core.warehouses._warehouse import SettingError, Warehouse

if TYPE_CHECKING:
    from floe_core.manifest import ComputeTarget, PlatformManifest

__all__ = [
    "WarehouseTarget",
    "compute_output",
    "dataset_namespace",
    "namespace_by_target",
    "warehouse_target",
]

_log = lazy_logger("floe.warehouses")

_PROFILES_FILENAME = "profiles.yml"
# dbt's env_var() in profiles.yml, optionally with a default and a number filter.
_ENV_VAR = re.compile(
    r"\{\{\s*env_var\(\s*['\"]([^'\"]+)['\"]\s*(?:,\s*['\"]([^'\"]*)['\"]\s*)?\)"
    r"\s*(?:\|\s*(?:as_number|int|as_text)\s*)?\}\}"
)
# Fields of an output that name where the data lives, for types the table does not know.
_HOST_FIELDS = ("host", "server", "hostname", "account")
_DATABASE_FIELDS = ("database", "dbname", "catalog", "project", "path")


def _render(value: Any) -> Any:
    """``value`` with dbt's ``{{ env_var('NAME', 'default') }}`` replaced where the variable
    (or a default) exists; other templates stay as written."""
    if isinstance(value, str):
        return _ENV_VAR.sub(_env_value, value)
    if isinstance(value, Mapping):
        return {key: _render(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item) for item in value]
    return value


def _env_value(match: re.Match[str]) -> str:
    name, default = match.group(1), match.group(2)
    return os.environ.get(name, default if default is not None else match.group(0))


@dataclass(frozen=True)
class WarehouseTarget:
    """The dbt profile output a run uses, its type, and where it was defined."""

    type: str
    output: Mapping[str, Any] = field(repr=False)
    """The output with ``env_var()`` rendered where set (never shown: it may hold secrets)."""
    source: str
    """``compute`` or ``<profiles.yml>: profile <name>, target <target>``."""
    warehouse: Warehouse[Any] | None
    """The descriptor of :attr:`type`; ``None`` for a type the table does not know."""

    def namespace(self, *, naming: str = "floe") -> str:
        """The OpenLineage dataset namespace of the target's datasets.

        For a type the table does not know: ``<type>://<host>[:<port>]`` or
        ``<type>://<database>`` from the output's fields, with a warning. ``naming="dbt-ol"``
        (``observability.lineage.naming``) keeps openlineage-dbt's DuckDB rule: the profile's
        ``path`` as written, not resolved."""
        if naming == "dbt-ol" and self.type == "duckdb":
            return f"duckdb://{self.output.get('path', ':memory:')}"
        if self.warehouse is not None:
            return self.warehouse.namespace(self.output)
        namespace = _fallback_namespace(self.type, self.output)
        _log.warning(
            "warehouse type unknown to floe: lineage namespace built from the profile",
            type=self.type,
            namespace=namespace,
            source=self.source,
            hint=f"install a package registering '{self.type}' in entry point group"
            " floe.warehouses for a namespace that follows the OpenLineage naming spec",
        )
        return namespace

    def probe(self, *, timeout: float = 3.0) -> HealthStatus:
        """The warehouse's health probe (adapter installed, endpoint reachable)."""
        if self.warehouse is None:
            return HealthStatus(
                healthy=True,
                message=f"{self.type}: not probed (type unknown to floe)",
                checks={"warehouse": f"{self.type}: unknown type, not probed"},
            )
        return self.warehouse.probe(self.output, timeout=timeout)


def _fallback_namespace(adapter_type: str, output: Mapping[str, Any]) -> str:
    host = next((str(output[key]) for key in _HOST_FIELDS if output.get(key)), None)
    if host is not None:
        port = output.get("port")
        return f"{adapter_type}://{host}:{port}" if port else f"{adapter_type}://{host}"
    database = next((str(output[key]) for key in _DATABASE_FIELDS if output.get(key)), None)
    return f"{adapter_type}://{database}" if database else adapter_type


def dataset_namespace(output: Mapping[str, Any]) -> str:
    """The OpenLineage dataset namespace of a dbt profile output (``{"type": ...}``)."""
    return _target_of(dict(output), source="a dbt profile output").namespace()


def _target_of(output: dict[str, Any], *, source: str) -> WarehouseTarget:
    adapter_type = str(output.get("type", ""))
    return WarehouseTarget(adapter_type, _render(output), source, find_warehouse(adapter_type))


def compute_output(manifest: PlatformManifest, target: str | None = None) -> dict[str, Any]:
    """The dbt profile output of the manifest's ``compute`` section for ``target`` (default:
    the manifest's own; another one from ``compute.targets``), secrets as dbt's
    ``{{ env_var('NAME') }}`` (so no secret value is ever part of an invocation)."""
    compute = manifest.compute
    if compute is None:
        raise ProfileError(
            f"{manifest.source_path or 'the manifest'}: the manifest has no 'compute' section",
            hint="add a 'compute' section, or use the existing profiles.yml under 'profile'",
        )
    section: ComputeTarget = compute
    field = "compute"
    if target is not None and target in compute.targets:
        section, field = compute.targets[target], f"compute.targets.{target}"
    try:
        output = warehouse(section.type).dbt_output(
            section.config, resolve_path=manifest.resolve_path
        )
    except SettingError as exc:
        path = f"{field}.config.{exc.field}"
        where = manifest.locate(path) or path
        message = exc.message.replace("compute.config.", f"{field}.config.")
        raise SettingError(exc.field, f"{where}: {message}", hint=exc.hint) from exc
    return dict(render_dbt_env_vars(output))


def warehouse_target(
    manifest: PlatformManifest, *, project_dir: Path | None = None, target: str | None = None
) -> WarehouseTarget:
    """The warehouse ``manifest`` runs on: from ``compute``, or from the target of its
    ``profile`` (``target``, else ``project.target``, else the profile's own default).

    ``project_dir`` is where dbt_project.yml names the profile when ``profile.profile_name``
    is not set (default: the manifest's project folder). Raises :class:`ProfileError`
    naming the file and what is missing.
    """
    if manifest.compute is not None:
        return _target_of(compute_output(manifest, target), source="compute")
    if manifest.profile is None:
        raise ProfileError(
            f"{manifest.source_path or 'the manifest'}: no warehouse: the manifest has neither"
            " 'compute' nor 'profile'",
            hint="add a 'compute' section (floe generates the dbt profile) or a 'profile'"
            " section pointing at an existing profiles.yml",
        )
    profiles_dir = manifest.resolve_path(manifest.profile.profiles_dir)
    profile_name = manifest.profile.profile_name or _project_profile(
        project_dir or manifest.project_dir()
    )
    return _profile_target(
        profiles_dir / _PROFILES_FILENAME, profile_name, target or manifest.project.target
    )


def namespace_by_target(
    manifest: PlatformManifest, *, project_dir: Path | None = None, naming: str = "floe"
) -> Callable[[str | None], str]:
    """The dataset namespace of each dbt target an invocation may pick (``--target``).

    The manifest's own target is resolved now, so its problems show before any run (and an
    unknown type warns once); another target of a ``profile:`` on first use. A target that
    cannot be resolved keeps the manifest's namespace: dbt reports the bad target itself.
    """
    default = warehouse_target(manifest, project_dir=project_dir).namespace(naming=naming)

    @functools.cache
    def namespace(target: str | None) -> str:
        several = manifest.profile is not None or bool(
            manifest.compute and manifest.compute.targets
        )
        if not several or target in (None, manifest.project.target):
            return default
        try:
            target_output = warehouse_target(manifest, project_dir=project_dir, target=target)
            return target_output.namespace(naming=naming)
        except FloeError:
            return default

    return namespace


def _project_profile(project_dir: Path) -> str:
    path = project_dir / "dbt_project.yml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(
            f"{path}: cannot read the profile name: {type(exc).__name__}",
            hint="set profile.profile_name in the manifest",
        ) from exc
    name = document.get("profile") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        raise ProfileError(
            f"{path}: no 'profile:' key names the dbt profile",
            hint="add `profile: <name>` to dbt_project.yml, or set profile.profile_name",
        )
    return name


def _profile_target(path: Path, profile_name: str, target: str | None) -> WarehouseTarget:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(
            f"{path}: profiles.yml not found",
            hint="fix profile.profiles_dir in the manifest",
        ) from None
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(
            f"{path}: cannot read profiles.yml: {type(exc).__name__}: {exc}",
            hint="fix the YAML (dbt debug reports the same problem)",
        ) from exc
    profiles = document if isinstance(document, dict) else {}
    profile = profiles.get(profile_name)
    if not isinstance(profile, dict):
        names = ", ".join(sorted(str(key) for key in profiles if key != "config")) or "none"
        raise ProfileError(
            f"{path}: profile '{profile_name}' not found (profiles: {names})",
            hint="set profile.profile_name in the manifest to one of them",
        )
    chosen = target or profile.get("target") or "default"
    declared = profile.get("outputs")
    outputs: dict[str, Any] = declared if isinstance(declared, dict) else {}
    output = outputs.get(_render(chosen))
    if not isinstance(output, dict) or "type" not in output:
        raise ProfileError(
            f"{path}: profile '{profile_name}' has no target '{chosen}' with a `type`"
            f" (targets: {', '.join(sorted(outputs)) or 'none'})",
            hint="set project.target in the manifest to one of them (or pass --target)",
        )
    return _target_of(output, source=f"{path}: profile {profile_name}, target {_render(chosen)}")
