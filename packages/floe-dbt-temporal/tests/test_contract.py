from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from floe_core.testing.contract import RuntimeContractTests, RuntimeFactory
from floe_dbt_temporal import TemporalRuntime, TemporalRuntimeConfig, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


class TestTemporalRuntimeContract(RuntimeContractTests):
    @pytest.fixture(scope="class")
    def runtime_factory(
        self, temporal_server: Any, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[RuntimeFactory]:
        root = tmp_path_factory.mktemp("contract-temporal")
        settings = WorkerSettings(
            address=temporal_server.address,
            task_queue="floe-contract",
            artifact_store=str(root / "artifacts"),
            allow_any_project=True,  # a private copy of the project
            work_dir=root / "worker",
        )
        config = TemporalRuntimeConfig(
            address=settings.address,
            task_queue=settings.task_queue,
            artifact_store=settings.artifact_store,
            work_dir=root / "client",
        )
        with temporal_server.worker(settings):
            yield lambda: TemporalRuntime(config)
