"""The local runtime's other dbt commands on small projects of their own: ``deps`` offline
(a local package and a git repository on a file:// URL), ``source freshness`` with every
outcome dbt has, on DuckDB and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from floe_core import (
    CommandArgs,
    DBTCommand,
    DBTInvocation,
    GeneratedProfile,
    NodeStatus,
    RunStatus,
)
from floe_core.testing import PostgresServer
from floe_core.testing.contract import assert_event_stream, record
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

pytestmark = pytest.mark.slow

_PROJECT = "name: {name}\nversion: '1.0'\nconfig-version: 2\nprofile: floe\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=floe", "-c", "user.email=floe@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _duckdb(tmp_path: Path) -> GeneratedProfile:
    return GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": str(tmp_path / "w.db")}})


@pytest.fixture
def runtime(tmp_path: Path) -> Any:
    with LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=tmp_path / "profiles")) as runtime:
        yield runtime


def test_deps_installs_a_local_package_and_a_git_package_from_a_file_url(
    tmp_path: Path, runtime: LocalRuntime
) -> None:
    local = tmp_path / "local_helpers"
    _write(local / "dbt_project.yml", _PROJECT.format(name="local_helpers"))
    _write(local / "macros" / "hi.sql", "{% macro hi() %}{{ log('hi from local', info=True) }}"
           "{% endmacro %}")  # fmt: skip
    repo = tmp_path / "git_helpers"
    _write(repo / "dbt_project.yml", _PROJECT.format(name="git_helpers"))
    _write(repo / "macros" / "yo.sql", "{% macro yo() %}{{ log('yo from git', info=True) }}"
           "{% endmacro %}")  # fmt: skip
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "helpers")
    _git(repo, "tag", "v1")
    project = tmp_path / "project"
    _write(project / "dbt_project.yml", _PROJECT.format(name="uses_packages"))
    _write(project / "models" / "one.sql", "select 1 as id")
    _write(
        project / "packages.yml",
        f"packages:\n  - local: ../local_helpers\n  - git: '{repo.as_uri()}'\n    revision: v1\n",
    )
    invocation = DBTInvocation(project_dir=project, profile=_duckdb(tmp_path))

    before = record(runtime, DBTCommand.LIST, invocation)
    assert before.error is not None, "without deps the project must not parse"
    assert "dbt deps" in str(before.error)

    deps = record(runtime, DBTCommand.DEPS, invocation.model_copy(update={"invocation_id": "d"}))
    assert deps.error is None, deps.error
    assert deps.result.status is RunStatus.SUCCESS, deps.result.output
    assert_event_stream(deps, runtime.name)
    assert (project / "dbt_packages" / "git_helpers" / "macros" / "yo.sql").is_file()
    assert (project / "package-lock.yml").is_file()

    for macro, said in (("hi", "hi from local"), ("yo", "yo from git")):
        operation = invocation.model_copy(
            update={"invocation_id": macro, "command_args": CommandArgs(macro=macro)}
        )
        ran = runtime.invoke(DBTCommand.RUN_OPERATION, operation)
        assert ran.status is RunStatus.SUCCESS, ran.output
        assert said in (ran.output or "")


_FRESHNESS_SOURCES = """\
version: 2
sources:
  - name: feeds
    schema: {schema}
    config:
      freshness:
        warn_after: {{count: 1, period: hour}}
        error_after: {{count: 1, period: day}}
    tables:
      - name: fresh
        config: {{loaded_at_query: "select current_timestamp"}}
      - name: late
        config: {{loaded_at_query: "select current_timestamp - interval '3 hours'"}}
      - name: stale
        config: {{loaded_at_query: "select current_timestamp - interval '3 days'"}}
      - name: broken
        config: {{loaded_at_query: "select max(loaded_at) from no_such_table"}}
"""

_FRESHNESS = {
    "fresh": ("pass", NodeStatus.SUCCESS),
    "late": ("warn", NodeStatus.WARN),
    "stale": ("error", NodeStatus.FAIL),
    "broken": ("runtime error", NodeStatus.ERROR),
}
"""Source -> (dbt's status in sources.json, floe's node status)."""


def _freshness(
    tmp_path: Path, runtime: LocalRuntime, profile: GeneratedProfile, schema: str
) -> None:
    project = tmp_path / "project"
    _write(project / "dbt_project.yml", _PROJECT.format(name="feeds"))
    _write(project / "models" / "sources.yml", _FRESHNESS_SOURCES.format(schema=schema))
    invocation = DBTInvocation(project_dir=project, profile=profile)
    run = record(runtime, DBTCommand.SOURCE_FRESHNESS, invocation)
    assert run.error is None, run.error
    assert_event_stream(run, runtime.name)
    assert run.statuses() == {name: status for name, (_, status) in _FRESHNESS.items()}
    assert run.result.status is RunStatus.FAILED
    sources = json.loads((project / "target" / "sources.json").read_text())
    said = {result["unique_id"].split(".")[-1]: result["status"] for result in sources["results"]}
    # dbt 1.11 leaves the broken source out; floe keeps dbt's runtime-error entry for it
    assert said == {name: dbt_status for name, (dbt_status, _) in _FRESHNESS.items()}
    assert "no_such_table" in (run.result.node("source.feeds.feeds.broken").message or "")


def test_source_freshness_reports_pass_warn_error_and_runtime_error_on_duckdb(
    tmp_path: Path, runtime: LocalRuntime
) -> None:
    _freshness(tmp_path, runtime, _duckdb(tmp_path), "main")


@pytest.mark.postgres
def test_source_freshness_reports_every_outcome_on_postgres(
    tmp_path: Path,
    runtime: LocalRuntime,
    postgres_server: PostgresServer,
    postgres_database: str,
) -> None:
    output = {
        "type": "postgres",
        "host": postgres_server.host,
        "port": postgres_server.port,
        "user": postgres_server.user,
        "password": postgres_server.password,
        "dbname": postgres_database,
        "schema": "public",
    }
    _freshness(tmp_path, runtime, GeneratedProfile(outputs={"dev": output}), "public")
