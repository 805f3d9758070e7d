from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from floe_core import DBTCommand, DBTCompilationError, NodeStatus
from floe_core.testing import PostgresServer
from floe_dbt_inprocess import dbt_args, invoke_dbt
from floe_dbt_inprocess.executor import (
    ExecutorPool,
    ExecutorSpec,
    FailureKind,
    NodeExecution,
    WarmExecutor,
)

pytestmark = pytest.mark.slow


def _spec(shop: tuple[Path, Path], **overrides: object) -> ExecutorSpec:
    project, profiles = shop
    return ExecutorSpec(
        command=DBTCommand.BUILD, project_dir=project, profiles_dir=profiles, **overrides
    )


def _build_all(executor: WarmExecutor, **plan: object) -> dict[str, NodeExecution]:
    """Execute the plan in order, skipping the descendants of failures like `dbt build`."""
    selected = executor.plan(**plan)  # type: ignore[arg-type]
    executor.prepare_run(selected.unique_ids)
    outcomes: dict[str, NodeExecution] = {}
    blocked: set[str] = set()
    for node in selected.nodes:
        if blocked & set(node.depends_on):
            blocked.add(node.unique_id)
            continue
        outcomes[node.unique_id] = outcome = executor.execute(node.unique_id, run_id="r1")
        if outcome.result.status.is_failure:
            blocked.add(node.unique_id)
    return outcomes


def test_builds_the_shop_node_by_node(shop: tuple[Path, Path], tmp_path: Path) -> None:
    executor = WarmExecutor.open(_spec(shop), work_dir=tmp_path / "work")
    try:
        outcomes = _build_all(executor)
        assert executor.manifest_path.is_file()
    finally:
        executor.close()

    assert len(outcomes) == 46  # the shop's README: `dbt build` runs 46 nodes
    assert {o.result.status for o in outcomes.values()} == {NodeStatus.SUCCESS}
    seed = outcomes["seed.shop.raw_orders"].result
    assert seed.adapter_response.rows_affected
    assert seed.adapter_response.rows_affected > 0
    orders = outcomes["model.shop.orders"].result
    assert orders.materialization == "table"
    assert orders.compiled_code
    assert "stg_orders" in orders.compiled_code
    assert orders.started_at is not None
    assert orders.completed_at is not None


