from __future__ import annotations

from pathlib import Path

import pytest

from floe_core import ExecutionPlan
from floe_core.testing.contract import ContractProject, RuntimeContractTests, RuntimeFactory
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

pytestmark = pytest.mark.slow


class TestLocalRuntimeContract(RuntimeContractTests):
    @pytest.fixture(scope="class")
    def runtime_factory(self, tmp_path_factory: pytest.TempPathFactory) -> RuntimeFactory:
        cache_dir: Path = tmp_path_factory.mktemp("contract-profiles")
        return lambda: LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=cache_dir))

    @pytest.fixture(scope="class")
    def build_plan(self, runtime: LocalRuntime, contract_project: ContractProject) -> ExecutionPlan:
        # Planned with the failing build's vars: with `fail_model` set, order_totals no longer
        # refs stg_orders, so dbt (rightly) starts it first; a plan made without the vars
        # would claim an edge that run does not have.
        return runtime.plan(
            contract_project.invocation(vars={"fail_model": True, "fail_test": True})
        )
