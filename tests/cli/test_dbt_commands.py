"""dbt's other commands through the ``floe`` CLI, on a copy of examples/shop:
what each prints, its exit code, and what it leaves in the results store."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from floe_core.cli import cli

pytestmark = pytest.mark.slow

RunCommand = Callable[..., Result]

_SOURCES = """\
version: 2
sources:
  - name: clock
    schema: main
    tables:
      - name: now
        config:
          loaded_at_query: "select current_timestamp"
          freshness: {warn_after: {count: 1, period: day}}
"""

_MACRO = """\
{% macro say(word='hi') %}{{ log('floe says ' ~ word, info=True) }}{% endmacro %}
"""


@pytest.fixture(scope="module")
def workspace(shop_workspace: Callable[[str], Path]) -> Path:
    """A copy of the shop with a source and a logging macro; the manifest's folder."""
    manifest = shop_workspace("cli-commands")
    project = manifest.parent / "shop"
    (project / "models" / "clock.yml").write_text(_SOURCES, encoding="utf-8")
    (project / "macros" / "say.sql").write_text(_MACRO, encoding="utf-8")
    return manifest.parent


@pytest.fixture(scope="module")
def floe(workspace: Path) -> RunCommand:
    """``floe(*args)``: the CLI in this process (dbt imported once), on the workspace."""
    manifest = str(workspace / "platform-manifest.yaml")

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--manifest", manifest])

    return run


@pytest.fixture(scope="module")
def built(floe: RunCommand) -> Result:
    done = floe("build")
    assert done.exit_code == 0, done.stdout + done.stderr
    return done


def _run_folder(done: Result) -> Path:
    """The results folder a command names on its last line."""
    line = next(line for line in reversed(done.stdout.splitlines()) if line.startswith("results:"))
    return Path(line.removeprefix("results:").strip())


