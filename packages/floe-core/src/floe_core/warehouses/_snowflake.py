"""Snowflake, through dbt-snowflake (snowflake-connector-python)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from floe_core.warehouses._warehouse import SETTINGS_CONFIG, PathResolver, SecretRef, Warehouse

__all__ = ["SnowflakeSettings", "SnowflakeWarehouse", "snowflake_account_identifier"]

_HOST_SUFFIX = ".snowflakecomputing.com"


class SnowflakeSettings(BaseModel):
    """A Snowflake account (adapter dbt-snowflake); lineage namespace
    ``snowflake://{organization}-{account}``."""

    model_config = SETTINGS_CONFIG

    account: str = Field(min_length=1)
    """The account identifier, ``<organization>-<account>`` (or a legacy account locator)."""
    user: str = Field(min_length=1)
    password: SecretRef | None = None
    """A ``${env:NAME}`` reference; absent with key-pair or SSO authentication."""
    authenticator: str | None = None
    """``externalbrowser``, ``oauth``, ``username_password_mfa``... (dbt-snowflake's values)."""
    private_key_path: str | None = None
    private_key_passphrase: SecretRef | None = None
    role: str | None = None
    database: str = Field(min_length=1)
    warehouse: str | None = None
    schema_: str = Field(alias="schema", min_length=1)
    threads: int = Field(default=4, ge=1)
    query_tag: str | None = None
    client_session_keep_alive: bool = False
    connect_retries: int = Field(default=1, ge=0)
    connect_timeout: int | None = Field(default=None, ge=1)


def snowflake_account_identifier(account: str) -> str:
    """The account as the OpenLineage naming spec writes it.

    ``<organization>-<account>`` identifiers are kept (lower-cased); legacy locators become
    ``<locator>.<region>.<cloud>`` with the defaults Snowflake applies when parts are left
    out (region ``us-west-1``, cloud ``aws``), as OpenLineage's own integrations do.
    """
    account = account.strip().lower().removesuffix(_HOST_SUFFIX)
    parts = account.split(".")
    if len(parts) == 1 and ("-" in account or "_" in account):
        return account
    defaults = ["us-west-1", "aws"]  # region, cloud
    return ".".join([*parts, *defaults[len(parts) - 1 :]][:3])


class SnowflakeWarehouse(Warehouse[SnowflakeSettings]):
    name: ClassVar[str] = "snowflake"
    adapter_package: ClassVar[str] = "dbt-snowflake"
    settings_model: ClassVar[type[BaseModel]] = SnowflakeSettings
    transient_errors: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        ("snowflake", name)
        for name in (
            "OperationalError",
            "InterfaceError",
            "ServiceUnavailableError",
            "GatewayTimeoutError",
            "BadGatewayError",
            "InternalServerError",
            "RequestTimeoutError",
            "OtherHTTPRetryableError",
        )
    )
    transient_messages: ClassVar[tuple[str, ...]] = ("could not connect to snowflake backend",)

    def dbt_output(
        self, settings: SnowflakeSettings, *, resolve_path: PathResolver
    ) -> dict[str, Any]:
        output = settings.model_dump(by_alias=True, exclude_none=True)
        if settings.private_key_path is not None:
            output["private_key_path"] = str(resolve_path(settings.private_key_path))
        return {"type": self.name, **output}

    def namespace(self, output: Mapping[str, Any]) -> str:
        """``snowflake://{organization name}-{account name}``."""
        return f"{self.name}://{snowflake_account_identifier(str(output.get('account', '')))}"

    def endpoint(self, output: Mapping[str, Any]) -> tuple[str, int]:
        host = output.get("host") or f"{str(output.get('account', '')).lower()}{_HOST_SUFFIX}"
        return str(host), int(output.get("port") or 443)
