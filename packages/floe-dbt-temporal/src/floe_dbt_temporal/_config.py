"""``plugins.dbt_runtime.config`` of the temporal runtime, shared by the client and workers."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from floe_core.stores import ArtifactStore
from floe_dbt_temporal._models import ActivityTimeouts, HookRetries, Hooks, RetrySettings
from floe_dbt_temporal._object_store import open_object_store
from floe_dbt_temporal._worker_options import WorkerOptions

__all__ = [
    "MIN_HEARTBEAT_TIMEOUT",
    "ConnectionSettings",
    "StoreSettings",
    "TemporalRuntimeConfig",
    "default_work_dir",
]


MIN_HEARTBEAT_TIMEOUT = 1.5
"""Seconds: the heartbeat interval is max(0.5, timeout / 3); a node needs a few per timeout."""


def default_work_dir() -> Path:
    """``$XDG_CACHE_HOME/floe/temporal``: profiles, executor targets, git checkouts."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "floe" / "temporal"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


_ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_MAX_KEYWORD_BYTES = 1024
_SECRET_NAME = re.compile(r"PASSW|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL", re.IGNORECASE)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConnectionSettings(BaseModel):
    """How to reach the Temporal server. Environment variables fill what is not set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str = Field(
        default_factory=lambda: os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
    )
    namespace: str = Field(default_factory=lambda: os.environ.get("TEMPORAL_NAMESPACE", "default"))
    task_queue: str = Field(
        default_factory=lambda: os.environ.get("TEMPORAL_TASK_QUEUE", "floe-dbt"), min_length=1
    )
    tls: bool = False
    tls_ca_cert: Path | None = None
    tls_client_cert: Path | None = None
    tls_client_key: Path | None = None
    api_key_env: str | None = None
    """Name of the environment variable holding the API key (never the key itself)."""

    @field_validator("address")
    @classmethod
    def _host_and_port(cls, address: str) -> str:
        host, _, port = address.rpartition(":")
        if not host or any(c.isspace() for c in host) or not port.isdigit():
            raise ValueError(
                f"{address!r} is not host:port (e.g. localhost:7233 or temporal.internal:7233)"
            )
        if not 0 < int(port) < 65536:
            raise ValueError(f"port {port} of {address!r} is not between 1 and 65535")
        return address


def _location_text(value: object) -> object:
    # A folder given as a Path stays a folder; the field is a string so that a URL is never
    # read as a path (``Path("s3://b/x")`` is ``s3:/b/x``).
    return os.fspath(value) if isinstance(value, os.PathLike) else value


class StoreSettings(ConnectionSettings):
    """What the client and every worker must agree on: the object store
    (``artifact_store``) plans, manifests and node results live in, plus local dirs."""

    artifact_store: Annotated[str, BeforeValidator(_location_text)] = Field(
        default_factory=lambda: str(default_work_dir() / "artifacts"),
        validation_alias=AliasChoices("artifact_store", "artifact_dir"),
        min_length=1,
    )
    """Where manifests, plans and node results live: a folder (shared by every machine) or
    ``s3://bucket/prefix``, ``gs://...``, ``az://...`` so workers on different machines
    cooperate. ``artifact_dir`` is accepted as its former name."""
    artifact_options: dict[str, str | bool | int] = Field(default_factory=dict)
    """Object store settings (``endpoint``, ``region``, credentials as ``${env:NAME}``
    references, resolved by each process that opens the store, never sent to Temporal)."""
    work_dir: Path = Field(default_factory=default_work_dir)
    static_search_attributes: dict[str, str] = Field(default_factory=dict)
    """Keyword search attributes every run carries (``{Team: analytics}``); workers
    register them on the namespace like floe's own."""

    @field_validator("static_search_attributes")
    @classmethod
    def _attribute_names(cls, attributes: dict[str, str]) -> dict[str, str]:
        from floe_dbt_temporal._workflow import SEARCH_ATTRIBUTES

        for name, value in attributes.items():
            if not _ATTRIBUTE_NAME.fullmatch(name) or name.startswith("Temporal"):
                raise ValueError(
                    f"{name!r} is not a custom search attribute name: use letters, digits and"
                    " _, starting with a letter and not with 'Temporal'"
                )
            if name in {key.name for key in SEARCH_ATTRIBUTES}:
                raise ValueError(f"{name!r} is set by floe itself: choose another name")
            if len(value.encode()) > _MAX_KEYWORD_BYTES:
                raise ValueError(f"the value of {name} is over {_MAX_KEYWORD_BYTES} bytes")
        return attributes

    @field_validator("artifact_store", "work_dir")
    @classmethod
    def _against_the_manifest(cls, value: str | Path, info: ValidationInfo) -> str | Path:
        """A relative folder means the manifest's folder, on the client and the workers."""
        base_dir = (info.context or {}).get("base_dir")
        if base_dir is None or "://" in str(value) or Path(value).expanduser().is_absolute():
            return value
        resolved = Path(base_dir) / Path(value).expanduser()
        return str(resolved) if isinstance(value, str) else resolved

    def open_artifact_store(self) -> ArtifactStore:
        return open_object_store(self.artifact_store, self.artifact_options)


