"""``SubprocessRuntime``: the floe runtime contract on top of the dbt CLI."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from floe_core import (
    DBTCommand,
    DBTCompilationError,
    DBTInvocation,
    DBTRunResult,
    DBTRuntimePlugin,
    ExecutionPlan,
    HealthStatus,
    NodeResult,
    PlannedNode,
    PluginConfigError,
    RuntimeExecutionError,
    order_nodes,
    read_project_name,
)
from floe_core.profiles import materialize_profile
from floe_dbt_subprocess._cli_args import dbt_arguments
from floe_dbt_subprocess._config import SubprocessRuntimeConfig
from floe_dbt_subprocess._process import run_streaming
from floe_dbt_subprocess._translator import DbtJsonLogTranslator

__all__ = ["SubprocessRuntime"]

_EXECUTABLE_TYPES = ("model", "seed", "snapshot", "test")
# dbt exit codes: 0 all good, 1 some nodes failed, 2 dbt itself failed.
_NODES_FAILED = 1
_COMPILE_ERRORS = ("Compilation Error", "Parsing Error", "Dependency Error")


class SubprocessRuntime(DBTRuntimePlugin[SubprocessRuntimeConfig]):
    """Runs each invocation as ``dbt <command> --log-format json`` in a child process."""

    name = "subprocess"
    config_model = SubprocessRuntimeConfig
    api_version = "1.0"  # the floe plugin API this runtime was written against

    def __init__(self, config: SubprocessRuntimeConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._profiles_cache = Path(tempfile.mkdtemp(prefix="floe-subprocess-"))

    # -- the contract --------------------------------------------------------------------
    def execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        started_at = datetime.now(UTC)
        translator = DbtJsonLogTranslator(invocation.invocation_id)
        output_tail: deque[str] = deque(maxlen=20)

        def on_line(line: str) -> None:
            output_tail.append(line.rstrip())
            for event in translator.translate(line):
                self.events.emit(event)

        returncode = self._dbt(
            command.value, invocation, on_line, "--log-format", "json", "--log-level", "debug"
        )
        if translator.error is not None or returncode > _NODES_FAILED:
            message = translator.error or "\n".join(output_tail)
            error_type = (
                DBTCompilationError
                if message.startswith(_COMPILE_ERRORS)
                else RuntimeExecutionError
            )
            raise error_type(f"dbt {command} failed (exit code {returncode}): {message}")
        artifacts = invocation.artifacts_dir.resolve()
        run_results = artifacts / "run_results.json"
        nodes = _with_compiled_code(tuple(translator.results.values()), run_results)
        completed_at = datetime.now(UTC)
        return DBTRunResult(
            invocation_id=invocation.invocation_id,
            command=command,
            runtime=self.name,
            status=DBTRunResult.status_from_nodes(nodes),
            started_at=started_at,
            completed_at=completed_at,
            elapsed_seconds=(completed_at - started_at).total_seconds(),
            nodes=nodes,
            manifest_path=translator.manifest_path,
            run_results_path=run_results if run_results.is_file() else None,
            log_path=artifacts / "dbt.log",
        )

    def plan(self, invocation: DBTInvocation) -> ExecutionPlan:
        lines: list[str] = []
        returncode = self._dbt(
            "ls",
            invocation,
            lines.append,
            "--quiet",
            "--output",
            "json",
            "--output-keys",
            "unique_id name resource_type depends_on config",
            "--resource-type",
            *_EXECUTABLE_TYPES,
        )
        if returncode != 0:
            raise DBTCompilationError(f"dbt ls failed (exit code {returncode}): {''.join(lines)}")
        listed = [json.loads(line) for line in lines if line.startswith("{")]
        selected = {item["unique_id"] for item in listed}
        return ExecutionPlan(
            project_name=read_project_name(invocation.project_dir),
            nodes=order_nodes(
                PlannedNode(
                    unique_id=item["unique_id"],
                    name=item["name"],
                    resource_type=item["resource_type"],
                    materialization=item["config"].get("materialized"),
                    depends_on=tuple(
                        parent
                        for parent in item["depends_on"].get("nodes", ())
                        if parent in selected
                    ),
                )
                for item in listed
            ),
        )

    def supports_parallel_execution(self) -> bool:
        return True  # dbt's own thread pool (--threads)

    def health_check(self) -> HealthStatus:
        # Cheap on purpose: `dbt --version` would cost seconds of imports.
        try:
            executable = self.config.resolve_executable()
        except PluginConfigError as exc:
            return HealthStatus(healthy=False, message=exc.message, checks={"dbt": "missing"})
        if not os.access(executable, os.X_OK):
            return HealthStatus(
                healthy=False, message=f"{executable} is not executable", checks={"dbt": "denied"}
            )
        return HealthStatus(healthy=True, message=f"dbt at {executable}", checks={"dbt": "ok"})

    def close(self) -> None:
        shutil.rmtree(self._profiles_cache, ignore_errors=True)

    # -- internals -----------------------------------------------------------------------
    def _dbt(self, subcommand: str, invocation: DBTInvocation, on_line: Any, *extra: str) -> int:
        profile = materialize_profile(invocation.profile, cache_dir=self._profiles_cache)
        argv = [
            str(self.config.resolve_executable()),
            *dbt_arguments(subcommand, invocation, profile),
            *extra,
        ]
        return run_streaming(
            argv, on_line=on_line, env=self.config.env, timeout_seconds=self.config.timeout_seconds
        )


def _with_compiled_code(nodes: tuple[NodeResult, ...], run_results: Path) -> tuple[NodeResult, ...]:
    """Add each node's compiled SQL, which dbt writes to run_results.json but not the log."""
    if not run_results.is_file():
        return nodes
    compiled = {
        entry["unique_id"]: entry.get("compiled_code")
        for entry in json.loads(run_results.read_text(encoding="utf-8")).get("results", ())
    }
    return tuple(
        node.model_copy(update={"compiled_code": compiled[node.unique_id]})
        if compiled.get(node.unique_id)
        else node
        for node in nodes
    )
