"""``floe ui``: a read-only workbench over the artifact store (runs, models, lineage).

>>> workbench = Workbench(open_artifact_store(manifest), "shop")
>>> with UIServer(workbench) as server:      # 127.0.0.1, a free port
...     print(server.url)

The page and its JSON API (``/api/runs``, ``/api/runs/{id}``, ``/api/runs/{id}/events``,
``/api/runs/{id}/files/{name}``, ``/api/models``, ``/api/models/{id}``, ``/api/lineage``,
``/api/openapi.json``) are served by the standard library's HTTP server; the graph is drawn
by a vendored cytoscape.js with the dagre layout (ADR 0011, 0017).
"""

from __future__ import annotations

from floe_core.ui._selection import PlanSelector
from floe_core.ui._server import UIServer, is_loopback
from floe_core.ui._workbench import SelectionError, Selector, Workbench, is_run_id

__all__ = [
    "PlanSelector",
    "SelectionError",
    "Selector",
    "UIServer",
    "Workbench",
    "is_loopback",
    "is_run_id",
]
