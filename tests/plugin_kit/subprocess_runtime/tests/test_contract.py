"""The example runtime passes floe's runtime contract suite, found through its entry point."""

from __future__ import annotations

import pytest

from floe_core.registry import PluginRegistry
from floe_core.testing.contract import RuntimeContractTests, RuntimeFactory


@pytest.mark.slow
class TestSubprocessRuntimeContract(RuntimeContractTests):
    @pytest.fixture(scope="class")
    def runtime_factory(self) -> RuntimeFactory:
        registry = PluginRegistry()
        return lambda: registry.create("subprocess", {})


def test_runtime_is_discovered_through_its_entry_point() -> None:
    (entry,) = [e for e in PluginRegistry().available() if e.name == "subprocess"]
    assert (entry.distribution, entry.value) == (
        "floe-dbt-subprocess",
        "floe_dbt_subprocess:SubprocessRuntime",
    )
