"""DuckDB: an embedded database file (or ``:memory:``), through dbt-duckdb."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from floe_core.warehouses._warehouse import (
    SETTINGS_CONFIG,
    PathResolver,
    SettingError,
    Warehouse,
)

__all__ = ["DuckDBSettings", "DuckDBWarehouse"]

_MEMORY = ":memory:"
_MOTHERDUCK = "md:"


class DuckDBSettings(BaseModel):
    """An embedded DuckDB database (adapter dbt-duckdb); lineage namespace
    ``duckdb://<absolute path>``."""

    model_config = SETTINGS_CONFIG

    path: str = Field(default=".floe/warehouse/warehouse.duckdb", min_length=1)
    """Database file, relative to the manifest's folder; ``:memory:`` for an in-memory one."""
    schema_: str = Field(default="main", alias="schema", min_length=1)
    threads: int = Field(default=4, ge=1)
    extensions: list[str] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)


def _is_file(path: str) -> bool:
    return path != _MEMORY and not path.startswith(_MOTHERDUCK)


class DuckDBWarehouse(Warehouse[DuckDBSettings]):
    name: ClassVar[str] = "duckdb"
    adapter_package: ClassVar[str] = "dbt-duckdb"
    settings_model: ClassVar[type[BaseModel]] = DuckDBSettings
    # duckdb's classes live in its private extension module ``_duckdb``.
    transient_errors: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        ("duckdb", name)
        for name in (
            "OperationalError",
            "IOException",
            "ConnectionException",
            "TransactionException",
            "OutOfMemoryException",
            "InterruptException",
        )
    )

    def dbt_output(self, settings: DuckDBSettings, *, resolve_path: PathResolver) -> dict[str, Any]:
        path = settings.path
        if _is_file(path) and resolve_path(path).is_dir():
            raise SettingError(
                "path",
                f"compute.config.path {resolve_path(path)} is a folder, not a DuckDB file",
                hint=f"name the database file, e.g. `path: {Path(path) / 'warehouse.duckdb'}`",
            )
        output: dict[str, Any] = {
            "type": self.name,
            "path": str(resolve_path(path)) if _is_file(path) else path,
            "schema": settings.schema_,
            "threads": settings.threads,
        }
        if settings.extensions:
            output["extensions"] = list(settings.extensions)
        if settings.settings:
            output["settings"] = dict(settings.settings)
        return output

    def namespace(self, output: Mapping[str, Any]) -> str:
        """``duckdb://<absolute database path>``; ``duckdb://:memory:`` in memory (dbt-duckdb's
        default when a profile names no path)."""
        path = str(output.get("path") or _MEMORY)
        if not _is_file(path):
            return f"duckdb://{path}"
        return f"duckdb://{Path(path).expanduser().resolve()}"

    def allows_several_writers(self, output: Mapping[str, Any]) -> bool:
        """A DuckDB file (or ``:memory:``) belongs to one process; MotherDuck is a service."""
        return str(output.get("path") or _MEMORY).startswith(_MOTHERDUCK)

    def prepare(self, output: Mapping[str, Any]) -> None:
        # DuckDB creates the database file, not its folder.
        path = output.get("path")
        if isinstance(path, str) and _is_file(path) and Path(path).is_absolute():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
