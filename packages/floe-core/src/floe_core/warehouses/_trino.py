"""Trino (and Starburst), through dbt-trino (the trino client)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from floe_core.warehouses._warehouse import SETTINGS_CONFIG, PathResolver, SecretRef, Warehouse

__all__ = ["TrinoSettings", "TrinoWarehouse"]


class TrinoSettings(BaseModel):
    """A Trino or Starburst cluster (adapter dbt-trino); lineage namespace
    ``trino://{host}:{port}``."""

    model_config = SETTINGS_CONFIG

    method: Literal["none", "ldap", "jwt", "oauth", "oauth_console"] = "none"
    """Authentication: ``none``, ``ldap`` (user + ``password``), ``jwt`` (``jwt_token``),
    ``oauth``/``oauth_console`` (interactive)."""
    host: str = Field(min_length=1)
    port: int = Field(default=443, ge=1, le=65535)
    user: str = Field(min_length=1)
    password: SecretRef | None = None
    jwt_token: SecretRef | None = None
    database: str = Field(min_length=1)
    """The Trino catalog."""
    schema_: str = Field(alias="schema", min_length=1)
    http_scheme: Literal["http", "https"] = "https"
    threads: int = Field(default=4, ge=1)
    session_properties: dict[str, Any] = Field(default_factory=dict)


class TrinoWarehouse(Warehouse[TrinoSettings]):
    name: ClassVar[str] = "trino"
    adapter_package: ClassVar[str] = "dbt-trino"
    settings_model: ClassVar[type[BaseModel]] = TrinoSettings
    default_port: ClassVar[int | None] = 443
    transient_errors: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        ("trino", name)
        for name in ("TrinoConnectionError", "Http502Error", "Http503Error", "Http504Error")
    )
    # Trino's own error names for a cluster that is short of resources or restarting.
    transient_messages: ClassVar[tuple[str, ...]] = (
        "insufficient_resources",
        "server_shutting_down",
        "no_nodes_available",
    )

    def dbt_output(self, settings: TrinoSettings, *, resolve_path: PathResolver) -> dict[str, Any]:
        output = settings.model_dump(by_alias=True, exclude_none=True)
        if not settings.session_properties:
            del output["session_properties"]
        return {"type": self.name, **output}

    def namespace(self, output: Mapping[str, Any]) -> str:
        """``trino://{host}:{port}``."""
        return self.host_port_namespace(output)
