"""The ``cloud`` runtime's configuration (``plugins.dbt_runtime.config`` in the manifest).

Example::

    plugins:
      dbt_runtime:
        type: cloud
        config:
          access_url: https://ab123.us1.dbt.com   # any region or account host
          account_id: 12345
          job_id: 678                              # or `jobs: {prod: 678, dev: 679}`
          token: ${env:DBT_CLOUD_TOKEN}            # a reference: never a literal secret
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from floe_core import PluginConfigError, SecretError

__all__ = ["CloudConfig", "RetryPolicy"]

_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


class RetryPolicy(BaseModel):
    """How failed HTTP requests are retried (429, 5xx, connection errors, timeouts).

    The delay before retry ``n`` (0-based) is ``Retry-After`` when the server sends one, else
    a random value in ``[0, min(backoff_max, backoff_base * 2**n)]`` ("full jitter").
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_base_seconds: float = Field(default=1.0, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    retry_after_max_seconds: float = Field(default=120.0, ge=0)
    """A ``Retry-After`` above this is capped, so a bad header cannot stall a run for hours."""


class CloudConfig(BaseModel):
    """Where the dbt Cloud account is and how patiently to talk to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_url: str = "https://cloud.getdbt.com"
    """Account access URL (``https://<prefix>.us1.dbt.com``, ``https://emea.dbt.com``, ...)."""
    account_id: int = Field(ge=1)
    job_id: int | None = Field(default=None, ge=1)
    """The job floe triggers; ``jobs`` can name one per dbt target instead."""
    jobs: dict[str, int] = Field(default_factory=dict)
    """dbt target name -> job id; the invocation's ``target`` picks one, else ``job_id``."""
    token: SecretStr
    """A service token, given as ``${env:NAME}`` (resolved only when the client is built)."""
    discovery_url: str | None = None
    """Discovery GraphQL endpoint; default ``metadata.<access host>/graphql``."""
    use_discovery: bool = True
    """Report per-node progress while the run goes (else nodes are reported at step end)."""
    poll_interval_seconds: float = Field(default=5.0, gt=0)
    timeout_seconds: float = Field(default=3600.0, gt=0)
    """Overall wait for a run; past it the run is cancelled in dbt Cloud."""
    http_timeout_seconds: float = Field(default=15.0, gt=0)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    retry_failed: bool = False
    """Re-run only what failed in the job's latest run (``floe run --retry-failed``)."""
    artifacts_dir: Path | None = None
    """Where downloaded artifacts go; default the invocation's target path."""

    @field_validator("access_url", "discovery_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL (e.g. https://ab123.us1.dbt.com)")
        return value.rstrip("/")

    @field_validator("token")
    @classmethod
    def _token_is_reference(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret.startswith("${") and _ENV_REF.fullmatch(secret) is None:
            raise ValueError("token must be a reference like ${env:DBT_CLOUD_TOKEN}")
        return value

    @model_validator(mode="after")
    def _some_job(self) -> CloudConfig:
        if self.job_id is None and not self.jobs:
            raise ValueError("set `job_id` (or `jobs`, one job id per dbt target)")
        return self

    @property
    def api_base_url(self) -> str:
        return f"{self.access_url}/api/v2/accounts/{self.account_id}/"

    @property
    def graphql_url(self) -> str:
        """``https://ab123.us1.dbt.com`` -> ``https://ab123.metadata.us1.dbt.com/graphql``."""
        if self.discovery_url is not None:
            return self.discovery_url
        parts = urlsplit(self.access_url)
        host = parts.hostname or ""
        prefix, dot, region = host.partition(".")
        if dot and re.fullmatch(r"[a-z]{2}\d", region.split(".")[0]):
            metadata_host = f"{prefix}.metadata.{region}"
        else:
            metadata_host = f"metadata.{host}"
        if parts.port is not None:
            metadata_host = f"{metadata_host}:{parts.port}"
        return urlunsplit((parts.scheme, metadata_host, "/graphql", "", ""))

    def job_for_target(self, target: str | None) -> int:
        """The job to trigger for dbt ``target``; raises :class:`PluginConfigError`."""
        if target is not None and target in self.jobs:
            return self.jobs[target]
        if self.job_id is not None:
            return self.job_id
        raise PluginConfigError(
            f"plugins.dbt_runtime.config.jobs has no job for target {target!r}",
            hint=f"add `{target}: <job id>` under `jobs`, or set `job_id` as the default job "
            f"(known targets: {', '.join(sorted(self.jobs))})",
        )

    def resolved_token(self) -> SecretStr:
        """The token with a ``${env:NAME}`` reference resolved; raises :class:`SecretError`."""
        secret = self.token.get_secret_value()
        match = _ENV_REF.fullmatch(secret)
        if match is None:
            return self.token
        value = os.environ.get(match.group(1))
        if not value:
            raise SecretError(
                f"plugins.dbt_runtime.config.token: environment variable {match.group(1)} "
                "is not set",
                hint=f"export {match.group(1)}=<dbt Cloud service token>",
            )
        return SecretStr(value)
