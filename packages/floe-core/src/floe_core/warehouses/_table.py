"""The table of warehouse types: built-in ones plus entry points in group ``floe.warehouses``.

Like the runtime registry, listing reads only names (package metadata for third-party
types); a type's module is imported when that one type is asked for.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Iterable
from typing import Any

from floe_core._errors import PluginError, PluginNotFoundError
from floe_core.logging._lazy_logger import lazy_logger
from floe_core.warehouses._warehouse import Warehouse, driver_of

__all__ = [
    "BUILTIN_WAREHOUSES",
    "ENTRY_POINT_GROUP",
    "WarehouseTable",
    "all_warehouses",
    "find_warehouse",
    "is_transient_error",
    "warehouse",
    "warehouse_names",
]

ENTRY_POINT_GROUP = "floe.warehouses"
BUILTIN_WAREHOUSES = {
    "bigquery": "floe_core.warehouses._bigquery:BigQueryWarehouse",
    "databricks": "floe_core.warehouses._databricks:DatabricksWarehouse",
    "duckdb": "floe_core.warehouses._duckdb:DuckDBWarehouse",
    "postgres": "floe_core.warehouses._postgres:PostgresWarehouse",
    "redshift": "floe_core.warehouses._redshift:RedshiftWarehouse",
    "snowflake": "floe_core.warehouses._snowflake:SnowflakeWarehouse",
    "trino": "floe_core.warehouses._trino:TrinoWarehouse",
}
"""Warehouse types floe-core ships: type -> ``module:Class``."""

_log = lazy_logger("floe.warehouses")

# dbt's own "could not connect" error, whatever the adapter.
_TRANSIENT_DBT_ERRORS = {("dbt", "FailedToConnectError")}


class WarehouseTable:
    """The warehouse types known here, by name (``compute.type``, dbt's adapter type).

    Built-in names are reserved: they resolve without reading any package metadata (scanning
    the installed distributions' entry points costs ~50 ms here), and an entry point using
    one is ignored with a warning. ``entry_points`` replaces the installed ones (tests pass
    hand-made ``importlib.metadata.EntryPoint`` objects instead of installing packages).
    """

    def __init__(self, entry_points: Iterable[importlib.metadata.EntryPoint] | None = None):
        self._given = None if entry_points is None else tuple(entry_points)
        self._sources: dict[str, list[str]] | None = None
        self._loaded: dict[str, Warehouse[Any]] = {}

    def names(self) -> list[str]:
        """Every known type, sorted, without importing any."""
        return sorted(self._known())

    def __contains__(self, name: object) -> bool:
        return name in BUILTIN_WAREHOUSES or name in self._known()

    def get(self, name: str) -> Warehouse[Any]:
        """The descriptor of type ``name``; :class:`PluginNotFoundError` naming the known
        types if there is none."""
        if name in self._loaded:
            return self._loaded[name]
        if name in BUILTIN_WAREHOUSES:
            self._loaded[name] = _instantiate(name, BUILTIN_WAREHOUSES[name])
            return self._loaded[name]
        sources = self._known().get(name)
        if not sources:
            raise PluginNotFoundError(
                f"warehouse type '{name}' is unknown (known types: {', '.join(self.names())})",
                hint=f"use one of them, or install the package registering '{name}' in entry"
                f" point group {ENTRY_POINT_GROUP}",
            )
        if len(set(sources)) > 1:
            raise PluginError(
                f"warehouse type '{name}' is provided several times: {', '.join(sources)}",
                hint="uninstall all but one of the packages providing it",
            )
        self._loaded[name] = _instantiate(name, sources[0])
        return self._loaded[name]

    def _known(self) -> dict[str, list[str]]:
        if self._sources is None:
            sources = {name: [target] for name, target in BUILTIN_WAREHOUSES.items()}
            points = (
                self._given
                if self._given is not None
                else importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
            )
            for point in points:
                if point.group != ENTRY_POINT_GROUP:
                    continue
                if point.name in BUILTIN_WAREHOUSES:
                    _log.warning(
                        "entry point ignored: the warehouse type is built into floe-core",
                        type=point.name,
                        entry_point=point.value,
                        hint=f"register it under another name in group {ENTRY_POINT_GROUP}",
                    )
                    continue
                sources.setdefault(point.name, []).append(point.value)
            self._sources = sources
        return self._sources


def _instantiate(name: str, target: str) -> Warehouse[Any]:
    module_name, _, attribute = target.partition(":")
    try:
        loaded = getattr(importlib.import_module(module_name), attribute)
    except Exception as exc:
        raise PluginError(
            f"warehouse type '{name}': importing {target} failed: {type(exc).__name__}: {exc}",
            hint="reinstall the package providing it, or check it matches this floe-core",
        ) from exc
    if not (isinstance(loaded, type) and issubclass(loaded, Warehouse)):
        raise PluginError(
            f"warehouse type '{name}': {target} is not a floe_core.warehouses.Warehouse subclass",
            hint="the entry point must name a class deriving from Warehouse",
        )
    if loaded.name != name:
        raise PluginError(
            f"warehouse type '{name}': {target} declares name {loaded.name!r}",
            hint="register the class under the entry point name equal to its `name`",
        )
    return loaded()


_TABLE = WarehouseTable()


def warehouse(name: str) -> Warehouse[Any]:
    """The installed descriptor of warehouse type ``name``."""
    return _TABLE.get(name)


def find_warehouse(name: str) -> Warehouse[Any] | None:
    """The descriptor of type ``name``, or ``None`` if no installed package provides it."""
    return _TABLE.get(name) if name in _TABLE else None


def all_warehouses() -> list[Warehouse[Any]]:
    """Every installed warehouse type's descriptor, sorted by name; a type that fails to
    load is left out (it fails with its reason where it is used by name)."""
    loaded = []
    for name in _TABLE.names():
        try:
            loaded.append(_TABLE.get(name))
        except PluginError:
            continue
    return loaded


def warehouse_names() -> list[str]:
    """Every installed warehouse type, sorted."""
    return _TABLE.names()


def is_transient_error(exc: BaseException) -> bool:
    """Whether ``exc`` (one exception, not its cause chain) says the connection or the
    warehouse failed rather than the statement, by any known type's rules."""
    if driver_of(exc) & _TRANSIENT_DBT_ERRORS:
        return True
    return any(described.is_transient(exc) for described in all_warehouses())
