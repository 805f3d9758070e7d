"""Real runs for the workbench's end-to-end tests, each built once per session.

- ``shop_results``: one ``floe build`` of a private copy of examples/shop;
- ``failing_shop``: a copy with a source, an exposure and markdown docs added, built twice
  with the same selection, the second time with ``fail_model`` (``orders`` fails); then
  slim CI: a change to ``products`` and ``build -s state:modified+ --state <the passed run>
  --defer``; then a real interrupted build: ``floe build -s slow_totals+`` in another
  process, sent SIGINT while DuckDB runs the slow model (its child never starts);
- ``large_results``: bench/generate.py's 1,000 models + 1,000 tests, parsed by real dbt
  through floe's plan, and a 2,000-node run of them written through a real results store.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.generate import ProjectSpec, generate_project
from floe_core import (
    DBTCommand,
    DBTRunResult,
    NodeResult,
    NodeStatus,
    RunFinished,
    RunPlanned,
    RunStarted,
    RunStatus,
    events_for_result,
)
from floe_core.api import Floe
from floe_core.artifacts import ResultsStore, read_index
from floe_core.artifacts._store import EVENTS_FILE
from floe_core.stores import LocalArtifactStore
from floe_core.ui import PlanSelector, UIServer, Workbench

EXTRA_DOCS = """\
version: 2
sources:
  - name: crm
    schema: main
    description: The CRM export, loaded nightly.
    tables:
      - name: raw_customers
        description: |
          Customers as the **CRM** exports them.

          | field | meaning |
          |-------|---------|
          | id    | customer key |
exposures:
  - name: revenue_dashboard
    type: dashboard
    owner: {name: Finance, email: finance@example.com}
    description: The **weekly** revenue dashboard.
    depends_on:
      - ref('daily_revenue')
      - ref('customers')
      - source('crm', 'raw_customers')
"""


@pytest.fixture(scope="session")
def shop_results(shop_workspace: Callable[[str], Path]) -> Path:
    """examples/shop built once by the local runtime; the folder its results went to."""
    manifest = shop_workspace("ui-e2e")
    with Floe.from_manifest(manifest) as floe:
        floe.build()
    return manifest.parent / "results"


@pytest.fixture(scope="session")
def shop_run_id(shop_results: Path) -> str:
    """The invocation id of that build."""
    [record] = read_index(shop_results, "shop")
    return record.invocation_id


@pytest.fixture(scope="session")
def shop_selector(shop_results: Path) -> Iterator[PlanSelector]:
    """Selections evaluated by floe's plan of that workspace's manifest."""
    selector = PlanSelector(shop_results.parent / "platform-manifest.yaml")
    yield selector
    selector.close()


@pytest.fixture
def ui_server(shop_results: Path, shop_selector: PlanSelector) -> Iterator[UIServer]:
    workbench = Workbench(LocalArtifactStore(shop_results), "shop", select=shop_selector)
    with UIServer(workbench, poll_seconds=0.05) as server:
        yield server


@dataclass(frozen=True)
class FailingShop:
    results: Path
    passed: str
    """The invocation id of the build that passed."""
    failed: str
    """The same build with ``fail_model``: ``orders`` fails, its descendants are skipped."""
    slim_ci: str
    """``products`` changed, then ``state:modified+`` against ``passed`` with ``--defer``."""
    cancelled: str
    """``floe build -s slow_totals+`` interrupted (SIGINT) while ``slow_totals`` ran."""


@pytest.fixture(scope="session")
def failing_shop(shop_workspace: Callable[[str], Path]) -> FailingShop:
    manifest = shop_workspace("ui-failing")
    (manifest.parent / "shop" / "models" / "_crm.yml").write_text(EXTRA_DOCS, encoding="utf-8")
    with Floe.from_manifest(manifest) as floe:
        passed = floe.build().invocation_id
        failed = floe.build(vars={"fail_model": True}).invocation_id
        products = manifest.parent / "shop" / "models" / "marts" / "products.sql"
        products.write_text(products.read_text() + "\n-- changed in a pull request\n")
        slim_ci = floe.build(select=["state:modified+"], state=passed, defer=True).invocation_id
    cancelled = interrupted_build(manifest)
    return FailingShop(manifest.parent / "results", passed, failed, slim_ci, cancelled)


SLOW_MODEL = """\
-- Slow on purpose (a cross join of two large ranges): a build to interrupt.
select count(*) as pairs, sum(a.range * b.range) as total
from range(400000) as a, range(400000) as b
"""


def interrupted_build(manifest: Path) -> str:
    """Run ``floe build -s slow_totals+`` as a user would, in its own process, and send it
    SIGINT (Ctrl-C) once the slow model has started; the invocation id of that run."""
    marts = manifest.parent / "shop" / "models" / "marts"
    (marts / "slow_totals.sql").write_text(SLOW_MODEL, encoding="utf-8")
    (marts / "after_slow.sql").write_text("select pairs from {{ ref('slow_totals') }}\n")
    results = manifest.parent / "results" / "shop"
    before = set(results.iterdir())
    floe = Path(sys.executable).with_name("floe")
    process = subprocess.Popen(
        [str(floe), "build", "-s", "slow_totals+", "--manifest", str(manifest)],
        cwd=manifest.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, "floe build ended before the slow model started"
            assert time.monotonic() < deadline, "the slow model did not start in 240 s"
            logs = [folder / EVENTS_FILE for folder in set(results.iterdir()) - before]
            if any(
                log.is_file() and '"unique_id":"model.shop.slow_totals"' in log.read_text()
                for log in logs
            ):
                break
            time.sleep(0.2)
        time.sleep(1)  # inside DuckDB's query, not before it
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=120) == 130  # floe's exit code for an interrupted run
    finally:
        if process.poll() is None:
            process.kill()
    [run] = [folder.name for folder in set(results.iterdir()) - before]
    return run


@pytest.fixture
def failing_server(failing_shop: FailingShop) -> Iterator[UIServer]:
    workbench = Workbench(LocalArtifactStore(failing_shop.results), "shop")
    with UIServer(workbench, poll_seconds=0.05) as server:
        yield server


LARGE_MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
metadata: {name: large}
project: {dir: project, target: dev}
plugins: {dbt_runtime: {type: local}}
compute: {type: duckdb, config: {path: warehouse/large.duckdb, threads: 4}}
artifacts: {path: results}
"""
LARGE_RUN = "large-run"


