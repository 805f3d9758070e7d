"""The contract of the commands beyond the node-running ones, for each a runtime declares.

A runtime lists its commands in ``supported_commands``; every one of ``deps``, ``parse``,
``ls``, ``show``, ``run-operation``, ``source freshness``, ``docs generate``, ``debug``,
``clean`` and ``retry`` it lists is run here and must keep the event stream's promises and
say what dbt says. One it does not list must be refused before anything runs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from floe_core._errors import UnsupportedCommandError
from floe_core._invocation import NODE_COMMANDS, DBTCommand, DBTInvocation
from floe_core._results import NodeStatus, RunStatus
from floe_core._runtime import DBTRuntimePlugin
from floe_core.testing.contract._project import FAILURE_VARS, ContractProject
from floe_core.testing.contract._recording import RecordedRun, assert_event_stream, record

__all__ = ["DeclaredCommandTests"]

OTHER_COMMANDS = tuple(command for command in DBTCommand if command not in NODE_COMMANDS)

_RETRIED = {
    "order_totals": NodeStatus.SUCCESS,
    "order_report": NodeStatus.SUCCESS,
    "customer_orders_have_orders": NodeStatus.SUCCESS,
}
"""What ``retry`` re-runs after the failing build, with the failures switched off: the
errored model, its skipped child and the failed test (not the warning)."""


class DeclaredCommandTests:
    """Mixed into :class:`RuntimeContractTests`; uses its ``runtime`` fixture."""

    @pytest.fixture(scope="class")
    def commands_project(self, tmp_path_factory: pytest.TempPathFactory) -> ContractProject:
        """A copy of its own: ``clean`` deletes target/, which other runs read."""
        return ContractProject.create(tmp_path_factory.mktemp("floe-contract-commands"))

    @pytest.fixture(scope="class")
    def retry_state(
        self, runtime: DBTRuntimePlugin[Any], commands_project: ContractProject
    ) -> Path:
        """A folder holding the run_results.json of a build with failures."""
        if DBTCommand.RETRY not in runtime.supported_commands:
            pytest.skip(f"runtime {runtime.name!r} does not declare retry")
        run = record(runtime, DBTCommand.BUILD, commands_project.invocation(vars=FAILURE_VARS))
        source = run.result.run_results_path
        assert source is not None, "a build must say where its run_results.json is"
        assert source.is_file(), f"no run_results.json at {source}"
        state = commands_project.project_dir.parent / "retry-state"
        state.mkdir(exist_ok=True)
        shutil.copy(source, state / "run_results.json")
        return state

    @staticmethod
    def _invocation(
        command: DBTCommand, project: ContractProject, request: pytest.FixtureRequest
    ) -> DBTInvocation:
        fields: dict[str, Any] = {}
        if command is DBTCommand.LIST:
            fields = {"select": ("stg_orders+",), "command_args": {"output": "name"}}
        elif command is DBTCommand.SHOW:
            fields = {"command_args": {"inline": "select 41 + 1 as answer"}}
        elif command is DBTCommand.RUN_OPERATION:
            fields = {"command_args": {"macro": "greet", "macro_args": {"name": "contract"}}}
        elif command is DBTCommand.RETRY:
            state = request.getfixturevalue("retry_state")
            fields = {
                "vars": {"fail_model": False, "fail_test": False},
                "command_args": {"state_dir": str(state)},
            }
        return project.invocation(**fields)

    @pytest.mark.parametrize("command", OTHER_COMMANDS, ids=[c.value for c in OTHER_COMMANDS])
    def test_declared_command_runs(
        self,
        request: pytest.FixtureRequest,
        runtime: DBTRuntimePlugin[Any],
        commands_project: ContractProject,
        command: DBTCommand,
    ) -> None:
        if command not in runtime.supported_commands:
            with pytest.raises(UnsupportedCommandError) as refused:
                runtime.invoke(command, commands_project.invocation())
            assert command.value in refused.value.message
            return
        run = record(runtime, command, self._invocation(command, commands_project, request))
        if run.error is not None:
            raise AssertionError(f"{command} raised: {run.error}") from run.error
        assert (run.result.command, run.result.runtime) == (command, runtime.name)
        assert run.result.status is RunStatus.SUCCESS, run.result.error
        assert_event_stream(run, runtime.name)
        _check_what_it_says(run)


def _check_what_it_says(run: RecordedRun) -> None:
    """The command-specific promise: what dbt prints or reports for it."""
    result, output = run.result, run.result.output or ""
    if run.command is DBTCommand.LIST:
        listed = set(output.split())
        assert {"stg_orders", "order_totals", "unique_stg_orders_order_id"} <= listed, output
        assert not listed & {"raw_orders", "stg_customers"}, f"not selected: {output}"
    elif run.command is DBTCommand.SHOW:
        assert json.loads(output)["show"] == [{"answer": 42}], output
    elif run.command is DBTCommand.RUN_OPERATION:
        assert "hello contract" in output, output
    elif run.command is DBTCommand.SOURCE_FRESHNESS:
        assert run.statuses() == {"now": NodeStatus.SUCCESS}
        assert {node.resource_type for node in result.nodes} == {"source"}
    elif run.command is DBTCommand.DOCS_GENERATE:
        assert result.nodes, "docs generate compiles the project's nodes"
    elif run.command is DBTCommand.DEBUG:
        assert "OK" in output, f"debug must report its checks: {output}"
    elif run.command is DBTCommand.RETRY:
        assert run.statuses() == _RETRIED
