"""Commands beyond the node-running ones, as dbt Cloud job steps on the fake (real dbt)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from floe_core import (
    DBTCommand,
    DBTInvocation,
    GeneratedProfile,
    NodeFinished,
    NodeStatus,
    RunStatus,
)
from floe_dbt_cloud import CloudRuntime
from floe_dbt_cloud.testing import FakeDbtCloud, FakeJob

_JOB = 11
_SOURCES = """
version: 2
sources:
  - name: feeds
    schema: main
    config:
      freshness:
        warn_after: {count: 1, period: day}
        error_after: {count: 10, period: day}
    tables:
      - name: fresh
        config: {loaded_at_query: "select current_timestamp"}
      - name: late
        config: {loaded_at_query: "select current_timestamp - interval 2 day"}
      - name: stale
        config: {loaded_at_query: "select current_timestamp - interval 20 day"}
      - name: broken
        config: {loaded_at_field: loaded_at}
"""


@pytest.fixture(scope="module")
def feeds_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("cloud-commands") / "feeds"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: feeds\nversion: '1.0'\nconfig-version: 2\nprofile: floe\n"
    )
    (project / "models" / "sources.yml").write_text(_SOURCES)
    (project / "models" / "one.sql").write_text("select 1 as n")
    return project


@pytest.fixture(scope="module")
def runtime(feeds_project: Path) -> Iterator[CloudRuntime]:
    root = feeds_project.parent
    job = FakeJob(
        id=_JOB,
        project_dir=feeds_project,
        connection={"type": "duckdb", "path": str(root / "warehouse.duckdb")},
    )
    with (
        FakeDbtCloud([job], work_dir=root / "runs") as fake,
        CloudRuntime(fake.cloud_config(_JOB)) as cloud,
    ):
        yield cloud


@pytest.fixture
def invocation(feeds_project: Path, tmp_path: Path) -> DBTInvocation:
    return DBTInvocation(
        project_dir=feeds_project,
        profile=GeneratedProfile(outputs={"dev": {"type": "duckdb"}}),
        target_path=tmp_path / "artifacts",
    )


def test_source_freshness_reports_each_source_as_a_node_and_keeps_sources_json(
    runtime: CloudRuntime, invocation: DBTInvocation
) -> None:
    finished: list[NodeFinished] = []
    with runtime.events.subscribed(
        lambda e: finished.append(e) if isinstance(e, NodeFinished) else None
    ):
        result = runtime.invoke(DBTCommand.SOURCE_FRESHNESS, invocation)
    statuses = {node.name: node.status for node in result.nodes}
    assert statuses == {
        "fresh": NodeStatus.SUCCESS,
        "late": NodeStatus.WARN,
        "stale": NodeStatus.FAIL,  # past error_after, as on every runtime
        "broken": NodeStatus.ERROR,  # table "broken" does not exist: dbt's runtime error
    }
    assert {e.result.name: e.result.status for e in finished} == statuses
    assert result.status is RunStatus.FAILED
    assert {node.resource_type for node in result.nodes} == {"source"}
    broken = next(node for node in result.nodes if node.name == "broken")
    assert "Table with name broken does not exist" in (broken.message or ""), broken.message
    kept = json.loads((invocation.artifacts_dir / "sources.json").read_text())
    said = {r["unique_id"].rsplit(".", 1)[-1]: r["status"] for r in kept["results"]}
    assert said == {"fresh": "pass", "late": "warn", "stale": "error", "broken": "runtime error"}


def test_source_freshness_of_a_selection_reports_only_its_broken_sources(
    runtime: CloudRuntime, invocation: DBTInvocation
) -> None:
    selected = invocation.model_copy(update={"select": ("source:feeds.broken",)})
    result = runtime.invoke(DBTCommand.SOURCE_FRESHNESS, selected)
    assert [(node.name, node.status) for node in result.nodes] == [("broken", NodeStatus.ERROR)]


def test_compile_inline_prints_the_compiled_sql(
    runtime: CloudRuntime, invocation: DBTInvocation
) -> None:
    inline = invocation.model_copy(
        update={
            "command_args": invocation.command_args.model_copy(
                update={"inline": "select n + 1 from {{ ref('one') }}"}
            )
        }
    )
    result = runtime.invoke(DBTCommand.COMPILE, inline)
    assert result.status is RunStatus.SUCCESS, result.error
    assert result.output is not None
    assert '"one"' in result.output, result.output
    assert "{{" not in result.output


def test_docs_generate_keeps_the_catalog(runtime: CloudRuntime, invocation: DBTInvocation) -> None:
    runtime.invoke(DBTCommand.RUN, invocation)
    result = runtime.invoke(DBTCommand.DOCS_GENERATE, invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    catalog = json.loads((invocation.artifacts_dir / "catalog.json").read_text())
    assert "model.feeds.one" in catalog["nodes"]


def test_show_prints_dbt_clouds_preview_as_a_table(
    runtime: CloudRuntime, feeds_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step prints dbt's own JSON (no ``columns``, no ``node`` for inline SQL)."""
    from click.testing import CliRunner

    from floe_core.cli import cli

    config = runtime.config
    monkeypatch.setenv("FLOE_TEST_CLOUD_TOKEN", config.token.get_secret_value())
    manifest = tmp_path / "platform-manifest.yaml"
    manifest.write_text(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\n"
        f"project: {{dir: {feeds_project}}}\n"
        "plugins: {dbt_runtime: {type: cloud, config: {"
        f"access_url: '{config.access_url}', discovery_url: '{config.discovery_url}', "
        f"account_id: {config.account_id}, job_id: {config.job_id}, "
        "token: '${env:FLOE_TEST_CLOUD_TOKEN}', poll_interval_seconds: 0.05}}}\n"
        "compute: {type: duckdb}\n"
        f"artifacts: {{path: {tmp_path / 'results'}}}\n",
        encoding="utf-8",
    )
    shown = CliRunner().invoke(
        cli, ["show", "--inline", "select 41 + 1 as answer", "--manifest", str(manifest)]
    )
    assert shown.exit_code == 0, shown.stdout + shown.stderr
    table = shown.stdout[shown.stdout.index("Previewing") :].split()
    assert table == ["Previewing", "inline", "node:", "answer", "━━━━━━", "42"], shown.stdout
