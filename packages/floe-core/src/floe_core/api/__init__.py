"""The Python API: the same operations as the ``floe`` CLI.

>>> from floe_core.api import Floe
>>> with Floe.from_manifest("platform-manifest.yaml") as floe:
...     plan = floe.plan(select=["orders+"])
...     result = floe.build(select=["orders+"], fail_fast=True)
"""

from __future__ import annotations

from floe_core.api._dbt_project import load_or_assume_manifest
from floe_core.api._floe import Floe
from floe_core.api._options import InvocationOptions, split_selectors
from floe_core.api._setup import RuntimeInfo, init_manifest, list_runtimes
from floe_core.api._validate import Check, ValidationReport, validate

__all__ = [
    "Check",
    "Floe",
    "InvocationOptions",
    "RuntimeInfo",
    "ValidationReport",
    "init_manifest",
    "list_runtimes",
    "load_or_assume_manifest",
    "split_selectors",
    "validate",
]
