"""``floe`` end to end: real dbt-core on DuckDB through the local runtime.

The build and a bad manifest run in real processes (the console script as users run it:
exit codes, no traceback); the other tests run in-process with click's runner on the
warehouse that build made.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from floe_core import DBTRunResult, NodeStatus, RunStatus
from floe_core.artifacts import read_index
from floe_core.cli import cli

pytestmark = pytest.mark.slow


def _floe(shop: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args[:1], "--manifest", str(shop), *args[1:]])


@pytest.fixture(scope="session")
def built(run_floe, shop: Path):
    """``floe build`` of the whole project (the warehouse every other test reads)."""
    return run_floe("build", "--manifest", str(shop))


def test_build_in_a_log_prints_like_dbt_a_header_start_and_result_lines(built) -> None:
    assert built.returncode == 0, built.stderr
    out = built.stdout
    header, found = out.splitlines()[:2]
    assert header.startswith("Running with floe=")
    assert ", runtime=local, dbt=1.11." in header
    assert found.startswith("Found 9 models, 4 seeds, 1 snapshots, 32 data tests, ")
    assert " START sql view model stg_orders " in out
    assert " OK sql view model main.stg_orders " in out
    assert " PASS test unique_customers_customer_id " in out
    assert "Completed successfully" in out
    assert "┃" not in out, "no table of successes in a log"
    assert "ERROR=0 FAIL=0 SKIP=0" in out
    assert "Traceback" not in built.stderr


def test_json_gives_the_run_result_with_every_node(built, shop: Path) -> None:
    result = _floe(shop, "run", "--json", "--select", "stg_orders stg_customers")
    assert result.exit_code == 0, result.stderr
    run = DBTRunResult.model_validate_json(result.stdout)
    assert {node.name: node.status for node in run.nodes} == {
        "stg_orders": NodeStatus.SUCCESS,
        "stg_customers": NodeStatus.SUCCESS,
    }
    assert run.runtime == "local"


def test_a_failing_model_exits_1_shows_the_database_error_and_keeps_artifacts(
    built, shop: Path
) -> None:
    failed = _floe(shop, "run", "--select", "orders+", "--vars", "{fail_model: true}")
    assert failed.exit_code == 1, failed.stderr
    assert "ERROR in model orders (model.shop.orders)" in failed.stdout
    assert "floe_fail_model_missing_table" in failed.stdout
    assert "Traceback" not in failed.output
    record = read_index(shop.parent / "results", "shop")[-1]
    assert (record.command.value, record.status) == ("run", RunStatus.FAILED)
    run_dir = shop.parent / "results" / "shop" / record.invocation_id
    for name in ("result.json", "run_results.json", "manifest.json", "events.jsonl"):
        assert (run_dir / name).is_file(), name
    saved = DBTRunResult.model_validate_json((run_dir / "result.json").read_text())
    assert saved.node("model.shop.orders").status is NodeStatus.ERROR


def test_plan_lists_selected_nodes_in_dependency_order(built, shop: Path) -> None:
    result = _floe(shop, "plan", "--json")
    assert result.exit_code == 0, result.stderr
    nodes = json.loads(result.stdout)["nodes"]
    position = {node["unique_id"]: index for index, node in enumerate(nodes)}
    assert "model.shop.customers" in position
    for node in nodes:
        for parent in node["depends_on"]:
            assert position[parent] < position[node["unique_id"]]

    selected = _floe(shop, "plan", "--json", "-s", "stg_orders+", "--exclude", "resource_type:test")
    names = [node["name"] for node in json.loads(selected.stdout)["nodes"]]
    assert names[0] == "stg_orders"
    assert "orders" in names
    assert "stg_customers" not in names


def test_json_logs_carry_the_invocation_id(built, shop: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--log-format", "json", "seed", "--manifest", str(shop), "-s", "raw_products", "--json"],
    )
    assert result.exit_code == 0, result.stderr
    invocation_id = json.loads(result.stdout)["invocation_id"]
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert lines
    assert all(line.get("invocation_id") == invocation_id for line in lines), lines
    assert any(line.get("node") == "seed.shop.raw_products" for line in lines)


def test_bad_input_in_a_real_process_is_exit_2_without_traceback(run_floe, shop: Path) -> None:
    broken = shop.parent / "broken-manifest.yaml"
    broken.write_text(shop.read_text().replace("type: local", "type: [local"))
    result = run_floe("build", "--manifest", str(broken))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "broken-manifest.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_exits_130_and_keeps_the_partial_results(built, floe_bin: Path, shop: Path) -> None:
    process = subprocess.Popen(
        [str(floe_bin), "build", "--manifest", str(shop)],
        cwd=shop.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("3 of "):
            process.send_signal(signal.SIGINT)
            break
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted: the results produced so far were saved" in stderr
    assert "Traceback" not in stderr
    record = read_index(shop.parent / "results", "shop")[-1]
    assert record.status in (RunStatus.CANCELLED, RunStatus.ERROR)
    assert 3 <= record.nodes < 46
    run_dir = shop.parent / "results" / "shop" / record.invocation_id
    assert (run_dir / "result.json").is_file()
