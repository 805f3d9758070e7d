"""Amazon Redshift (provisioned or serverless), through dbt-redshift (redshift_connector)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from floe_core.warehouses._postgres import SSLMode
from floe_core.warehouses._warehouse import SETTINGS_CONFIG, PathResolver, SecretRef, Warehouse

__all__ = ["RedshiftSettings", "RedshiftWarehouse"]

_AWS_SUFFIXES = (".redshift.amazonaws.com", ".redshift-serverless.amazonaws.com")


class RedshiftSettings(BaseModel):
    """An Amazon Redshift cluster or serverless workgroup (adapter dbt-redshift); lineage
    namespace ``redshift://{cluster}.{region}:{port}``."""

    model_config = SETTINGS_CONFIG

    host: str = Field(min_length=1)
    """The cluster's endpoint,
    e.g. ``examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com``."""
    port: int = Field(default=5439, ge=1, le=65535)
    user: str = Field(min_length=1)
    password: SecretRef | None = None
    """A ``${env:NAME}`` reference (``method: database``); absent with ``method: iam``."""
    dbname: str = Field(min_length=1)
    schema_: str = Field(default="public", alias="schema", min_length=1)
    threads: int = Field(default=4, ge=1)
    method: Literal["database", "iam"] = "database"
    cluster_id: str | None = None
    """The cluster identifier (IAM authentication); read from ``host`` when absent."""
    region: str | None = None
    """The AWS region (IAM authentication); read from ``host`` when absent."""
    iam_profile: str | None = None
    sslmode: SSLMode | None = None
    connect_timeout: int | None = Field(default=None, ge=1)


class RedshiftWarehouse(Warehouse[RedshiftSettings]):
    name: ClassVar[str] = "redshift"
    adapter_package: ClassVar[str] = "dbt-redshift"
    settings_model: ClassVar[type[BaseModel]] = RedshiftSettings
    default_port: ClassVar[int | None] = 5439
    transient_errors: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        {("redshift_connector", "OperationalError"), ("redshift_connector", "InterfaceError")}
    )

    def dbt_output(
        self, settings: RedshiftSettings, *, resolve_path: PathResolver
    ) -> dict[str, Any]:
        output = settings.model_dump(by_alias=True, exclude_none=True)
        return {"type": self.name, **output}

    def namespace(self, output: Mapping[str, Any]) -> str:
        """``redshift://{cluster_identifier}.{region_name}:{port}``: the cluster and region
        come from ``cluster_id``/``region`` or from an AWS endpoint host
        (``<cluster>.<id>.<region>.redshift[-serverless].amazonaws.com``); any other host
        (a proxy, a tunnel) stays as written."""
        host, port = self.endpoint(output) or ("localhost", self.default_port)
        labels = host.split(".")
        cluster = output.get("cluster_id") or output.get("serverless_work_group")
        region = output.get("region")
        if host.endswith(_AWS_SUFFIXES) and len(labels) >= 6:
            cluster, region = cluster or labels[0], region or labels[2]
        if cluster and region:
            return f"{self.name}://{cluster}.{region}:{port}"
        return self.host_port_namespace(output)
