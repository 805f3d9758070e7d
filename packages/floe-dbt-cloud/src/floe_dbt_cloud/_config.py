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

or name the job (resolved once per run; an ambiguous name is an error listing the matches)::

          job: {name: nightly, project_id: 3, environment_id: 7}
          jobs: {prod: {name: nightly}, dev: 679}

``run_overrides`` passes trigger overrides through to every run (``git_branch``,
``schema_override``, ``target_name_override``, ``threads_override``, ``steps_override``,
``generate_docs_override``, ``timeout_seconds_override``)::

          run_overrides: {git_branch: release, schema_override: ci_1234, threads_override: 8}
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from floe_core import PluginConfigError, SecretError

__all__ = ["CloudConfig", "JobByName", "RetryPolicy", "RunOverrides"]

_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


class RetryPolicy(BaseModel):
    """How failed HTTP requests are retried (408/425/429, 5xx, connection errors, timeouts).

    The delay before retry ``n`` (0-based) is ``Retry-After`` when the server sends one, else
    a random value in ``[0, min(backoff_max, backoff_base * 2**n)]`` ("full jitter").
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_base_seconds: float = Field(default=1.0, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    retry_after_max_seconds: float = Field(default=120.0, ge=0)
    """A ``Retry-After`` above this is capped, so a bad header cannot stall a run for hours."""


class JobByName(BaseModel):
    """A job named in the manifest instead of by id; ``project_id``/``environment_id`` narrow
    the search when several projects or environments have a job of that name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    project_id: int | None = Field(default=None, ge=1)
    environment_id: int | None = Field(default=None, ge=1)

    def describe(self) -> str:
        scope = [f"project {self.project_id}"] if self.project_id else []
        scope += [f"environment {self.environment_id}"] if self.environment_id else []
        return f"job named {self.name!r}" + (f" in {', '.join(scope)}" if scope else "")


JobId = Annotated[int, Field(ge=1)]
JobRef = JobId | JobByName
"""A job by id, or by name (and project/environment)."""


class RunOverrides(BaseModel):
    """Trigger fields sent with every run as given (dbt Cloud's own names and meanings).

    ``steps_override`` here lists dbt commands run *before* floe's own command in the same
    run (e.g. ``dbt source freshness``); floe's command stays last, so its artifacts are the
    run's result. ``threads_override``/``target_name_override`` yield to ``--threads`` and
    ``--target`` given on the command line.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    git_branch: str | None = Field(default=None, min_length=1)
    schema_override: str | None = Field(default=None, min_length=1)
    target_name_override: str | None = Field(default=None, min_length=1)
    threads_override: int | None = Field(default=None, ge=1, le=64)
    steps_override: tuple[str, ...] = ()
    generate_docs_override: bool | None = None
    timeout_seconds_override: int | None = Field(default=None, ge=0)

    @field_validator("steps_override")
    @classmethod
    def _dbt_commands(cls, steps: tuple[str, ...]) -> tuple[str, ...]:
        for step in steps:
            try:
                args = shlex.split(step)
            except ValueError as exc:
                raise ValueError(f"{step!r} cannot be split like a shell line: {exc}") from None
            if len(args) < 2 or args[0] != "dbt":
                raise ValueError(f"{step!r} is not a dbt command (e.g. 'dbt source freshness')")
        return steps


class CloudConfig(BaseModel):
    """Where the dbt Cloud account is and how patiently to talk to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access_url: str = "https://cloud.getdbt.com"
    """Account access URL (``https://<prefix>.us1.dbt.com``, ``https://emea.dbt.com``, ...)."""
    account_id: int = Field(ge=1)
    job_id: int | None = Field(default=None, ge=1)
    """The job floe triggers; ``jobs`` can name one per dbt target instead."""
    job: JobByName | None = None
    """The job by name, instead of ``job_id``."""
    jobs: dict[str, JobRef] = Field(default_factory=dict)
    """dbt target name -> job (id or name); the invocation's ``target`` picks one, else the
    default job (``job_id`` or ``job``)."""
    run_overrides: RunOverrides = Field(default_factory=RunOverrides)
    """Trigger overrides passed through to every run."""
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
        if self.job_id is not None and self.job is not None:
            raise ValueError("set either `job_id` or `job` (a job by name), not both")
        if self.job_id is None and self.job is None and not self.jobs:
            raise ValueError(
                "set `job_id` (or `job: {name: ...}`, or `jobs`, one job per dbt target)"
            )
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

    def job_for_target(self, target: str | None) -> JobRef:
        """The job to trigger for dbt ``target``; raises :class:`PluginConfigError`."""
        if target is not None and target in self.jobs:
            return self.jobs[target]
        default = self.job_id if self.job_id is not None else self.job
        if default is not None:
            return default
        raise PluginConfigError(
            f"plugins.dbt_runtime.config.jobs has no job for target {target!r}",
            hint=f"add `{target}: <job id>` under `jobs`, or set `job_id` as the default job "
            f"(known targets: {', '.join(sorted(self.jobs))})",
        )

    def config_field_of(self, job: JobRef) -> str:
        """Where ``job`` is configured, for error messages."""
        targets = [t for t, ref in self.jobs.items() if ref == job]
        where = f"jobs.{targets[0]}" if targets else ("job" if job == self.job else "job_id")
        return f"plugins.dbt_runtime.config.{where}"

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
