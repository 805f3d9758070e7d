"""dbt retry's selection, read on the client from the retried run's run_results.json.

floe core points ``command_args.state_dir`` at the project's last run in the results store
(and links the new run to it with ``retry_of``); the workflow then re-runs exactly the nodes
dbt retry would, with the command that run ran.
"""

from __future__ import annotations

import json
from pathlib import Path

from floe_core import ConfigError, DBTCommand
from floe_dbt_inprocess import retryable_node_ids

__all__ = ["retried_nodes"]


def retried_nodes(state_dir: Path | None) -> tuple[DBTCommand, tuple[str, ...]]:
    """The command the retried run ran (``args.which``; ``build`` when it does not say) and
    the nodes that did not succeed in it."""
    if state_dir is None:
        raise ConfigError(
            "retry needs the run to retry: command_args.state_dir is not set",
            hint="run `floe retry` (it finds the project's last run in the results store)",
        )
    path = state_dir / "run_results.json"
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the retried run's results at {path}: {exc}",
            hint="retry a run whose run_results.json is in the results store",
        ) from exc
    which = str(previous.get("args", {}).get("which", "build")).replace("-", " ")
    try:
        command = DBTCommand(which)
    except ValueError:  # a run of another tool's making: dbt retry's default
        command = DBTCommand.BUILD
    return command, retryable_node_ids(previous)
