from __future__ import annotations

import threading
from pathlib import Path

import pytest

from floe_core import (
    ConfigError,
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    FloeEvent,
    ManifestError,
    ProjectError,
    RunStarted,
    UnsupportedCommandError,
    hookimpl,
)
from floe_core.api import Floe, validate
from floe_core.artifacts import LocalResultsStore, read_index
from floe_core.manifest import PlatformManifest, load_manifest
from floe_core.plugins import FloePluginManager, RunVetoedError, Veto
from floe_core.testing import ScriptedConfig, ScriptedRuntime


class _TracingObserver:
    """Adds a trace context in ``prepare``, as the OpenTelemetry observer does."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.closed = False

    def prepare(self, invocation: DBTInvocation) -> DBTInvocation:
        return invocation.model_copy(update={"trace_context": {"traceparent": "00-abc-def-01"}})

    def __call__(self, event: FloeEvent) -> None:
        self.events.append(event.kind)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def manifest(tmp_path: Path) -> PlatformManifest:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "dbt_project.yml").write_text("name: shop\nprofile: floe\n")
    path = tmp_path / "platform-manifest.yaml"
    path.write_text(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\n"
        "project: {dir: shop, target: dev, vars: {region: eu, days: 7}}\n"
        "plugins: {dbt_runtime: {type: scripted}}\n"
        "compute: {type: duckdb}\n"
        "artifacts: {path: out}\n"
    )
    return load_manifest(path)


def _floe(manifest: PlatformManifest, **kwargs: object) -> tuple[Floe, ScriptedRuntime]:
    runtime = ScriptedRuntime(ScriptedConfig(models=()))
    store = LocalResultsStore(manifest.artifacts_dir())
    observers = kwargs.pop("observers", ())
    return Floe(manifest, runtime, observers=[*observers, store], **kwargs), runtime  # type: ignore[arg-type]


class _EveryCommandRuntime(ScriptedRuntime):
    """Declares every command; a build leaves a run_results.json naming its invocation."""

    supported_commands = frozenset(DBTCommand)

    def execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        if command is DBTCommand.BUILD:
            invocation.artifacts_dir.mkdir(parents=True, exist_ok=True)
            (invocation.artifacts_dir / "run_results.json").write_text(invocation.invocation_id)
        return super().execute(command, invocation)


@pytest.mark.parametrize("command", [c for c in DBTCommand if c is not DBTCommand.RETRY])
def test_each_command_method_routes_to_the_runtime(
    manifest: PlatformManifest, command: DBTCommand
) -> None:
    runtime = _EveryCommandRuntime()
    floe = Floe(manifest, runtime)
    result = getattr(floe, command.value.replace(" ", "_").replace("-", "_"))()
    assert result.command is command
    assert runtime.invocations[0][0] is command


def test_a_command_the_runtime_does_not_declare_is_refused_before_anything_runs(
    manifest: PlatformManifest,
) -> None:
    floe, runtime = _floe(manifest)
    with pytest.raises(UnsupportedCommandError) as refused:
        floe.source_freshness()
    assert "runtime 'scripted' does not support `source freshness`" in refused.value.message
    assert refused.value.exit_code == 2
    assert runtime.invocations == []
    assert read_index(manifest.artifacts_dir(), "shop") == []


def test_retry_without_an_earlier_run_says_so(manifest: PlatformManifest) -> None:
    runtime = _EveryCommandRuntime()
    floe = Floe(manifest, runtime, observers=[LocalResultsStore(manifest.artifacts_dir())])
    with pytest.raises(ConfigError, match="nothing to retry"):
        floe.retry()
    assert runtime.invocations == []


def test_retry_hands_the_runtime_the_last_run_results(manifest: PlatformManifest) -> None:
    runtime = _EveryCommandRuntime()
    store = LocalResultsStore(manifest.artifacts_dir())
    floe = Floe(manifest, runtime, observers=[store])
    floe.build()
    last = floe.build()
    floe.retry()
    command, invocation = runtime.invocations[-1]
    assert command is DBTCommand.RETRY
    state = invocation.command_args.state_dir
    assert state is not None
    [record] = [r for r in store.history.runs("shop") if r.invocation_id == last.invocation_id]
    kept = store.history.read(record, "run_results.json")
    assert (state / "run_results.json").read_bytes() == kept


def test_options_sit_on_top_of_the_manifest_defaults(manifest: PlatformManifest) -> None:
    floe, runtime = _floe(manifest)
    floe.run(select=["orders+ customers", "tag:daily"], vars={"days": 1}, threads=2)
    invocation = runtime.invocations[0][1]
    assert invocation.select == ("orders+", "customers", "tag:daily")
    assert invocation.vars == {"region": "eu", "days": 1}
    assert (invocation.target, invocation.threads) == ("dev", 2)
    assert invocation.project_dir == manifest.base_dir / "shop"


def test_observers_prepare_the_invocation_see_events_and_close_with_floe(
    manifest: PlatformManifest,
) -> None:
    tracer = _TracingObserver()
    floe, runtime = _floe(manifest, observers=[tracer])
    seen: list[FloeEvent] = []
    unsubscribe = floe.subscribe(seen.append)
    with floe:
        result = floe.build()
        unsubscribe()
        floe.build()
    assert runtime.invocations[0][1].trace_context == {"traceparent": "00-abc-def-01"}
    assert tracer.events == ["run_started", "run_planned", "run_finished"] * 2
    assert [e.kind for e in seen] == ["run_started", "run_planned", "run_finished"]
    assert isinstance(seen[0], RunStarted)
    assert (tracer.closed, runtime.closed) == (True, True)
    [first, _] = read_index(manifest.artifacts_dir(), "shop")
    assert first.invocation_id == result.invocation_id
    recorded = DBTInvocation.model_validate_json(
        (manifest.artifacts_dir() / "shop" / result.invocation_id / "invocation.json").read_text()
    )
    assert recorded.trace_context == {"traceparent": "00-abc-def-01"}


def test_concurrent_invocations_each_reach_the_observers_once(
    manifest: PlatformManifest,
) -> None:
    tracer = _TracingObserver()
    floe, runtime = _floe(manifest, observers=[tracer])
    runtime.barrier = threading.Barrier(2)
    results: list[DBTRunResult] = []
    threads = [threading.Thread(target=lambda: results.append(floe.build())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(results) == 2
    assert sorted(tracer.events) == sorted(["run_started", "run_planned", "run_finished"] * 2)
    recorded = {record.invocation_id for record in read_index(manifest.artifacts_dir(), "shop")}
    assert recorded == {result.invocation_id for result in results}


def test_close_closes_everything_once_even_when_an_observer_fails(
    manifest: PlatformManifest,
) -> None:
    class _FailsToFlush(_TracingObserver):
        def close(self) -> None:
            raise OSError("collector unreachable")

    last = _TracingObserver()
    floe, runtime = _floe(manifest, observers=[_FailsToFlush(), last])
    with pytest.raises(OSError, match="collector unreachable"):
        floe.close()
    assert (last.closed, runtime.closed) == (True, True)
    runtime.closed = False
    floe.close()
    assert runtime.closed is False


class _NoBuildsOnDev:
    @hookimpl
    def floe_check_run(self, invocation: DBTInvocation) -> Veto | None:
        return Veto("no builds on dev") if invocation.target == "dev" else None


def test_a_plugin_policy_veto_stops_the_run_before_it_starts(manifest: PlatformManifest) -> None:
    plugins = FloePluginManager()
    plugins.register(_NoBuildsOnDev(), "policy")
    floe, runtime = _floe(manifest, plugins=plugins)
    with pytest.raises(RunVetoedError, match="no builds on dev"):
        floe.build()
    assert runtime.invocations == []
    assert read_index(manifest.artifacts_dir(), "shop") == []


def test_from_manifest_fails_on_config_before_building_a_runtime(
    manifest: PlatformManifest, tmp_path: Path
) -> None:
    # "scripted" is not installed: reaching the registry would raise PluginNotFoundError.
    with pytest.raises(ProjectError, match="no dbt project at"):
        Floe.from_manifest(manifest.source_path, project_dir=tmp_path / "nowhere")
    with pytest.raises(ManifestError, match="platform manifest not found"):
        Floe.from_manifest(tmp_path / "missing.yaml")


def test_a_target_the_generated_profile_lacks_is_a_config_error(
    manifest: PlatformManifest,
) -> None:
    floe, _ = _floe(manifest)
    with pytest.raises(ConfigError, match="target 'prod' does not exist"):
        floe.plan(target="prod")


def test_validate_stops_after_an_unloadable_manifest(tmp_path: Path) -> None:
    report = validate(tmp_path / "missing.yaml")
    assert not report.ok
    assert [(check.name, check.ok) for check in report.checks] == [("manifest", False)]
    assert report.checks[0].hint is not None
