"""floe's runtime contract suite, run on ``cloud`` against the fake executing real dbt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from floe_core.testing.contract import (
    ContractProject,
    RuntimeContractTests,
    RuntimeFactory,
)
from floe_dbt_cloud import CloudRuntime
from floe_dbt_cloud.testing import FakeDbtCloud, FakeJob

CONTRACT_JOB = 7


@pytest.mark.slow
class TestCloudRuntimeContract(RuntimeContractTests):
    @pytest.fixture(scope="class")
    def contract_fake(self, contract_project: ContractProject) -> Iterator[FakeDbtCloud]:
        job = FakeJob(
            id=CONTRACT_JOB,
            project_dir=contract_project.project_dir,
            connection={"type": "duckdb", "path": str(contract_project.warehouse)},
        )
        work_dir = contract_project.project_dir.parent / "cloud"
        with FakeDbtCloud([job], work_dir=work_dir) as fake:
            yield fake

    @pytest.fixture(scope="class")
    def runtime_factory(self, contract_fake: FakeDbtCloud) -> RuntimeFactory:
        return lambda: CloudRuntime(contract_fake.cloud_config(CONTRACT_JOB))

    @pytest.fixture(scope="class")
    def retry_state(self) -> Path:
        pytest.skip(
            "dbt Cloud retries a run with that run's own vars, so the suite's retry (which"
            " switches the failures off with new vars) cannot pass there: test_retry.py covers it"
        )
