"""What a warm executor is opened for (dbt-free: it crosses process boundaries as JSON)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from floe_core import DBTCommand

__all__ = ["ExecutorSpec"]


class ExecutorSpec(BaseModel):
    """Everything that changes what dbt parses or how it executes: one warm executor each.

    ``env`` holds extra, non-secret environment variables (visible to ``env_var()``); secrets
    come from the process environment of the worker.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    command: DBTCommand
    project_dir: Path
    profiles_dir: Path
    profile_name: str | None = None
    target: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    full_refresh: bool = False
    env: dict[str, str] = Field(default_factory=dict)
    project_version: str = ""
    """Content version of the project (a hash or a git commit); part of the key."""
    state: Path | None = None
    """dbt's ``--state``: the folder of the comparison run's manifest.json (and
    run_results.json, sources.json) that ``state:``/``result:``/``source_status:`` read."""
    defer: bool = False
    """dbt's ``--defer`` (with ``state``): unbuilt parents read from the state's relations.
    It rewrites the parsed manifest, hence an executor of its own."""
    favor_state: bool = False
    """dbt's ``--favor-state`` (with ``defer``): every node with a state relation reads it
    even where the target has its own. dbt leaves out the nodes of its process-wide
    selection, which an executor of single nodes does not have (it empties it while it
    runs): give it a state without the run's own nodes, as the Temporal workers do."""

    @property
    def key(self) -> str:
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:20]
