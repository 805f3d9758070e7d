"""End-to-end: examples/shop on real dbt-core and DuckDB through LocalRuntime."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Callable
from importlib.metadata import entry_points, version
from pathlib import Path

import pytest

from floe_core import (
    DBTCommand,
    DBTCompilationError,
    DBTInvocation,
    GeneratedProfile,
    NodeFinished,
    NodeStarted,
    NodeStatus,
    ProjectError,
    RunStatus,
    WarehouseError,
)
from floe_core.testing.contract import RecordedRun, assert_event_stream, record
from floe_dbt_local import LocalRuntime

pytestmark = pytest.mark.slow

MakeInvocation = Callable[..., DBTInvocation]


def test_registered_as_entry_point_local() -> None:
    (entry_point,) = entry_points(group="floe.dbt_runtimes", name="local")
    assert entry_point.load() is LocalRuntime


def test_example_builds_with_every_node_successful(shop_build: RecordedRun) -> None:
    result = shop_build.result
    assert result.status is RunStatus.SUCCESS, result.error
    assert result.counts()[NodeStatus.SUCCESS] == len(result.nodes) == 46
    assert {node.resource_type for node in result.nodes} == {"seed", "model", "snapshot", "test"}
    assert result.runtime == "local"
    assert result.dbt_version
    assert result.manifest_path is not None
    assert result.manifest_path.is_file()
    assert result.run_results_path is not None
    assert result.run_results_path.is_file()
    assert result.log_path is not None
    assert result.log_path.is_file()


def test_results_carry_dbt_details(shop_build: RecordedRun) -> None:
    result = shop_build.result
    by_id = {node.unique_id: node for node in result.nodes}
    seed = by_id["seed.shop.raw_orders"]
    assert seed.adapter_response.rows_affected == 60
    orders = by_id["model.shop.orders"]
    assert orders.materialization == "table"
    assert orders.relation_name == '"shop"."main"."orders"'
    assert orders.compiled_code is not None
    assert '"shop"."main"."stg_orders"' in orders.compiled_code
    assert [phase.name for phase in orders.timing] == ["compile", "execute"]
    assert orders.started_at is not None
    assert orders.completed_at is not None
    assert orders.started_at <= orders.completed_at
    assert orders.thread_id
    assert by_id["model.shop.fct_payments_incremental"].materialization == "incremental"
    assert by_id["snapshot.shop.customers_snapshot"].status is NodeStatus.SUCCESS
    test = by_id["test.shop.assert_daily_revenue_not_negative"]
    assert test.status is NodeStatus.SUCCESS  # dbt's "pass"
    assert test.failures == 0


def test_independent_nodes_run_in_parallel_on_dbt_threads(shop_build: RecordedRun) -> None:
    threads = {node.thread_id for node in shop_build.result.nodes}
    assert len(threads) > 1, threads
    # some node starts while another is still running
    running: set[str] = set()
    overlapped = False
    for event in shop_build.events:
        if isinstance(event, NodeStarted):
            overlapped = overlapped or bool(running)
            running.add(event.unique_id)
        elif isinstance(event, NodeFinished):
            running.discard(event.result.unique_id)
    assert overlapped


def test_select_runs_only_the_selection_from_the_cached_manifest(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> None:
    parses = local_runtime.parse_count
    result = local_runtime.build(shop_invocation(select=("stg_orders+",)))
    names = {node.name for node in result.nodes}
    assert {"stg_orders", "orders", "customers", "daily_revenue"} <= names
    assert not names & {"raw_orders", "stg_payments", "products", "fct_payments_incremental"}
    assert "assert_daily_revenue_not_negative" in names
    assert result.status is RunStatus.SUCCESS
    assert local_runtime.parse_count == parses, "an unchanged project must not be parsed again"
    assert result.metadata["manifest_cache_hit"] is True


def test_exclude_leaves_nodes_out(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> None:
    result = local_runtime.run_models(
        shop_invocation(select=("path:models/staging",), exclude=("stg_products",))
    )
    assert {node.name for node in result.nodes} == {"stg_customers", "stg_orders", "stg_payments"}
    assert result.status is RunStatus.SUCCESS


def test_compile_reports_every_node_with_its_compiled_sql(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> None:
    run = record(local_runtime, DBTCommand.COMPILE, shop_invocation())
    assert run.result.status is RunStatus.SUCCESS
    assert len(run.result.nodes) == 46
    assert_event_stream(run, "local")
    daily = run.result.node("model.shop.daily_revenue").compiled_code or ""
    assert "cast(sum(amount_cents) as numeric(18, 2)) / 100" in daily  # the macro, expanded


def test_failing_model_reports_the_database_message_and_skips_its_descendants(
    shop_fail_model: RecordedRun,
) -> None:
    result = shop_fail_model.result
    assert result.status is RunStatus.FAILED
    statuses = shop_fail_model.statuses()
    orders = result.node("model.shop.orders")
    assert orders.status is NodeStatus.ERROR
    assert orders.message is not None
    assert "orders" in orders.message
    assert "floe_fail_model_missing_table does not exist" in orders.message  # DuckDB's words
    assert "Traceback" not in orders.message
    # descendants are skipped, independent branches still finish
    assert statuses["customers"] is statuses["daily_revenue"] is NodeStatus.SKIPPED
    assert statuses["assert_daily_revenue_not_negative"] is NodeStatus.SKIPPED
    assert statuses["products"] is NodeStatus.SUCCESS
    assert statuses["fct_payments_incremental"] is NodeStatus.SUCCESS
    assert result.counts()[NodeStatus.SKIPPED] == 12
    assert result.counts()[NodeStatus.ERROR] == 1


def test_failing_model_still_writes_and_returns_the_artifacts(
    shop_fail_model: RecordedRun,
) -> None:
    result = shop_fail_model.result
    assert result.run_results_path is not None
    assert result.manifest_path is not None
    run_results = json.loads(result.run_results_path.read_text())
    by_id = {entry["unique_id"]: entry for entry in run_results["results"]}
    assert by_id["model.shop.orders"]["status"] == "error"
    assert by_id["model.shop.customers"]["status"] == "skipped"
    manifest = json.loads(result.manifest_path.read_text())
    assert "model.shop.orders" in manifest["nodes"]


def test_failing_test_is_a_node_with_status_fail(shop_fail_test: RecordedRun) -> None:
    result = shop_fail_test.result
    assert result.status is RunStatus.FAILED
    failing = result.node("test.shop.assert_daily_revenue_not_negative")
    assert failing.status is NodeStatus.FAIL
    assert failing.failures is not None
    assert failing.failures > 0
    assert result.counts()[NodeStatus.FAIL] == 1
    assert result.counts()[NodeStatus.SKIPPED] == 0


def test_fail_fast_stops_early_and_still_accounts_for_every_node(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_fail_model: RecordedRun
) -> None:
    invocation = shop_invocation(vars={"fail_model": True}, fail_fast=True)
    run = record(local_runtime, DBTCommand.BUILD, invocation)
    assert run.error is None
    assert run.result.status is RunStatus.FAILED
    assert run.result.node("model.shop.orders").status is NodeStatus.ERROR
    assert run.result.node("model.shop.customers").status is NodeStatus.SKIPPED
    assert len(run.result.nodes) == 46
    # nodes dbt cancelled get their terminal event too, with the result's status
    assert_event_stream(run, "local")


def test_dbt_writes_nothing_to_the_console(
    local_runtime: LocalRuntime,
    shop_invocation: MakeInvocation,
    shop_fail_model: RecordedRun,
    capfd: pytest.CaptureFixture[str],
) -> None:
    invocation = shop_invocation(select=("orders",), vars={"fail_model": True})
    failed = local_runtime.run_models(invocation)
    assert failed.status is RunStatus.FAILED
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert failed.log_path is not None
    assert "floe_fail_model_missing_table" in failed.log_path.read_text()  # dbt.log has it


def test_missing_project_dir_is_a_project_error(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, tmp_path: Path
) -> None:
    with pytest.raises(ProjectError, match=r"dbt_project\.yml not found"):
        local_runtime.build(shop_invocation(project_dir=tmp_path / "missing"))
    with pytest.raises(ProjectError):
        local_runtime.plan(shop_invocation(project_dir=tmp_path / "missing"))


def test_project_that_does_not_compile_names_the_file_without_traceback(
    local_runtime: LocalRuntime, shop_root: Path, shop_profile: GeneratedProfile, tmp_path: Path
) -> None:
    project = tmp_path / "broken"
    shutil.copytree(shop_root / "project", project, ignore=shutil.ignore_patterns("target"))
    (project / "models" / "marts" / "products.sql").write_text(
        "select * from {{ ref('no_such_model') }}\n"
    )
    invocation = DBTInvocation(
        project_dir=project, profile=shop_profile, target_path=tmp_path / "t"
    )
    run = record(local_runtime, DBTCommand.BUILD, invocation)
    assert isinstance(run.error, DBTCompilationError)
    message = str(run.error)
    assert "products" in message
    assert "no_such_model" in message
    assert "Traceback" not in message
    assert run.result.status is RunStatus.ERROR
    assert isinstance(run.error.__cause__, Exception)  # dbt's exception is chained


def test_unreachable_warehouse_is_a_warehouse_error(
    local_runtime: LocalRuntime, shop_root: Path, tmp_path: Path
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    output = {
        "type": "postgres",
        "host": "127.0.0.1",
        "port": port,
        "user": "floe",
        "password": "not-a-real-secret",
        "dbname": "shop",
        "schema": "shop",
        "threads": 1,
    }
    invocation = DBTInvocation(
        project_dir=shop_root / "project",
        profile=GeneratedProfile(outputs={"dev": output}),
        target_path=tmp_path / "target",
        select=("stg_products",),
    )
    with pytest.raises(WarehouseError, match="Connection refused") as caught:
        local_runtime.run_models(invocation)
    assert "not-a-real-secret" not in str(caught.value)


def test_metadata_names_dbt_and_the_adapters(local_runtime: LocalRuntime) -> None:
    metadata = local_runtime.get_runtime_metadata()
    assert metadata.dbt_version is not None
    assert metadata.dbt_version.startswith("1.11")
    assert any(adapter.startswith("dbt-duckdb 1.") for adapter in metadata.details["adapters"])
    health = local_runtime.health_check()
    assert health.healthy
    assert health.checks["duckdb"] == f"dbt-duckdb {version('dbt-duckdb')}"
    assert health.checks["postgres"] == f"dbt-postgres {version('dbt-postgres')}"
