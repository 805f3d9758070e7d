"""The workbench in a real headless Chromium (Debian's, driven by Playwright; no download).

Screenshots go to ``.ci/artifacts/ui/`` for CI to keep.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from floe_core import (
    DBTCommand,
    DBTRunResult,
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunStarted,
    RunStatus,
)
from floe_core.artifacts import ResultsStore
from floe_core.stores import LocalArtifactStore
from floe_core.ui import UIServer, Workbench

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / ".ci" / "artifacts" / "ui"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(tmp_path: Path) -> Iterator[playwright.Page]:
    """A page of a fresh Chromium profile; fails the test on any script error it shows."""
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    errors: list[str] = []
    with playwright.sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            yield page
        finally:
            context.close()
    assert not errors, errors


def wait_until(page: playwright.Page, expression: str, timeout: float = 15.0) -> None:
    """Poll ``expression`` in the page (wait_for_function would need the eval the page's
    Content-Security-Policy forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout}s: {expression}"
        time.sleep(0.05)


def screenshot(page: playwright.Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_runs_a_nodes_details_and_the_lineage_graph_render(
    page: playwright.Page, ui_server: UIServer, shop_run_id: str
) -> None:
    page.goto(f"{ui_server.url}/#/runs")
    row = page.locator(f'#runs tr.run[data-id="{shop_run_id}"]')
    playwright.expect(row).to_contain_text("success")
    playwright.expect(row).to_contain_text("46")
    row.click()

    playwright.expect(page.locator("#run-header")).to_contain_text("build on local")
    playwright.expect(page.locator("#gantt .gantt-row")).to_have_count(46)
    assert page.locator("#gantt .bar.critical").count() >= 3
    playwright.expect(page.locator("#setup-time")).to_contain_text("first node started")
    page.locator('#gantt .gantt-row[data-id="model.shop.orders"]').click()
    detail = page.locator("#node-detail")
    playwright.expect(detail).to_contain_text("model.shop.orders")
    playwright.expect(page.locator("#node-message")).to_have_text("OK")
    playwright.expect(page.locator("#compiled-sql")).to_contain_text("stg_payments")
    screenshot(page, "run.png")

    detail.get_by_text("model and lineage").click()
    playwright.expect(page.locator("#model-header")).to_contain_text("orders")
    playwright.expect(page.locator("#tests")).to_contain_text("unique_orders_order_id")
    wait_until(page, "window.floeGraph && window.floeGraph.nodes().length > 5")
    page.locator("#depth").fill("1")
    page.locator("#depth").dispatch_event("change")
    wait_until(page, "window.floeGraph.nodes().length === 5")
    names = page.evaluate("window.floeGraph.nodes().map(n => n.data('label')).sort()")
    assert names == ["customers", "daily_revenue", "orders", "stg_orders", "stg_payments"]
    screenshot(page, "lineage.png")

    page.locator("#nav-models").click()
    page.locator("#model-search").fill("stg_")
    page.locator("#model-search").press("Enter")
    playwright.expect(page.locator("#models tr.model")).to_have_count(4)
    playwright.expect(page.locator('#models tr[data-id="model.shop.stg_orders"]')).to_contain_text(
        "success"
    )
    page.locator("#nav-lineage").click()
    wait_until(page, "window.floeGraph && window.floeGraph.nodes().length === 14")


def test_a_running_run_updates_without_a_reload(page: playwright.Page, tmp_path: Path) -> None:
    """Events written by a real results store reach an open page through the event stream."""
    writer = ResultsStore(tmp_path / "results")
    started = datetime.now(UTC)
    node = NodeResult(
        unique_id="model.shop.orders",
        name="orders",
        resource_type="model",
        status=NodeStatus.SUCCESS,
        started_at=started,
        completed_at=datetime.now(UTC),
        message="OK",
    )
    skipped = NodeResult(
        unique_id="model.shop.customers",
        name="customers",
        resource_type="model",
        status=NodeStatus.SKIPPED,
    )
    writer(
        RunStarted(
            invocation_id="live-run",
            command=DBTCommand.BUILD,
            runtime="scripted",
            project_name="shop",
            project_dir=tmp_path,
            started_at=started,
        )
    )
    writer(
        NodeStarted(
            invocation_id="live-run",
            unique_id=node.unique_id,
            name=node.name,
            resource_type="model",
            started_at=started,
        )
    )
    workbench = Workbench(LocalArtifactStore(tmp_path / "results"), "shop")
    with UIServer(workbench, poll_seconds=0.05) as server:
        page.goto(f"{server.url}/#/runs/live-run")
        playwright.expect(page.locator("#run-header")).to_contain_text("running")
        playwright.expect(page.locator("#gantt .bar.status-running")).to_have_count(1)
        page.evaluate("window.notReloaded = true")

        writer(NodeFinished(invocation_id="live-run", result=node))
        playwright.expect(page.locator("#gantt .bar.status-success")).to_have_count(1)
        writer(NodeSkipped(invocation_id="live-run", result=skipped))
        playwright.expect(page.locator("#gantt .gantt-row.skipped")).to_have_count(1)
        result = DBTRunResult(
            invocation_id="live-run",
            command=DBTCommand.BUILD,
            runtime="scripted",
            status=RunStatus.SUCCESS,
            started_at=started,
            completed_at=datetime.now(UTC),
            elapsed_seconds=0.5,
            nodes=(node, skipped),
        )
        writer(RunFinished(invocation_id="live-run", result=result))
        playwright.expect(page.locator("#run-header")).to_contain_text("success")
        playwright.expect(page.locator("#gantt .bar.critical")).to_have_count(1)
        assert page.evaluate("window.notReloaded") is True
        screenshot(page, "live.png")
    writer.close()