def test_ls_takes_several_selectors_and_excludes_like_dbt(floe: RunCommand) -> None:
    done = floe(
        "ls", "-s", "stg_orders", "stg_customers", "customers", "--exclude", "stg_customers",
        "customers", "--resource-type", "model", "--output", "name",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert done.stdout.split() == ["stg_orders"]


def test_list_prints_json_with_the_keys_asked_for(floe: RunCommand) -> None:
    done = floe(
        "list", "--resource-type", "seed", "source", "--output", "json",
        "--output-keys", "name", "resource_type",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    listed = [json.loads(line) for line in done.stdout.splitlines()]
    assert {"name": "now", "resource_type": "source"} in listed
    assert {"name": "raw_orders", "resource_type": "seed"} in listed
    assert all(set(item) == {"name", "resource_type"} for item in listed)


def test_compile_prints_the_sql_of_a_node_and_of_inline_sql(floe: RunCommand) -> None:
    node = floe("compile", "-s", "stg_orders")
    assert node.exit_code == 0, node.stderr
    assert '"main"."raw_orders"' in node.stdout
    assert "{{" not in node.stdout
    inline = floe("compile", "--inline", "select * from {{ ref('stg_orders') }}")
    assert inline.exit_code == 0, inline.stderr
    assert '"main"."stg_orders"' in inline.stdout


def test_show_previews_a_node_as_a_table_and_inline_sql_as_json(
    floe: RunCommand, built: Result
) -> None:
    table = floe("show", "-s", "customers", "--limit", "2")
    assert table.exit_code == 0, table.stdout + table.stderr
    assert "Previewing node 'customers'" in table.stdout
    assert "customer_id" in table.stdout
    as_json = floe("show", "--inline", "select 40 + 2 as answer", "--output", "json")
    assert as_json.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout)["show"] == [{"answer": 42}]


def test_run_operation_runs_the_macro_with_its_args(floe: RunCommand) -> None:
    done = floe("run-operation", "say", "--args", "{word: hello}")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "floe says hello" in done.stdout


def test_source_freshness_keeps_sources_json_and_reports_the_source_as_a_node(
    floe: RunCommand,
) -> None:
    done = floe("source", "freshness")
    assert done.exit_code == 0, done.stdout + done.stderr
    folder = _run_folder(done)
    sources = json.loads((folder / "sources.json").read_text())
    assert [(r["unique_id"], r["status"]) for r in sources["results"]] == [
        ("source.shop.clock.now", "pass")
    ]
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    finished = [e["result"]["unique_id"] for e in events if e["kind"] == "node_finished"]
    assert finished == ["source.shop.clock.now"]


def test_docs_generate_keeps_catalog_json_in_the_results_store(floe: RunCommand) -> None:
    done = floe("docs", "generate")
    assert done.exit_code == 0, done.stdout + done.stderr
    catalog = json.loads((_run_folder(done) / "catalog.json").read_text())
    assert "model.shop.orders" in catalog["nodes"] or not catalog["nodes"]


def test_debug_checks_the_connection(floe: RunCommand) -> None:
    done = floe("debug")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "Connection test: [OK connection ok]" in done.stdout


def test_deps_parse_and_clean(floe: RunCommand, workspace: Path) -> None:
    deps = floe("deps")
    assert deps.exit_code == 0, deps.stdout + deps.stderr
    parse = floe("parse")
    assert parse.exit_code == 0, parse.stderr
    assert (workspace / "shop" / "target" / "manifest.json").is_file()
    clean = floe("clean")
    assert clean.exit_code == 0, clean.stderr
    assert not (workspace / "shop" / "target").exists()


def test_retry_reruns_what_failed_in_the_last_run(floe: RunCommand) -> None:
    failed = floe("build", "--vars", "{fail_model: true}")
    assert failed.exit_code == 1, failed.stdout + failed.stderr
    failed_result = json.loads((_run_folder(failed) / "result.json").read_text())
    not_done = {
        node["unique_id"]
        for node in failed_result["nodes"]
        if node["status"] in ("error", "fail", "skipped")
    }
    assert "model.shop.orders" in not_done
    retried = floe("retry", "--vars", "{fail_model: false}", "--json")
    assert retried.exit_code == 0, retried.stdout + retried.stderr
    result = json.loads(retried.stdout)
    assert result["command"] == "retry"
    assert {node["unique_id"] for node in result["nodes"]} == not_done
    assert {node["status"] for node in result["nodes"]} == {"success"}


def test_a_command_the_runtime_does_not_declare_is_refused_naming_those_that_do(
    floe: RunCommand,
) -> None:
    done = floe("show", "--inline", "select 1", "--runtime", "temporal")
    assert done.exit_code == 2, done.stdout + done.stderr
    assert "runtime 'temporal' does not support `show`" in done.stderr
    assert "--runtime local" in done.stderr


def test_validate_connection_connects_to_the_warehouse(floe: RunCommand) -> None:
    done = floe("validate", "--connection")
    assert done.exit_code == 0, done.output
    assert "ok    connection: Connection test: [OK connection ok]" in done.stdout


def test_validate_connection_names_why_the_warehouse_is_unreachable(
    tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    manifest = tmp_path / "platform-manifest.yaml"
    manifest.write_text(
        f"apiVersion: floe.dev/v1\nkind: PlatformManifest\n"
        f"project: {{dir: {workspace / 'shop'}}}\nplugins: {{dbt_runtime: {{type: local}}}}\n"
        f"compute: {{type: postgres, config: {{host: 127.0.0.1, port: {port}, user: floe,"
        " password: '${env:FLOE_TEST_PG}', dbname: shop}}\n"
    )
    monkeypatch.setenv("FLOE_TEST_PG", "not-used")
    done = CliRunner().invoke(cli, ["validate", "--connection", "--manifest", str(manifest)])
    assert done.exit_code == 2
    assert "error connection: cannot connect to the warehouse:" in done.stdout
    assert "Connection refused" in done.stdout
