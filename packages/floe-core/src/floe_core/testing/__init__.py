"""Test support for floe and runtime authors: a real, throwaway PostgreSQL server.

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

__all__ = [
    "PostgresServer",
    "PostgresServerError",
    "PostgresUnavailableError",
    "find_postgres_bin",
]
