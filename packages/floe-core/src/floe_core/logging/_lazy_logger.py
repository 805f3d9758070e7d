"""A module-level logger that imports structlog at its first use, not with its module."""

from __future__ import annotations

from typing import Any

__all__ = ["lazy_logger"]


class _LazyLogger:
    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attribute: str) -> Any:
        if self._logger is None:
            import structlog

            self._logger = structlog.get_logger(self._name)
        return getattr(self._logger, attribute)


def lazy_logger(name: str) -> Any:
    """``structlog.get_logger(name)``, resolved at the first log call.

    For modules on paths that usually log nothing (``floe plan`` answered from its cache):
    structlog's import (~0.5 s without bytecode caches) and the logging configuration that
    comes with it happen only when something is logged.
    """
    return _LazyLogger(name)
