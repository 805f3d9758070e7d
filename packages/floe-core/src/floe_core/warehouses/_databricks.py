"""Databricks SQL warehouses and clusters, through dbt-databricks (databricks-sql-connector)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from floe_core.warehouses._warehouse import SETTINGS_CONFIG, PathResolver, SecretRef, Warehouse

__all__ = ["DatabricksSettings", "DatabricksWarehouse"]


def _bare_host(host: str) -> str:
    return host.removeprefix("https://").removeprefix("http://").rstrip("/")


class DatabricksSettings(BaseModel):
    """A Databricks SQL warehouse or cluster (adapter dbt-databricks); lineage namespace
    ``databricks://{host}``."""

    model_config = SETTINGS_CONFIG

    host: str = Field(min_length=1)
    """The workspace host, e.g. ``dbc-a1b2c3d4-e5f6.cloud.databricks.com``."""
    http_path: str = Field(min_length=1)
    """The SQL warehouse's or cluster's HTTP path, e.g. ``/sql/1.0/warehouses/abc123``."""
    token: SecretRef | None = None
    """A personal access token as ``${env:NAME}``; absent with ``auth_type: oauth``."""
    auth_type: str | None = None
    catalog: str | None = None
    """Unity Catalog catalog; absent: the workspace default (``hive_metastore``)."""
    schema_: str = Field(alias="schema", min_length=1)
    threads: int = Field(default=4, ge=1)
    connect_retries: int | None = Field(default=None, ge=0)
    connect_timeout: int | None = Field(default=None, ge=1)


class DatabricksWarehouse(Warehouse[DatabricksSettings]):
    name: ClassVar[str] = "databricks"
    adapter_package: ClassVar[str] = "dbt-databricks"
    settings_model: ClassVar[type[BaseModel]] = DatabricksSettings
    transient_errors: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        ("databricks", name)
        for name in ("OperationalError", "RequestError", "MaxRetryDurationError")
    )
    transient_messages: ClassVar[tuple[str, ...]] = (
        "temporarily_unavailable",
        "temporarily unavailable",
    )

    def dbt_output(
        self, settings: DatabricksSettings, *, resolve_path: PathResolver
    ) -> dict[str, Any]:
        output = settings.model_dump(by_alias=True, exclude_none=True)
        return {"type": self.name, **output, "host": _bare_host(settings.host)}

    def namespace(self, output: Mapping[str, Any]) -> str:
        """``databricks://{workspace host}``."""
        return f"{self.name}://{self.endpoint(output)[0]}"

    def endpoint(self, output: Mapping[str, Any]) -> tuple[str, int]:
        return _bare_host(str(output.get("host", ""))), 443
