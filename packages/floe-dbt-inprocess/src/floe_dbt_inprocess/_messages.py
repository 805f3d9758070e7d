"""What dbt would print on the console, kept for commands whose output is their messages
(``debug``, ``deps``, ``run-operation``)."""

from __future__ import annotations

import threading
from typing import Any

from dbt_common.events.base_types import EventMsg

__all__ = ["MessageCollector"]


class MessageCollector:
    """A dbt callback keeping the messages dbt would print on the console at info level."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.lines: list[str] = []

    def __call__(self, msg: EventMsg) -> None:
        info: Any = msg.info  # protobuf: mypy sees no fields
        if info.level in ("info", "warn", "error") and info.msg:
            with self._lock:
                self.lines.append(info.msg)

    @property
    def text(self) -> str | None:
        return "\n".join(self.lines) if self.lines else None
