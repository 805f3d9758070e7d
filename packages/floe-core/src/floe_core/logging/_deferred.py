"""Logging configured when structlog is first imported, so commands that never log skip it.

Importing structlog costs about as much as the rest of ``floe plugins list`` together (it
loads rich's tracebacks, pygments and asyncio). Every floe module that logs imports
structlog first, so configuring it at that moment is early enough, and a command that never
reaches such a module (``floe plugins list``) never pays for it. Python has no post-import
hook (PEP 369 was withdrawn): a meta path finder sees structlog's import once, lets the
standard path finder find it, and configures logging right after the module has executed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from floe_core.logging._choices import LogFormat

__all__ = ["apply_pending_configuration", "configure_logging_when_used"]

_pending: list[tuple[LogFormat, str]] = []
"""The configuration to apply when structlog arrives (the latest call wins)."""


def configure_logging_when_used(log_format: LogFormat, level: str) -> None:
    """:func:`~floe_core.logging.configure_logging` now if structlog is loaded, else on its
    import."""
    if "structlog" in sys.modules:
        from floe_core.logging._setup import configure_logging

        configure_logging(log_format, level)
        return
    _pending[:] = [(log_format, level)]
    if not any(isinstance(finder, _StructlogFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _StructlogFinder())


class _StructlogFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "structlog":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _ConfiguringLoader(spec.loader)
        return spec


class _ConfiguringLoader(importlib.abc.Loader):
    """structlog's own loader, then the pending configuration."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self._loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        setup = sys.modules.get("floe_core.logging._setup")
        if setup is not None and not hasattr(setup, "configure_logging"):
            return  # _setup itself is importing structlog: it applies the configuration
        apply_pending_configuration()


def apply_pending_configuration() -> None:
    """The configuration asked for before structlog was imported, if any."""
    if _pending:
        pending = _pending.pop()  # first: importing _setup may apply it itself
        from floe_core.logging._setup import configure_logging

        configure_logging(*pending)
