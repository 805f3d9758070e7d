"""Execution plans kept on disk, so ``floe plan`` on an unchanged project skips dbt entirely.

The in-memory manifest cache helps within one process; a new process (``floe plan`` from a
shell) would still pay dbt's partial parse and a ``dbt ls``. A plan depends only on the
manifest fingerprint (project files, profile, target, vars, dbt version) and the selection,
plus the env vars the parse read, so it is stored under a key of those and checked on read.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from floe_core import DBTInvocation, ExecutionPlan
from floe_core.artifacts import STATE_FILES
from floe_dbt_local._manifest_cache import env_vars_unchanged

__all__ = ["PlanCache", "file_stat", "plan_key", "state_key"]

_FOLDER = "floe-plans"


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    env_vars: dict[str, str]
    plan: ExecutionPlan


def plan_key(
    fingerprint: str, select: tuple[str, ...], exclude: tuple[str, ...], selector: str | None
) -> str:
    selection = json.dumps([fingerprint, select, exclude, selector])
    return hashlib.blake2b(selection.encode(), digest_size=16).hexdigest()


def state_key(invocation: DBTInvocation) -> str:
    """What a selection depends on besides the project: the ``--state`` files and this
    target path's sources.json (``source_status:``), by size and modification time."""
    state = invocation.state
    if state is None or state.path is None:
        return ""
    files = [state.path / name for name in STATE_FILES]
    files.append(invocation.artifacts_dir / "sources.json")
    stats = [file_stat(path) for path in files]
    return json.dumps([str(state.path), stats, state.defer, state.favor_state])


def file_stat(path: Path) -> tuple[int, int] | None:
    """Size and modification time of ``path``; ``None`` when it is not there."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


class PlanCache:
    """Plans under ``<target path>/floe-plans/<key>.json`` (dbt's target folder is the
    project's scratch space already; a stale or broken entry is simply a miss)."""

    def __init__(self, target_path: Path) -> None:
        self.folder = target_path / _FOLDER

    def get(self, key: str) -> ExecutionPlan | None:
        try:
            entry = _Entry.model_validate_json((self.folder / f"{key}.json").read_bytes())
        except (OSError, ValidationError):
            return None
        return entry.plan if env_vars_unchanged(entry.env_vars) else None

    def put(self, key: str, plan: ExecutionPlan, env_vars: dict[str, str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = _Entry(env_vars=env_vars, plan=plan).model_dump_json().encode()
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".plan.")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, self.folder / f"{key}.json")
        except OSError:
            Path(temporary).unlink(missing_ok=True)  # a plan we could not keep costs a re-plan
