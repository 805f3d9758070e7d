"""The package's public surface and its registration as runtime ``cloud``."""

from __future__ import annotations

import pytest

import floe_dbt_cloud
import floe_dbt_cloud.testing
from floe_core.registry import PluginRegistry
from floe_dbt_cloud import CloudRuntime
from floe_dbt_cloud.testing import FakeDbtCloud


@pytest.mark.parametrize("module", [floe_dbt_cloud, floe_dbt_cloud.testing])
def test_all_is_complete(module: object) -> None:
    public = {name for name in vars(module) if not name.startswith("_")}
    exported = set(module.__all__)  # type: ignore[attr-defined]
    assert exported <= public
    missing = {n for n in public - exported if not isinstance(vars(module)[n], type(module))}
    assert missing <= {"annotations"}


def test_registry_builds_the_runtime_from_manifest_config(
    fake: FakeDbtCloud, job_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_TEST_DBT_CLOUD_TOKEN", fake.token)
    config = {
        "access_url": fake.url,
        "account_id": fake.account_id,
        "job_id": job_id,
        "token": "${env:FLOE_TEST_DBT_CLOUD_TOKEN}",
    }
    with PluginRegistry().create("cloud", config) as runtime:
        assert isinstance(runtime, CloudRuntime)
        assert runtime.supports_parallel_execution()
        health = runtime.health_check()
        details = runtime.get_runtime_metadata().details
    assert health.healthy, health.message
    assert fake.token not in repr(runtime.config)
    assert details["access_url"] == fake.url
    assert fake.token not in repr(details)


def test_health_check_reports_a_bad_token(fake: FakeDbtCloud, job_id: int) -> None:
    with CloudRuntime(fake.cloud_config(job_id, token="wrong")) as runtime:
        health = runtime.health_check()
    assert not health.healthy
    assert "HTTP 401" in health.message
    assert health.checks == {"dbt_cloud_api": "refused"}


def test_health_check_reports_an_unreachable_api(fake: FakeDbtCloud, job_id: int) -> None:
    config = fake.cloud_config(job_id, access_url="http://127.0.0.1:9", retry={"max_attempts": 1})
    with CloudRuntime(config) as runtime:
        health = runtime.health_check()
    assert not health.healthy
    assert "connection to http://127.0.0.1:9 failed" in health.message
    assert health.checks == {"dbt_cloud_api": "unreachable"}
