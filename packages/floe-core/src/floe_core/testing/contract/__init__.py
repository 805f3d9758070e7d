"""The runtime contract suite: subclass :class:`RuntimeContractTests` to check a runtime.

Modelled on fsspec's abstract test suite. In a ``test_*.py`` module of your runtime::

    import pytest
    from floe_core.testing.contract import RuntimeContractTests, RuntimeFactory

    class TestMyRuntimeContract(RuntimeContractTests):
        @pytest.fixture(scope="class")
        def runtime_factory(self) -> RuntimeFactory:
            return lambda: MyRuntime(MyRuntimeConfig())

The suite copies a small dbt project (:data:`CONTRACT_PROJECT_DIR`) and a DuckDB warehouse
into a temporary folder per class and runs a handful of dbt invocations on your runtime.
"""

from __future__ import annotations

from floe_core._extras import requires_extra

with requires_extra("testing", "floe_core.testing.contract"):
    import pytest

# The suite's assertions are in these modules; have pytest explain them on failure.
pytest.register_assert_rewrite(
    "floe_core.testing.contract._recording",
    "floe_core.testing.contract._suite",
    "floe_core.testing.contract._commands",
)

from floe_core.testing.contract._project import (  # noqa: E402
    BUILD_WITH_FAILURES,
    CONTRACT_PROJECT_DIR,
    FAILURE_VARS,
    ContractProject,
)
from floe_core.testing.contract._recording import (  # noqa: E402
    RecordedRun,
    assert_event_stream,
    record,
)
from floe_core.testing.contract._suite import RuntimeContractTests, RuntimeFactory  # noqa: E402

__all__ = [
    "BUILD_WITH_FAILURES",
    "CONTRACT_PROJECT_DIR",
    "FAILURE_VARS",
    "ContractProject",
    "RecordedRun",
    "RuntimeContractTests",
    "RuntimeFactory",
    "assert_event_stream",
    "record",
]
