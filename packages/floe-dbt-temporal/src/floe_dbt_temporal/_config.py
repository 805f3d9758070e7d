"""``plugins.dbt_runtime.config`` of the temporal runtime, shared by the client and workers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

from floe_core.stores import ArtifactStore
from floe_dbt_temporal._models import HookSpec, RetrySettings
from floe_dbt_temporal._object_store import open_object_store

__all__ = [
    "ConnectionSettings",
    "StoreSettings",
    "TemporalRuntimeConfig",
    "default_work_dir",
]


def default_work_dir() -> Path:
    """``$XDG_CACHE_HOME/floe/temporal``: profiles, executor targets, git checkouts."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "floe" / "temporal"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


class ConnectionSettings(BaseModel):
    """How to reach the Temporal server. Environment variables fill what is not set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str = Field(
        default_factory=lambda: os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
    )
    namespace: str = Field(default_factory=lambda: os.environ.get("TEMPORAL_NAMESPACE", "default"))
    task_queue: str = Field(
        default_factory=lambda: os.environ.get("TEMPORAL_TASK_QUEUE", "floe-dbt")
    )
    tls: bool = False
    tls_ca_cert: Path | None = None
    tls_client_cert: Path | None = None
    tls_client_key: Path | None = None
    api_key_env: str | None = None
    """Name of the environment variable holding the API key (never the key itself)."""


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

    def open_artifact_store(self) -> ArtifactStore:
        return open_object_store(self.artifact_store, self.artifact_options)


class TemporalRuntimeConfig(StoreSettings):
    """The runtime: where to start runs and how they are scheduled."""

    max_concurrency: int = Field(default=32, ge=1, le=1500)
    """Nodes of one run executing at once (also keeps pending activities under 2,000)."""
    retry: RetrySettings = Field(default_factory=RetrySettings)
    node_timeout_seconds: float = Field(default=3600.0, gt=0)
    heartbeat_timeout_seconds: float = Field(default=30.0, gt=0)
    search_attributes: bool = True
    """Tag runs with DbtProject/DbtCommand/DbtTarget/DbtStatus (the server must know them)."""
    secret_env: tuple[str, ...] = ()
    """Environment variables every worker must have (e.g. the warehouse password)."""
    pre_run: HookSpec | None = None
    on_success: HookSpec | None = None
    on_failure: HookSpec | None = None
    progress_interval_seconds: float = Field(default=0.5, gt=0)
    """How often the client polls the run for node events."""
