"""An OpenLineage transport that keeps events in memory, for tests (like OpenTelemetry's
``InMemorySpanExporter``). Usable by dotted path too:
``transport: {type: floe_core.lineage.InMemoryTransport}``."""

from __future__ import annotations

import json
import threading
from typing import Any

from openlineage.client.event_v2 import RunEvent
from openlineage.client.serde import Serde
from openlineage.client.transport.transport import Config, Transport

__all__ = ["InMemoryTransport"]


class InMemoryTransport(Transport):
    kind = "floe_in_memory"
    config_class = Config

    def __init__(self, config: Config | None = None) -> None:
        self._lock = threading.Lock()
        self._events: list[RunEvent] = []

    def emit(self, event: Any) -> None:
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> list[RunEvent]:
        with self._lock:
            return list(self._events)

    def json_events(self) -> list[dict[str, Any]]:
        """The events as a receiver would get them (serialised, nulls dropped)."""
        return [json.loads(Serde.to_json(event)) for event in self.events]

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
