"""``floe worker``: a Temporal worker for floe dbt runs (entry point ``floe.cli_commands``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from floe_core import FloeError, read_project_name
from floe_core.manifest import load_manifest
from floe_core.profiles import profile_source_for
from floe_core.registry import PluginRegistry
from floe_dbt_temporal._models import GitProject, LocalProject
from floe_dbt_temporal._projects import ProjectEntry
from floe_dbt_temporal._worker import WorkerSettings, serve

__all__ = ["worker_command"]

_GIT_PREFIXES = ("git@", "git+", "https://", "http://", "ssh://", "file://")


def _project_option(value: str) -> tuple[str, ProjectEntry]:
    name, sep, location = value.partition("=")
    if not sep or not name or not location:
        raise click.BadParameter(f"{value!r}: expected NAME=PATH or NAME=GIT_URL[#REF]")
    if location.startswith(_GIT_PREFIXES) or location.endswith(".git"):
        url, _, ref = location.removeprefix("git+").partition("#")
        return name, ProjectEntry(source=GitProject(url=url, ref=ref or "HEAD"))
    return name, ProjectEntry(source=LocalProject(path=Path(location).resolve()))


def _served_projects(
    from_manifest: dict[str, ProjectEntry], options: tuple[str, ...]
) -> dict[str, ProjectEntry]:
    """The manifest's project and each ``--project``, all with the worker's own profile (the
    manifest's compute): a worker never runs a project with the profile a client sends."""
    served = dict(from_manifest)
    own_profile = next((entry.profile for entry in from_manifest.values()), None)
    for name, entry in map(_project_option, options):
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
    project_dir = manifest.project_dir()
    entry = ProjectEntry(
        source=LocalProject(path=project_dir), profile=profile_source_for(manifest)
    )
    settings["projects"] = {read_project_name(project_dir): entry}
    return settings


@click.command("worker")
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="platform-manifest.yaml: Temporal settings (runtime temporal) and its project.",
)
@click.option("--address", envvar="TEMPORAL_ADDRESS", help="host:port of the Temporal frontend.")
@click.option("--namespace", envvar="TEMPORAL_NAMESPACE")
@click.option("--task-queue", envvar="TEMPORAL_TASK_QUEUE")
@click.option("--tls/--no-tls", default=None, help="Connect with TLS.")
@click.option("--tls-ca-cert", type=click.Path(exists=True, path_type=Path))
@click.option("--tls-cert", type=click.Path(exists=True, path_type=Path))
@click.option("--tls-key", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--api-key-env", help="Name of the environment variable holding the Temporal API key."
)
@click.option(
    "--project",
    "projects",
    multiple=True,
    help="NAME=PATH or NAME=GIT_URL[#REF] of a project this worker serves (repeatable).",
)
@click.option(
    "--allow-any-project",
    is_flag=True,
    default=None,
    help="Also run projects a client sends by path, with the client's profile (trusted"
    " clients only: the project's Jinja sees this worker's environment).",
)
@click.option(
    "--allow-env",
    "allowed_env",
    multiple=True,
    envvar="FLOE_WORKER_ALLOW_ENV",
    help="Environment variable (shell pattern: TENANT_*) a run may set for dbt through the"
    " runtime config's env / env_from_worker (repeatable; default: none).",
)
@click.option(
    "--max-concurrent-activities",
    type=click.IntRange(min=1),
    envvar="FLOE_WORKER_MAX_CONCURRENT_ACTIVITIES",
    help="Nodes this worker executes at once (default 4).",
)
@click.option(
    "--artifact-store",
    "--artifact-dir",
    "artifact_store",
    envvar="FLOE_ARTIFACT_STORE",
    help="Folder or s3://, gs://, az:// URL shared with the client (object store settings and"
    " credentials come from --manifest).",
)
@click.option("--work-dir", type=click.Path(path_type=Path), envvar="FLOE_WORKER_DIR")
@click.option("--health-host", default="127.0.0.1", show_default=True)
@click.option(
    "--health-port",
    type=click.IntRange(min=0, max=65535),
    envvar="FLOE_WORKER_HEALTH_PORT",
    help="Serve GET /health on this port (0: any free port). Off by default.",
)
@click.option(
    "--graceful-shutdown-seconds",
    type=click.FloatRange(min=0),
    help="On SIGTERM, how long running nodes may finish before they are handed back.",
)
def worker_command(manifest_path: Path | None, projects: tuple[str, ...], **options: Any) -> None:
    """Execute dbt nodes of `floe_dbt_run` workflows (runtime `temporal`) on this machine.

    Stops cleanly on SIGTERM/Ctrl-C: stops polling, lets running nodes finish or hands them
    back to other workers, closes warehouse connections.
    """
    values: dict[str, Any] = _from_manifest(manifest_path) if manifest_path else {}
    renamed = {"tls_cert": "tls_client_cert", "tls_key": "tls_client_key"}
    for key, value in options.items():
        if value is not None and value != ():
            values[renamed.get(key, key)] = value
    values["projects"] = _served_projects(values.get("projects", {}), projects)
    try:
        settings = WorkerSettings.model_validate(values)
    except ValidationError as exc:
        raise click.UsageError(f"invalid worker settings: {exc}") from exc
    try:
        asyncio.run(serve(settings))
    except FloeError as exc:
        raise click.ClickException(str(exc)) from exc
