from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from floe_core.cli import cli
from floe_core.registry import PluginRegistry
from floe_dbt_temporal import GitProject, LocalProject, TemporalRuntimeConfig, WorkerSettings
from floe_dbt_temporal._worker_setup import (
    _from_manifest,
    _project_option,
    _served_projects,
    worker_tracing,
)
from floe_dbt_temporal.cli import worker_command


def test_project_options_name_a_path_or_a_git_url(tmp_path: Path) -> None:
    name, entry = _project_option(f"shop={tmp_path}")
    assert name == "shop"
    assert entry.source == LocalProject(path=tmp_path.resolve())
    name, entry = _project_option("crm=https://example.com/acme/crm.git#v2")
    assert entry.source == GitProject(url="https://example.com/acme/crm.git", ref="v2")
    with pytest.raises(click.BadParameter, match="NAME=PATH"):
        _project_option("no-equals-sign")


def test_invalid_settings_are_a_usage_error() -> None:
    result = CliRunner().invoke(worker_command, ["--graceful-shutdown-seconds", "-1"])
    assert result.exit_code == 2
    assert "graceful-shutdown-seconds" in result.output


def _temporal_manifest(root: Path, *config_lines: str) -> Path:
    """A manifest of runtime temporal whose config has ``config_lines`` from line 10 on."""
    (root / "shop").mkdir()
    (root / "shop" / "dbt_project.yml").write_text("name: shop\nprofile: floe\n")
    manifest = root / "platform-manifest.yaml"
    manifest.write_text(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\nmetadata: {name: t}\n"
        "project: {dir: shop}\ncompute: {type: duckdb, config: {path: w.duckdb}}\n"
        "plugins:\n  dbt_runtime:\n    type: temporal\n    config:\n"
        + "".join(f"      {line}\n" for line in config_lines)
    )
    return manifest


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("s3://floe-artifacts/temporal", "s3://floe-artifacts/temporal"),
        ("shared/artifacts", "{root}/shared/artifacts"),
    ],
)
def test_the_artifact_store_of_the_manifest_keeps_urls_and_resolves_folders(
    tmp_path: Path, configured: str, expected: str
) -> None:
    manifest = _temporal_manifest(
        tmp_path,
        f"artifact_store: {configured}",
        "artifact_options: {endpoint: 'http://127.0.0.1:9', secret_access_key:"
        " '${env:FLOE_S3_SECRET}'}",
    )
    settings = WorkerSettings.model_validate(_from_manifest(manifest))
    assert settings.artifact_store == expected.format(root=tmp_path)
    # The reference travels as written: each process resolves it when it opens the store.
    assert settings.artifact_options["secret_access_key"] == "${env:FLOE_S3_SECRET}"


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ('task_queue: ""', "task_queue"),
        ('address: "not a host:abc"', "is not host:port"),
        ("heartbeat_timeout_seconds: 0.5", "shorter than workers can heartbeat"),
        ("timeouts: {node_seconds: 90000}", "longer than execution_timeout_seconds"),
        ("timeouts: {plan_seconds: 0}", "greater than 0"),
        ("non_retryable_errors: ['SQL (compilation']", "is not a regular expression"),
        ("env: {DBT_PASSWORD: hunter2}", "env_from_worker: {DBT_PASSWORD: WORKER_VARIABLE}"),
        ("env_from_worker: {DBT_PASSWORD: 'hunter 2'}", "a name, never a value"),
        ("static_search_attributes: {TemporalTeam: a}", "not a custom search attribute name"),
        ("static_search_attributes: {DbtSelector: a}", "set by floe itself"),
        ("worker: {target_cpu_usage: 1.5}", "less than or equal to 1"),
        ("worker: {target_memory_usage: 0.5}", "apply to tuner resource_based only"),
        ("worker: {max_pollers: 1}", "greater than or equal to 2"),
        ("worker: {poller_autoscaling: true, max_pollers: 3}", "initial_pollers (5) <="),
        (
            "worker: {metrics_prometheus_address: '0.0.0.0:9464', metrics_otlp_endpoint:"
            " 'http://c:4318/v1/metrics'}",
            "not both",
        ),
    ],
)
def test_bad_temporal_settings_are_refused_with_their_line_by_validate_and_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, problem: str
) -> None:
    manifest = _temporal_manifest(tmp_path, setting)
    monkeypatch.chdir(tmp_path)
    located = f"{manifest.name}:10"
    validated = CliRunner().invoke(cli, ["validate"])
    assert validated.exit_code == 2
    output = " ".join(validated.output.split())  # the report wraps long lines
    assert located in output, output
    assert problem in output
    worker = CliRunner().invoke(cli, ["worker", "--manifest", str(manifest)])
    assert worker.exit_code == 2, worker.output
    assert worker.stderr.startswith("error: runtime 'temporal' config: ")
    assert located in worker.stderr
    assert problem in worker.stderr
    assert "validation error" not in worker.output  # no raw pydantic dump


def test_relative_folders_mean_the_manifests_folder_for_the_client_too(tmp_path: Path) -> None:
    config = PluginRegistry().validate_config(
        "temporal", {"artifact_store": "shared/artifacts", "work_dir": "w"}, base_dir=tmp_path
    )
    assert isinstance(config, TemporalRuntimeConfig)
    assert config.artifact_store == str(tmp_path / "shared" / "artifacts")
    assert config.work_dir == tmp_path / "w"


def test_projects_of_a_worker_run_with_the_profile_of_its_own_manifest(tmp_path: Path) -> None:
    manifest = _temporal_manifest(tmp_path, "task_queue: q")
    served = _served_projects(_from_manifest(manifest)["projects"], (f"crm={tmp_path}",))
    assert served["crm"].profile is not None
    assert served["crm"].profile == served["shop"].profile
    # No manifest: no profile at all (the registry refuses a client's).
    assert _served_projects({}, (f"crm={tmp_path}",))["crm"].profile is None


def test_a_worker_traces_where_its_manifest_says(tmp_path: Path) -> None:
    """With ``observability.tracing`` on, ``floe worker --manifest`` gives the worker its own
    tracer provider (test_tracing.py shows a worker's spans joining the invocation trace)."""
    manifest = _temporal_manifest(tmp_path, "task_queue: q")
    assert worker_tracing(manifest) is None
    manifest.write_text(
        manifest.read_text() + "observability:\n  tracing: {enabled: true, exporter: console}\n"
    )
    tracing = worker_tracing(manifest)
    assert tracing is not None
    try:
        with tracing.tracer_provider.get_tracer("t").start_as_current_span("node") as span:
            assert span.get_span_context().is_valid  # a recording SDK span, not a no-op
    finally:
        tracing.close()


def test_node_timeout_seconds_is_the_former_name_of_timeouts_node_seconds() -> None:
    config = TemporalRuntimeConfig.model_validate({"node_timeout_seconds": 12})
    assert config.timeouts.node_seconds == 12
    assert config.timeouts.plan_seconds == 600
