"""Google BigQuery, through dbt-bigquery (google-cloud-bigquery)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from floe_core.warehouses._warehouse import SETTINGS_CONFIG, PathResolver, Warehouse

__all__ = ["BigQuerySettings", "BigQueryWarehouse"]


class BigQuerySettings(BaseModel):
    """A Google BigQuery project (adapter dbt-bigquery); lineage namespace ``bigquery``."""

    model_config = SETTINGS_CONFIG

    method: Literal["oauth", "service-account"] = "oauth"
    """``oauth``: application default credentials (gcloud, workload identity);
    ``service-account``: the key file ``keyfile``."""
    project: str = Field(min_length=1)
    dataset: str = Field(min_length=1)
    keyfile: str | None = None
    """Service-account key file, relative to the manifest's folder (``method:
    service-account``); keep the file out of the repository."""
    location: str | None = None
    """Dataset location, e.g. ``EU`` or ``us-central1``."""
    threads: int = Field(default=4, ge=1)
    priority: Literal["interactive", "batch"] | None = None
    job_execution_timeout_seconds: int | None = Field(default=None, ge=1)
    job_retries: int | None = Field(default=None, ge=0)
    maximum_bytes_billed: int | None = Field(default=None, ge=1)


class BigQueryWarehouse(Warehouse[BigQuerySettings]):
    name: ClassVar[str] = "bigquery"
    adapter_package: ClassVar[str] = "dbt-bigquery"
    settings_model: ClassVar[type[BaseModel]] = BigQuerySettings
    # google-api-core's retryable HTTP statuses, auth transport failures, requests' network.
    transient_errors: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        {
            *(
                ("google", name)
                for name in (
                    "ServiceUnavailable",
                    "InternalServerError",
                    "TooManyRequests",
                    "BadGateway",
                    "GatewayTimeout",
                    "DeadlineExceeded",
                    "RetryError",
                    "TransportError",
                )
            ),
            ("requests", "ConnectionError"),
        }
    )
    transient_messages: ClassVar[tuple[str, ...]] = ("ratelimitexceeded", "backenderror")

    def dbt_output(
        self, settings: BigQuerySettings, *, resolve_path: PathResolver
    ) -> dict[str, Any]:
        output = settings.model_dump(exclude_none=True)
        if settings.keyfile is not None:
            output["keyfile"] = str(resolve_path(settings.keyfile))
        return {"type": self.name, **output}

    def namespace(self, output: Mapping[str, Any]) -> str:
        """``bigquery``: one global namespace; the project is part of each dataset's name."""
        return self.name

    def endpoint(self, output: Mapping[str, Any]) -> tuple[str, int]:
        return "bigquery.googleapis.com", 443
