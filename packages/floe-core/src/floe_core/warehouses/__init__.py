"""The table of warehouse types: one :class:`Warehouse` descriptor per type.

A descriptor holds everything floe knows about a warehouse: the model of the manifest's
``compute.config``, the dbt profile output it generates, the OpenLineage dataset namespace
(by the OpenLineage naming spec), which driver errors are transient, a health probe and the
dbt adapter package it needs. Built in: bigquery, databricks, duckdb, postgres, redshift,
snowflake, trino; others register a :class:`Warehouse` subclass in entry point group
``floe.warehouses``. Types load lazily: listing them imports no type's module.

>>> warehouse("postgres").namespace({"type": "postgres", "host": "db", "port": 5432})
'postgres://db:5432'
>>> warehouse_target(manifest).namespace()  # from `compute` or the `profile` target
"""

from __future__ import annotations

from floe_core.warehouses._table import (
    BUILTIN_WAREHOUSES,
    ENTRY_POINT_GROUP,
    WarehouseTable,
    all_warehouses,
    find_warehouse,
    is_transient_error,
    warehouse,
    warehouse_names,
)
from floe_core.warehouses._target import (
    WarehouseTarget,
    compute_output,
    dataset_namespace,
    invocation_warehouse,
    namespace_by_target,
    warehouse_target,
)
from floe_core.warehouses._warehouse import SETTINGS_CONFIG, SecretRef, Warehouse

__all__ = [
    "BUILTIN_WAREHOUSES",
    "ENTRY_POINT_GROUP",
    "SETTINGS_CONFIG",
    "SecretRef",
    "Warehouse",
    "WarehouseTable",
    "WarehouseTarget",
    "all_warehouses",
    "compute_output",
    "dataset_namespace",
    "find_warehouse",
    "invocation_warehouse",
    "is_transient_error",
    "namespace_by_target",
    "warehouse",
    "warehouse_names",
    "warehouse_target",
]
