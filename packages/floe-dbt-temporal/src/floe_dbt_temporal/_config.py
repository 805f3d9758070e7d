"""``plugins.dbt_runtime.config`` of the temporal runtime, shared by the client and workers."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from floe_dbt_temporal._models import HookSpec, RetrySettings

__all__ = ["ConnectionSettings", "TemporalRuntimeConfig", "default_work_dir"]


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


class TemporalRuntimeConfig(ConnectionSettings):
    """The runtime: where to start runs and how they are scheduled."""

    artifact_dir: Path = Field(default_factory=lambda: default_work_dir() / "artifacts")
    """Artifact store shared by the client and every worker (manifests, results)."""
    work_dir: Path = Field(default_factory=default_work_dir)
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
