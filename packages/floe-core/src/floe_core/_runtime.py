"""The runtime plugin contract: :class:`DBTRuntimePlugin`.

A runtime decides *where* dbt runs. It implements :meth:`DBTRuntimePlugin.execute` (and
:meth:`DBTRuntimePlugin.plan`); the public per-command methods are fixed here so that every
runtime brackets its node events between ``RunStarted`` and ``RunFinished`` the same way and
never loses the node results it produced when something breaks mid-run.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field

from floe_core._detach import DetachRequested, RunDetachedError, RunHandle
from floe_core._errors import (
    FloeError,
    ProjectError,
    RunCancelledError,
    RuntimeExecutionError,
    UnsupportedCommandError,
)
from floe_core._events import (
    EventBus,
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    RunFinished,
    RunHandleReported,
    RunStarted,
)
from floe_core._invocation import NODE_COMMANDS, DBTCommand, DBTInvocation
from floe_core._live import LiveStatus
from floe_core._plan import ExecutionPlan
from floe_core._results import DBTRunResult, NodeResult, RunStatus

__all__ = [
    "PLUGIN_API_VERSION",
    "DBTRuntimePlugin",
    "HealthStatus",
    "RuntimeMetadata",
    "read_project_name",
]

PLUGIN_API_VERSION = "1.0"
"""Version of this contract. A runtime declaring ``api_version`` with the same major and a
minor no greater than this one is compatible. A minor bump adds to the contract; a major
bump changes it, and runtimes written for the old major are refused until updated."""

ConfigT = TypeVar("ConfigT", bound=BaseModel)


class RuntimeMetadata(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    api_version: str
    supports_parallel_execution: bool
    dbt_version: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class HealthStatus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    healthy: bool
    message: str
    checks: dict[str, str] = Field(default_factory=dict)
    """Check name -> outcome, e.g. ``{"dbt": "1.11.16", "warehouse": "ok"}``."""


def read_project_name(project_dir: Path) -> str:
    """The ``name`` of ``<project_dir>/dbt_project.yml``; raises :class:`ProjectError`."""
    path = Path(project_dir) / "dbt_project.yml"
    if not path.is_file():
        raise ProjectError(
            f"no dbt project at {project_dir}: {path.name} not found",
            hint="pass --project-dir pointing at the folder that holds dbt_project.yml",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ProjectError(f"{path}: not valid YAML: {exc}") from exc
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        raise ProjectError(f"{path}: the project has no 'name'", hint="add `name: my_project`")
    return name


class _NodeCollector:
    """Remembers node results as they are emitted, so a crash mid-run still reports them."""

    def __init__(self, invocation_id: str) -> None:
        self._invocation_id = invocation_id
        self._lock = threading.Lock()
        self.results: dict[str, NodeResult] = {}

    def __call__(self, event: FloeEvent) -> None:
        if isinstance(event, NodeFinished | NodeSkipped) and (
            event.invocation_id == self._invocation_id
        ):
            with self._lock:
                self.results[event.result.unique_id] = event.result


def _status_of(exc: BaseException) -> RunStatus:
    """The status of a run whose runtime raised ``exc``."""
    if isinstance(exc, RunDetachedError):
        return RunStatus.DETACHED
    if isinstance(exc, KeyboardInterrupt | RunCancelledError | DetachRequested):
        return RunStatus.CANCELLED
    return RunStatus.ERROR


class DBTRuntimePlugin(ABC, Generic[ConfigT]):
    """Base class of every floe runtime.

    Subclasses set ``name``, ``config_model`` and ``api_version`` and implement
    :meth:`execute`, :meth:`plan`, :meth:`health_check` and
    :meth:`supports_parallel_execution`. ``execute`` must emit ``RunPlanned`` and the node
    events on ``self.events`` as nodes run, and should return a result (status
    ``failed``/``error``) rather than raise when nodes fail.
    """

    name: ClassVar[str]
    config_model: ClassVar[type[BaseModel]]
    api_version: ClassVar[str]
    """The plugin API this runtime implements, written as a literal (``"1.0"``), never as
    :data:`PLUGIN_API_VERSION`: the registry compares it with the installed floe-core's and
    refuses a runtime written for another major version."""
    supported_commands: ClassVar[frozenset[DBTCommand]] = NODE_COMMANDS
    """The dbt commands :meth:`execute` handles; :meth:`invoke` refuses any other before
    anything runs. A runtime that handles more (``deps``, ``ls``, ``retry``...) says so here."""
    client_side_commands: ClassVar[frozenset[DBTCommand]] = frozenset()
    """Those of :attr:`supported_commands` that run in-process on the client, not on the
    runtime's execution backend (a remote runtime's ``deps``, ``parse``, ``debug``,
    ``clean``: no per-node work); ``floe plugins list --check`` says so."""
    supports_state: ClassVar[bool] = False
    """Whether :meth:`execute` and :meth:`plan` honour :attr:`DBTInvocation.state
    <floe_core.DBTInvocation.state>` (``--state``, ``--defer``); floe refuses a state for a
    runtime that would silently ignore it."""
    supports_favor_state: ClassVar[bool] = False
    """Whether it also honours ``StateReference.favor_state`` (``--favor-state``): refused
    before anything runs otherwise."""

    def __init__(self, config: ConfigT, *, events: EventBus | None = None) -> None:
        self.config = config
        self.events = events if events is not None else EventBus()

    # -- the contract --------------------------------------------------------------------
    @abstractmethod
    def execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        """Run ``command`` for ``invocation``, emitting node events as nodes run."""

    @abstractmethod
    def plan(self, invocation: DBTInvocation) -> ExecutionPlan:
        """The nodes ``build`` would execute for this selection, in dependency order."""

    @abstractmethod
    def supports_parallel_execution(self) -> bool:
        """Whether independent nodes of the DAG run concurrently."""

    @abstractmethod
    def health_check(self) -> HealthStatus:
        """Cheap check that the runtime can work (dependencies importable, service reachable)."""

    def get_runtime_metadata(self) -> RuntimeMetadata:
        from importlib.metadata import PackageNotFoundError, version

        module = type(self).__module__.split(".")[0]
        try:
            own_version = version(module.replace("_", "-"))
        except PackageNotFoundError:
            own_version = "unknown"
        return RuntimeMetadata(
            name=self.name,
            version=own_version,
            api_version=self.api_version,
            supports_parallel_execution=self.supports_parallel_execution(),
        )

    def close(self) -> None:
        """Release connections, workers, clients. Idempotent."""

    # -- per-command entry points (fixed) --------------------------------------------------
    def compile_project(self, invocation: DBTInvocation) -> DBTRunResult:
        return self.invoke(DBTCommand.COMPILE, invocation)

    def run_models(self, invocation: DBTInvocation) -> DBTRunResult:
        return self.invoke(DBTCommand.RUN, invocation)

    def build(self, invocation: DBTInvocation) -> DBTRunResult:
        return self.invoke(DBTCommand.BUILD, invocation)

    def test_models(self, invocation: DBTInvocation) -> DBTRunResult:
        return self.invoke(DBTCommand.TEST, invocation)

    def seed(self, invocation: DBTInvocation) -> DBTRunResult:
        return self.invoke(DBTCommand.SEED, invocation)

    def snapshot(self, invocation: DBTInvocation) -> DBTRunResult:
        return self.invoke(DBTCommand.SNAPSHOT, invocation)

    def invoke(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        """Bracket :meth:`execute` with ``RunStarted``/``RunFinished``.

        If ``execute`` raises, ``RunFinished`` still carries every node result emitted so far
        (status ``error``; ``cancelled`` on Ctrl-C; ``detached`` on
        :class:`~floe_core.RunDetachedError`) before the error propagates. A command the runtime
        does not declare in :attr:`supported_commands` raises :class:`UnsupportedCommandError`
        first.
        """
        self.check_supported(command)
        return self._bracketed(
            command,
            invocation,
            read_project_name(invocation.project_dir),
            datetime.now(UTC),
            lambda: self.execute(command, invocation),
        )

    # -- attaching to a run that outlived its client (optional) ----------------------------
    def supports_attach(self) -> bool:
        """Whether this runtime's runs outlive the client and can be followed again."""
        return type(self).follow is not DBTRuntimePlugin.follow

    def follow(
        self, command: DBTCommand, invocation: DBTInvocation, handle: RunHandle
    ) -> DBTRunResult:
        """Follow the run ``handle`` names (reported by :meth:`report_handle` during an
        earlier :meth:`execute`) to its end, emitting its node events; optional."""
        raise NotImplementedError(f"runtime {self.name!r} cannot attach to a run")

    def live_status(self, handle: RunHandle) -> LiveStatus | None:
        """What the run ``handle`` names says about itself while it runs (node counts, the
        latest outcomes and log lines), read without following it; None when this runtime
        cannot tell (the default)."""
        return None

    def set_fail_fast(self, handle: RunHandle, enabled: bool) -> LiveStatus:
        """Turn fail-fast on or off in the run ``handle`` names while it runs; its status
        after the change. Optional: the default refuses."""
        raise RuntimeExecutionError(
            f"runtime {self.name!r} cannot change a run while it runs",
            hint="stop it (Ctrl-C) and run again with or without --fail-fast",
        )

    def report_handle(self, invocation: DBTInvocation, handle: RunHandle) -> None:
        """Tell the observers where the run lives, as soon as it exists: the results store
        records it (status ``detached``) so that a client that dies leaves a run to attach."""
        self.events.emit(RunHandleReported(invocation_id=invocation.invocation_id, handle=handle))

    def attach(
        self,
        command: DBTCommand,
        invocation: DBTInvocation,
        handle: RunHandle,
        *,
        project_name: str,
        started_at: datetime,
    ) -> DBTRunResult:
        """Bracket :meth:`follow` like :meth:`invoke` brackets :meth:`execute`; the run keeps
        its invocation id and start time, so its record is replaced, not duplicated."""
        if not self.supports_attach():
            raise RuntimeExecutionError(
                f"runtime {self.name!r} cannot attach to a run",
                hint="its runs do not outlive the process that started them",
            )
        return self._bracketed(
            command,
            invocation,
            project_name,
            started_at,
            lambda: self.follow(command, invocation, handle),
        )

    def _bracketed(
        self,
        command: DBTCommand,
        invocation: DBTInvocation,
        project_name: str,
        started_at: datetime,
        run: Callable[[], DBTRunResult],
    ) -> DBTRunResult:
        self.events.emit(
            RunStarted(
                invocation_id=invocation.invocation_id,
                command=command,
                runtime=self.name,
                project_name=project_name,
                project_dir=invocation.project_dir,
                target=invocation.target,
                started_at=started_at,
                trace_context=invocation.trace_context,
                select=invocation.select,
                exclude=invocation.exclude,
                selector=invocation.selector,
            )
        )
        collector = _NodeCollector(invocation.invocation_id)
        try:
            with self.events.subscribed(collector):
                result = run()
        except BaseException as exc:
            completed_at = datetime.now(UTC)
            partial = DBTRunResult(
                invocation_id=invocation.invocation_id,
                command=command,
                runtime=self.name,
                status=_status_of(exc),
                started_at=started_at,
                completed_at=completed_at,
                elapsed_seconds=(completed_at - started_at).total_seconds(),
                nodes=tuple(collector.results.values()),
                error=str(exc) if isinstance(exc, FloeError) else f"{type(exc).__name__}: {exc}",
            )
            self.events.emit(RunFinished(invocation_id=invocation.invocation_id, result=partial))
            raise
        self.events.emit(RunFinished(invocation_id=invocation.invocation_id, result=result))
        return result

    @classmethod
    def check_supported(cls, command: DBTCommand) -> None:
        """Raise :class:`UnsupportedCommandError` naming the installed runtimes that support
        ``command`` unless this runtime declares it."""
        if command in cls.supported_commands:
            return
        from floe_core.registry import PluginRegistry  # the registry imports this module

        others = PluginRegistry().supporting(command)
        hint = (
            f"use a runtime that supports it: --runtime {' or --runtime '.join(others)}"
            if others
            else "no installed runtime supports it"
        )
        raise UnsupportedCommandError(
            f"runtime {cls.name!r} does not support `{command.value}`", hint=hint
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
