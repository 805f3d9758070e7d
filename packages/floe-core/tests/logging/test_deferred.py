"""The CLI's logging configuration reaches structlog when structlog is imported later."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import logging, sys
    from floe_core.cli import main

    sys.argv = ["floe", "--log-format", "json", "plugins", "list", "--log-level", "warning"]
    try:
        main()
    except SystemExit:
        pass
    assert "structlog" not in sys.modules, "plugins list should not have needed structlog"

    import structlog  # as the first floe module that logs would

    structlog.get_logger("floe.test").info("dropped: below --log-level")
    structlog.get_logger("floe.test").warning("late line", api_token="t0ps3cret")
    logging.getLogger("third.party").error("stdlib line")
    """
)


def test_a_late_structlog_import_gets_the_command_lines_configuration() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(line["event"], line["level"]) for line in lines] == [
        ("late line", "warning"),
        ("stdlib line", "error"),
    ]
    assert lines[0]["api_token"] == "***"
    assert lines[1]["logger"] == "third.party"
    assert "late line" not in done.stdout
