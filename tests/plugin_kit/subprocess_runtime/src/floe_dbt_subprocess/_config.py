"""The runtime's configuration: ``plugins.dbt_runtime.config`` in platform-manifest.yaml."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from floe_core import PluginConfigError

__all__ = ["SubprocessRuntimeConfig"]


class SubprocessRuntimeConfig(BaseModel):
    """Where the dbt CLI is and how long a run may take."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dbt_executable: Path | None = None
    """The ``dbt`` program; default: the one next to this Python, else ``dbt`` on PATH."""
    timeout_seconds: float | None = Field(default=None, gt=0)
    """Kill dbt and raise ``RunCancelledError`` after this long; default: no limit."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for dbt (values may be ``${env:NAME}`` references)."""

    def resolve_executable(self) -> Path:
        """The ``dbt`` program to start; :class:`PluginConfigError` if there is none."""
        if self.dbt_executable is not None:
            candidate: Path | None = self.dbt_executable
        else:
            beside_python = Path(sys.executable).with_name("dbt")
            on_path = shutil.which("dbt")
            candidate = (
                beside_python if beside_python.is_file() else (Path(on_path) if on_path else None)
            )
        if candidate is None or not candidate.is_file():
            raise PluginConfigError(
                f"runtime 'subprocess': dbt executable {candidate or 'dbt'} not found",
                hint="install dbt-core in this environment or set"
                " plugins.dbt_runtime.config.dbt_executable",
            )
        return candidate
