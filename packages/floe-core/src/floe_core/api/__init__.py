"""The Python API: the same operations as the ``floe`` CLI.

>>> from floe_core.api import Floe
>>> with Floe.from_manifest("platform-manifest.yaml") as floe:
...     plan = floe.plan(select=["orders+"])
...     result = floe.build(select=["orders+"], fail_fast=True)

Names load on first use, so ``floe plugins list`` or ``floe validate`` does not import what
only a run needs (results store, observers, profiles).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe_core._lazy import lazy_getattr

if TYPE_CHECKING:
    from floe_core.api._dbt_project import load_or_assume_manifest
    from floe_core.api._floe import Floe
    from floe_core.api._options import InvocationOptions
    from floe_core.api._setup import RuntimeInfo, init_manifest, list_runtimes
    from floe_core.api._validate import Check, ValidationReport, validate

_LAZY = {
    "load_or_assume_manifest": "floe_core.api._dbt_project",
    "Floe": "floe_core.api._floe",
    "InvocationOptions": "floe_core.api._options",
    "RuntimeInfo": "floe_core.api._setup",
    "init_manifest": "floe_core.api._setup",
    "list_runtimes": "floe_core.api._setup",
    "Check": "floe_core.api._validate",
    "ValidationReport": "floe_core.api._validate",
    "validate": "floe_core.api._validate",
}

__all__ = [
    "Check",
    "Floe",
    "InvocationOptions",
    "RuntimeInfo",
    "ValidationReport",
    "init_manifest",
    "list_runtimes",
    "load_or_assume_manifest",
    "validate",
]


__getattr__ = lazy_getattr(__name__, _LAZY)
