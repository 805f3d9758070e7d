"""The log formats and levels floe accepts (``--log-format``, ``--log-level``).

Apart from :mod:`floe_core.logging._setup` so that the CLI can declare its options without
importing structlog (``floe --help`` stays light).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["LOG_FORMATS", "LOG_LEVELS", "LogFormat"]

LogFormat = Literal["console", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("console", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
