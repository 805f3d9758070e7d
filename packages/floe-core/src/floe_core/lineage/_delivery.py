"""Lineage translated and delivered by a child process (``observability.lineage.delivery``).

Building an OpenLineage event, serialising it and POSTing it costs about 0.4 ms of CPU per
event (1.5 ms before ADR 0028's pooled transport); in the run's process that CPU competes with
dbt's threads for the GIL. With ``delivery: process`` the observer's thread
only writes each floe event as a JSON line (about 50 us) to a child process
(``python -m floe_core.lineage._delivery``) that translates and emits them exactly as the
in-process observer does, with the same client configuration, naming and failure rules.

Protocol on the child's stdin: one line of settings, then one line per floe event
``{"e": event, "t": [trace id, span id] | null, "x": extra run facets, "ns": dataset
namespace | null}`` (what only the run's process knows: span ids, plugins' facets, the
namespace of the invocation's target). At end of input the child prints
``{"emitted": n, "dropped": m}`` on stdout and exits once delivered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

import structlog

__all__ = ["DeliveryProcess"]

_log = structlog.get_logger("floe.lineage")
_STARTUP_GRACE = 30.0
"""Seconds from its start the child gets to be delivering, whatever the flush timeout."""


class DeliveryProcess:
    """The parent's end: start the child, feed it lines, wait for its counts."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "floe_core.lineage._delivery"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=os.environ.copy(),
        )
        self._started = time.monotonic()
        self.send([json.dumps(dict(settings)).encode() + b"\n"])

    def send(self, lines: list[bytes]) -> None:
        """Raises ``OSError`` when the child is gone."""
        stdin = self._process.stdin
        assert stdin is not None
        stdin.write(b"".join(lines))
        stdin.flush()

    def finish(self, timeout: float) -> tuple[int, int] | None:
        """End of input; ``(emitted, dropped)``, or ``None`` when the child did not finish
        within ``timeout`` (it is then killed) or died. A run shorter than the child's start
        (about a second of imports, more on a loaded machine) waits for it up to
        ``_STARTUP_GRACE`` seconds after it was started."""
        age = time.monotonic() - self._started
        timeout = max(timeout, _STARTUP_GRACE - age)
        try:
            out, _ = self._process.communicate(timeout=timeout)  # closes stdin first
        except (OSError, ValueError):  # the child is gone
            self.kill()
            return None
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            return None
        try:
            counts = json.loads(out.splitlines()[-1])
            return int(counts["emitted"]), int(counts["dropped"])
        except (IndexError, ValueError, KeyError, TypeError):
            return None

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()


def main() -> None:  # pragma: no cover - runs in the child (tests drive it end to end)
    """The child: translate and emit every event line, then print the counts."""
    import logging

    from pydantic import TypeAdapter

    from floe_core._events import FloeEvent
    from floe_core.lineage._client import lineage_client
    from floe_core.lineage._observer import LineageObserver, build_translator

    # stdout carries the counts: logs go to stderr, as the run's own do.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    settings = json.loads(sys.stdin.buffer.readline())
    client = lineage_client(settings.get("transport"))
    translator = build_translator(
        settings["naming"],
        job_namespace=settings["job_namespace"],
        dataset_namespace=settings["dataset_namespace"],
    )
    current: dict[str, Any] = {"trace": None, "extra": {}}
    observer = LineageObserver(
        client,
        translator,
        span_ids=lambda _invocation, _unique_id: current["trace"],
        extra_run_facets=lambda _event: current["extra"],
    )
    events: TypeAdapter[FloeEvent] = TypeAdapter(FloeEvent)
    for line in sys.stdin.buffer:
        message = json.loads(line)
        current["trace"] = tuple(message["t"]) if message.get("t") else None
        current["extra"] = message.get("x") or {}
        if message.get("ns"):
            translator.dataset_namespace = message["ns"]
        observer.handle(events.validate_python(message["e"]))
    sys.stdout.write(json.dumps({"emitted": observer.emitted, "dropped": observer.dropped}))
    sys.stdout.write("\n")
    sys.stdout.flush()
    client.close(timeout=float(settings["flush_timeout"]))


if __name__ == "__main__":
    main()
