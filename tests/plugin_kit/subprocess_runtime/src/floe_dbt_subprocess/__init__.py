"""Example third-party floe runtime: runs the dbt CLI in a subprocess.

dbt is started with ``--log-format json``; each log line is translated into floe events as
it arrives (:class:`DbtJsonLogTranslator`), so progress, lineage and tracing work exactly as
with the built-in runtimes.
"""

from __future__ import annotations

from floe_dbt_subprocess._config import SubprocessRuntimeConfig
from floe_dbt_subprocess._runtime import SubprocessRuntime
from floe_dbt_subprocess._translator import DbtJsonLogTranslator

__all__ = ["DbtJsonLogTranslator", "SubprocessRuntime", "SubprocessRuntimeConfig"]
