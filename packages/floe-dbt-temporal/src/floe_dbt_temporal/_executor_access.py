"""A worker's access to warm dbt executors for a run: its environment, state and lease.

The base of the run's activities (:mod:`floe_dbt_temporal._activities`). Errors leave as
``ApplicationError`` whose ``type`` is the floe error class name; only warehouse/connection
errors are retryable.
"""

from __future__ import annotations

import fnmatch
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from temporalio.exceptions import ApplicationError

from floe_core import ConfigError, DBTCommand, FloeError, SecretError, WarehouseError
from floe_core.profiles import materialize_profile
from floe_core.stores import ArtifactStore, StoredArtifact
from floe_dbt_inprocess.executor import ExecutorPool, ExecutorSpec, WarmExecutor
from floe_dbt_temporal._models import RunContext
from floe_dbt_temporal._projects import ProjectRegistry
from floe_dbt_temporal._state import favored_state, fetch_state

__all__ = ["ExecutorAccess", "application_error"]

T = TypeVar("T")


def application_error(exc: FloeError) -> ApplicationError:
    return ApplicationError(
        str(exc), type=type(exc).__name__, non_retryable=not isinstance(exc, WarehouseError)
    )


class ExecutorAccess:
    """One worker's registry, executors and store, and the run's executor on demand."""

    def __init__(
        self,
        *,
        registry: ProjectRegistry,
        pool: ExecutorPool,
        store: ArtifactStore,
        work_dir: Path,
        allowed_env: tuple[str, ...] = (),
    ) -> None:
        self.registry = registry
        self.pool = pool
        self.store = store
        self.work_dir = Path(work_dir)
        self.allowed_env = allowed_env
        self._verified: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    # -- helpers -------------------------------------------------------------------------
    def _run_env(self, context: RunContext) -> dict[str, str]:
        """The run's own environment for dbt: its ``env`` and its ``env_from_worker``
        resolved here, every name within this worker's ``allowed_env``."""
        names = [*context.env, *context.env_from_worker, *context.env_from_worker.values()]
        refused = sorted(
            {n for n in names if not any(fnmatch.fnmatchcase(n, p) for p in self.allowed_env)}
        )
        if refused:
            raise ConfigError(
                f"this worker does not let runs set environment variable(s)"
                f" {', '.join(refused)} (allowed: {', '.join(self.allowed_env) or 'none'})",
                hint="start the worker with `--allow-env NAME` (shell patterns allowed) for"
                " each, or drop them from the runtime config's env / env_from_worker",
            )
        missing = [
            name
            for name in (*context.secret_env, *context.env_from_worker.values())
            if name not in os.environ
        ]
        if missing:
            raise SecretError(
                f"environment variable(s) {', '.join(missing)} not set on this worker",
                hint="export them in the worker's environment; runs only carry their names",
            )
        resolved = {name: os.environ[source] for name, source in context.env_from_worker.items()}
        return {**context.env, **resolved}

    def _state(self, context: RunContext, plan: StoredArtifact | None) -> Path | None:
        """The run's ``--state`` folder on this worker; given the run's ``plan`` (node
        activities of a ``--favor-state`` run), the state without the plan's nodes."""
        state = context.state
        if state is None:
            return None
        folder = self.work_dir / "state" / context.run_id
        if plan is not None and state.defer and state.favor_state:
            return favored_state(state, self.store, plan, folder / "favor")
        return fetch_state(state, self.store, folder)

    def _spec(
        self, context: RunContext, version: str, plan: StoredArtifact | None = None
    ) -> ExecutorSpec:
        env = self._run_env(context)
        entry = self.registry.entry(context)
        with self._lock:
            known = (entry.source.model_dump_json(), version) in self._verified
        project_dir = (
            Path(entry.source.path)
            if known and entry.source.kind == "path"
            else self.registry.checkout(entry.source, version)
        )
        with self._lock:
            self._verified.add((entry.source.model_dump_json(), version))
        profile = materialize_profile(
            self.registry.profile(context), cache_dir=self.work_dir / "profiles"
        )
        return ExecutorSpec(
            # ls executes nothing: its selection is parsed like build's (every resource type)
            command=DBTCommand.BUILD if context.command is DBTCommand.LIST else context.command,
            project_dir=project_dir,
            profiles_dir=profile.profiles_dir,
            profile_name=profile.profile_name,
            target=context.target or profile.target,
            vars=context.vars,
            full_refresh=context.full_refresh,
            env=env,
            project_version=version,
            state=self._state(context, plan),
            defer=context.state is not None and context.state.defer,
            # the run's own nodes are out of that state: every other parent is favoured
            favor_state=plan is not None and context.favors_state,
        )

    def _planned_version(self, context: RunContext) -> str:
        """The project version the run's executors use (as the plan resolved it)."""
        try:
            return self.registry.planned_version(context)
        except FloeError as exc:
            raise application_error(exc) from exc

    def _with_executor(
        self,
        context: RunContext,
        version: str,
        use: Callable[[WarmExecutor], T],
        plan: StoredArtifact | None = None,
    ) -> T:
        try:
            with self.pool.lease(self._spec(context, version, plan)) as executor:
                return use(executor)
        except FloeError as exc:
            raise application_error(exc) from exc
