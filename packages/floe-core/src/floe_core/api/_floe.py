"""``Floe``: a dbt project bound to its runtime; the dbt commands of the CLI are calls on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, Unpack, overload

from floe_core import logging as floe_logging  # structlog only when something runs
from floe_core._errors import ConfigError
from floe_core._events import EventBus, EventSubscriber, FloeEvent
from floe_core._invocation import NODE_COMMANDS, DBTCommand, DBTInvocation, ProfileSource
from floe_core._observer import RunObserver
from floe_core._plan import ExecutionPlan
from floe_core._results import DBTRunResult, RunStatus
from floe_core._runtime import DBTRuntimePlugin, read_project_name
from floe_core.api._dbt_project import load_or_assume_manifest
from floe_core.api._observers import observers_from_manifest
from floe_core.api._options import InvocationOptions, build_invocation, choose_runtime
from floe_core.api._validate import check_secrets
from floe_core.artifacts import ResultsStore, RunHistory, RunRecord, resolve_state
from floe_core.manifest import PlatformManifest
from floe_core.plugins import FloePluginManager
from floe_core.profiles import profile_source_for
from floe_core.registry import PluginRegistry
from floe_core.stores import ArtifactNotFoundError, fetch_project, project_directory

__all__ = ["Floe"]

RUN_RESULTS = "run_results.json"
STATE_FOLDER = "floe-state"
"""Under the invocation's target path: the states fetched from the results store."""


def _events_of(invocation_id: str, observer: RunObserver) -> EventSubscriber:
    """``observer``, fed only the events of one invocation.

    Each invocation subscribes its own forwarders, so invocations running at the same time
    on one :class:`Floe` neither see each other's events twice nor unsubscribe each other.
    """

    def forward(event: FloeEvent) -> None:
        if event.invocation_id == invocation_id:
            observer(event)

    forward.__qualname__ = type(observer).__qualname__  # what the bus names if it fails
    return forward


class _BoundCommand(Protocol):
    def __call__(self, **options: Unpack[InvocationOptions]) -> DBTRunResult: ...


class _Command:
    """A :class:`Floe` method that runs one dbt command through :meth:`Floe.invoke`."""

    def __init__(self, command: DBTCommand) -> None:
        self.command = command
        self.__doc__ = (
            f"``dbt {command.value}`` on the manifest's runtime; options as in"
            " :class:`~floe_core.api.InvocationOptions`. Node failures are in the result"
            " (status ``failed``), not raised."
        )

    @overload
    def __get__(self, floe: None, owner: type[Floe]) -> Self: ...
    @overload
    def __get__(self, floe: Floe, owner: type[Floe]) -> _BoundCommand: ...
    def __get__(self, floe: Floe | None, owner: type[Floe]) -> Self | _BoundCommand:
        if floe is None:
            return self
        command = self.command

        def run_command(**options: Unpack[InvocationOptions]) -> DBTRunResult:
            return floe.invoke(command, **options)

        return run_command


_RETRIABLE = NODE_COMMANDS | {DBTCommand.RETRY}
"""Commands whose run_results.json dbt retry can re-run from."""


def _selection_of(invocation: DBTInvocation) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    return invocation.select, invocation.exclude, invocation.selector


def _preflight(
    manifest: PlatformManifest, project_dir: Path | None
) -> tuple[Path, str, ProfileSource, str]:
    """The project folder, its name, the profile and the version of ``project.source`` ("" for
    a plain folder); a ConfigError if any is unusable."""
    if project_dir is None and manifest.project.source is not None:
        fetched = fetch_project(manifest)
        directory, version = fetched.path.resolve(), fetched.version
    else:
        directory, version = project_directory(manifest, project_dir), ""
    project_name = read_project_name(directory)
    profile = profile_source_for(manifest)
    check_secrets(manifest)
    return directory, project_name, profile, version


