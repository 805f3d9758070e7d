"""Ctrl-C on `floe build` (local runtime) mid-SQL on a real PostgreSQL: the open query is
cancelled through the adapter, nothing it was building commits, and the record says so; the
same with ``processes: 2``, which leaves no executor process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from floe_core import NodeStatus, RunStatus
from floe_core.artifacts import RunHistory, read_index
from floe_core.stores import LocalArtifactStore
from floe_core.testing import PostgresServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

FLOE = str(Path(sys.executable).parent / "floe")
PASSWORD_VAR = "FLOE_TEST_CANCEL_PG_PASSWORD"
# A client that dies without cancelling leaves this running on the server (for 60 s).
_SLEEPING = (
    "select count(*) from pg_stat_activity"
    " where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()"
)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _executor_processes_of(parent: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"floe_dbt_inprocess.executor._child" in command:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.parametrize("processes", [1, 2])
def test_ctrl_c_cancels_the_open_query_and_records_the_node_as_not_successful(
    postgres_server: PostgresServer, postgres_database: str, tmp_path: Path, processes: int
) -> None:
    project = tmp_path / "slowpoke"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: slowpoke\nconfig-version: 2\nprofile: floe\n")
    (project / "models" / "slow.sql").write_text(
        "{{ config(materialized='table') }}\nselect 1 as id from (select pg_sleep(60)) s\n"
    )
    (tmp_path / "platform-manifest.yaml").write_text(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\n"
        "project: {dir: slowpoke, target: dev}\n"
        f"plugins: {{dbt_runtime: {{type: local, config: {{processes: {processes}}}}}}}\n"
        "compute:\n  type: postgres\n  config:\n"
        f"    host: {postgres_server.host}\n    port: {postgres_server.port}\n"
        f"    user: {postgres_server.user}\n    password: '${{env:{PASSWORD_VAR}}}'\n"
        f"    dbname: {postgres_database}\n    schema: cancel\n    threads: 1\n"
        "artifacts: {path: results}\n"
    )
    env = {**os.environ, PASSWORD_VAR: postgres_server.password}
    client = subprocess.Popen(
        [FLOE, "build"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )

    def sleeping() -> int:
        return int(postgres_server.psql(_SLEEPING, dbname=postgres_database))

    try:
        _wait_for(lambda: sleeping() == 1, "the model's query to run", timeout=240)
        children = _executor_processes_of(client.pid)
        assert len(children) == (processes if processes > 1 else 0), children
        client.send_signal(signal.SIGINT)
        _, stderr = client.communicate(timeout=30)
    finally:
        client.kill()
    assert client.returncode != 0, stderr.decode()
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()], "orphan processes"
    _wait_for(lambda: sleeping() == 0, "the query to be cancelled", timeout=5)
    relation = "select coalesce(to_regclass('cancel.slow')::text, 'none')"
    assert postgres_server.psql(relation, dbname=postgres_database) == "none"
    [record] = read_index(tmp_path / "results", "slowpoke")
    result = RunHistory(LocalArtifactStore(tmp_path / "results")).result(record)
    slow = result.node("model.slowpoke.slow")
    assert slow.status is not NodeStatus.SUCCESS
    assert slow.status is NodeStatus.ERROR, slow.status
    assert "Database Error" in (slow.message or "")
    assert record.status is result.status is RunStatus.CANCELLED
