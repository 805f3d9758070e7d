"""pytest fixtures for the whole repository (registered by the root ``conftest.py``).

``postgres_server`` starts one real PostgreSQL per test session (per xdist worker);
``postgres_database`` gives each test its own fresh database on it; ``s3_server`` starts one
S3-compatible server (moto) on loopback.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from floe_core.testing._postgres import PostgresServer, find_postgres_bin
from floe_core.testing._s3 import S3Server

__all__ = ["postgres_database", "postgres_server", "s3_server"]

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


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """An S3-compatible HTTP server on loopback, shared by the session (buckets per user)."""
    with S3Server() as server:
        yield server
