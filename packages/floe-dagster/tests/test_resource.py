"""Materializing on real Dagster through the local runtime (DuckDB): events, subsets,
failures, re-execution from failure, partitions, lineage and trace parents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    DailyPartitionsDefinition,
    ExecuteInProcessResult,
    ReexecutionOptions,
    execute_job,
    instance_for_test,
    materialize,
)

from floe_core import DBTRunResult
from floe_dagster import FloeResource

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.slow


def run(
    manifest: Path, assets: Any, resource: dict[str, Any] | None = None, **options: Any
) -> ExecuteInProcessResult:
    floe = FloeResource(platform_manifest=str(manifest), **(resource or {}))
    return materialize([assets], resources={"floe": floe}, raise_on_error=False, **options)


def materialized(result: Any) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_shop_materializes_with_rows_and_checks(shop: Path, assets_for: Any) -> None:
    instance = DagsterInstance.ephemeral()
    result = run(shop, assets_for(shop), instance=instance)
    assert result.success
    events = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
    assert len(events) == 14  # 9 models, 4 seeds, 1 snapshot
    seed = events["raw_orders"].materialization.metadata
    assert seed["rows_affected"].value == 60
    assert seed["execution_time"].value > 0
    assert seed["floe/unique_id"].value == "seed.shop.raw_orders"
    invocation_id = seed["floe/invocation_id"].value
    record = shop.parent / "results" / "shop" / invocation_id / "result.json"  # floe's own
    floe_result = DBTRunResult.model_validate_json(record.read_bytes())
    last_node_done = max(node.completed_at for node in floe_result.nodes if node.completed_at)
    logged = instance.all_logs(result.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    first_reported = min(entry.timestamp for entry in logged)
    assert first_reported < last_node_done.timestamp()  # reported as nodes finish, not at the end
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 32
    assert all(check.passed for check in checks)


def test_a_subset_runs_only_its_nodes(orchard: Path, query: Any, assets_for: Any) -> None:
    assets = assets_for(orchard)
    result = run(orchard, assets, selection=[AssetKey(["stg_sales"])])
    assert result.success
    assert materialized(result) == {"stg_sales"}
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        "unique_stg_sales_sale_id": True,
        "not_null_stg_sales_sale_id": True,
        "not_null_stg_sales_amount": False,  # severity warn: reported, not blocking
    }
    tables = {row[0] for row in query(orchard, "select table_name from information_schema.tables")}
    assert "stg_sales" in tables
    assert not tables & {"daily_sales", "big_sales", "top_day", "sales_summary_v1"}


def test_a_deselected_check_does_not_run(orchard: Path, assets_for: Any) -> None:
    assets = assets_for(orchard)
    [pk_check] = [c.key for c in assets.check_specs if c.name == "unique_stg_sales_sale_id"]
    selection = AssetSelection.assets(["stg_sales"]).without_checks() | AssetSelection.checks(
        pk_check
    )
    result = run(orchard, assets, selection=selection)
    assert result.success
    assert materialized(result) == {"stg_sales"}
    assert [c.check_name for c in result.get_asset_check_evaluations()] == [pk_check.name]


def test_failure_then_reexecution_runs_only_failed_and_downstream(
    orchard: Path, write_manifest: Any, reexecutable_job: Any, tmp_path: Path
) -> None:
    write_manifest(orchard, vars="{break_big: true}")
    job = reexecutable_job(orchard)
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        with execute_job(job, instance=instance) as failed:
            assert not failed.success
            assert materialized(failed) == {"stg_sales", "daily_sales", "sales_summary_v1"}
            [failure] = [e for e in failed.all_events if e.is_step_failure]
            message = str(failure.step_failure_data.error)
            assert "model.orchard.big_sales error" in message
            assert "no_such_column" in message  # dbt's own error
            assert "model.orchard.top_day skipped" in message
        write_manifest(orchard, vars="{break_big: false}")  # the fix
        options = ReexecutionOptions.from_failure(failed.run_id, instance)
        with execute_job(job, instance=instance, reexecution_options=options) as retried:
            assert retried.success
            assert materialized(retried) == {"analytics/big_sales", "reports/top_day"}
            assert retried.get_asset_check_evaluations() == []  # stg_sales' checks passed before
            assert _floe_selection(instance, retried.run_id) == (
                "fqn:orchard.marts.big_sales fqn:orchard.marts.top_day"
            )


def _floe_selection(instance: DagsterInstance, run_id: str) -> str:
    """The dbt selection the run's step logged."""
    messages = [
        record.user_message
        for record in instance.all_logs(run_id)
        if record.user_message.startswith("floe build --select ")
    ]
    [message] = messages
    return message.removeprefix("floe build --select ").split(" --exclude ")[0]


def test_daily_partition_window_reaches_dbt_as_vars(
    orchard: Path, query: Any, assets_for: Any
) -> None:
    assets = assets_for(orchard, partitions_def=DailyPartitionsDefinition("2024-01-01"))
    daily = [AssetKey(["stg_sales"]), AssetKey(["daily_sales"])]
    assert run(orchard, assets, selection=daily, partition_key="2024-01-02").success
    assert query(orchard, "select cast(sold_on as varchar), sales from daily_sales") == [
        ("2024-01-02", 2)
    ]
    assert run(orchard, assets, selection=daily, partition_key="2024-01-01").success
    rows = query(orchard, "select cast(sold_on as varchar) from daily_sales order by 1")
    assert rows == [("2024-01-01",), ("2024-01-02",)]


@pytest.mark.parametrize("build_process", [True, False], ids=["child-process", "thread"])
def test_dagster_run_is_lineage_and_trace_parent(
    orchard: Path, write_manifest: Any, tmp_path: Path, assets_for: Any, build_process: bool
) -> None:
    events_file = tmp_path / "lineage.jsonl"
    write_manifest(
        orchard,
        extra=(
            "observability:\n"
            "  tracing: {enabled: true, exporter: none, metrics: false}\n"
            "  lineage: {enabled: true, namespace: orchard, transport:"
            f" {{type: file, log_file_path: '{events_file}', append: true}}}}\n"
        ),
    )
    result = run(
        orchard,
        assets_for(orchard),
        {"build_process": build_process},
        selection=[AssetKey(["stg_sales"])],
    )
    assert result.success
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    invocation = next(e for e in events if e["job"]["name"] == "dbt-build-orchard")
    parent = invocation["run"]["facets"]["parent"]
    assert parent["run"]["runId"] == result.run_id
    assert (parent["job"]["namespace"], parent["job"]["name"]) == (
        "dagster",
        "__ephemeral_asset_job__",
    )
    assert parent["root"]["run"]["runId"] == result.run_id
    trace_id = invocation["run"]["facets"]["opentelemetry"]["traceId"]
    assert trace_id == result.run_id.replace("-", "")


def test_a_build_that_cannot_start_fails_the_step_with_floes_error(
    orchard: Path, assets_for: Any
) -> None:
    result = run(
        orchard,
        assets_for(orchard),
        {"runtime": "no-such-runtime", "build_process": True},
        selection=[AssetKey(["stg_sales"])],
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = str(failure.step_failure_data.error)
    assert "floe build failed" in message
    assert "no-such-runtime" in message  # floe's own error, from the build's child process
