"""The table of warehouse types: built-in ones, entry points, lazy loading, clear errors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from importlib.metadata import EntryPoint
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field
from structlog.testing import capture_logs

from floe_core import GeneratedProfile, ManifestError, PluginError, PluginNotFoundError
from floe_core.manifest import parse_manifest
from floe_core.profiles import profile_source_for
from floe_core.warehouses import (
    BUILTIN_WAREHOUSES,
    ENTRY_POINT_GROUP,
    SETTINGS_CONFIG,
    Warehouse,
    WarehouseTable,
    _table,
    warehouse,
    warehouse_target,
)


class ClickHouseSettings(BaseModel):
    model_config = SETTINGS_CONFIG

    host: str = Field(min_length=1)
    port: int = 8123


class ClickHouseWarehouse(Warehouse[ClickHouseSettings]):
    name: ClassVar[str] = "clickhouse"
    adapter_package: ClassVar[str] = "dbt-clickhouse"
    settings_model: ClassVar[type[BaseModel]] = ClickHouseSettings

    def dbt_output(self, settings: ClickHouseSettings, *, resolve_path: Any) -> dict[str, Any]:
        return {"type": self.name, "host": settings.host, "port": settings.port}

    def namespace(self, output: Mapping[str, Any]) -> str:
        return f"clickhouse://{output['host']}:{output['port']}"


def _point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_builtin_types_are_listed_without_importing_them() -> None:
    probe = (
        "import sys; from floe_core.warehouses import warehouse_names;"
        "print(','.join(warehouse_names()));"
        "print(','.join(m for m in sys.modules if m.startswith('floe_core.warehouses._')"
        " and m.rsplit('_', 1)[-1] in " + repr(tuple(BUILTIN_WAREHOUSES)) + "))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    names, imported = done.stdout.splitlines()
    assert names == "bigquery,databricks,duckdb,postgres,redshift,snowflake,trino"
    assert imported == ""


def test_every_builtin_type_loads_under_its_name() -> None:
    for name in BUILTIN_WAREHOUSES:
        described = warehouse(name)
        assert described.name == name
        assert described.adapter_package == f"dbt-{name}"


def test_an_entry_point_adds_a_type() -> None:
    table = WarehouseTable([_point("clickhouse", f"{__name__}:ClickHouseWarehouse")])
    assert "clickhouse" in table.names()
    described = table.get("clickhouse")
    assert isinstance(described, ClickHouseWarehouse)
    assert described.namespace({"host": "ch", "port": 8123}) == "clickhouse://ch:8123"


def test_an_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(PluginNotFoundError) as caught:
        WarehouseTable([]).get("oracle")
    assert "'oracle' is unknown (known types: bigquery, databricks, duckdb," in caught.value.message
    assert caught.value.hint is not None
    assert f"entry point group {ENTRY_POINT_GROUP}" in caught.value.hint


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([_point("clickhouse", "no_such_module:X")], "importing no_such_module:X failed"),
        ([_point("clickhouse", f"{__name__}:ClickHouseSettings")], "is not a floe_core"),
        (
            [
                _point("clickhouse", f"{__name__}:ClickHouseWarehouse"),
                _point("clickhouse", "other_package:ClickHouse"),
            ],
            "provided several times",
        ),
        ([_point("ch", f"{__name__}:ClickHouseWarehouse")], "declares name 'clickhouse'"),
    ],
)
def test_a_broken_registration_is_refused_with_its_reason(
    points: list[EntryPoint], message: str
) -> None:
    table = WarehouseTable(points)
    with pytest.raises(PluginError, match=message):
        table.get(points[0].name)


def test_a_builtin_name_is_reserved() -> None:
    table = WarehouseTable([_point("duckdb", f"{__name__}:ClickHouseWarehouse")])
    assert table.get("duckdb").adapter_package == "dbt-duckdb"  # without reading entry points
    with capture_logs() as logs:
        assert "duckdb" in table.names()
    [warning] = logs
    assert warning["log_level"] == "warning"
    assert (warning["type"], warning["entry_point"]) == (
        "duckdb",
        f"{__name__}:ClickHouseWarehouse",
    )


def test_a_registered_type_works_in_the_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        _table, "_TABLE", WarehouseTable([_point("clickhouse", f"{__name__}:ClickHouseWarehouse")])
    )
    manifest = parse_manifest(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\nplugins: {dbt_runtime: {type: local}}\n"
        "compute: {type: clickhouse, config: {host: ch.internal}}\n"
    )
    source = profile_source_for(manifest)
    assert isinstance(source, GeneratedProfile)
    assert source.outputs["dev"] == {"type": "clickhouse", "host": "ch.internal", "port": 8123}
    assert warehouse_target(manifest).namespace() == "clickhouse://ch.internal:8123"
    with pytest.raises(ManifestError, match=r"compute\.config\.hots: unknown key") as caught:
        parse_manifest(
            "apiVersion: floe.dev/v1\nkind: PlatformManifest\n"
            "plugins: {dbt_runtime: {type: local}}\n"
            "compute: {type: clickhouse, config: {hots: ch.internal}}\n"
        )
    assert "did you mean 'host'? allowed keys here: host, port" in caught.value.message
