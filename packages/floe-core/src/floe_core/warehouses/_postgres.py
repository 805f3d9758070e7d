"""PostgreSQL, through dbt-postgres (psycopg2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from floe_core.warehouses._warehouse import SETTINGS_CONFIG, PathResolver, SecretRef, Warehouse

__all__ = ["PostgresSettings", "PostgresWarehouse", "SSLMode"]

SSLMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

# SQLSTATE classes of a connection or server state: connection exception, transaction
# rollback (serialization failure, deadlock), insufficient resources, operator
# intervention (e.g. admin shutdown), system error.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58")


class PostgresSettings(BaseModel):
    """A PostgreSQL server (adapter dbt-postgres); lineage namespace ``postgres://{host}:{port}``."""

    model_config = SETTINGS_CONFIG

    host: str = Field(min_length=1)
    port: int = Field(default=5432, ge=1, le=65535)
    user: str = Field(min_length=1)
    password: SecretRef | None = None
    """A ``${env:NAME}`` reference, never the password itself; absent for trust/.pgpass."""
    dbname: str = Field(min_length=1)
    schema_: str = Field(default="public", alias="schema", min_length=1)
    threads: int = Field(default=4, ge=1)
    sslmode: SSLMode | None = None
    connect_timeout: int = Field(default=10, ge=1)


class PostgresWarehouse(Warehouse[PostgresSettings]):
    name: ClassVar[str] = "postgres"
    adapter_package: ClassVar[str] = "dbt-postgres"
    settings_model: ClassVar[type[BaseModel]] = PostgresSettings
    default_port: ClassVar[int | None] = 5432
    transient_errors: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        {("psycopg2", "OperationalError"), ("psycopg2", "InterfaceError")}
    )

    def dbt_output(
        self, settings: PostgresSettings, *, resolve_path: PathResolver
    ) -> dict[str, Any]:
        output: dict[str, Any] = {
            "type": self.name,
            "host": settings.host,
            "port": settings.port,
            "user": settings.user,
            # dbt-postgres requires the key; empty lets libpq fall back to PGPASSWORD/.pgpass.
            "password": settings.password or "",
            "dbname": settings.dbname,
            "schema": settings.schema_,
            "threads": settings.threads,
            "connect_timeout": settings.connect_timeout,
        }
        if settings.sslmode is not None:
            output["sslmode"] = settings.sslmode
        return output

    def namespace(self, output: Mapping[str, Any]) -> str:
        """``postgres://{host}:{port}``."""
        return self.host_port_namespace(output)

    def is_transient(self, exc: BaseException) -> bool:
        sqlstate = getattr(exc, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES:
            return True
        return super().is_transient(exc)
