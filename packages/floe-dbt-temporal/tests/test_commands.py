"""The commands beyond the node-running ones, through the workflow on a real worker."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_core import DBTCommand, DBTInvocation, GeneratedProfile, RunStatus
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig
from floe_dbt_temporal import TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


def test_ls_is_answered_on_the_worker_as_dbt_ls_prints_it(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    shop: Path,
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
) -> None:
    local_copy = tmp_path / "local-shop"
    shutil.copytree(shop, local_copy)
    fields: dict[str, Any] = {
        "profile": duckdb_profile,
        "select": ("+customers",),
        "command_args": {
            "resource_types": ("model", "source"),
            "output": "json",
            "output_keys": ("name", "resource_type"),
        },
    }
    with temporal_server.worker(settings):
        remote = make_runtime().invoke(DBTCommand.LIST, DBTInvocation(project_dir=shop, **fields))
    local = LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=tmp_path / "cache")).invoke(
        DBTCommand.LIST, DBTInvocation(project_dir=local_copy, **fields)
    )

    assert remote.status is RunStatus.SUCCESS, remote.error
    assert remote.nodes == (), "ls executes nothing"
    listed = [json.loads(line) for line in (remote.output or "").splitlines()]
    assert {"name": "customers", "resource_type": "model"} in listed
    assert {entry["resource_type"] for entry in listed} <= {"model", "source"}
    assert remote.output == local.output
    assert not (shop / "target" / "run_results.json").exists()
