"""The commands that are no per-node work (``deps``, ``parse``, ``debug``, ``clean``): run
in-process on the client, in the project folder the user works in, as the dbt CLI would.

They change or check that folder and the user's connection, not the workers' checkouts, so
a workflow would be the wrong place; ``floe plugins list --check`` marks them as run on the
client (:attr:`~floe_core.DBTRuntimePlugin.client_side_commands`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from floe_core import DBTCommand, DBTInvocation, DBTRunResult, EventBus, RunPlanned, RunStatus
from floe_core.profiles import materialize_profile
from floe_dbt_inprocess import MessageCollector, dbt_args, invoke_dbt

__all__ = ["CLIENT_SIDE_COMMANDS", "run_on_client"]

CLIENT_SIDE_COMMANDS = frozenset(
    {DBTCommand.DEPS, DBTCommand.PARSE, DBTCommand.DEBUG, DBTCommand.CLEAN}
)


def run_on_client(
    command: DBTCommand,
    invocation: DBTInvocation,
    events: EventBus,
    *,
    work_dir: Path,
    runtime: str,
) -> DBTRunResult:
    """``dbt <command>`` here; what dbt says is the result's ``output``."""
    started_at = datetime.now(UTC)
    profile = materialize_profile(invocation.profile, cache_dir=work_dir / "profiles")
    args = dbt_args(
        command.value,
        project_dir=invocation.project_dir,
        profiles_dir=profile.profiles_dir,
        profile_name=profile.profile_name,
        target=invocation.target or profile.target,
        vars=invocation.vars,
        log_path=invocation.artifacts_dir,
    )
    events.emit(RunPlanned(invocation_id=invocation.invocation_id, node_ids=()))
    messages = MessageCollector()
    outcome = invoke_dbt(args, callbacks=[messages])
    error = None if outcome.success else str(outcome.exception or messages.text or "dbt failed")
    completed_at = datetime.now(UTC)
    return DBTRunResult(
        invocation_id=invocation.invocation_id,
        command=command,
        runtime=runtime,
        status=RunStatus.SUCCESS if outcome.success else RunStatus.ERROR,
        started_at=started_at,
        completed_at=completed_at,
        elapsed_seconds=(completed_at - started_at).total_seconds(),
        output=messages.text,
        error=error,
        metadata={"ran_on": "client"},
    )
