"""``LocalRuntime.plan``: what ``build`` would run, in dependency order, nothing executed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from floe_core import DBTInvocation, ExecutionPlan
from floe_core.testing.contract import RecordedRun
from floe_dbt_local import LocalRuntime

pytestmark = pytest.mark.slow

MakeInvocation = Callable[..., DBTInvocation]


@pytest.fixture(scope="module")
def shop_plan(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> ExecutionPlan:
    return local_runtime.plan(shop_invocation())


def test_plan_has_exactly_the_build_nodes(
    shop_plan: ExecutionPlan, shop_build: RecordedRun
) -> None:
    assert shop_plan.project_name == "shop"
    assert set(shop_plan.unique_ids) == {node.unique_id for node in shop_build.result.nodes}


def test_every_node_comes_after_what_it_depends_on(shop_plan: ExecutionPlan) -> None:
    seen: set[str] = set()
    for node in shop_plan.nodes:
        assert set(node.depends_on) <= seen, node.unique_id
        seen.add(node.unique_id)
    by_name = {node.name: node for node in shop_plan.nodes}
    assert "model.shop.orders" in by_name["customers"].depends_on
    assert by_name["orders"].materialization == "table"
    assert by_name["orders"].relation_name == '"shop"."main"."orders"'


def test_models_wait_for_the_tests_of_their_parents_like_dbt_build(
    shop_plan: ExecutionPlan,
) -> None:
    by_name = {node.name: node for node in shop_plan.nodes}
    customers = by_name["customers"].depends_on
    assert "test.shop.unique_orders_order_id.fed79b3a6e" in customers
    # a relationships test on orders also depends on stg_customers, an ancestor of customers
    assert any(uid.startswith("test.shop.relationships_orders_customer_id") for uid in customers)
    # but never on tests of nodes that are not its ancestors
    assert not any("products" in uid for uid in customers)


def test_plan_of_a_selection_executes_nothing(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> None:
    invocation = shop_invocation(select=("stg_payments+",), exclude=("orders+",))
    plan = local_runtime.plan(invocation)
    assert {node.name for node in plan.nodes if node.resource_type == "model"} == {
        "stg_payments",
        "fct_payments_incremental",
    }
    assert not (invocation.artifacts_dir / "run_results.json").exists()


def test_plan_follows_a_named_selector(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> None:
    plan = local_runtime.plan(shop_invocation(selector="finance"))
    models = {node.name for node in plan.nodes if node.resource_type == "model"}
    assert models == {
        "stg_orders",
        "stg_payments",
        "orders",
        "daily_revenue",
        "fct_payments_incremental",
    }
