"""The commands beyond the node-running ones, through the workflow on a real worker."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from floe_core import DBTCommand, DBTInvocation, GeneratedProfile, NodeStatus, RunStatus
from floe_core.api import Floe, list_runtimes
from floe_core.artifacts import LocalResultsStore
from floe_core.cli import cli
from floe_core.manifest import load_manifest
from floe_core.testing.contract import assert_event_stream, record
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig
from floe_dbt_temporal import TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


def test_ls_is_answered_on_the_worker_as_dbt_ls_prints_it(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    shop: Path,
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
) -> None:
    local_copy = tmp_path / "local-shop"
    shutil.copytree(shop, local_copy)
    fields: dict[str, Any] = {
        "profile": duckdb_profile,
        "select": ("+customers",),
        "command_args": {
            "resource_types": ("model", "source"),
            "output": "json",
            "output_keys": ("name", "resource_type"),
        },
    }
    with temporal_server.worker(settings):
        remote = make_runtime().invoke(DBTCommand.LIST, DBTInvocation(project_dir=shop, **fields))
    local = LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=tmp_path / "cache")).invoke(
        DBTCommand.LIST, DBTInvocation(project_dir=local_copy, **fields)
    )

    assert remote.status is RunStatus.SUCCESS, remote.error
    assert remote.nodes == (), "ls executes nothing"
    listed = [json.loads(line) for line in (remote.output or "").splitlines()]
    assert {"name": "customers", "resource_type": "model"} in listed
    assert {entry["resource_type"] for entry in listed} <= {"model", "source"}
    assert remote.output == local.output
    assert not (shop / "target" / "run_results.json").exists()


_FEEDS = """\
version: 2
sources:
  - name: feeds
    schema: main
    config:
      freshness:
        warn_after: {count: 1, period: hour}
        error_after: {count: 1, period: day}
    tables:
      - name: fresh
        config: {loaded_at_query: "select current_timestamp"}
      - name: late
        config: {loaded_at_query: "select current_timestamp - interval '3 hours'"}
      - name: stale
        config: {loaded_at_query: "select current_timestamp - interval '3 days'"}
      - name: broken
        config: {loaded_at_query: "select max(loaded_at) from no_such_table"}
"""


def test_source_freshness_checks_each_source_on_the_workers_and_keeps_sources_json(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    tmp_path: Path,
) -> None:
    project = tmp_path / "feeds"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: feeds\nversion: '1.0'\nconfig-version: 2\nprofile: floe\n", encoding="utf-8"
    )
    (project / "models" / "sources.yml").write_text(_FEEDS, encoding="utf-8")
    profile = GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": str(tmp_path / "w.db")}})
    invocation = DBTInvocation(project_dir=project, profile=profile)
    runtime = make_runtime()
    with temporal_server.worker(settings):
        run = record(runtime, DBTCommand.SOURCE_FRESHNESS, invocation)

    assert run.error is None, run.error
    assert_event_stream(run, runtime.name)
    assert run.statuses() == {
        "fresh": NodeStatus.SUCCESS,
        "late": NodeStatus.WARN,
        "stale": NodeStatus.FAIL,
        "broken": NodeStatus.ERROR,
    }
    assert run.result.status is RunStatus.FAILED
    assert "no_such_table" in (run.result.node("source.feeds.feeds.broken").message or "")
    sources = json.loads((invocation.artifacts_dir / "sources.json").read_text())
    assert sources["metadata"]["invocation_id"] == invocation.invocation_id
    said = {entry["unique_id"].split(".")[-1]: entry["status"] for entry in sources["results"]}
    assert said == {"fresh": "pass", "late": "warn", "stale": "error", "broken": "runtime error"}
    late = next(e for e in sources["results"] if e["unique_id"].endswith(".late"))
    assert 3 * 3600 - 60 < late["max_loaded_at_time_ago_in_s"] < 3 * 3600 + 600


def test_retry_reruns_what_failed_in_the_stored_run_and_is_linked_to_it(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    shop: Path,
) -> None:
    manifest_path = shop.parent / "platform-manifest.yaml"
    manifest_path.write_text(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\n"
        f"project: {{dir: {shop.name}}}\n"
        "plugins: {dbt_runtime: {type: temporal}}\n"
        f"compute: {{type: duckdb, config: {{path: {shop.parent / 'w.duckdb'}}}}}\n"
        "artifacts: {path: results}\n",
        encoding="utf-8",
    )
    manifest = load_manifest(manifest_path)
    store = LocalResultsStore(manifest.artifacts_dir())
    floe = Floe(manifest, make_runtime(), observers=[store])
    with temporal_server.worker(settings):
        failed = floe.build(vars={"fail_model": True})
        retried = floe.retry(vars={"fail_model": False})

    not_done = {n.unique_id for n in failed.nodes if n.status.value in ("error", "fail", "skipped")}
    assert failed.status is RunStatus.FAILED
    assert 0 < len(not_done) < len(failed.nodes)
    assert retried.command is DBTCommand.RETRY
    assert retried.status is RunStatus.SUCCESS, retried.error
    assert {n.unique_id for n in retried.nodes} == not_done
    [record] = [r for r in store.history.runs("shop") if r.invocation_id == retried.invocation_id]
    assert record.retry_of == failed.invocation_id


def test_deps_parse_debug_and_clean_run_on_the_client_and_plugins_list_says_so(
    make_runtime: Callable[..., TemporalRuntime], shop: Path, duckdb_profile: GeneratedProfile
) -> None:
    # No worker runs: these commands never reach Temporal.
    helpers = shop.parent / "helpers"
    (helpers / "macros").mkdir(parents=True)
    (helpers / "dbt_project.yml").write_text("name: helpers\nversion: '1.0'\n")
    (shop / "packages.yml").write_text("packages:\n  - local: ../helpers\n")
    runtime = make_runtime()
    invocation = DBTInvocation(project_dir=shop, profile=duckdb_profile)
    deps = runtime.invoke(DBTCommand.DEPS, invocation)
    assert deps.status is RunStatus.SUCCESS, deps.error
    assert (shop / "dbt_packages" / "helpers" / "dbt_project.yml").is_file()
    parsed = runtime.invoke(DBTCommand.PARSE, invocation.model_copy(update={"invocation_id": "p"}))
    assert parsed.status is RunStatus.SUCCESS, parsed.error
    assert (shop / "target" / "manifest.json").is_file()
    debug = runtime.invoke(DBTCommand.DEBUG, invocation.model_copy(update={"invocation_id": "d"}))
    assert "OK" in (debug.output or ""), debug.output
    clean = runtime.invoke(DBTCommand.CLEAN, invocation.model_copy(update={"invocation_id": "c"}))
    assert clean.status is RunStatus.SUCCESS, clean.error
    assert not (shop / "target").exists()  # the shop's clean-targets
    assert {r.metadata["ran_on"] for r in (deps, parsed, debug, clean)} == {"client"}

    [info] = list_runtimes(["temporal"], load=True)
    assert set(info.client_side) == {"deps", "parse", "debug", "clean"}
    listed = CliRunner(env={"COLUMNS": "400"}).invoke(
        cli, ["plugins", "list", "temporal", "--check"]
    )
    assert listed.exit_code == 0, listed.output
    assert "debug (on the client)" in listed.output
    assert "ls (on the client)" not in listed.output