class Floe:
    """A dbt project bound to the runtime a platform manifest selects.

    >>> with Floe.from_manifest("platform-manifest.yaml") as floe:
    ...     result = floe.build(select=["orders+"])

    Every invocation's events go to the subscribers added with :meth:`subscribe` and to
    the observers (results store, lineage, tracing), each of which sees ``prepare`` before
    the run and ``close`` when this object closes. Like a library should, it logs nothing
    about runs unless given an ``event_logger`` (e.g. :class:`floe_core.logging.EventLogger`).
    """

    compile = _Command(DBTCommand.COMPILE)
    run = _Command(DBTCommand.RUN)
    build = _Command(DBTCommand.BUILD)
    test = _Command(DBTCommand.TEST)
    seed = _Command(DBTCommand.SEED)
    snapshot = _Command(DBTCommand.SNAPSHOT)
    deps = _Command(DBTCommand.DEPS)
    parse = _Command(DBTCommand.PARSE)
    ls = _Command(DBTCommand.LIST)
    show = _Command(DBTCommand.SHOW)
    run_operation = _Command(DBTCommand.RUN_OPERATION)
    source_freshness = _Command(DBTCommand.SOURCE_FRESHNESS)
    docs_generate = _Command(DBTCommand.DOCS_GENERATE)
    debug = _Command(DBTCommand.DEBUG)
    clean = _Command(DBTCommand.CLEAN)
    retry = _Command(DBTCommand.RETRY)

    def __init__(
        self,
        manifest: PlatformManifest,
        runtime: DBTRuntimePlugin[Any],
        *,
        project_dir: Path | None = None,
        observers: Iterable[RunObserver] = (),
        plugins: FloePluginManager | None = None,
        event_logger: EventSubscriber | None = None,
    ) -> None:
        self.manifest = manifest
        self.runtime = runtime
        self.project_dir, self.project_name, self.profile, self.project_version = _preflight(
            manifest, project_dir
        )
        self.observers: tuple[RunObserver, ...] = tuple(observers)
        self.plugins = plugins if plugins is not None else FloePluginManager()
        self._closed = False
        self.retry_failed = False
        """Node commands run as ``retry`` of the last run of their selection (``--retry-failed``
        on a runtime without a rerun of its own)."""
        if event_logger is not None:
            self.runtime.events.subscribe(event_logger)

    @classmethod
    def from_manifest(
        cls,
        path: str | Path | None = None,
        *,
        project_dir: str | Path | None = None,
        runtime: str | None = None,
        runtime_config: dict[str, Any] | None = None,
        observers: Iterable[RunObserver] = (),
        event_logger: EventSubscriber | None = None,
        retry_failed: bool = False,
        profiles_dir: str | Path | None = None,
    ) -> Floe:
        """Load the manifest (default ``./platform-manifest.yaml``) and build its runtime.

        With no manifest given or found in a dbt project folder (``project_dir``, default
        the working directory), floe does what the dbt CLI does there: the local runtime,
        dbt's profile resolution (``profiles_dir``, ``$DBT_PROFILES_DIR``, ./profiles.yml,
        ~/.dbt) and runs kept under the project's ``.floe/``.

        ``runtime`` replaces ``plugins.dbt_runtime.type`` and ``runtime_config`` its
        ``config`` (see :func:`choose_runtime`). ``retry_failed`` re-runs only what failed
        or was skipped last time instead of the selection: as ``retry`` of the last stored
        run of the same selection on a runtime that runs ``retry`` (``local``, ``temporal``,
        ``cloud``), else through the runtime's own rerun when its config has a
        ``retry_failed`` field.
        ``observers`` come on top of the ones the manifest asks for; extension plugins
        (entry point group ``floe.plugins``) are loaded and may veto a run. Raises a
        :class:`~floe_core.ConfigError` naming the file/field and the fix.
        """
        manifest = load_or_assume_manifest(path, project_dir=project_dir, profiles_dir=profiles_dir)
        # Cheap checks first: building a runtime may open connections or start workers.
        directory, _, _, _ = _preflight(
            manifest, Path(project_dir) if project_dir is not None else None
        )
        name, config = choose_runtime(manifest, runtime, runtime_config)
        registry = PluginRegistry()
        # floe retries the last stored run on runtimes that run ``retry`` (local, temporal,
        # cloud); one with only a rerun of its own (a ``retry_failed`` config field) does it.
        floe_retries = False
        if retry_failed:
            runtime_class = registry.load_class(name)
            if DBTCommand.RETRY in runtime_class.supported_commands:
                floe_retries = True
            elif "retry_failed" in runtime_class.config_model.model_fields:
                config = {**config, "retry_failed": True}
            else:
                raise ConfigError(
                    f"runtime {name!r} cannot retry from failure",
                    hint="drop --retry-failed and re-run the failed nodes with --select, or use"
                    " a runtime that supports it (local, temporal, cloud)",
                )
        with ExitStack() as close_on_error:
            plugins = FloePluginManager.from_entry_points()
            built = [
                *observers,
                *observers_from_manifest(manifest, plugins, project_dir=directory),
            ]
            for observer in built:
                close_on_error.callback(observer.close)
            runtime_instance = registry.create(
                name,
                config,
                events=EventBus(),
                location_of=manifest.locate,
                base_dir=manifest.base_dir,
            )
            close_on_error.callback(runtime_instance.close)
            floe = cls(
                manifest,
                runtime_instance,
                project_dir=Path(project_dir) if project_dir is not None else None,
                observers=built,
                plugins=plugins,
                event_logger=event_logger,
            )
            floe.retry_failed = floe_retries
            close_on_error.pop_all()
        return floe

    @property
    def events(self) -> EventBus:
        return self.runtime.events

    @property
    def results(self) -> ResultsStore | None:
        """The store that keeps each invocation's results (the manifest's ``artifacts``)."""
        stores = [o for o in self.observers if isinstance(o, ResultsStore)]
        return stores[0] if stores else None

    def subscribe(self, subscriber: EventSubscriber) -> Callable[[], None]:
        """Receive every event of every invocation; returns a function that unsubscribes."""
        self.events.subscribe(subscriber)
        return lambda: self.events.unsubscribe(subscriber)

    def invocation(self, **options: Unpack[InvocationOptions]) -> DBTInvocation:
        """The :class:`DBTInvocation` the options describe (nothing runs but fetching a
        ``state`` from the results store)."""
        invocation = build_invocation(
            self.manifest, self.project_dir, self.profile, options, self.project_version
        )
        ref = options.get("state")
        defer, favor_state = options.get("defer", False), options.get("favor_state", False)
        if ref is None:
            if defer or favor_state:
                raise ConfigError(
                    "--defer and --favor-state need --state: the run whose relations to use",
                    hint="add e.g. `--state latest:prod` (the last successful prod run)",
                )
            return invocation
        if not self.runtime.supports_state:
            raise ConfigError(
                f"runtime {self.runtime.name!r} does not take --state (state:, result: and"
                " source_status: selectors, --defer)",
                hint=f"{_runtimes_hint(lambda runtime: runtime.supports_state)}, or drop --state",
            )
        if favor_state and not self.runtime.supports_favor_state:
            raise ConfigError(
                f"runtime {self.runtime.name!r} does not take --favor-state",
                hint="use --defer (parents this target lacks are read from the state), or"
                f" {_runtimes_hint(lambda runtime: runtime.supports_favor_state)}",
            )
        store = self.results
        state = resolve_state(
            str(ref),
            history=store.history if store is not None else None,
            project=self.project_name,
            target=invocation.effective_target,
            into=invocation.artifacts_dir / STATE_FOLDER,
            defer=defer,
            favor_state=favor_state,
        )
        return invocation.model_copy(update={"state": state})

    def plan(self, **options: Unpack[InvocationOptions]) -> ExecutionPlan:
        """The nodes ``build`` would execute, in dependency order; nothing is executed."""
        return self.runtime.plan(self.invocation(**options))

    def invoke(self, command: DBTCommand, **options: Unpack[InvocationOptions]) -> DBTRunResult:
        """Run ``command``: the one path every command method and CLI command takes.

        A command the runtime does not support is refused before anything runs; ``retry``
        re-runs what failed in the project's last run kept in the results store.
        """
        if self.retry_failed and command in NODE_COMMANDS:
            command = DBTCommand.RETRY
        self.runtime.check_supported(command)
        invocation = self.invocation(**options)
        if command is DBTCommand.RETRY:
            invocation = self._with_retry_state(invocation)
        self.plugins.check_run_allowed(invocation, command)
        for observer in self.observers:
            invocation = observer.prepare(invocation)
        own_events = [_events_of(invocation.invocation_id, o) for o in self.observers]
        bound = floe_logging.bind_invocation(invocation.invocation_id)
        with bound, self.events.subscribed(*own_events):
            result = self.runtime.invoke(command, invocation)
        self._check_results_kept(result)
        return result

    def attach(self, invocation_id: str) -> DBTRunResult:
        """Follow a run that outlived its client (status ``detached``) to its end, emitting
        its events to the subscribers and observers; its final record replaces the detached
        one. Nothing is started: a run is never triggered twice."""
        store = self.results
        if store is None:
            raise ConfigError("attaching needs the results store that recorded the run")
        record = store.history.find(self.project_name, invocation_id)
        if record.status is not RunStatus.DETACHED or record.handle is None:
            raise ConfigError(
                f"run {record.invocation_id} is {record.status.value}, not detached: there is"
                " nothing to follow",
                hint=f"`floe runs show {record.invocation_id}` shows its record",
            )
        if record.runtime != self.runtime.name:
            raise ConfigError(
                f"run {record.invocation_id} ran on runtime {record.runtime!r}, this manifest"
                f" uses {self.runtime.name!r}",
                hint=f"attach with `--runtime {record.runtime}` and the manifest that started it",
            )
        try:
            invocation = DBTInvocation.model_validate_json(
                store.history.read(record, "invocation.json")
            )
        except ArtifactNotFoundError:
            invocation = DBTInvocation(
                invocation_id=record.invocation_id,
                project_dir=self.project_dir,
                profile=self.profile,
            )
        for observer in self.observers:
            invocation = observer.prepare(invocation)
        own_events = [_events_of(invocation.invocation_id, o) for o in self.observers]
        bound = floe_logging.bind_invocation(invocation.invocation_id)
        with bound, self.events.subscribed(*own_events):
            result = self.runtime.attach(
                record.command,
                invocation,
                record.handle,
                project_name=record.project,
                started_at=record.started_at,
            )
        self._check_results_kept(result)
        return result

    def _check_results_kept(self, result: DBTRunResult) -> None:
        """A run whose record could not be written is a failure (nothing would show it)."""
        store = self.results
        error = store.write_error(result.invocation_id, result) if store is not None else None
        if error is not None:
            raise error

    def _with_retry_state(self, invocation: DBTInvocation) -> DBTInvocation:
        """``invocation`` pointed at the run_results.json of the project's last run (of the
        same selection, when it names one), and linked to that run."""
        store = self.results
        last = None if store is None else self._retried_run(store.history, invocation)
        if store is None or last is None:
            asked = " with this selection" if _selection_of(invocation) != ((), (), None) else ""
            raise ConfigError(
                f"nothing to retry: the results store has no earlier run of project"
                f" {self.project_name!r}{asked} with run results",
                hint="run the command first (e.g. floe build); retry re-runs what failed in it",
            )
        state_dir = invocation.artifacts_dir / "retry-state"
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / RUN_RESULTS).write_bytes(store.history.read(last, RUN_RESULTS))
        args = invocation.command_args.model_copy(
            update={"state_dir": state_dir, "retried_handle": last.handle}
        )
        return invocation.model_copy(update={"command_args": args, "retry_of": last.invocation_id})

    def _retried_run(self, history: RunHistory, invocation: DBTInvocation) -> RunRecord | None:
        """The newest run of the project with run results (and the same selection, if
        ``invocation`` has one)."""
        wanted = _selection_of(invocation)
        for record in reversed(history.runs(self.project_name)):
            if RUN_RESULTS not in record.files or record.command not in _RETRIABLE:
                continue
            if wanted == ((), (), None):
                return record
            asked = history.invocation(record)
            if asked is not None and _selection_of(asked) == wanted:
                return record
        return None

    def close(self) -> None:
        """Flush and close the observers in order, then the runtime, each even if an earlier
        one raised. Idempotent."""
        if self._closed:
            return
        self._closed = True
        with ExitStack() as closing:  # callbacks run last-in first-out
            closing.callback(self.runtime.close)
            for observer in reversed(self.observers):
                closing.callback(observer.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _runtimes_hint(test: Callable[[type[DBTRuntimePlugin[Any]]], bool]) -> str:
    others = PluginRegistry().runtimes_where(test)
    if not others:
        return "no installed runtime supports it"
    return "run it with " + " or ".join(f"--runtime {name}" for name in others)
