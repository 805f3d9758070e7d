"""``plugins.dbt_runtime.config`` of the local runtime."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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
