"""dbt selections for the lineage page, evaluated by floe's own plan of the manifest's runtime.

The runtime is built on the first selection, not at ``floe ui`` start: a workbench that is
only browsed never parses the project (or connects to a Temporal cluster).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from floe_core.api import Floe

__all__ = ["PlanSelector", "needs_state"]

_STATE_METHODS = re.compile(r"(?:^|[\s,+@])(?:state|result|source_status):")
STATE_REF = "latest"
"""What ``state:``/``result:``/``source_status:`` selections compare with on the lineage
page: the newest successful run of the project on its target (``--state latest``)."""


def needs_state(expression: str) -> bool:
    """Whether a selection compares with a state (``state:modified+``, ``result:error``)."""
    return _STATE_METHODS.search(expression) is not None


class PlanSelector:
    """``selector(expression)`` -> the unique ids ``floe build --select expression`` runs."""

    def __init__(self, manifest_path: Path | None) -> None:
        self.manifest_path = manifest_path
        self._floe: Floe | None = None
        self._lock = threading.Lock()

    def __call__(self, expression: str) -> tuple[str, ...]:
        with self._lock:  # one plan at a time: dbt's parser is not thread-safe
            if self._floe is None:
                from floe_core.api import Floe  # the runtime machinery, only once asked

                self._floe = Floe.from_manifest(self.manifest_path)
            if needs_state(expression):
                return self._floe.plan(select=[expression], state=STATE_REF).unique_ids
            return self._floe.plan(select=[expression]).unique_ids

    def close(self) -> None:
        with self._lock:
            if self._floe is not None:
                self._floe.close()
                self._floe = None
