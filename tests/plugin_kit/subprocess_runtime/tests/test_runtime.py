"""What the contract suite does not cover: configuration, health and the time limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from floe_dbt_subprocess import SubprocessRuntime, SubprocessRuntimeConfig

from floe_core import FloeEvent, PluginConfigError, RunCancelledError, RunFinished, RunStatus
from floe_core.testing.contract import ContractProject


def test_missing_dbt_is_unhealthy_and_a_config_error(tmp_path: Path) -> None:
    config = SubprocessRuntimeConfig(dbt_executable=tmp_path / "no-dbt-here")
    with SubprocessRuntime(config) as runtime:
        health = runtime.health_check()
        assert not health.healthy
        assert "no-dbt-here" in health.message
        project = ContractProject.create(tmp_path)
        with pytest.raises(PluginConfigError, match="dbt_executable"):
            runtime.seed(project.invocation())


@pytest.mark.slow
def test_time_limit_stops_dbt_and_reports_a_cancelled_run(tmp_path: Path) -> None:
    project = ContractProject.create(tmp_path)
    events: list[FloeEvent] = []
    with SubprocessRuntime(SubprocessRuntimeConfig(timeout_seconds=0.5)) as runtime:
        runtime.events.subscribe(events.append)
        with pytest.raises(RunCancelledError, match=r"within 0\.5 s"):
            runtime.build(project.invocation())

    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.result.status is RunStatus.CANCELLED
    assert "timeout_seconds" in (finished.result.error or "")
