"""The definitions as the Dagster UI sees them: a real dagster-webserver, its GraphQL API, a run
launched there failing on one asset, and "re-execute from asset failure" running only it and
what depends on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent

DEFINITIONS = """\
from dagster import Definitions, define_asset_job
from floe_dagster import FloeProject, FloeResource, floe_assets

project = FloeProject("platform-manifest.yaml")
project.prepare_if_dev()


@floe_assets(project)
def orchard(context, floe: FloeResource):
    yield from floe.build(context)


defs = Definitions(
    assets=[orchard],
    jobs=[define_asset_job("everything")],
    resources={"floe": FloeResource(platform_manifest="platform-manifest.yaml")},
)
"""

# Runs start at once (no daemon to dequeue them) in their own process, as in production.
INSTANCE = """\
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
"""


class GraphQL:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
        assert "errors" not in answer, answer["errors"]
        data: dict[str, Any] = answer["data"]
        return data

    def wait_for_run(self, run_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            run = self(RUN, runId=run_id)["runOrError"]
            if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
                return run
            time.sleep(1)
        raise TimeoutError(f"run {run_id} did not finish")


RUN = """
query ($runId: ID!) { runOrError(runId: $runId) { ... on Run {
  status
  assetMaterializations { assetKey { path } }
} } }"""


@pytest.fixture
def webserver(orchard: Path, free_port: Callable[[], int]) -> Iterator[GraphQL]:
    root = orchard.parent
    (root / "definitions.py").write_text(DEFINITIONS, encoding="utf-8")
    home = root / "dagster-home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE, encoding="utf-8")
    port = free_port()
    log = (root / "webserver.log").open("wb")
    process = subprocess.Popen(
        [
            str(BIN / "dagster-webserver"),
            "-f",
            "definitions.py",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=root,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((root / "webserver.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        yield GraphQL(f"http://127.0.0.1:{port}/graphql")
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def test_assets_load_and_reexecution_from_asset_failure_runs_only_the_rest(
    webserver: GraphQL, orchard: Path, write_manifest: Any
) -> None:
    nodes = webserver("""{ assetNodes {
        assetKey { path } groupName isMaterializable
        assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
    } }""")["assetNodes"]
    by_key = {"/".join(node["assetKey"]["path"]): node for node in nodes}
    assert set(by_key) == {
        "stg_sales", "daily_sales", "analytics/big_sales", "sales_summary_v1",
        "reports/top_day", "landing/sales",
    }  # fmt: skip
    assert not by_key["landing/sales"]["isMaterializable"]  # the source, as an external asset
    assert by_key["daily_sales"]["groupName"] == "finance"
    checks = {c["name"]: c["blocking"] for c in by_key["stg_sales"]["assetChecksOrError"]["checks"]}
    assert checks == {
        "unique_stg_sales_sale_id": True,
        "not_null_stg_sales_sale_id": True,
        "not_null_stg_sales_amount": False,
    }

    write_manifest(orchard, vars="{break_big: true}")
    launched = webserver(
        """mutation ($params: ExecutionParams!) { launchRun(executionParams: $params) {
            __typename ... on LaunchRunSuccess { run { runId } }
            ... on PythonError { message }
        } }""",
        params={
            "selector": {
                "repositoryLocationName": "definitions.py",
                "repositoryName": "__repository__",
                "jobName": "everything",
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    failed_id = launched["run"]["runId"]
    failed = webserver.wait_for_run(failed_id)
    assert failed["status"] == "FAILURE"
    first = {"/".join(m["assetKey"]["path"]) for m in failed["assetMaterializations"]}
    assert first == {"stg_sales", "daily_sales", "sales_summary_v1"}

    write_manifest(orchard, vars="{break_big: false}")
    relaunched = webserver(
        """mutation ($parentRunId: String!) { launchPipelineReexecution(reexecutionParams: {
            parentRunId: $parentRunId, strategy: FROM_ASSET_FAILURE
        }) { __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } }
        }""",
        parentRunId=failed_id,
    )["launchPipelineReexecution"]
    assert relaunched["__typename"] == "LaunchRunSuccess", relaunched
    retried = webserver.wait_for_run(relaunched["run"]["runId"])
    assert retried["status"] == "SUCCESS"
    again = {"/".join(m["assetKey"]["path"]) for m in retried["assetMaterializations"]}
    assert again == {"analytics/big_sales", "reports/top_day"}
