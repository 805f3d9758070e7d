"""Installed extension plugins on a real run: policy veto, node/run hooks, isolation."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from floe_core import FloeEvent, NodeStatus, RunStatus, RunVetoedError
from floe_core.api import Floe
from floe_core.testing.contract import ContractProject

InstallPlugin = Callable[[str, str], None]

POLICY = """
    from floe_core import DBTCommand, Veto, hookimpl

    @hookimpl
    def floe_check_run(invocation, command):
        if command is DBTCommand.BUILD and not invocation.select:
            return Veto("full builds need --select in this workspace")
        return None
"""
NOTIFIER = """
    from floe_core import hookimpl

    calls = []

    @hookimpl
    def floe_node_finished(result):
        calls.append(("node", result.name, result.status))

    @hookimpl
    def floe_run_finished(result):
        calls.append(("run", result.command, result.status))
"""
CRASHING = """
    from floe_core import hookimpl

    @hookimpl
    def floe_node_finished(event):
        raise RuntimeError("webhook down")
"""
MANIFEST = """
apiVersion: floe.dev/v1
kind: PlatformManifest
project: {dir: project}
plugins: {dbt_runtime: {type: local}}
compute: {type: duckdb, config: {path: warehouse.duckdb}}
artifacts: {path: artifacts}
"""


@pytest.mark.slow
def test_installed_plugins_veto_observe_and_never_break_a_run(
    install_plugin: InstallPlugin, tmp_path: Path
) -> None:
    for name, source in [
        ("policy", POLICY),
        ("notifier", NOTIFIER),
        ("crashing", CRASHING),
        ("unimportable", "import floe_no_such_dependency\n"),
    ]:
        install_plugin(name, source)
    ContractProject.create(tmp_path)
    (tmp_path / "platform-manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    events: list[FloeEvent] = []

    with Floe.from_manifest(tmp_path / "platform-manifest.yaml") as floe:
        floe.subscribe(events.append)
        assert [f.name for f in floe.plugins.failures] == ["unimportable"]

        with pytest.raises(RunVetoedError, match="full builds need --select") as vetoed:
            floe.build()
        assert vetoed.value.distribution == "floe-policy"
        assert events == [], "a vetoed run must not start"

        result = floe.seed(select=["raw_customers"])

    assert result.status is RunStatus.SUCCESS
    (notifier,) = [m for n, m in sys.modules.items() if n.startswith("floe_test_notifier_")]
    assert notifier.calls == [
        ("node", "raw_customers", NodeStatus.SUCCESS),
        ("run", "seed", RunStatus.SUCCESS),
    ]
