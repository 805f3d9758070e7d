"""The same Dagster assets on the temporal runtime: a Temporal dev server, a `floe worker`
process and the suite's PostgreSQL warehouse. Only the platform manifest changes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import ReexecutionOptions, execute_job, instance_for_test, materialize

from floe_core.testing import PostgresServer
from floe_dagster import FloeResource

pytestmark = [pytest.mark.slow, pytest.mark.temporal, pytest.mark.postgres]

BIN = Path(sys.executable).parent
TEMPORAL_CLI = shutil.which("temporal") or str(BIN / "temporal")


def _wait(what: str, ready: Any, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{what} not ready in 90 s: {log.read_text(errors='replace')[-2000:]}")


def _spawn(command: list[str], log: Path, env: dict[str, str] | None = None) -> Any:
    with log.open("wb") as stream:
        return subprocess.Popen(
            command, stdout=stream, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def temporal_address(tmp_path: Path, free_port: Callable[[], int]) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "temporal.log"
    server = _spawn(
        [
            TEMPORAL_CLI, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
            "--port", str(port), "--http-port", str(free_port()),
            "--metrics-port", str(free_port()), "--log-level", "error",
        ],
        log,
    )  # fmt: skip
    try:
        _wait(
            "temporal dev server",
            lambda: socket.create_connection(("127.0.0.1", port), 1),
            server,
            log,
        )
        yield f"127.0.0.1:{port}"
    finally:
        _stop(server)


@pytest.fixture
def temporal_shop(
    shop: Path,
    write_manifest: Any,
    temporal_address: str,
    postgres_server: PostgresServer,
    postgres_database: str,
    free_port: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    """The shop workspace whose manifest runs on Temporal, with a worker serving it."""
    monkeypatch.setenv("FLOE_DAGSTER_PG_PASSWORD", postgres_server.password)
    write_manifest(
        shop,
        runtime="temporal",
        # Absolute: the temporal client resolves a relative store against the working
        # directory, the worker against the manifest.
        config=f"{{address: '{temporal_address}', task_queue: dagster-shop,"
        f" artifact_store: '{shop.parent / 'shared-artifacts'}',"
        f" work_dir: '{shop.parent / 'worker'}', search_attributes: false}}",
        compute=f"{{type: postgres, config: {{host: {postgres_server.host},"
        f" port: {postgres_server.port}, user: {postgres_server.user},"
        f" password: '${{env:FLOE_DAGSTER_PG_PASSWORD}}', dbname: {postgres_database}}}}}",
    )
    health = free_port()
    log = shop.parent / "worker.log"
    worker = _spawn(
        [str(BIN / "floe"), "worker", "--manifest", str(shop), "--health-port", str(health)],
        log,
    )
    try:
        url = f"http://127.0.0.1:{health}/health"
        _wait(
            "floe worker", lambda: urllib.request.urlopen(url, timeout=2).status == 200, worker, log
        )
        yield shop
    finally:
        _stop(worker)


def test_shop_on_temporal_then_reexecution_of_the_failed_asset(
    temporal_shop: Path, reexecutable_job: Any, tmp_path: Path, assets_for: Any
) -> None:
    shop = assets_for(temporal_shop)

    result = materialize(
        [shop], resources={"floe": FloeResource(platform_manifest=str(temporal_shop))}
    )
    assert result.success
    events = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
    assert len(events) == 14
    assert events["raw_orders"].materialization.metadata["rows_affected"].value == 60
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 32
    assert all(check.passed for check in checks)

    # orders fails (`fail_model`): it and what reads it are not materialized; after the fix,
    # re-execution from failure runs exactly those, on the workers again.
    manifest_text = temporal_shop.read_text()
    temporal_shop.write_text(manifest_text.replace("vars: {}", "vars: {fail_model: true}"))
    job = reexecutable_job(temporal_shop)
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        with execute_job(job, instance=instance) as failed:
            assert not failed.success
            done = {e.asset_key.to_user_string() for e in failed.get_asset_materialization_events()}
            assert "orders" not in done
            [failure] = [e for e in failed.all_events if e.is_step_failure]
            assert "model.shop.orders error" in str(failure.step_failure_data.error)
        temporal_shop.write_text(manifest_text)
        options = ReexecutionOptions.from_failure(failed.run_id, instance)
        with execute_job(job, instance=instance, reexecution_options=options) as retried:
            assert retried.success
            redone = {
                e.asset_key.to_user_string() for e in retried.get_asset_materialization_events()
            }
            assert redone == {"orders", "customers", "daily_revenue"}
            assert redone | done == set(events)
