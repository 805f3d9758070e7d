"""The workbench in a real headless Chromium (Debian's, driven by Playwright; no download).

Screenshots go to ``.ci/artifacts/ui/`` for CI to keep.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from tests.ui.conftest import FailingShop

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = pytest.mark.slow
playwright.expect.set_options(timeout=15_000)  # the machine running CI may be loaded

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


@pytest.fixture(scope="session")
def browser() -> Iterator[playwright.Browser]:
    """One Chromium for the session (starting one costs seconds on a loaded machine)."""
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    driver = playwright.sync_playwright().start()
    try:
        launched = driver.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()
    finally:
        driver.stop()


@pytest.fixture
def page(browser: playwright.Browser) -> Iterator[playwright.Page]:
    """A page in a fresh browser context (its own storage and cache); fails the test on any
    script error it shows."""
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
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
    page.evaluate("window.scrollTo(0, 0)")  # sticky parts would be drawn mid-page
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_runs_a_nodes_details_and_the_lineage_graph_render(
    page: playwright.Page, ui_server: UIServer, shop_run_id: str
) -> None:
    page.goto(f"{ui_server.url}/#/runs")
    row = page.locator(f'#runs tr.run[data-id="{shop_run_id}"]')
    playwright.expect(row).to_contain_text("success")
    playwright.expect(row).to_contain_text("46")
    screenshot(page, "runs.png")
    row.click()

    playwright.expect(page.locator("#run-header")).to_contain_text("build on local")
    playwright.expect(page.locator("#gantt .gantt-row[data-id]")).to_have_count(46)
    playwright.expect(page.locator("#time-axis .tick").first).to_have_text("0.00s")
    assert page.locator("#gantt .bar.critical").count() >= 3
    playwright.expect(page.locator("#setup-time")).to_contain_text("first node started")
    page.locator('#gantt .gantt-row[data-id="model.shop.orders"]').click()
    detail = page.locator("#node-detail")
    playwright.expect(detail).to_contain_text("model.shop.orders")
    playwright.expect(page.locator("#node-message")).to_have_text("OK")
    playwright.expect(page.locator("#compiled-sql")).to_contain_text("stg_payments")
    screenshot(page, "run.png")

    detail.get_by_text("model page").click()
    playwright.expect(page.locator("#model-header")).to_contain_text("orders")
    playwright.expect(page.locator("#tests")).to_contain_text("unique_orders_order_id")
    playwright.expect(page.locator("#model-docs code")).to_have_text("fail_model")  # markdown
    wait_until(page, "window.floeGraph && window.floeGraph.nodes().length > 5")
    page.locator("#depth").fill("1")
    page.locator("#depth").dispatch_event("change")
    wait_until(page, "window.floeGraph.nodes().length === 5")
    names = page.evaluate("window.floeGraph.nodes().map(n => n.data('label')).sort()")
    assert names == ["customers", "daily_revenue", "orders", "stg_orders", "stg_payments"]
    screenshot(page, "lineage.png")

    page.goto(f"{ui_server.url}/#/models/model.shop.orders")
    # Column lineage: each column names the upstream columns it comes from; its name traces it.
    amount = page.locator('#columns tr[data-column="amount"]')
    playwright.expect(amount.locator(".column-origin")).to_have_text("stg_payments.amount_cents")
    page.locator('#columns tr[data-column="amount_cents"] .trace-link').click()
    playwright.expect(page.locator("#trace-note")).to_contain_text("Column amount_cents of orders")
    wait_until(page, "window.floeGraph && window.floeGraph.nodes('.traced').length === 5")
    traced = page.evaluate("window.floeGraph.nodes('.traced').map(n => n.id()).sort()")
    assert traced == ["model.shop.customers", "model.shop.daily_revenue", "model.shop.orders",
                      "model.shop.stg_payments", "seed.shop.raw_payments"]  # fmt: skip
    screenshot(page, "model-column-trace.png")
    amount.locator(".column-origin").click()  # the upstream column on its own model page
    playwright.expect(page.locator("#model-header")).to_contain_text("stg_payments")
    playwright.expect(page.locator("#columns tr.selected")).to_have_attribute(
        "data-column", "amount_cents"
    )

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


def on_first_screen(page: playwright.Page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900


def test_a_failed_run_shows_its_error_first_with_the_invocation_and_comparison(
    page: playwright.Page, failing_server: UIServer, failing_shop: FailingShop
) -> None:
    page.goto(f"{failing_server.url}/#/runs/{failing_shop.failed}")
    problem = page.locator('#problems .problem[data-id="model.shop.orders"]')
    playwright.expect(problem).to_contain_text("floe_fail_model_missing_table")
    assert on_first_screen(page, '#problems .problem[data-id="model.shop.orders"] .problem-message')
    playwright.expect(problem.locator(".log-lines")).to_contain_text("ERROR creating")
    playwright.expect(page.locator("#comparison")).to_contain_text("1 new failure(s): orders")
    facts = page.locator("#invocation-facts")
    playwright.expect(facts).to_contain_text('{"fail_model":true}')
    playwright.expect(facts).to_contain_text("1.11")
    playwright.expect(page.locator("#run-files")).to_contain_text("dbt.log")
    screenshot(page, "run-failed.png")

    page.locator("#filter-failed").click()
    playwright.expect(page.locator("#gantt .gantt-row[data-id]")).to_have_count(1)
    skipped = int(page.locator("#filter-skipped").inner_text().split()[1])  # "Skipped 13"
    assert skipped >= 3
    page.locator("#filter-skipped").click()
    rows = page.locator("#gantt .gantt-row[data-id]")
    playwright.expect(rows).to_have_count(skipped)
    assert all("skipped" in (row.get_attribute("class") or "") for row in rows.all())
    page.locator("#filter-slowest").click()
    playwright.expect(page.locator("#filter-slowest")).to_have_class(re.compile(r"\bactive\b"))
    times = [
        float(text.rstrip("s")) for text in page.locator("#gantt .gantt-time").all_inner_texts()
    ]
    assert times == sorted(times, reverse=True)
    long_name = "test.shop.relationships_orders_customer_id__customer_id__ref_stg_customers_"
    page.locator("#filter-all").click()
    page.locator(f'#gantt .gantt-row[data-id^="{long_name}"]').click()
    playwright.expect(page.locator("#node-detail")).to_contain_text(long_name)  # the full name
    screenshot(page, "run-node.png")


def test_a_slim_ci_run_shows_what_the_state_selected_and_what_was_deferred(
    page: playwright.Page, failing_server: UIServer, failing_shop: FailingShop
) -> None:
    page.goto(f"{failing_server.url}/#/runs/{failing_shop.slim_ci}")
    state = page.locator("#state")
    playwright.expect(state).to_contain_text(f"Compared with {failing_shop.passed} = run")
    playwright.expect(page.locator("#state-run")).to_have_attribute(
        "href", f"#/runs/{failing_shop.passed}"
    )
    selected = page.locator("#state-selected a.state-node")
    playwright.expect(selected).to_have_count(1)
    playwright.expect(selected).to_have_text("products")
    playwright.expect(page.locator("#state-selected")).to_contain_text("test(s)")
    deferred = page.locator("#state-deferred a.state-node")
    playwright.expect(deferred.first).to_be_visible()
    assert "stg_products" in deferred.all_inner_texts()
    playwright.expect(page.locator("#invocation-facts")).to_contain_text("(defer)")
    playwright.expect(page.locator("#gantt .gantt-row[data-id]")).to_have_count(
        1 + int(page.locator("#state-selected").inner_text().split(" and ")[1].split()[0])
    )
    screenshot(page, "run-slim-ci.png")


def test_a_really_interrupted_build_shows_the_cancelled_and_the_never_run_nodes(
    page: playwright.Page, failing_server: UIServer, failing_shop: FailingShop
) -> None:
    """``floe build`` sent SIGINT while DuckDB ran ``slow_totals``; ``after_slow`` waited."""
    page.goto(f"{failing_server.url}/#/runs/{failing_shop.cancelled}")
    playwright.expect(page.locator("#run-header")).to_contain_text("cancelled")
    slow = page.locator('#gantt .gantt-row[data-id="model.shop.slow_totals"]')
    playwright.expect(slow.locator(".dot")).to_have_class(re.compile(r"status-cancelled"))
    problem = page.locator('#problems .problem[data-id="model.shop.slow_totals"]')
    playwright.expect(problem.locator(".badge")).to_have_text("cancelled")
    assert on_first_screen(page, '#problems .problem[data-id="model.shop.slow_totals"]')
    never = page.locator('#gantt .gantt-row[data-id="model.shop.after_slow"]')
    playwright.expect(never).to_have_class(re.compile(r"\bskipped\b"))  # hatched: did not run
    playwright.expect(never.locator(".dot")).to_have_class(re.compile(r"status-not_run"))
    playwright.expect(page.locator("#run-header + p")).to_contain_text("1 cancelled")
    playwright.expect(page.locator("#run-header + p")).to_contain_text("1 not run")
    screenshot(page, "run-cancelled.png")
    never.click()
    playwright.expect(page.locator("#node-detail .badge")).to_have_text("not run")


def test_model_and_source_pages_render_docs_columns_tests_and_trends(
    page: playwright.Page, failing_server: UIServer
) -> None:
    page.goto(f"{failing_server.url}/#/models/model.shop.orders")
    playwright.expect(page.locator("#model-header")).to_contain_text("orders")
    playwright.expect(page.locator("#columns")).to_contain_text("order_id")
    unique = page.locator('#tests tr[data-id^="test.shop.unique_orders_order_id"]')
    playwright.expect(unique.locator(".pip")).to_have_count(2)  # its last two runs
    playwright.expect(page.locator("#duration-trend rect")).to_have_count(2)
    wait_until(page, "window.floeGraph && window.floeGraph.nodes().length > 3")
    screenshot(page, "model.png")

    page.goto(f"{failing_server.url}/#/models/source.shop.crm.raw_customers")
    table = page.locator("#model-docs table")  # markdown, not pipe text
    playwright.expect(table).to_contain_text("customer key")
    playwright.expect(page.locator("#freshness")).to_contain_text("No freshness check yet")
    wait_until(page, "window.floeGraph && window.floeGraph.nodes().length >= 2")
    screenshot(page, "source.png")
    page.goto(f"{failing_server.url}/#/models")
    playwright.expect(page.locator("#models")).to_contain_text("revenue_dashboard")
    screenshot(page, "models.png")


def test_lineage_is_laid_out_left_to_right_with_a_legend_and_a_selection_box(
    page: playwright.Page, ui_server: UIServer
) -> None:
    page.goto(f"{ui_server.url}/#/lineage")
    wait_until(page, "window.floeGraph && window.floeGraph.nodes().length === 14")
    # Layered left to right: every edge points rightwards.
    assert page.evaluate(
        "window.floeGraph.edges().every(e => e.source().position('x') < e.target().position('x'))"
    )
    playwright.expect(page.locator("#legend")).to_contain_text("snapshot")
    screenshot(page, "lineage.png")
    page.locator("#select").fill("+orders")
    page.locator("#select").press("Enter")
    wait_until(page, "window.floeGraph.nodes().length === 5", timeout=120)
    names = page.evaluate("window.floeGraph.nodes().map(n => n.data('label')).sort()")
    assert names == ["orders", "raw_orders", "raw_payments", "stg_orders", "stg_payments"]
    playwright.expect(page.locator("#select-note")).to_contain_text("floe's plan selects")
    screenshot(page, "lineage-select.png")


def test_a_1000_node_lineage_opens_with_readable_labels(
    page: playwright.Page, large_server: UIServer
) -> None:
    page.goto(f"{large_server.url}/#/lineage")
    wait_until(page, "window.floeGraph && window.floeGraph.nodes().length === 1000", timeout=60)
    shown = page.evaluate("""(() => {
        const graph = window.floeGraph, box = graph.extent();
        const inView = graph.nodes().filter(n => {
            const p = n.position();
            return p.x > box.x1 && p.x < box.x2 && p.y > box.y1 && p.y < box.y2;
        });
        return { count: inView.length,
                 px: Math.min(...inView.map(n => parseFloat(n.style('font-size')) * graph.zoom())),
                 labels: inView.filter(n => n.style('label')).length };
    })()""")
    assert shown["count"] >= 10, shown
    assert shown["labels"] == shown["count"]
    assert shown["px"] >= 11, shown
    screenshot(page, "lineage-1000.png")


def test_the_run_page_of_a_2000_node_run(page: playwright.Page, large_server: UIServer) -> None:
    """Measured, not asserted: the figures go to docs/benchmarks.md. The first opening
    includes the server reading the run's files once; later ones not. ``painted`` is the end
    of the frame after the rows were built (layout and paint included)."""
    figures = []
    for opening in ("first", "again", "again"):
        page.goto("about:blank")
        page.goto(f"{large_server.url}/#/runs/large-run")
        wait_until(page, "!!window.floeRunTimings && !!window.floeRowsDone")
        figure = page.evaluate("""(() => {
            const api = performance.getEntriesByType('resource')
              .find(entry => entry.name.endsWith('/api/runs/large-run'));
            return { ...window.floeRunTimings, rows_done: window.floeRowsDone,
                     server: api.responseStart - api.requestStart,
                     bytes: api.encodedBodySize,
                     elements: document.getElementsByTagName("*").length,
                     rows: document.querySelectorAll('#gantt .gantt-row[data-id]').length };
        })()""")
        figures.append({"opening": opening, **figure})
        assert figure["rows"] == 2000
        assert on_first_screen(page, "#problems .problem-message")
        playwright.expect(page.locator("#problems")).to_contain_text("scripted failure")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "run-2000.json").write_text(json.dumps(figures, indent=1) + "\n")
    text = "run page of a 2,000-node run: " + "; ".join(
        f"{f['opening']}: painted {f['painted'] / 1000:.2f} s after navigation (data in at"
        f" {f['fetched'] / 1000:.2f} s, server {f['server'] / 1000:.2f} s, all 2,000 rows at"
        f" {f['rows_done'] / 1000:.2f} s)"
        for f in figures
    )
    (SCREENSHOTS / "run-2000.txt").write_text(text + "\n")
    print(text)
    page.screenshot(path=str(SCREENSHOTS / "run-2000.png"))
