"""Slim CI on Temporal with examples/slim-ci: a prod run, a change to one model, then a CI
build of ``state:modified+`` with ``--state latest:prod --defer``. The results store and the
runtime's artifact store are both S3 (moto): the client resolves the state from the results
store and the workers receive it by reference, never by a path of the client's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pytest

from floe_core import ConfigError, RunStatus
from floe_core.api import Floe
from floe_core.testing import S3Server
from floe_dbt_temporal import WorkerSettings
from floe_dbt_temporal._object_store import open_object_store

pytestmark = [pytest.mark.slow, pytest.mark.temporal]

REPO = Path(__file__).resolve().parents[3]
_EXECUTED_TYPES = {"model", "seed", "snapshot", "test", "unit_test"}


def _dbt_ls(project: Path, profiles: Path, state: Path, select: str, target: Path) -> set[str]:
    """What the dbt CLI itself selects with the same state manifest (another process)."""
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [
            str(dbt), "ls", "-s", select, "--state", str(state), "--project-dir", str(project),
            "--profiles-dir", str(profiles), "--target", "ci", "--target-path", str(target),
            "--output", "json", "--output-keys", "unique_id", "resource_type", "--quiet",
        ],
        capture_output=True, text=True, check=True, env=os.environ,
    )  # fmt: skip
    listed = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {node["unique_id"] for node in listed if node["resource_type"] in _EXECUTED_TYPES}


def test_ci_builds_what_dbt_selects_by_state_and_defers_to_prod(
    temporal_server: Any,
    s3_server: S3Server,
    task_queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", ".floe", "*.duckdb*")
    shutil.copytree(REPO / "examples" / "shop", tmp_path / "shop", ignore=ignore)
    shutil.copytree(REPO / "examples" / "slim-ci", tmp_path / "slim-ci", ignore=ignore)
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SLIM_CI_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("FLOE_TEST_S3_SECRET", "testing")
    bucket = s3_server.create_bucket(f"slim-{uuid.uuid4().hex[:8]}")
    options = s3_server.options(secret_access_key="${env:FLOE_TEST_S3_SECRET}")
    manifest = tmp_path / "slim-ci" / "platform-manifest.yaml"
    results_store = f"{{type: s3, url: 's3://{bucket}/results', options: {json.dumps(options)}}}"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "artifacts:\n  type: local\n  path: .floe/artifacts", f"artifacts: {results_store}"
        ),
        encoding="utf-8",
    )
    runtime_store = f"s3://{bucket}/temporal"
    worker = WorkerSettings(
        address=temporal_server.address,
        task_queue=task_queue,
        artifact_store=runtime_store,
        artifact_options=options,
        allow_any_project=True,
        work_dir=tmp_path / "worker",
    )
    config = {
        "address": temporal_server.address,
        "task_queue": task_queue,
        "artifact_store": runtime_store,
        "artifact_options": options,
        "work_dir": str(tmp_path / "client"),
    }

    with (
        temporal_server.worker(worker),
        Floe.from_manifest(manifest, runtime="temporal", runtime_config=config) as floe,
    ):
        prod = floe.build()
        assert prod.status is RunStatus.SUCCESS, prod.error
        stg_orders = tmp_path / "shop" / "models" / "staging" / "stg_orders.sql"
        stg_orders.write_text(stg_orders.read_text() + "\n-- reviewed in a pull request\n")
        ci = floe.build(select=["state:modified+"], state="latest:prod", defer=True, target="ci")
        with pytest.raises(ConfigError, match="--favor-state"):
            floe.build(select=["state:modified+"], state="latest:prod", defer=True,
                       favor_state=True, target="ci")  # fmt: skip
        store = floe.results
        assert store is not None
        prod_record = store.history.find("shop", prod.invocation_id)
        state = tmp_path / "prod-state"
        state.mkdir()
        (state / "manifest.json").write_bytes(store.history.read(prod_record, "manifest.json"))

    expected = _dbt_ls(
        tmp_path / "shop", tmp_path / "slim-ci", state, "state:modified+", tmp_path / "ls"
    )
    assert "model.shop.stg_orders" in expected
    assert "model.shop.stg_customers" not in expected
    assert ci.status is RunStatus.SUCCESS, (ci.error, [(n.name, n.message) for n in ci.nodes])
    assert {node.unique_id for node in ci.nodes} == expected
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        ci_tables = {
            row[0]
            for row in connection.sql(
                "select table_name from information_schema.tables where table_schema = 'ci'"
            ).fetchall()
        }
    # customers joins stg_customers, which CI did not build: the workers read it from prod
    assert ci_tables == {"stg_orders", "orders", "customers", "daily_revenue"}
    # The workers got the state from the shared store, into a folder of the run.
    shared = open_object_store(runtime_store, options)
    assert f"runs/{ci.invocation_id}/state/manifest.json" in shared.list(f"runs/{ci.invocation_id}")
    assert (tmp_path / "worker" / "state" / ci.invocation_id / "manifest.json").is_file()
