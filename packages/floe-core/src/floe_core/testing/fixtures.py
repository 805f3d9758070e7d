"""pytest fixtures for the whole repository (registered by the root ``conftest.py``).

``postgres_server`` starts one real PostgreSQL per test session (per xdist worker);
``postgres_database`` gives each test its own fresh database on it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from floe_core.testing._postgres import PostgresServer, find_postgres_bin

__all__ = ["postgres_database", "postgres_server"]

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A running PostgreSQL server, shared by the session; skipped only without binaries."""
    if find_postgres_bin() is None:
        pytest.skip(
            "PostgreSQL binaries (initdb, pg_ctl, pg_isready, psql) not found on PATH or in"
            " /usr/lib/postgresql/*/bin"
        )
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> str:
    """The name of a new, empty database on :func:`postgres_server`, for this test only."""
    return postgres_server.create_database(f"test_{next(_database_numbers)}")