class TemporalRuntimeConfig(StoreSettings):
    """The runtime: where to start runs and how they are scheduled."""

    max_concurrency: int = Field(default=32, ge=1, le=1500)
    """Nodes of one run executing at once (also keeps pending activities under 2,000)."""
    node_batch_size: int = Field(default=8, ge=1, le=100)
    """Ready nodes one activity may execute, one after the other, when more nodes are ready
    than ``max_concurrency`` leaves room for (ADR 0030): fewer activities, less per-node cost
    on workers and on the Temporal server. 1: one activity per node."""
    warm_activities: int = Field(default=2, ge=0, le=8)
    """Small ``floe_warm`` activities started beside the plan: idle workers open the run's
    warm executor (parse the project) while one worker plans, instead of when their first
    nodes arrive. Best effort, never awaited; 0: none."""
    retry: RetrySettings = Field(default_factory=RetrySettings)
    non_retryable_errors: tuple[str, ...] = ()
    """Regular expressions: a node failure whose message matches one is not retried (e.g.
    ``SQL compilation error``), whatever ``retry`` says."""
    heartbeat_timeout_seconds: float = Field(default=30.0, gt=0)
    """Workers heartbeat every max(0.5 s, timeout / 3) and Temporal throttles heartbeats to
    0.8 x the timeout: below 1.5 s a healthy node would time out."""
    search_attributes: bool = True
    """Tag runs with DbtProject/DbtCommand/DbtTarget/DbtStatus (the server must know them)."""
    secret_env: tuple[str, ...] = ()
    """Environment variables every worker must have (e.g. the warehouse password)."""
    env: dict[str, str] = Field(default_factory=dict)
    """Environment variables dbt sees (``env_var()``) in this manifest's runs, on top of the
    worker's; each name must be in the worker's ``allowed_env``. Stored in the workflow
    history: never secrets (use ``env_from_worker``)."""
    env_from_worker: dict[str, str] = Field(default_factory=dict)
    """dbt variable -> name of the worker's environment variable holding its value: secrets
    per run (``{DBT_PASSWORD: ACME_DB_PASSWORD}``), resolved on the worker, only the names in
    history. Both names must be in the worker's ``allowed_env``."""
    pre_run: Hooks = ()
    """Child workflows run before planning, in order (one hook or a list)."""
    on_success: Hooks = ()
    on_failure: Hooks = ()
    hook_retry: HookRetries = Field(default_factory=HookRetries)
    """Retry policy of each hook phase."""
    worker: WorkerOptions = Field(default_factory=WorkerOptions)
    """Tuning, metrics and health of the workers (``floe worker --manifest``); each field
    can be overridden by ``FLOE_WORKER_<FIELD>`` in a worker's environment."""

    @field_validator("non_retryable_errors")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
        return patterns

    @field_validator("env")
    @classmethod
    def _no_secret_values(cls, env: dict[str, str]) -> dict[str, str]:
        for name in env:
            if not _ENV_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an environment variable name")
            if _SECRET_NAME.search(name):
                raise ValueError(
                    f"{name} looks like a secret and env values are stored in the workflow"
                    f" history: pass it by name, env_from_worker: {{{name}: WORKER_VARIABLE}}"
                )
        return env

    @field_validator("env_from_worker")
    @classmethod
    def _names_only(cls, refs: dict[str, str]) -> dict[str, str]:
        for name, source in refs.items():
            if not _ENV_NAME.fullmatch(name) or not _ENV_NAME.fullmatch(source):
                raise ValueError(
                    f"{name}: {source!r} must map a variable name to the name of the worker's"
                    " environment variable (a name, never a value)"
                )
        return refs

    @field_validator("heartbeat_timeout_seconds")
    @classmethod
    def _heartbeats_fit(cls, seconds: float) -> float:
        if seconds < MIN_HEARTBEAT_TIMEOUT:
            raise ValueError(
                f"{seconds:g} s is shorter than workers can heartbeat (every max(0.5 s,"
                f" timeout / 3)); use at least {MIN_HEARTBEAT_TIMEOUT:g}"
            )
        return seconds

    progress_interval_seconds: float = Field(default=0.5, gt=0)
    """How often the client polls the run for node events."""
    pickup_timeout_seconds: float = Field(default=180.0, gt=0)
    """How long a new run may wait for a worker while none polls the task queue; then it is
    terminated and the error says which worker to start."""
    execution_timeout_seconds: float = Field(default=86400.0, gt=0)
    """Temporal's execution timeout of the whole run (continue-as-new included): a run
    nobody serves is closed by the server instead of starting hours later."""
    reconnect_timeout_seconds: float = Field(default=300.0, gt=0)
    """How long the client retries through a Temporal outage before it detaches (the run
    goes on; ``floe runs attach ID`` follows it again)."""
    timeouts: ActivityTimeouts = Field(default_factory=ActivityTimeouts)
    """Start-to-close timeout of each kind of activity (plan, node, hook, store);
    ``node_timeout_seconds`` is accepted as the former name of ``timeouts.node_seconds``."""

    @model_validator(mode="before")
    @classmethod
    def _former_node_timeout(cls, data: Any) -> Any:
        if isinstance(data, dict) and "node_timeout_seconds" in data:
            data = dict(data)
            timeouts = dict(data.get("timeouts") or {})
            timeouts.setdefault("node_seconds", data.pop("node_timeout_seconds"))
            data["timeouts"] = timeouts
        return data

    @field_validator("timeouts")
    @classmethod
    def _within_the_run(cls, timeouts: ActivityTimeouts, info: ValidationInfo) -> ActivityTimeouts:
        """An activity timeout past the run's execution timeout could never fire."""
        limit = info.data.get("execution_timeout_seconds")
        for name, seconds in timeouts.model_dump().items():
            if limit is not None and seconds > limit:
                raise ValueError(
                    f"{name} ({seconds:g} s) is longer than execution_timeout_seconds"
                    f" ({limit:g} s), which ends the whole run first: lower it or raise"
                    " execution_timeout_seconds"
                )
        return timeouts
