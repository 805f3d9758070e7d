"""Runtime ``local``: dbt-core in this process through ``dbtRunner``.

dbt-core's command machinery (about 1.7 s of imports) is imported on first use, not with this
module: ``floe plan`` on an unchanged project is answered from the plan cache without it.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from floe_core import (
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    DBTRuntimePlugin,
    ExecutionPlan,
    FloeError,
    HealthStatus,
    RunPlanned,
    RunStatus,
    RuntimeExecutionError,
    RuntimeMetadata,
    read_project_name,
)
from floe_core.profiles import MaterializedProfile, materialize_profile
from floe_core.warehouses import all_warehouses
from floe_dbt_inprocess import DBT_LOCK
from floe_dbt_local._config import LocalRuntimeConfig
from floe_dbt_local._invocation_args import invocation_args, log_path_for
from floe_dbt_local._manifest_cache import (
    CachedManifest,
    ManifestCache,
    dbt_version,
    manifest_fingerprint,
)
from floe_dbt_local._plan import build_plan, deferred_node_ids, executed_node_ids
from floe_dbt_local._plan_cache import PlanCache, file_stat, plan_key, state_key

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult

    from floe_dbt_local._event_translation import DbtEventTranslator

__all__ = ["LocalRuntime"]

_MANIFEST_FILE = "manifest.json"
_RUN_RESULTS_FILE = "run_results.json"


class LocalRuntime(DBTRuntimePlugin[LocalRuntimeConfig]):
    """Runs dbt-core in-process: the DAG in parallel on dbt's threads, events as nodes run.

    One process runs one dbt invocation at a time (dbt's global state); the parsed manifest
    is cached per project fingerprint so an unchanged project is parsed once per process.
    """

    name: ClassVar[str] = "local"
    supported_commands: ClassVar[frozenset[DBTCommand]] = frozenset(DBTCommand)
    supports_state: ClassVar[bool] = True
    supports_favor_state: ClassVar[bool] = True
    config_model: ClassVar[type[LocalRuntimeConfig]] = LocalRuntimeConfig
    api_version: ClassVar[str] = "1.0"
    translator_class: ClassVar[type[DbtEventTranslator] | None] = None
    """A :class:`DbtEventTranslator` subclass to use instead of it (``None``: the default)."""

    def __init__(self, config: LocalRuntimeConfig | None = None, **kwargs: Any) -> None:
        super().__init__(config if config is not None else LocalRuntimeConfig(), **kwargs)
        self.manifest_cache = ManifestCache(self.config.manifest_cache_size)
        self.parse_count = 0
        """dbt parses done by this runtime (a cache hit does none)."""

    # -- the contract --------------------------------------------------------------------
    def execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        from dbt.artifacts.schemas.run import RunExecutionResult

        from floe_dbt_inprocess import MessageCollector, invoke_dbt
        from floe_dbt_local._commands import (
            MANIFEST_FREE_COMMANDS,
            WRITES_OWN_ARTIFACTS,
            command_options,
            keep_freshness_runtime_errors,
            planned_node_ids,
        )
        from floe_dbt_local._event_translation import DbtEventTranslator

        started_at = datetime.now(UTC)
        clock = time.perf_counter()
        profile = self._profile(invocation)
        messages = MessageCollector()
        args = invocation_args(
            command.value,
            invocation,
            profile,
            self.config,
            extra=command_options(command, invocation),
        )
        with DBT_LOCK:
            if command in MANIFEST_FREE_COMMANDS:
                # deps installs the packages parsing needs; clean and debug need no manifest
                self.events.emit(RunPlanned(invocation_id=invocation.invocation_id, node_ids=()))
                translator = (self.translator_class or DbtEventTranslator)(
                    invocation.invocation_id, self.events.emit
                )
                outcome = invoke_dbt(args, callbacks=[messages])
                if command is not DBTCommand.DEBUG:
                    self.manifest_cache.clear()  # packages or target/ changed under it
                metadata: dict[str, Any] = {}
            else:
                cached, parse_seconds = self._manifest(invocation, profile)
                selected = self._selection(cached, invocation, profile)
                manifest_path = self._write_manifest(cached, invocation)
                executed = executed_node_ids(cached.manifest, command, selected)
                self.events.emit(
                    RunPlanned(
                        invocation_id=invocation.invocation_id,
                        manifest_path=manifest_path,
                        node_ids=planned_node_ids(command, invocation, cached.manifest, executed),
                    )
                )
                translator = (self.translator_class or DbtEventTranslator)(
                    invocation.invocation_id, self.events.emit, cached.manifest
                )
                write_after = (
                    command not in WRITES_OWN_ARTIFACTS
                    and not self.config.refresh_manifest_after_run
                )
                if write_after:
                    args.append("--no-write-json")  # run_results.json is written below
                outcome = invoke_dbt(
                    args, manifest=cached.manifest, callbacks=[translator, messages]
                )
                self._remember_written(cached, manifest_path)
                if command is DBTCommand.SOURCE_FRESHNESS:
                    sources_json = invocation.artifacts_dir / "sources.json"
                    keep_freshness_runtime_errors(sources_json, outcome.result)
                if write_after and isinstance(outcome.result, RunExecutionResult):
                    outcome.result.write(str(invocation.artifacts_dir / _RUN_RESULTS_FILE))
                metadata = {
                    "parse_seconds": parse_seconds or 0.0,
                    "manifest_cache_hit": parse_seconds is None,
                    **_state_metadata(invocation, cached.manifest, executed),
                }
        return self._run_result(
            command,
            invocation,
            outcome,
            translator,
            started_at=started_at,
            elapsed=time.perf_counter() - clock,
            metadata=metadata,
            messages=messages.text,
        )

    def plan(self, invocation: DBTInvocation) -> ExecutionPlan:
        project_name = read_project_name(invocation.project_dir)
        profile = self._profile(invocation)
        fingerprint = manifest_fingerprint(
            invocation.project_dir, profile, invocation.target, invocation.vars
        )
        plans = PlanCache(invocation.artifacts_dir)
        key = plan_key(
            fingerprint + state_key(invocation),
            invocation.select,
            invocation.exclude,
            invocation.selector,
        )
        stored = plans.get(key)
        if stored is not None:
            return stored
        with DBT_LOCK:
            cached, _ = self._manifest(invocation, profile, fingerprint)
            selected = self._selection(cached, invocation, profile)
        node_ids = executed_node_ids(cached.manifest, DBTCommand.BUILD, selected)
        plan = build_plan(cached.manifest, project_name, node_ids)
        plans.put(key, plan, dict(getattr(cached.manifest, "env_vars", {}) or {}))
        return plan

    def supports_parallel_execution(self) -> bool:
        return True

    def health_check(self) -> HealthStatus:
        """dbt-core's version and the installed adapters of the warehouse table's types
        (package metadata only: no adapter is imported)."""
        adapters = _installed_adapters()
        checks = {"dbt": dbt_version, **adapters}
        message = f"dbt-core {dbt_version} in-process" + ("" if adapters else ", no adapter")
        return HealthStatus(healthy=bool(adapters), message=message, checks=checks)

    def get_runtime_metadata(self) -> RuntimeMetadata:
        base = super().get_runtime_metadata()
        return base.model_copy(
            update={
                "dbt_version": dbt_version,
                "details": {
                    "adapters": list(_installed_adapters().values()),
                    "threads": self.config.threads,
                },
            }
        )

    def close(self) -> None:
        runner = sys.modules.get("floe_dbt_inprocess._runner")
        if runner is not None:  # dbt never loaded: no adapter or database to release
            runner.release_adapters()
            runner.close_embedded_databases()
        self.manifest_cache.clear()

    # -- steps ---------------------------------------------------------------------------
    def _profile(self, invocation: DBTInvocation) -> MaterializedProfile:
        return materialize_profile(invocation.profile, cache_dir=self.config.profiles_cache_dir)

    def _manifest(
        self, invocation: DBTInvocation, profile: MaterializedProfile, key: str | None = None
    ) -> tuple[CachedManifest, float | None]:
        """The cached manifest for this project state and the parse time (``None``: a hit).

        ``key`` is the project's fingerprint where the caller computed it already."""
        key = key or manifest_fingerprint(
            invocation.project_dir, profile, invocation.target, invocation.vars
        )
        cached = self.manifest_cache.get(key)
        if cached is not None:
            return cached, None
        from floe_dbt_inprocess import invoke_dbt

        clock = time.perf_counter()
        outcome = invoke_dbt(invocation_args("parse", invocation, profile, self.config))
        self.parse_count += 1
        if not outcome.success or outcome.result is None:
            raise self._error(outcome, invocation, "dbt parse") from outcome.exception
        cached = self.manifest_cache.put(key, outcome.result)
        seconds = time.perf_counter() - clock
        # parse wrote manifest.json into the target path
        self._remember_written(cached, invocation.artifacts_dir / _MANIFEST_FILE)
        return cached, seconds

    def _selection(
        self, cached: CachedManifest, invocation: DBTInvocation, profile: MaterializedProfile
    ) -> tuple[str, ...]:
        """Unique ids the selection picks, any resource type (``dbt ls``, run once per
        selection and manifest)."""
        key = (invocation.select, invocation.exclude, invocation.selector, state_key(invocation))
        if key not in cached.selections:
            from floe_dbt_inprocess import floe_error_from_dbt, list_unique_ids

            args = invocation_args("ls", invocation, profile, self.config)
            try:
                selected = list_unique_ids(args, cached.manifest)
            except Exception as exc:
                raise floe_error_from_dbt(
                    exc, project_dir=invocation.project_dir, action="dbt ls"
                ) from exc
            cached.selections[key] = tuple(selected)
        return cached.selections[key]

    def _write_manifest(self, cached: CachedManifest, invocation: DBTInvocation) -> Path:
        """manifest.json of this invocation, written before any node runs (lineage reads it)."""
        path = invocation.artifacts_dir / _MANIFEST_FILE
        current = file_stat(path)
        if current is None or cached.written_to.get(path) != current:
            from dbt.parser.manifest import write_manifest

            write_manifest(cached.manifest, str(invocation.artifacts_dir))
            self._remember_written(cached, path)
        return path

    @staticmethod
    def _remember_written(cached: CachedManifest, path: Path) -> None:
        stat = file_stat(path)
        if stat is not None:
            cached.written_to[path] = stat

    def _run_result(
        self,
        command: DBTCommand,
        invocation: DBTInvocation,
        outcome: dbtRunnerResult,
        translator: DbtEventTranslator,
        *,
        started_at: datetime,
        elapsed: float,
        metadata: dict[str, Any],
        messages: str | None,
    ) -> DBTRunResult:
        from dbt.artifacts.schemas.run import RunExecutionResult

        from floe_dbt_local._commands import command_output

        if outcome.exception is not None and (
            command is not DBTCommand.DEBUG or not isinstance(outcome.result, bool)
        ):
            action = f"dbt {command.value}"
            raise self._error(outcome, invocation, action) from outcome.exception
        if isinstance(outcome.result, RunExecutionResult):
            nodes = tuple(
                translator.get_final_result(r)
                for r in outcome.result.results
                if str(r.node.resource_type) != "sql_operation"  # an --inline query
            )
            translator.complete(nodes)
        else:
            nodes = tuple(translator.live_results.values())
        status = DBTRunResult.status_from_nodes(nodes)
        error = None
        log_file = log_path_for(invocation, self.config) / "dbt.log"
        if not outcome.success and status is RunStatus.SUCCESS:
            # dbt failed although no node did (e.g. an on-run-end hook): the run itself broke
            status, error = (
                RunStatus.ERROR,
                f"dbt reported a failure outside the nodes; see {log_file}",
            )
        artifacts = invocation.artifacts_dir
        return DBTRunResult(
            invocation_id=invocation.invocation_id,
            command=command,
            runtime=self.name,
            status=status,
            started_at=started_at,
            completed_at=datetime.now(UTC),
            elapsed_seconds=elapsed,
            nodes=nodes,
            manifest_path=_existing(artifacts / _MANIFEST_FILE),
            run_results_path=_existing(artifacts / _RUN_RESULTS_FILE),
            log_path=_existing(log_file),
            error=error,
            dbt_version=dbt_version,
            output=command_output(command, invocation, outcome.result, messages),
            metadata=metadata,
        )

    @staticmethod
    def _error(outcome: dbtRunnerResult, invocation: DBTInvocation, action: str) -> FloeError:
        if outcome.exception is None:
            return RuntimeExecutionError(
                f"{action} in {invocation.project_dir} failed without saying why",
                hint="see dbt.log in the log path",
            )
        from floe_dbt_inprocess import floe_error_from_dbt

        return floe_error_from_dbt(
            outcome.exception, project_dir=invocation.project_dir, action=action
        )


def _state_metadata(
    invocation: DBTInvocation, manifest: Any, executed: tuple[str, ...]
) -> dict[str, Any]:
    """For a run with ``--state``: what the state selected and, with ``--defer``, the
    relations read from the state instead of built (a run page shows both)."""
    state = invocation.state
    if state is None:
        return {}
    deferred = deferred_node_ids(manifest, executed) if state.defer else ()
    return {"state_selected": list(executed), "deferred": list(deferred)}


def _existing(path: Path) -> Path | None:
    return path if path.exists() else None


def _installed_adapters() -> dict[str, str]:
    """Warehouse type -> ``<adapter package> <version>``, for the adapters installed."""
    versions = {described: described.adapter_version() for described in all_warehouses()}
    return {
        described.name: f"{described.adapter_package} {version}"
        for described, version in versions.items()
        if version is not None
    }
