"""Where the benchmarked projects run: one warehouse per subject workspace.

Each subject gets its own DuckDB file or PostgreSQL schema, reset before every repetition, so
every timed ``run``/``build`` starts from an empty warehouse and subjects never share state.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DuckDBWarehouse", "PostgresWarehouse", "Warehouse"]


class Warehouse(ABC):
    """A warehouse kind; ``root`` is the workspace of one subject."""

    kind: str

    @abstractmethod
    def dbt_output(self, root: Path, threads: int) -> dict[str, Any]:
        """The ``outputs.<target>`` entry of a hand-written profiles.yml."""

    @abstractmethod
    def floe_compute(self, root: Path, threads: int) -> dict[str, Any]:
        """The ``compute`` section of a platform-manifest.yaml."""

    @abstractmethod
    def reset(self, root: Path) -> None:
        """Drop everything a previous repetition wrote."""

    def env(self) -> dict[str, str]:
        """Environment variables the profile or manifest references."""
        return {}


class DuckDBWarehouse(Warehouse):
    kind = "duckdb"

    @staticmethod
    def path(root: Path) -> Path:
        return root / "warehouse.duckdb"

    def dbt_output(self, root: Path, threads: int) -> dict[str, Any]:
        return {"type": "duckdb", "path": str(self.path(root)), "threads": threads}

    def floe_compute(self, root: Path, threads: int) -> dict[str, Any]:
        return {"type": "duckdb", "config": {"path": str(self.path(root)), "threads": threads}}

    def reset(self, root: Path) -> None:
        for leftover in (self.path(root), self.path(root).with_suffix(".duckdb.wal")):
            leftover.unlink(missing_ok=True)


_PASSWORD_ENV = "FLOE_BENCH_PG_PASSWORD"


@dataclass(frozen=True)
class PostgresWarehouse(Warehouse):
    """A running PostgreSQL server; each workspace uses the schema named after it."""

    host: str
    port: int
    user: str
    password: str
    dbname: str
    kind = "postgres"

    @staticmethod
    def schema(root: Path) -> str:
        return "bench_" + "".join(ch if ch.isalnum() else "_" for ch in root.name.lower())

    def _settings(self, root: Path, threads: int) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "dbname": self.dbname,
            "schema": self.schema(root),
            "threads": threads,
        }

    def dbt_output(self, root: Path, threads: int) -> dict[str, Any]:
        password = f"{{{{ env_var('{_PASSWORD_ENV}') }}}}"
        return {"type": "postgres", "password": password, **self._settings(root, threads)}

    def floe_compute(self, root: Path, threads: int) -> dict[str, Any]:
        password = f"${{env:{_PASSWORD_ENV}}}"
        return {
            "type": "postgres",
            "config": {"password": password, **self._settings(root, threads)},
        }

    def reset(self, root: Path) -> None:
        import psycopg2  # type: ignore[import-untyped]  # dbt-postgres's driver, no stubs

        connection = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.dbname,
        )
        try:
            connection.autocommit = True
            schema = self.schema(root)
            with connection.cursor() as cursor:
                # One `drop schema ... cascade` of thousands of tables takes more locks than
                # one transaction may hold (max_locks_per_transaction): drop them in batches.
                cursor.execute("select tablename from pg_tables where schemaname = %s", (schema,))
                tables = [f'"{schema}"."{name}"' for (name,) in cursor.fetchall()]
                for start in range(0, len(tables), 500):
                    batch = ", ".join(tables[start : start + 500])
                    cursor.execute(f"drop table if exists {batch} cascade")
                cursor.execute(f'drop schema if exists "{schema}" cascade')
        finally:
            connection.close()

    def env(self) -> dict[str, str]:
        return {_PASSWORD_ENV: self.password}
