"""The settings of a ``floe worker`` process: its manifest, ``FLOE_WORKER_*`` environment
variables and flags, each overriding the one before, and the projects it serves."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from floe_core import FloeError, read_project_name
from floe_core.manifest import load_manifest, object_store_kind
from floe_core.profiles import profile_source_for
from floe_core.registry import PluginRegistry
from floe_dbt_temporal._config import TemporalRuntimeConfig
from floe_dbt_temporal._models import GitProject, LocalProject, ObjectProject
from floe_dbt_temporal._projects import ProjectEntry
from floe_dbt_temporal._worker import WorkerSettings
from floe_dbt_temporal._worker_options import options_from_env

if TYPE_CHECKING:
    from floe_core.tracing import TracingObserver

__all__ = ["worker_settings", "worker_tracing"]

_GIT_PREFIXES = ("git@", "git+", "https://", "http://", "ssh://", "file://")


def _project_option(
    value: str, object_options: dict[str, str | bool | int] | None = None
) -> tuple[str, ProjectEntry]:
    """``NAME=PATH``, ``NAME=GIT_URL[#REF]`` or ``NAME=s3://bucket/prefix`` (gs://, az://;
    the store's settings are ``object_options``, the worker's ``artifact_options``)."""
    name, sep, location = value.partition("=")
    if not sep or not name or not location:
        raise click.BadParameter(
            f"{value!r}: expected NAME=PATH, NAME=GIT_URL[#REF] or NAME=s3://BUCKET/PREFIX"
        )
    if object_store_kind(location):
        source = ObjectProject(url=location, options=dict(object_options or {}))
        return name, ProjectEntry(source=source)
    if location.startswith(_GIT_PREFIXES) or location.endswith(".git"):
        url, _, ref = location.removeprefix("git+").partition("#")
        return name, ProjectEntry(source=GitProject(url=url, ref=ref or "HEAD"))
    return name, ProjectEntry(source=LocalProject(path=Path(location).resolve()))


def _served_projects(
    from_manifest: dict[str, ProjectEntry],
    options: tuple[str, ...],
    object_options: dict[str, str | bool | int] | None = None,
) -> dict[str, ProjectEntry]:
    """The manifest's project and each ``--project``, all with the worker's own profile (the
    manifest's compute): a worker never runs a project with the profile a client sends."""
    served = dict(from_manifest)
    own_profile = next((entry.profile for entry in from_manifest.values()), None)
    for option in options:
        name, entry = _project_option(option, object_options)
        served[name] = entry.model_copy(update={"profile": own_profile})
    return served


def _from_manifest(path: Path) -> dict[str, Any]:
    """Connection settings and the manifest's own project, from platform-manifest.yaml."""
    manifest = load_manifest(path)
    settings: dict[str, Any] = {}
    if manifest.runtime.type == "temporal":
        # The checks and messages of `floe validate` (file:line), relative folders resolved
        # against the manifest's folder as the client resolves them.
        config = PluginRegistry().validate_config(
            "temporal",
            manifest.runtime.config,
            location_of=manifest.locate,
            base_dir=manifest.base_dir,
            resolve_secrets=False,
        )
        fields = set(WorkerSettings.model_fields) & config.model_fields_set
        settings = {field: getattr(config, field) for field in fields}
        if isinstance(config, TemporalRuntimeConfig):
            settings.update(config.worker.model_dump(exclude_unset=True))
    project_dir = manifest.project_dir()
    entry = ProjectEntry(
        source=LocalProject(path=project_dir), profile=profile_source_for(manifest)
    )
    settings["projects"] = {read_project_name(project_dir): entry}
    return settings


def worker_settings(
    manifest_path: Path | None,
    projects: tuple[str, ...],
    flags: Mapping[str, Any],
    environ: Mapping[str, str] = os.environ,
) -> WorkerSettings:
    """The manifest's settings, overridden by ``FLOE_WORKER_*`` variables, then by flags
    (``None``: not given); an invalid value is a usage error naming where it came from."""
    values: dict[str, Any] = _from_manifest(manifest_path) if manifest_path else {}
    try:
        values.update(options_from_env(environ))
    except FloeError as exc:
        raise click.UsageError(str(exc)) from exc
    renamed = {"tls_cert": "tls_client_cert", "tls_key": "tls_client_key"}
    for key, value in flags.items():
        if value is not None and value != ():  # () : a repeatable flag not given
            values[renamed.get(key, key)] = value
    values["projects"] = _served_projects(
        values.get("projects", {}), projects, values.get("artifact_options")
    )
    try:
        return WorkerSettings.model_validate(values)
    except ValidationError as exc:
        raise click.UsageError(f"invalid worker settings: {exc}") from exc


def worker_tracing(path: Path) -> TracingObserver | None:
    """The tracer provider of the manifest's ``observability.tracing`` (``None`` when off):
    the worker's spans (workflow, node activities) go where the client's go, children of the
    invocation's span through the trace context each run carries."""
    config = load_manifest(path).observability.tracing
    if not config.enabled:
        return None
    from floe_core.tracing import create_tracing_observer  # the SDK, only when tracing is on

    return create_tracing_observer(config)
