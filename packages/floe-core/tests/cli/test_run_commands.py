from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from floe_core import NODE_COMMANDS, DBTCommand, DBTRunResult, NodeStatus, RunStatus
from floe_core.artifacts import read_index
from floe_core.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_build_without_a_terminal_prints_dbt_like_lines_and_exits_0(
    runner: CliRunner, write_manifest, tmp_path: Path
) -> None:
    write_manifest()
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    # not a terminal: dbt's log shape, a header, node lines, no table of successes
    assert out.startswith("Running with floe=")
    assert ", runtime=scripted" in out
    assert "1 of 2 OK sql table model main.stg_orders" in out
    assert "[OK in 0.25s]" in out
    assert "2 of 2 OK" in out
    assert "┃" not in out
    assert "Completed successfully" in out
    assert "Done. PASS=2 WARN=0 ERROR=0 FAIL=0 SKIP=0 TOTAL=2" in out
    [record] = read_index(tmp_path / "results", "shop")
    assert f"results: {tmp_path / 'results' / 'shop' / record.invocation_id}" in out


def test_a_failed_node_exits_1_naming_the_node_and_the_database_message(
    runner: CliRunner, write_manifest, tmp_path: Path
) -> None:
    write_manifest()
    result = runner.invoke(cli, ["run", "--vars", "{fail: true}"])
    assert result.exit_code == 1
    assert "Completed with 1 error and 0 warnings:" in result.stdout
    assert "ERROR in model stg_orders (model.shop.stg_orders)" in result.stdout
    assert 'Binder Error: column "amount" not found' in result.stdout
    assert "SKIP=1" in result.stdout
    [record] = read_index(tmp_path / "results", "shop")
    assert (record.status, record.failures) == (RunStatus.FAILED, 1)


def test_json_puts_only_the_run_result_on_stdout(runner: CliRunner, write_manifest) -> None:
    write_manifest()
    result = runner.invoke(cli, ["--log-format", "json", "build", "--json"])
    assert result.exit_code == 0
    run = DBTRunResult.model_validate_json(result.stdout)
    assert run.command is DBTCommand.BUILD
    assert [node.status for node in run.nodes] == [NodeStatus.SUCCESS, NodeStatus.SUCCESS]
    log_lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert {line["invocation_id"] for line in log_lines} == {run.invocation_id}
    assert "model.shop.orders" in {line.get("node") for line in log_lines}


@pytest.mark.parametrize("command", sorted(c.value for c in NODE_COMMANDS))
def test_every_dbt_command_reaches_the_runtime(
    runner: CliRunner, write_manifest, command: str
) -> None:
    write_manifest()
    result = runner.invoke(cli, [command, "--json"])
    assert result.exit_code == 0, result.output
    assert DBTRunResult.model_validate_json(result.stdout).command.value == command


_UNDECLARED = [c.value for c in DBTCommand if c not in NODE_COMMANDS]


@pytest.mark.parametrize("command", _UNDECLARED)
def test_a_command_the_runtime_does_not_declare_is_refused_before_it_runs(
    runner: CliRunner, write_manifest, tmp_path: Path, command: str
) -> None:
    write_manifest()
    args = [*command.split(), *(["some_macro"] if command == "run-operation" else [])]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert f"runtime 'scripted' does not support `{command}`" in result.stderr
    assert read_index(tmp_path / "results", "shop") == []


def test_plan_lists_nodes_in_dependency_order_and_select_splits_like_dbt(
    runner: CliRunner, write_manifest
) -> None:
    write_manifest()
    everything = runner.invoke(cli, ["plan", "--json"])
    assert everything.exit_code == 0
    ids = [node["unique_id"] for node in json.loads(everything.stdout)["nodes"]]
    assert ids == ["model.shop.stg_orders", "model.shop.orders"]
    table = runner.invoke(cli, ["plan", "-s", "orders stg_orders"])
    assert table.stdout.index("model.shop.stg_orders") < table.stdout.index("model.shop.orders")
    assert "2 nodes in project shop; nothing was executed" in table.stdout
    one = runner.invoke(cli, ["plan", "--select", "orders", "--json"])
    assert [node["name"] for node in json.loads(one.stdout)["nodes"]] == ["orders"]


def test_a_runtime_error_is_one_line_exit_1_and_results_are_kept(
    runner: CliRunner, write_manifest, tmp_path: Path
) -> None:
    write_manifest(config="{crash: warehouse}")
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "error: lost the warehouse\nhint: check that it is running" in result.stderr
    assert "Traceback" not in result.output
    [record] = read_index(tmp_path / "results", "shop")
    assert record.status is RunStatus.ERROR
    assert f"results of invocation {record.invocation_id}" in result.stderr
    saved = DBTRunResult.model_validate_json(
        (tmp_path / "results" / "shop" / record.invocation_id / "result.json").read_text()
    )
    assert [node.name for node in saved.nodes] == ["stg_orders"]


