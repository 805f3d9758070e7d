from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from floe_core import (
    DBTCommand,
    DBTInvocation,
    GeneratedProfile,
    PluginError,
    RunStarted,
    hookimpl,
)
from floe_core.plugins import FloePluginManager, RunVetoedError, Veto

InstallPlugin = Callable[[str, str], None]


def _invocation(**overrides: Any) -> DBTInvocation:
    profile = GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": ":memory:"}})
    return DBTInvocation(project_dir=Path("/nonexistent"), profile=profile, **overrides)


POLICY = """
    from floe_core import Veto, hookimpl

    @hookimpl
    def floe_check_run(invocation, command):
        if invocation.target == "prod" and not invocation.full_refresh:
            return Veto("production target requires --full-refresh approval")
        return None
"""


def test_entry_point_plugin_is_loaded_with_its_distribution(install_plugin: InstallPlugin) -> None:
    install_plugin("policy", POLICY)

    plugins = FloePluginManager.from_entry_points()

    info = next(p for p in plugins.plugins if p.name == "policy")
    assert (info.distribution, info.version, info.hooks) == (
        "floe-policy",
        "1.2.3",
        ("floe_check_run",),
    )
    assert plugins.failures == ()


def test_veto_names_the_plugin_and_reason(install_plugin: InstallPlugin) -> None:
    install_plugin("policy", POLICY)
    plugins = FloePluginManager.from_entry_points()

    plugins.check_run_allowed(_invocation(target="dev"), DBTCommand.BUILD)
    plugins.check_run_allowed(_invocation(target="prod", full_refresh=True), DBTCommand.BUILD)
    with pytest.raises(RunVetoedError) as caught:
        plugins.check_run_allowed(_invocation(target="prod"), DBTCommand.BUILD)

    error = caught.value
    assert (error.plugin, error.distribution, error.exit_code) == ("policy", "floe-policy", 2)
    assert "plugin 'policy' (from floe-policy)" in str(error)
    assert "production target requires --full-refresh approval" in str(error)


def test_plugin_that_fails_to_import_is_recorded_and_floe_continues(
    install_plugin: InstallPlugin,
) -> None:
    install_plugin("broken", "import floe_no_such_module\n")
    install_plugin("policy", POLICY)

    plugins = FloePluginManager.from_entry_points()

    assert [p.name for p in plugins.plugins] == ["policy"]
    (failure,) = plugins.failures
    assert (failure.name, failure.distribution) == ("broken", "floe-broken")
    assert "ModuleNotFoundError" in failure.error
    assert "floe_no_such_module" in failure.error


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from floe_core import hookimpl\n"
            "@hookimpl\ndef floe_node_finished(result, colour): pass\n",
            "colour",
        ),
        (
            "from floe_core import hookimpl\n@hookimpl\ndef floe_node_finishd(result): pass\n",
            "unknown hook(s) floe_node_finishd",
        ),
        (
            "from floe_core import hookimpl\n"
            "@hookimpl(wrapper=True)\ndef floe_run_finished(result):\n    yield\n",
            "wrapper implementation(s) of floe_run_finished",
        ),
    ],
    ids=["unknown-argument", "unknown-hook", "wrapper"],
)
def test_invalid_hook_signature_names_the_plugin(
    install_plugin: InstallPlugin, source: str, expected: str
) -> None:
    install_plugin("sloppy", source)

    plugins = FloePluginManager.from_entry_points()

    assert plugins.plugins == ()
    (failure,) = plugins.failures
    assert "floe plugin 'sloppy' (from floe-sloppy)" in failure.error
    assert expected in failure.error


def test_register_raises_plugin_error_for_an_invalid_plugin() -> None:
    class Sloppy:
        @hookimpl
        def floe_run_started(self, event: RunStarted, colour: str) -> None: ...

    plugins = FloePluginManager()
    with pytest.raises(PluginError, match=r"floe plugin 'sloppy' has an invalid hook"):
        plugins.register(Sloppy(), "sloppy")

    class Fine:
        @hookimpl
        def floe_run_started(self, event: RunStarted) -> None: ...

    # Validation happens before registration: the rejected plugin left nothing behind.
    plugins.register(Fine(), "sloppy")
    assert [p.name for p in plugins.plugins] == ["sloppy"]


def test_policy_that_raises_stops_the_run_with_a_plugin_error() -> None:
    class Crashing:
        @hookimpl
        def floe_check_run(self, command: DBTCommand) -> Veto | None:
            raise RuntimeError("policy service unreachable")

    plugins = FloePluginManager()
    plugins.register(Crashing(), "crashing", distribution="floe-crashing")
    with pytest.raises(PluginError, match="policy service unreachable") as caught:
        plugins.check_run_allowed(_invocation(), DBTCommand.RUN)
    assert "floe plugin 'crashing' (from floe-crashing)" in str(caught.value)


def test_policy_returning_something_else_than_a_veto_is_a_plugin_error() -> None:
    class Confused:
        @hookimpl
        def floe_check_run(self) -> str:
            return "no"

    plugins = FloePluginManager()
    plugins.register(Confused(), "confused")
    with pytest.raises(PluginError, match=r"returned 'no'"):
        plugins.check_run_allowed(_invocation(), DBTCommand.RUN)


def test_lineage_facets_are_merged_and_a_failing_plugin_is_skipped() -> None:
    event = RunStarted(
        invocation_id="inv",
        command=DBTCommand.BUILD,
        runtime="local",
        project_name="shop",
        project_dir=Path("."),
        started_at=datetime.now(UTC),
    )

    class Owner:
        @hookimpl
        def floe_lineage_run_facets(self, event: RunStarted) -> dict[str, object]:
            return {"owner": {"team": "data-platform"}, "cost": {"usd": 1}}

    class Cost:
        @hookimpl
        def floe_lineage_run_facets(self) -> dict[str, object]:
            return {"cost": {"usd": 2}}

    class Broken:
        @hookimpl
        def floe_lineage_run_facets(self) -> dict[str, object]:
            raise ValueError("boom")

    plugins = FloePluginManager()
    for name, plugin in [("owner", Owner()), ("cost", Cost()), ("broken", Broken())]:
        plugins.register(plugin, name)

    # Last registered is called first (pluggy order); the first value of a facet wins.
    assert plugins.lineage_run_facets(event) == {
        "cost": {"usd": 2},
        "owner": {"team": "data-platform"},
    }
