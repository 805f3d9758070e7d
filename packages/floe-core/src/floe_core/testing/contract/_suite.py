"""``RuntimeContractTests``: what floe promises users, checked on any runtime.

The suite builds the contract project a handful of times per class (class-scoped fixtures)
and asserts many things on each recorded run, so it stays cheap enough to run for every
runtime in CI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from floe_core._errors import DBTCompilationError, FloeError
from floe_core._events import NodeFinished, NodeSkipped, NodeStarted
from floe_core._invocation import DBTCommand, DBTInvocation
from floe_core._plan import ExecutionPlan
from floe_core._results import DBTRunResult, NodeResult, NodeStatus, RunStatus
from floe_core._runtime import DBTRuntimePlugin
from floe_core.registry import check_api_version
from floe_core.testing.contract._commands import DeclaredCommandTests
from floe_core.testing.contract._project import (
    BUILD_WITH_FAILURES,
    FAILURE_VARS,
    ContractProject,
)
from floe_core.testing.contract._recording import RecordedRun, assert_event_stream, record

__all__ = ["RuntimeContractTests", "RuntimeFactory"]

RuntimeFactory = Callable[[], DBTRuntimePlugin[Any]]
"""Makes a new, ready runtime; the suite closes what it makes."""


def _assert_well_formed(result: DBTRunResult, run: RecordedRun, runtime_name: str) -> None:
    assert isinstance(result, DBTRunResult)
    assert (result.invocation_id, result.command, result.runtime) == (
        run.invocation.invocation_id,
        run.command,
        runtime_name,
    )
    assert result.started_at <= result.completed_at
    assert result.elapsed_seconds >= 0
    assert len({node.unique_id for node in result.nodes}) == len(result.nodes), "duplicates"
    for node in result.nodes:
        assert isinstance(node, NodeResult)
        assert isinstance(node.status, NodeStatus)
        assert node.execution_time >= 0
        if node.started_at and node.completed_at:
            assert node.started_at <= node.completed_at, node.unique_id


class RuntimeContractTests(DeclaredCommandTests):
    """Subclass in a ``test_*.py`` module and provide a ``runtime_factory`` fixture::

        class TestMyRuntimeContract(RuntimeContractTests):
            @pytest.fixture(scope="class")
            def runtime_factory(self) -> RuntimeFactory:
                return lambda: MyRuntime(MyRuntimeConfig())

    Override ``contract_project`` to run against another copy or warehouse, and override
    (or skip) an individual test where a runtime legitimately cannot keep a promise,
    saying why in the override.
    """

    # -- fixtures a subclass provides or may override ---------------------------------------
    @pytest.fixture(scope="class")
    def runtime_factory(self) -> RuntimeFactory:
        raise NotImplementedError(
            f"{type(self).__name__} must define a class-scoped `runtime_factory` fixture"
        )

    @pytest.fixture(scope="class")
    def contract_project(self, tmp_path_factory: pytest.TempPathFactory) -> ContractProject:
        return ContractProject.create(tmp_path_factory.mktemp("floe-contract"))

    # -- shared runs (each one dbt invocation, reused by many tests) -------------------------
    @pytest.fixture(scope="class")
    def runtime(self, runtime_factory: RuntimeFactory) -> Iterator[DBTRuntimePlugin[Any]]:
        runtime = runtime_factory()
        try:
            yield runtime
        finally:
            runtime.close()

    @staticmethod
    def _record(
        runtime: DBTRuntimePlugin[Any], command: DBTCommand, invocation: DBTInvocation
    ) -> RecordedRun:
        run = record(runtime, command, invocation)
        if run.error is not None:
            message = f"{command} raised instead of returning a result: {run.error}"
            raise AssertionError(message) from run.error
        return run

    @pytest.fixture(scope="class")
    def failing_build(
        self, runtime: DBTRuntimePlugin[Any], contract_project: ContractProject
    ) -> RecordedRun:
        """``build`` of the whole project with a failing model and a failing test."""
        invocation = contract_project.invocation(vars=FAILURE_VARS)
        return self._record(runtime, DBTCommand.BUILD, invocation)

    @pytest.fixture(scope="class")
    def selected_seed(
        self, runtime: DBTRuntimePlugin[Any], contract_project: ContractProject
    ) -> RecordedRun:
        invocation = contract_project.invocation(select=("raw_customers",))
        return self._record(runtime, DBTCommand.SEED, invocation)

    @pytest.fixture(scope="class")
    def selected_run(
        self,
        runtime: DBTRuntimePlugin[Any],
        contract_project: ContractProject,
        failing_build: RecordedRun,
    ) -> RecordedRun:
        """``run +customer_orders`` minus ``stg_orders`` (which the build already made)."""
        invocation = contract_project.invocation(
            select=("+customer_orders",), exclude=("stg_orders",)
        )
        return self._record(runtime, DBTCommand.RUN, invocation)

    @pytest.fixture(scope="class")
    def selected_test(
        self,
        runtime: DBTRuntimePlugin[Any],
        contract_project: ContractProject,
        failing_build: RecordedRun,
    ) -> RecordedRun:
        invocation = contract_project.invocation(select=("customer_orders",))
        return self._record(runtime, DBTCommand.TEST, invocation)

    @pytest.fixture(scope="class")
    def selected_compile(
        self, runtime: DBTRuntimePlugin[Any], contract_project: ContractProject
    ) -> RecordedRun:
        invocation = contract_project.invocation(select=("order_report",))
        return self._record(runtime, DBTCommand.COMPILE, invocation)

    @pytest.fixture(scope="class")
    def build_plan(
        self, runtime: DBTRuntimePlugin[Any], contract_project: ContractProject
    ) -> ExecutionPlan:
        return runtime.plan(contract_project.invocation(vars=FAILURE_VARS))

    # -- build: statuses, skips, results, events --------------------------------------------
    def test_build_reports_every_node_with_its_status(self, failing_build: RecordedRun) -> None:
        assert failing_build.statuses() == BUILD_WITH_FAILURES
        assert failing_build.result.status is RunStatus.FAILED
        assert not failing_build.result.success

    def test_build_result_is_well_formed(
        self, failing_build: RecordedRun, runtime: DBTRuntimePlugin[Any]
    ) -> None:
        _assert_well_formed(failing_build.result, failing_build, runtime.name)
        resource_types = {n.name: n.resource_type for n in failing_build.result.nodes}
        assert resource_types["raw_orders"] == "seed"
        assert resource_types["customer_orders"] == "model"
        assert resource_types["customer_orders_have_orders"] == "test"

    def test_failed_nodes_say_why(self, failing_build: RecordedRun) -> None:
        by_name = {node.name: node for node in failing_build.result.nodes}
        assert by_name["order_totals"].message, "an errored model must carry dbt's message"
        assert "contract_relation_that_does_not_exist" in (by_name["order_totals"].message or "")
        assert by_name["customer_orders_have_orders"].failures == 3
        assert by_name["customer_orders_over_ten"].failures == 1

    def test_build_event_stream_is_ordered(
        self, failing_build: RecordedRun, runtime: DBTRuntimePlugin[Any]
    ) -> None:
        assert_event_stream(failing_build, runtime.name)

    def test_nodes_start_after_their_parents_finish(
        self, failing_build: RecordedRun, build_plan: ExecutionPlan
    ) -> None:
        finished_at: dict[str, int] = {}
        for position, event in enumerate(failing_build.events):
            if isinstance(event, NodeFinished | NodeSkipped):
                finished_at[event.result.unique_id] = position
        parents = {node.unique_id: node.depends_on for node in build_plan.nodes}
        for position, event in enumerate(failing_build.events):
            if isinstance(event, NodeStarted):
                for parent in parents[event.unique_id]:
                    assert finished_at.get(parent, len(failing_build.events)) < position, (
                        f"{event.unique_id} started before its parent {parent} finished"
                    )

    # -- plan -------------------------------------------------------------------------------
    def test_plan_lists_the_build_nodes_in_dependency_order(
        self, build_plan: ExecutionPlan, failing_build: RecordedRun
    ) -> None:
        assert build_plan.project_name == "floe_contract"
        assert set(build_plan.unique_ids) == {n.unique_id for n in failing_build.result.nodes}
        seen: set[str] = set()
        for node in build_plan.nodes:
            assert set(node.depends_on) <= seen, f"{node.unique_id} planned before its parents"
            seen.add(node.unique_id)
        by_name = {node.name: node for node in build_plan.nodes}
        # A build plan may add dbt's test edges (children wait for their parents' tests).
        assert by_name["order_totals"].unique_id in by_name["order_report"].depends_on

    # -- the other commands and selection ----------------------------------------------------
    @pytest.mark.parametrize(
        ("run_fixture", "expected_statuses", "resource_type"),
        [
            ("selected_seed", {"raw_customers": NodeStatus.SUCCESS}, "seed"),
            (
                "selected_run",
                {"stg_customers": NodeStatus.SUCCESS, "customer_orders": NodeStatus.SUCCESS},
                "model",
            ),
            (
                "selected_test",
                {
                    "customer_orders_have_orders": NodeStatus.SUCCESS,
                    "customer_orders_over_ten": NodeStatus.WARN,
                },
                "test",
            ),
            ("selected_compile", {"order_report": NodeStatus.SUCCESS}, "model"),
        ],
        ids=["seed", "run", "test", "compile"],
    )
    def test_command_runs_exactly_the_selection(
        self,
        request: pytest.FixtureRequest,
        runtime: DBTRuntimePlugin[Any],
        run_fixture: str,
        expected_statuses: dict[str, NodeStatus],
        resource_type: str,
    ) -> None:
        run: RecordedRun = request.getfixturevalue(run_fixture)
        assert run.statuses() == expected_statuses
        assert {node.resource_type for node in run.result.nodes} == {resource_type}
        # Warnings do not fail a run.
        assert run.result.status is RunStatus.SUCCESS
        _assert_well_formed(run.result, run, runtime.name)
        assert_event_stream(run, runtime.name)

    def test_models_are_in_the_warehouse(
        self, selected_run: RecordedRun, contract_project: ContractProject
    ) -> None:
        """What the results claim really landed: three customers, one row each."""
        import duckdb

        # Same (default) configuration as an in-process dbt-duckdb, which may still hold it.
        with duckdb.connect(str(contract_project.warehouse)) as warehouse:
            rows = warehouse.execute(
                "select name, order_count from customer_orders order by customer_id"
            ).fetchall()
        assert rows == [("Ada", 2), ("Grace", 1), ("Edsger", 1)]

    def test_compile_returns_compiled_sql(self, selected_compile: RecordedRun) -> None:
        (node,) = selected_compile.result.nodes
        assert node.compiled_code is not None, "compile must return each node's compiled SQL"
        assert "order_totals" in node.compiled_code
        assert "{{" not in node.compiled_code

    # -- errors -------------------------------------------------------------------------------
    def test_project_that_does_not_compile_is_a_floe_error(
        self, runtime: DBTRuntimePlugin[Any], contract_project: ContractProject
    ) -> None:
        invocation = contract_project.invocation(vars={"fail_compile": True})
        run = record(runtime, DBTCommand.BUILD, invocation)
        if run.error is not None:
            assert isinstance(run.error, FloeError), (
                f"vendor exception escaped the runtime: {type(run.error).__module__}."
                f"{type(run.error).__qualname__}: {run.error}"
            )
            assert isinstance(run.error, DBTCompilationError), type(run.error)
            message = str(run.error)
        else:
            assert run.result.status is RunStatus.ERROR, run.result.status
            message = run.result.error or ""
        assert "fail_compile is set" in message, f"the error must carry dbt's message: {message}"
        assert run.result.status is RunStatus.ERROR
        assert not any(node.status is NodeStatus.SUCCESS for node in run.result.nodes)
        assert_event_stream(run, runtime.name)

    # -- lifecycle ------------------------------------------------------------------------------
    def test_health_check_and_metadata(self, runtime: DBTRuntimePlugin[Any]) -> None:
        health = runtime.health_check()
        assert health.healthy, health.message
        assert health.message
        metadata = runtime.get_runtime_metadata()
        assert metadata.name == runtime.name
        assert metadata.supports_parallel_execution == runtime.supports_parallel_execution()
        assert metadata.api_version == runtime.api_version
        # The registry's own check: refuses an undeclared or incompatible plugin API.
        check_api_version(runtime.name, type(runtime))

    def test_close_is_idempotent_and_context_managed(self, runtime_factory: RuntimeFactory) -> None:
        with runtime_factory() as fresh:
            fresh.close()
        fresh.close()