def test_an_unexpected_exception_points_at_debug_logging(runner: CliRunner, write_manifest) -> None:
    write_manifest(config="{crash: unexpected}")
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 1
    assert "error: unexpected RuntimeError: scripted bug" in result.stderr
    assert "run with --log-level debug for the traceback" in result.stderr
    assert "Traceback" not in result.stderr
    debug = runner.invoke(cli, ["build", "--log-level", "debug"])
    assert "Traceback" in debug.stderr


def test_ctrl_c_exits_130_after_saving_partial_results(
    runner: CliRunner, write_manifest, tmp_path: Path
) -> None:
    write_manifest(config="{crash: interrupt}")
    result = runner.invoke(cli, ["build"])
    assert result.exit_code == 130
    [record] = read_index(tmp_path / "results", "shop")
    assert record.status is RunStatus.CANCELLED
    assert record.nodes == 1


def test_observability_from_the_manifest_sees_the_run(
    runner: CliRunner, write_manifest, tmp_path: Path
) -> None:
    lineage_file = tmp_path / "lineage.jsonl"
    write_manifest(
        extra="observability:\n"
        "  tracing: {enabled: true, exporter: none}\n"
        "  lineage:\n"
        "    enabled: true\n"
        f"    transport: {{type: file, log_file_path: '{lineage_file}', append: true}}\n"
    )
    result = runner.invoke(cli, ["build", "--json"])
    assert result.exit_code == 0, result.output
    invocation_id = json.loads(result.stdout)["invocation_id"]
    recorded = json.loads(
        (tmp_path / "results" / "shop" / invocation_id / "invocation.json").read_text()
    )
    assert recorded["trace_context"]["traceparent"].startswith("00-")
    lineage = [json.loads(line) for line in lineage_file.read_text().splitlines()]
    assert {event["eventType"] for event in lineage} >= {"START", "COMPLETE"}
    jobs = {event["job"]["name"] for event in lineage}
    assert len(jobs) == 3  # the run and its two nodes
    assert "dbt-build-shop" in jobs


def test_a_selection_that_matches_nothing_says_so(runner: CliRunner, write_manifest) -> None:
    write_manifest()
    for command in ("plan", "build"):
        result = runner.invoke(cli, [command, "--select", "no_such_model"])
        assert result.exit_code == 0, result.output
        assert "nothing to do: the selection matched no nodes" in result.stdout


def test_every_option_reaches_the_invocation(runner: CliRunner, write_manifest) -> None:
    write_manifest()
    result = runner.invoke(
        cli,
        [
            "run",
            "--json",
            "-s",
            "orders stg_orders",
            "--exclude",
            "tag:slow",
            "--selector",
            "nightly",
            "--vars",
            '{"day": "2024-01-01", "n": 3}',
            "--target",
            "dev",
            "--threads",
            "3",
            "--full-refresh",
            "--fail-fast",
        ],
    )
    assert result.exit_code == 0, result.output
    invocation = json.loads(result.stdout)["metadata"]["invocation"]
    assert invocation["select"] == ["orders", "stg_orders"]
    assert invocation["exclude"] == ["tag:slow"]
    assert invocation["selector"] == "nightly"
    assert invocation["vars"] == {"day": "2024-01-01", "n": 3}
    assert (invocation["target"], invocation["threads"]) == ("dev", 3)
    assert (invocation["full_refresh"], invocation["fail_fast"]) == (True, True)


def test_json_names_the_stored_run_folder(
    runner: CliRunner, write_manifest, tmp_path: Path
) -> None:
    write_manifest()
    result = runner.invoke(cli, ["build", "--json"])
    assert result.exit_code == 0, result.output
    [record] = read_index(tmp_path / "results", "shop")
    stored = DBTRunResult.model_validate_json(result.stdout).stored_at
    assert stored == str(tmp_path / "results" / "shop" / record.invocation_id)


@pytest.mark.parametrize(
    ("args", "error", "kind"),
    [
        (
            ["build", "--json", "--manifest", "missing.yaml"],
            "platform manifest not found",
            "ManifestError",
        ),
        (["run", "--vars", "{unclosed", "--json"], "Invalid value for '--vars'", "UsageError"),
    ],
    ids=["no-manifest", "bad-vars"],
)
def test_json_on_an_error_is_still_one_json_document(
    runner: CliRunner, write_manifest, args: list[str], error: str, kind: str
) -> None:
    write_manifest()
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["status"] == "error"
    assert error in document["error"]
    assert document["hint"]
    assert (document["exit_code"], document["kind"]) == (2, kind)