@pytest.fixture(scope="session")
def large_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2,000-node run of a generated 1,000-model project: the manifest is real dbt's (from
    floe's plan); the node outcomes are scripted (running 2,000 nodes would take minutes)."""
    root = tmp_path_factory.mktemp("ui-large")
    project = generate_project(ProjectSpec(models=1000, layers=10, fan_in=2, tests_per_model=1),
                               root / "project")  # fmt: skip
    (root / "platform-manifest.yaml").write_text(LARGE_MANIFEST, encoding="utf-8")
    with Floe.from_manifest(root / "platform-manifest.yaml") as floe:
        plan = floe.plan()
    layer = {node.unique_id: 0 for node in plan.nodes}
    for node in plan.nodes:  # dependency order: parents first
        layer[node.unique_id] = 1 + max((layer[p] for p in node.depends_on), default=-1)
    shuffle = random.Random(7)
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    failing = {plan.nodes[len(plan.nodes) // 2].unique_id}
    results: list[NodeResult] = []
    blocked: set[str] = set()
    for node in plan.nodes:
        begins = start + timedelta(seconds=2 + 1.5 * layer[node.unique_id] + shuffle.random())
        skipped = any(parent in blocked for parent in node.depends_on)
        status = NodeStatus.SKIPPED if skipped else (
            NodeStatus.ERROR if node.unique_id in failing else NodeStatus.SUCCESS)  # fmt: skip
        if status is not NodeStatus.SUCCESS:
            blocked.add(node.unique_id)
        results.append(NodeResult(
            unique_id=node.unique_id, name=node.name, resource_type=node.resource_type,
            status=status, message="Database Error: scripted failure" if status is NodeStatus.ERROR
            else None,
            started_at=None if skipped else begins,
            completed_at=None if skipped else begins + timedelta(seconds=0.05 + shuffle.random()),
        ))  # fmt: skip
    store = ResultsStore(root / "results")
    store(RunStarted(invocation_id=LARGE_RUN, command=DBTCommand.BUILD, runtime="local",
                     project_name="floe_bench", project_dir=project, started_at=start))  # fmt: skip
    store(RunPlanned(invocation_id=LARGE_RUN, node_ids=plan.unique_ids))
    for result in results:
        for event in events_for_result(LARGE_RUN, result):
            store(event)
    store(RunFinished(invocation_id=LARGE_RUN, result=DBTRunResult(
        invocation_id=LARGE_RUN, command=DBTCommand.BUILD, runtime="local",
        status=RunStatus.FAILED, started_at=start, completed_at=start + timedelta(seconds=20),
        elapsed_seconds=20.0, nodes=tuple(results),
        manifest_path=project / "target" / "manifest.json")))  # fmt: skip
    store.close()
    return root / "results"


@pytest.fixture
def large_server(large_results: Path) -> Iterator[UIServer]:
    with UIServer(Workbench(LocalArtifactStore(large_results), "floe_bench")) as server:
        yield server
