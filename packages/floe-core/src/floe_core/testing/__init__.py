"""Test support for floe and runtime authors: real, throwaway PostgreSQL and S3 servers, and
a scripted runtime for tests of what surrounds a runtime (API, CLI, stores, registry).

The pytest fixtures live in :mod:`floe_core.testing.fixtures` (``pytest_plugins``), so
importing this package does not need pytest.
"""

from __future__ import annotations

from floe_core.testing._postgres import (
    PostgresServer,
    PostgresServerError,
    PostgresUnavailableError,
    find_postgres_bin,
)
from floe_core.testing._s3 import S3Server
from floe_core.testing._scripted import FAILING_MESSAGE, ScriptedConfig, ScriptedRuntime

__all__ = [
    "FAILING_MESSAGE",
    "PostgresServer",
    "PostgresServerError",
    "PostgresUnavailableError",
    "S3Server",
    "ScriptedConfig",
    "ScriptedRuntime",
    "find_postgres_bin",
]
