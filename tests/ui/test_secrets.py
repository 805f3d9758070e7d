"""No page or API answer of the workbench carries a secret of the manifest.

A real ``floe build`` on PostgreSQL whose password is a ``${env:...}`` reference (one model
builds, one fails), then every page, API route and stored file the workbench serves is read
and searched for the password.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from floe_core.api import Floe
from floe_core.stores import LocalArtifactStore
from floe_core.testing import PostgresServer
from floe_core.ui import UIServer, Workbench

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PASSWORD_VARIABLE = "FLOE_UI_TEST_PG_PASSWORD"


def write_project(root: Path, server: PostgresServer, database: str) -> Path:
    project = root / "vault"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: vault\nversion: '1.0'\nprofile: floe\nmodel-paths: [models]\n"
    )
    (project / "models" / "accounts.sql").write_text("select 1 as id\n")
    (project / "models" / "broken.sql").write_text(
        "select * from {{ ref('accounts') }} join nowhere\n"
    )
    manifest = root / "platform-manifest.yaml"
    manifest.write_text(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\nmetadata: {name: vault}\n"
        "project: {dir: vault, target: dev}\nplugins: {dbt_runtime: {type: local}}\n"
        "compute:\n  type: postgres\n  config:\n"
        f"    host: {server.host}\n    port: {server.port}\n    user: {server.user}\n"
        f"    dbname: {database}\n    password: ${{env:{PASSWORD_VARIABLE}}}\n"
        "artifacts: {path: results}\n"
    )
    return manifest


def test_no_page_or_api_answer_contains_the_password(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_server: PostgresServer,
    postgres_database: str,
) -> None:
    secret = postgres_server.password
    monkeypatch.setenv(PASSWORD_VARIABLE, secret)
    manifest = write_project(tmp_path, postgres_server, postgres_database)
    with Floe.from_manifest(manifest) as floe:
        result = floe.build()
    statuses = {node.name: node.status.value for node in result.nodes}
    assert statuses == {"accounts": "success", "broken": "error"}  # it really connected

    workbench = Workbench(LocalArtifactStore(tmp_path / "results"), "vault")
    with UIServer(workbench) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        run_id = result.invocation_id
        detail = client.get(f"/api/runs/{run_id}").json()
        paths = [
            "/", "/static/app.js", "/api/openapi.json", "/api/runs", f"/api/runs/{run_id}",
            f"/api/runs/{run_id}/events", "/api/models", "/api/lineage", "/api/lineage?tests=1",
            *(f"/api/runs/{run_id}/files/{name}" for name in detail["files"]),
            *(f"/api/models/{m['unique_id']}" for m in client.get("/api/models").json()["models"]),
        ]  # fmt: skip
        assert {"dbt.log", "invocation.json", "manifest.json"} <= set(detail["files"])
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert secret not in answer.text, f"{path} shows the password"