def test_plan_puts_tests_between_a_model_and_its_children(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    executor = WarmExecutor.open(_spec(shop), work_dir=tmp_path / "work")
    try:
        plan = executor.plan(select=["+customers"], exclude=["stg_products"])
    finally:
        executor.close()
    by_id = {node.unique_id: node for node in plan.nodes}
    assert "model.shop.products" not in by_id
    customers = by_id["model.shop.customers"]
    assert "model.shop.orders" in customers.depends_on
    tests_of_orders = [u for u in customers.depends_on if u.startswith("test.shop.unique_orders")]
    assert tests_of_orders, customers.depends_on
    position = {uid: index for index, uid in enumerate(plan.unique_ids)}
    assert all(position[parent] < position[customers.unique_id] for parent in customers.depends_on)


def test_a_failing_model_is_a_permanent_error_result(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    executor = WarmExecutor.open(_spec(shop, vars={"fail_model": True}), work_dir=tmp_path / "w")
    try:
        outcomes = _build_all(executor)
    finally:
        executor.close()
    orders = outcomes["model.shop.orders"]
    assert orders.result.status is NodeStatus.ERROR
    assert "floe_fail_model_missing_table" in (orders.result.message or "")
    assert orders.failure is FailureKind.PERMANENT
    assert not orders.retryable
    assert "model.shop.customers" not in outcomes  # skipped downstream
    assert outcomes["model.shop.products"].result.status is NodeStatus.SUCCESS


def test_a_thread_keeps_its_connection_between_nodes_until_a_node_fails(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    executor = WarmExecutor.open(_spec(shop, vars={"fail_model": True}), work_dir=tmp_path / "w")
    try:
        executor.prepare_run(executor.plan().unique_ids)
        connections = executor._project.adapter.connections
        executor.execute("seed.shop.raw_orders", run_id="r1")
        kept = connections.get_if_exists()
        assert kept is not None
        assert kept.state == "open"  # dbt itself closes it after every node
        handle = kept.handle
        executor.execute("seed.shop.raw_customers", run_id="r1")
        assert connections.get_if_exists().handle is handle
        failed = executor.execute("model.shop.orders", run_id="r1")
        assert failed.result.status is NodeStatus.ERROR
        assert connections.get_if_exists().state == "closed"  # the next node reconnects
        executor.execute("seed.shop.raw_payments", run_id="r1")
        assert connections.get_if_exists().state == "open"
    finally:
        executor.close()
    assert not connections.thread_connections


def test_a_failing_test_is_a_permanent_failure(shop: tuple[Path, Path], tmp_path: Path) -> None:
    executor = WarmExecutor.open(_spec(shop, vars={"fail_test": True}), work_dir=tmp_path / "w")
    try:
        outcomes = _build_all(executor, select=["+assert_daily_revenue_not_negative"])
    finally:
        executor.close()
    failing = outcomes["test.shop.assert_daily_revenue_not_negative"]
    assert failing.result.status is NodeStatus.FAIL
    assert failing.result.failures
    assert failing.result.failures > 0
    assert failing.failure is FailureKind.PERMANENT


def test_unparseable_project_raises_a_compilation_error(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    project, _ = shop
    (project / "models" / "broken.sql").write_text("select {{ ref('no_such_model') }}")
    with pytest.raises(DBTCompilationError, match="no_such_model"):
        WarmExecutor.open(_spec(shop), work_dir=tmp_path / "w")


def test_pool_switches_between_projects(shop: tuple[Path, Path], tmp_path: Path) -> None:
    pool = ExecutorPool(tmp_path / "pool")
    good, failing = _spec(shop), _spec(shop, vars={"fail_model": True})
    try:
        with pool.lease(good) as executor:
            executor.prepare_run(executor.plan().unique_ids)
        for spec, expected in [(failing, NodeStatus.ERROR), (good, NodeStatus.SUCCESS)] * 2:
            with pool.lease(spec) as executor:
                for name in ("raw_orders", "raw_payments", "stg_orders", "stg_payments", "orders"):
                    kind = "seed" if name.startswith("raw") else "model"
                    outcome = executor.execute(f"{kind}.shop.{name}", run_id="r1")
                assert outcome.result.status is expected
    finally:
        pool.close()


def test_a_dbtrunner_invocation_waits_for_running_nodes_and_the_executor_recovers(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    """One lock: a dbtRunner call (the local runtime) never runs beside a leased executor,
    and the executor re-installs its globals after dbtRunner reset them."""
    project, profiles = shop
    pool = ExecutorPool(tmp_path / "pool")
    spec = _spec(shop)
    first_event: list[float] = []
    args = dbt_args(
        "parse",
        project_dir=project,
        profiles_dir=profiles,
        log_path=tmp_path / "logs",
        target_path=tmp_path / "parse-target",
    )

    def record(_: Any) -> None:
        if not first_event:
            first_event.append(time.monotonic())

    parse = threading.Thread(target=lambda: invoke_dbt(args, callbacks=[record]))
    try:
        with pool.lease(spec) as executor:
            executor.prepare_run(executor.plan().unique_ids)
            parse.start()
            time.sleep(1.0)  # dbt fires its first event within milliseconds if it may start
            seed = executor.execute("seed.shop.raw_orders", run_id="r1")
            released = time.monotonic()
        parse.join(timeout=120)
        assert first_event
        assert first_event[0] >= released
        with pool.lease(spec) as executor:
            again = executor.execute("seed.shop.raw_payments", run_id="r2")
    finally:
        pool.close()
    assert seed.result.status is NodeStatus.SUCCESS
    assert again.result.status is NodeStatus.SUCCESS, again.result.message


def test_favor_state_reads_unselected_parents_from_the_state_whatever_was_selected(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    """An executor of single nodes with ``favor_state`` and a state without the run's nodes
    reads every other parent from the state even where its target has it, and the process's
    last selection (another executor's plan) changes nothing."""
    _, profiles = shop
    config = profiles / "profiles.yml"
    path = tmp_path / "shop.duckdb"
    config.write_text(
        config.read_text() + f"    ci:\n      type: duckdb\n      path: {path}\n      schema: ci\n"
    )
    state = tmp_path / "state"
    state.mkdir()
    pool = ExecutorPool(tmp_path / "pool")
    prod = _spec(shop)
    favored = _spec(shop, target="ci", state=state, defer=True, favor_state=True)
    try:
        with pool.lease(prod) as executor:
            parents = executor.plan(select=["+orders", "+stg_customers"])
            executor.prepare_run(parents.unique_ids)
            for node in parents.nodes:
                if node.resource_type in ("seed", "model"):
                    result = executor.execute(node.unique_id, run_id="r1").result
                    assert result.status is NodeStatus.SUCCESS, result.message
            manifest = json.loads(executor.manifest_path.read_bytes())
        # the run builds customers only: its state leaves it out
        del manifest["nodes"]["model.shop.customers"]
        (state / "manifest.json").write_text(json.dumps(manifest))
        with pool.lease(favored) as executor:
            executor.prepare_run(["model.shop.stg_customers", "model.shop.customers"])
            # the CI target's own stg_customers
            assert executor.execute("model.shop.stg_customers", run_id="r2").result.status is (
                NodeStatus.SUCCESS
            )
        with pool.lease(prod) as executor:
            executor.plan(select=["stg_customers"])  # dbt's process-wide selection
        with pool.lease(favored) as executor:
            customers = executor.execute("model.shop.customers", run_id="r2").result
    finally:
        pool.close()
    assert customers.status is NodeStatus.SUCCESS, customers.message
    assert customers.relation_name == '"shop"."ci"."customers"'
    assert '"shop"."main"."stg_customers"' in (customers.compiled_code or "")
    assert '"shop"."main"."orders"' in (customers.compiled_code or "")


@pytest.mark.postgres
def test_a_retried_node_replaces_the_table_an_earlier_attempt_committed_elsewhere(
    postgres_server: PostgresServer, postgres_database: str, tmp_path: Path
) -> None:
    """A worker that died after committing a node's table, before reporting it: the retry,
    on an executor whose relation cache predates that table, must replace it."""
    project = tmp_path / "p"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: p\nversion: '1.0'\nconfig-version: 2\nprofile: floe\n"
        "models:\n  p:\n    +materialized: table\n",
        encoding="utf-8",
    )
    for name in ("first", "retried"):
        (project / "models" / f"{name}.sql").write_text("select 1 as id", encoding="utf-8")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text(
        "floe:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n"
        f"      host: {postgres_server.host}\n      port: {postgres_server.port}\n"
        f"      user: {postgres_server.user}\n      password: '{postgres_server.password}'\n"
        f"      dbname: {postgres_database}\n      schema: public\n      threads: 1\n",
        encoding="utf-8",
    )
    executor = WarmExecutor.open(
        ExecutorSpec(command=DBTCommand.RUN, project_dir=project, profiles_dir=profiles),
        work_dir=tmp_path / "work",
    )
    try:
        executor.prepare_run(["model.p.first", "model.p.retried"])
        first = executor.execute("model.p.first", run_id="r1")  # loads the relation cache
        assert first.result.status is NodeStatus.SUCCESS
        # the other worker's attempt, committed after this executor listed the schema
        postgres_server.psql(
            "create table public.retried as select 0 as id", dbname=postgres_database
        )

        stale = executor.execute("model.p.retried", run_id="r1")
        assert stale.result.status is NodeStatus.ERROR
        assert "already exists" in (stale.result.message or "")

        retried = executor.execute("model.p.retried", run_id="r1", retried=True)
    finally:
        executor.close()
    assert retried.result.status is NodeStatus.SUCCESS, retried.result.message
    ids = postgres_server.psql("select id from public.retried", dbname=postgres_database)
    assert ids.strip() == "1"
