"""dbt JSON log lines (real dbt 1.11 output, see fixtures/README.md) -> floe events."""

from __future__ import annotations

from pathlib import Path

from floe_dbt_subprocess import DbtJsonLogTranslator

from floe_core import NodeFinished, NodeSkipped, NodeStarted, NodeStatus, RunPlanned

FIXTURES = Path(__file__).parent / "fixtures"


def _translate(name: str, *extra_lines: str) -> tuple[DbtJsonLogTranslator, list[object]]:
    translator = DbtJsonLogTranslator("inv")
    lines = [*extra_lines, *(FIXTURES / name).read_text(encoding="utf-8").splitlines()]
    return translator, [event for line in lines for event in translator.translate(line)]


def test_node_lines_become_node_events_after_one_run_planned() -> None:
    translator, events = _translate("dbt-1.11-build-failures.jsonl", "plain adapter output")

    assert [type(e).__name__ for e in events] == [
        "RunPlanned",
        "NodeStarted",
        "NodeFinished",
        "NodeStarted",
        "NodeSkipped",
        "NodeStarted",
        "NodeFinished",
    ]
    planned = events[0]
    assert isinstance(planned, RunPlanned)
    assert planned.manifest_path is not None
    assert planned.manifest_path.name == "manifest.json"
    assert isinstance(events[1], NodeStarted)
    assert events[1].materialization == "table"
    assert all(e.invocation_id == "inv" for e in events)  # type: ignore[attr-defined]
    assert translator.error is None


def test_node_results_carry_status_message_failures_and_timing() -> None:
    translator, events = _translate("dbt-1.11-build-failures.jsonl")

    errored = translator.results["model.floe_contract.order_totals"]
    assert errored.status is NodeStatus.ERROR
    assert "contract_relation_that_does_not_exist" in (errored.message or "")
    assert [phase.name for phase in errored.timing] == ["compile", "execute"]
    assert errored.started_at is not None
    assert errored.started_at.tzinfo is not None
    assert errored.relation_name == '"wh"."main"."order_totals"'
    skipped = next(e for e in events if isinstance(e, NodeSkipped))
    assert skipped.result.unique_id == "model.floe_contract.order_report"
    failed = translator.results["test.floe_contract.customer_orders_have_orders"]
    assert (failed.status, failed.failures) == (NodeStatus.FAIL, 3)
    finished = [e for e in events if isinstance(e, NodeFinished)]
    assert [e.result for e in finished] == [errored, failed]


def test_dbt_error_is_kept_for_the_runtime_to_raise() -> None:
    translator, events = _translate("dbt-1.11-compile-error.jsonl")

    assert events == []
    assert translator.error is not None
    assert translator.error.startswith("Compilation Error in model order_report")
