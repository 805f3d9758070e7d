"""The example project through ``cloud`` (against the fake) and ``local``: same results."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from floe_core import DBTInvocation, DBTRunResult, GeneratedProfile, RunStatus
from floe_dbt_cloud import CloudRuntime
from floe_dbt_cloud.testing import FakeDbtCloud, FakeJob
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"
SHOP_JOB = 3


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("shop") / "shop"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns("target", "logs"))
    return project


@pytest.fixture(scope="module")
def shop_fake(shop: Path) -> Iterator[FakeDbtCloud]:
    job = FakeJob(
        id=SHOP_JOB,
        project_dir=shop,
        connection={"type": "duckdb", "path": str(shop.parent / "cloud.duckdb")},
    )
    with FakeDbtCloud([job], work_dir=shop.parent / "cloud-runs") as fake:
        yield fake


def _invocation(shop: Path, name: str, vars: dict[str, Any]) -> DBTInvocation:
    warehouse = shop.parent / f"{name}.duckdb"
    return DBTInvocation(
        project_dir=shop,
        profile=GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": str(warehouse)}}),
        vars=vars,
        threads=4,
        target_path=shop.parent / f"{name}-target",
    )


def _outcome(result: DBTRunResult) -> dict[str, tuple[str, int | None, int | None]]:
    return {
        node.unique_id: (node.status.value, node.adapter_response.rows_affected, node.failures)
        for node in result.nodes
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("vars", "expected"),
    [({}, RunStatus.SUCCESS), ({"fail_model": True, "fail_test": True}, RunStatus.FAILED)],
    ids=["clean", "failing"],
)
def test_shop_build_matches_the_local_runtime(
    shop: Path,
    shop_fake: FakeDbtCloud,
    tmp_path: Path,
    vars: dict[str, Any],
    expected: RunStatus,
) -> None:
    with LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=tmp_path)) as local:
        local_result = local.build(_invocation(shop, "local", vars))
    with CloudRuntime(shop_fake.cloud_config(SHOP_JOB)) as cloud:
        cloud_result = cloud.build(_invocation(shop, "cloud", vars))
    assert local_result.status is cloud_result.status is expected
    assert _outcome(cloud_result) == _outcome(local_result)
    assert len(cloud_result.nodes) > 40
