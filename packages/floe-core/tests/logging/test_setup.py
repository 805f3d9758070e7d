from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from floe_core import NodeFinished, NodeResult, NodeStatus
from floe_core.logging import EventLogger, bind_invocation, bind_node, configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers, root.level = handlers, level


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_on_stderr_carry_the_invocation_and_node(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("json", "info")
    with bind_invocation("inv-1"), bind_node("model.shop.a"):
        structlog.get_logger("t").info("hello", rows=3)
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = _json_lines(captured.err)
    assert line["event"] == "hello"
    assert (line["invocation_id"], line["node"], line["level"], line["rows"]) == (
        "inv-1",
        "model.shop.a",
        "info",
        3,
    )


def test_secret_looking_keys_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "info")
    structlog.get_logger("t").info("connecting", password="hunter2", api_token="abc")
    err = capsys.readouterr().err
    assert "hunter2" not in err
    assert "abc" not in err
    assert _json_lines(err)[0]["password"] == "***"


def test_level_filters_and_console_format_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("console", "warning")
    log = structlog.get_logger("t")
    log.info("not shown")
    log.warning("shown", node="model.shop.a")
    err = capsys.readouterr().err
    assert "not shown" not in err
    assert "shown" in err
    assert "node=model.shop.a" in err
    assert not err.lstrip().startswith("{")


def test_standard_library_logs_share_the_format(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "info")
    with bind_invocation("inv-2"):
        logging.getLogger("openlineage.client").warning("transport slow")
    [line] = _json_lines(capsys.readouterr().err)
    assert (line["event"], line["invocation_id"], line["logger"]) == (
        "transport slow",
        "inv-2",
        "openlineage.client",
    )


def test_event_logger_logs_node_outcomes_with_the_node(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "info")
    logger = EventLogger(logging.INFO)
    for status in (NodeStatus.SUCCESS, NodeStatus.ERROR):
        result = NodeResult(
            unique_id="model.shop.a", name="a", resource_type="model", status=status
        )
        logger(NodeFinished(invocation_id="inv-3", result=result))
    lines = _json_lines(capsys.readouterr().err)
    assert [(line["node"], line["status"], line["level"]) for line in lines] == [
        ("model.shop.a", "success", "info"),
        ("model.shop.a", "error", "warning"),
    ]
    assert all(line["invocation_id"] == "inv-3" for line in lines)


def test_event_logger_at_debug_keeps_failures_out_of_an_info_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("json", "info")
    result = NodeResult(
        unique_id="model.shop.a", name="a", resource_type="model", status=NodeStatus.ERROR
    )
    EventLogger(logging.DEBUG)(NodeFinished(invocation_id="inv-4", result=result))
    assert capsys.readouterr().err == ""
