"""``plugins.dbt_runtime.config`` of the local runtime."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)

from floe_dbt_inprocess import LogLevel

__all__ = ["LocalRuntimeConfig", "default_cache_dir"]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/floe`` (``~/.cache/floe``): where generated profiles are written."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "floe"


UserPath = Annotated[Path, AfterValidator(Path.expanduser)]
"""A path from the manifest; ``~`` means the user's home."""


class LocalRuntimeConfig(BaseModel):
    """How the local runtime drives dbt-core in this process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threads: int | None = Field(default=None, ge=1)
    """dbt threads when the invocation does not say; ``None`` keeps the profile's value."""
    partial_parse: bool = True
    """Keep dbt's ``target/partial_parse.msgpack`` so a new process parses only what changed."""
    profiles_cache_dir: UserPath = Field(default_factory=default_cache_dir)
    """Where profiles generated from the manifest's ``compute`` section are written."""
    log_level: LogLevel = "debug"
    """Level of dbt's own ``dbt.log`` file; dbt never prints to the console under floe."""
    log_path: UserPath | None = None
    """Folder of ``dbt.log``; default ``<target_path>/logs`` or ``<project>/logs``."""
    send_anonymous_usage_stats: bool = False
    populate_cache: bool = True
    """Let dbt list the warehouse's relations up front (dbt's ``--populate-cache``)."""
    refresh_manifest_after_run: bool = False
    """Rewrite manifest.json after every run, as the dbt CLI does (it then holds this run's
    compiled SQL). Off: manifest.json is written only when the parsed project changed, which
    halves the fixed cost of a small invocation; compiled SQL is in the node results and in
    ``target/compiled`` either way."""
    manifest_cache_size: int = Field(default=4, ge=1)
    """Parsed manifests kept in memory (one per project/profile/target/vars combination)."""
    processes: int = Field(default=1, ge=1)
    """Executor processes that run ``build``/``run``/``test``/``seed``/``snapshot`` nodes,
    scheduled by dependencies (ADR 0025). 1: one ``dbtRunner`` run in this process. More
    needs a warehouse that takes several writers (PostgreSQL, network warehouses; not a
    DuckDB file). The invocation's threads are shared out among the processes."""

    _processes_location: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _remember_where_processes_was_set(self, info: ValidationInfo) -> Self:
        locate = (info.context or {}).get("locate")
        if callable(locate) and "processes" in self.model_fields_set:
            self._processes_location = locate("processes")
        return self

    @property
    def processes_setting(self) -> str:
        """Where ``processes`` was set, for errors: ``file:line: processes`` when known."""
        field = "plugins.dbt_runtime.config.processes"
        return f"{self._processes_location}: {field}" if self._processes_location else field
