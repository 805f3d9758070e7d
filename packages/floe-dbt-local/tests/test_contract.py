from __future__ import annotations

from pathlib import Path

import pytest

from floe_core.testing.contract import RuntimeContractTests, RuntimeFactory
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

pytestmark = pytest.mark.slow


class TestLocalRuntimeContract(RuntimeContractTests):
    @pytest.fixture(scope="class")
    def runtime_factory(self, tmp_path_factory: pytest.TempPathFactory) -> RuntimeFactory:
        cache_dir: Path = tmp_path_factory.mktemp("contract-profiles")
        return lambda: LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=cache_dir))
