"""``floe worker``: a Temporal worker for floe dbt runs (entry point ``floe.cli_commands``),
and ``floe worker healthcheck``, an exec probe of a running worker."""

from __future__ import annotations

import asyncio
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from floe_dbt_temporal._health import check_health_file

__all__ = ["worker_command"]

_HEALTH_FILE_ENV = "FLOE_WORKER_HEALTH_FILE"


@click.group("worker", invoke_without_command=True)
@click.pass_context
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
    help="NAME=PATH, NAME=GIT_URL[#REF] or NAME=s3://BUCKET/PREFIX (gs://, az://) of a"
    " project this worker serves (repeatable); object stores use --manifest's artifact_options.",
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
    envvar="FLOE_WORKER_ALLOWED_ENV",
    help="Environment variable (shell pattern: TENANT_*) a run may set for dbt through the"
    " runtime config's env / env_from_worker (repeatable; default: none).",
)
@click.option(
    "--max-concurrent-activities",
    type=click.IntRange(min=1),
    help="Nodes this worker executes at once (default 4; the maximum with --tuner resource_based).",
)
@click.option(
    "--tuner",
    type=click.Choice(["fixed", "resource_based"]),
    help="Node slots: fixed, or resource_based on memory/CPU targets (FLOE_WORKER_TARGET_*).",
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
@click.option("--health-host", help="Address of the health endpoint (default 127.0.0.1).")
@click.option(
    "--health-port",
    type=click.IntRange(min=0, max=65535),
    help="Serve GET /health on this port (0: any free port). Off by default.",
)
@click.option(
    "--health-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Rewrite this JSON file every health interval (for `floe worker healthcheck`).",
)
@click.option(
    "--metrics-prometheus-address",
    help="host:port serving GET /metrics (Temporal's and floe's metrics).",
)
@click.option(
    "--metrics-otlp-endpoint",
    help="Push metrics to this OTLP collector (http://HOST:4318/v1/metrics, or gRPC :4317).",
)
@click.option(
    "--graceful-shutdown-seconds",
    type=click.FloatRange(min=0),
    help="On SIGTERM, how long running nodes may finish before they are handed back.",
)
def worker_command(
    ctx: click.Context, /, manifest_path: Path | None, projects: tuple[str, ...], **options: Any
) -> None:
    """Execute dbt nodes of `floe_dbt_run` workflows (runtime `temporal`) on this machine.

    Settings come from --manifest (its `worker:` section), then FLOE_WORKER_<FIELD>
    environment variables, then these flags. Stops cleanly on SIGTERM/Ctrl-C: stops polling,
    lets running nodes finish or hands them back to other workers, closes warehouse
    connections.
    """
    if ctx.invoked_subcommand is not None:
        return
    # Imported here: `floe worker healthcheck` (an exec probe) must not pay for dbt and
    # temporalio.
    from floe_core import FloeError
    from floe_dbt_temporal._memory import without_unused_packages

    with without_unused_packages():
        from floe_dbt_temporal._worker import serve
        from floe_dbt_temporal._worker_setup import worker_settings, worker_tracing

    settings = worker_settings(manifest_path, projects, options)
    tracing = worker_tracing(manifest_path) if manifest_path else None
    tracer = tracing.tracer_provider.get_tracer("floe.temporal.worker") if tracing else None
    try:
        asyncio.run(serve(settings, tracer=tracer))
    except FloeError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if tracing is not None:
            tracing.close()  # exports the last spans


@worker_command.command("healthcheck")
@click.option(
    "--file",
    "health_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=_HEALTH_FILE_ENV,
    help="The worker's --health-file (default: $FLOE_WORKER_HEALTH_FILE).",
)
@click.option(
    "--max-age",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds after which the file is stale (default: three of the worker's intervals).",
)
@click.option("--url", help="Check GET URL (the worker's /health endpoint) instead of a file.")
def healthcheck_command(health_file: Path | None, max_age: float | None, url: str | None) -> None:
    """Exit 0 if the local worker is healthy (reaches Temporal, refreshes its health file),
    else 1: a Kubernetes exec probe (`command: [floe, worker, healthcheck]`)."""
    if url is not None:
        healthy, reason = _check_url(url)
    elif health_file is not None:
        healthy, reason = check_health_file(health_file, max_age)
    else:
        raise click.UsageError(
            "no health file: pass --file (the worker's --health-file), set"
            f" {_HEALTH_FILE_ENV}, or check the endpoint with --url"
        )
    click.echo(reason, err=not healthy)
    sys.exit(0 if healthy else 1)


def _check_url(url: str) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200, f"{url}: {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{url}: {exc.code} (worker unhealthy)"
    except OSError as exc:
        return False, f"{url}: unreachable ({exc})"
