"""Module attributes imported on first use (PEP 562), for sub-packages with heavy imports."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(
    package: str, sources: Mapping[str, str], *, extra: str | None = None
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``name`` from ``sources[name]`` when first asked.

    The value is cached in the package's namespace, so later lookups are plain attributes.
    With ``extra``, the sources need that floe-core extra: a missing one is reported as a
    :class:`~floe_core.MissingExtraError` naming it.
    """

    def __getattr__(name: str) -> Any:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if extra is None:
            value = getattr(importlib.import_module(module), name)
        else:
            from floe_core._extras import requires_extra

            with requires_extra(extra, f"{package}.{name}"):
                value = getattr(importlib.import_module(module), name)
        setattr(importlib.import_module(package), name, value)
        return value

    return __getattr__
