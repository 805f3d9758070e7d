"""Worker tuning, metrics and health options: where they come from (manifest, then
``FLOE_WORKER_*``, then flags), what reaches temporalio, cgroup limits, the exec probe."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from temporalio.worker import PollerBehaviorAutoscaling, PollerBehaviorSimpleMaximum

from floe_core import ConfigError
from floe_core.cli import cli
from floe_dbt_temporal import WorkerOptions
from floe_dbt_temporal._cgroups import CgroupLimits, host_cpu_target, read_cgroup_limits
from floe_dbt_temporal._health import write_health_file
from floe_dbt_temporal._metrics import metrics_runtime
from floe_dbt_temporal._worker_setup import worker_settings

_MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
project: {dir: shop}
compute: {type: duckdb, config: {path: w.duckdb}}
plugins:
  dbt_runtime:
    type: temporal
    config:
      worker: {tuner: resource_based, max_concurrent_activities: 8, target_cpu_usage: 0.7,
               sticky_queue_timeout_seconds: 4}
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "dbt_project.yml").write_text("name: shop\nprofile: floe\n")
    path = tmp_path / "platform-manifest.yaml"
    path.write_text(_MANIFEST)
    return path


def test_the_environment_overrides_the_manifest_and_flags_override_both(manifest: Path) -> None:
    environ = {"FLOE_WORKER_TARGET_CPU_USAGE": "0.5", "FLOE_WORKER_MAX_CONCURRENT_ACTIVITIES": "6"}
    settings = worker_settings(manifest, (), {"max_concurrent_activities": 3}, environ)
    assert settings.tuner == "resource_based"  # manifest
    assert settings.sticky_queue_timeout_seconds == 4  # manifest
    assert settings.target_cpu_usage == 0.5  # environment over manifest
    assert settings.max_concurrent_activities == 3  # flag over environment


def test_a_bad_environment_variable_is_named_with_the_fix(manifest: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["worker", "--manifest", str(manifest)],
        env={"FLOE_WORKER_TARGET_CPU_USAGE": "150%"},
    )
    assert result.exit_code == 2
    assert "FLOE_WORKER_TARGET_CPU_USAGE='150%'" in result.output
    assert "fix or unset FLOE_WORKER_TARGET_CPU_USAGE" in result.output


def test_resource_based_tuning_reaches_temporalio_with_the_containers_cpu() -> None:
    options = WorkerOptions(
        tuner="resource_based",
        min_concurrent_activities=2,
        max_concurrent_activities=8,
        target_cpu_usage=0.8,
        poller_autoscaling=True,
        min_pollers=2,
        initial_pollers=4,
        max_pollers=20,
    )
    kwargs = options.worker_kwargs(CgroupLimits(cpu_cores=2.0, memory_bytes=None))
    assert "max_concurrent_activities" not in kwargs  # temporalio refuses both
    activity = kwargs["tuner"]._get_activity_task_slot_supplier()
    assert (activity.slot_config.minimum_slots, activity.slot_config.maximum_slots) == (2, 8)
    expected = 0.8 * 2.0 / (os.cpu_count() or 1) if (os.cpu_count() or 1) > 2 else 0.8
    assert activity.tuner_config.target_cpu_usage == pytest.approx(expected)
    autoscaling = PollerBehaviorAutoscaling(minimum=2, maximum=20, initial=4)
    assert kwargs["activity_task_poller_behavior"] == autoscaling


def test_fixed_tuning_sets_slots_rates_and_the_sticky_timeout() -> None:
    kwargs = WorkerOptions(
        max_concurrent_activities=3,
        max_concurrent_workflow_tasks=4,
        max_activities_per_second=2.5,
        max_task_queue_activities_per_second=10,
        sticky_queue_timeout_seconds=7,
    ).worker_kwargs(CgroupLimits(None, None))
    assert "tuner" not in kwargs
    assert kwargs["max_concurrent_activities"] == 3
    assert kwargs["max_concurrent_workflow_tasks"] == 4
    assert kwargs["max_activities_per_second"] == 2.5
    assert kwargs["max_task_queue_activities_per_second"] == 10
    assert kwargs["disable_eager_activity_execution"] is True  # else the limit leaks
    assert kwargs["sticky_queue_schedule_to_start_timeout"].total_seconds() == 7
    assert kwargs["workflow_task_poller_behavior"] == PollerBehaviorSimpleMaximum(maximum=5)


def test_cgroup_v2_and_v1_limits_are_read(tmp_path: Path) -> None:
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cpu.max").write_text("150000 100000\n")
    (v2 / "memory.max").write_text("2147483648\n")
    assert read_cgroup_limits(v2) == CgroupLimits(cpu_cores=1.5, memory_bytes=2 << 30)
    (v2 / "cpu.max").write_text("max 100000\n")
    (v2 / "memory.max").write_text("max\n")
    assert read_cgroup_limits(v2) == CgroupLimits(None, None)

    v1 = tmp_path / "v1"
    (v1 / "cpu,cpuacct").mkdir(parents=True)
    (v1 / "memory").mkdir()
    (v1 / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("50000\n")
    (v1 / "cpu,cpuacct" / "cpu.cfs_period_us").write_text("100000\n")
    (v1 / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert read_cgroup_limits(v1) == CgroupLimits(cpu_cores=0.5, memory_bytes=None)
    assert read_cgroup_limits(tmp_path / "none") == CgroupLimits(None, None)


def test_the_cpu_target_is_a_share_of_the_container_not_of_the_host() -> None:
    assert host_cpu_target(0.9, CgroupLimits(2.0, None), host_cores=16) == pytest.approx(0.1125)
    assert host_cpu_target(0.9, CgroupLimits(None, None), host_cores=16) == 0.9
    assert host_cpu_target(0.9, CgroupLimits(32.0, None), host_cores=16) == 0.9


def _probe(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["worker", "healthcheck", *args])
    return result.exit_code, result.output


def test_healthcheck_reads_the_health_file_and_its_age(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    code, output = _probe("--file", str(path))
    assert code == 1
    assert "does not exist" in output
    write_health_file(path, True, 1.0, {"task_queue": "q"})
    assert _probe("--file", str(path))[0] == 0
    write_health_file(path, False, 1.0, {})
    code, output = _probe("--file", str(path))
    assert code == 1
    assert "unhealthy" in output
    body = json.loads(path.read_text()) | {"healthy": True, "updated_at": time.time() - 10}
    path.write_text(json.dumps(body))
    code, output = _probe("--file", str(path))  # three intervals of 1 s: stale
    assert code == 1
    assert "stuck or gone" in output
    assert _probe("--file", str(path), "--max-age", "60")[0] == 0
    path.write_text("not json")
    assert _probe("--file", str(path))[0] == 1
    code, output = _probe()
    assert code == 2
    assert "FLOE_WORKER_HEALTH_FILE" in output


def test_a_taken_metrics_address_is_a_config_error_naming_the_setting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(ConfigError, match="Address already in use") as raised:
            metrics_runtime(WorkerOptions(metrics_prometheus_address=address))
    assert "FLOE_WORKER_METRICS_PROMETHEUS_ADDRESS" in str(raised.value)
