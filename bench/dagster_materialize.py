"""The Dagster side of ``bench.dagster_bench``: one process materializing every asset.

``python bench/dagster_materialize.py PLATFORM_MANIFEST INSTANCE MODE``, where INSTANCE is
``ephemeral`` (``materialize``'s default) or ``persistent`` (``DAGSTER_HOME``), and MODE is

- ``thread``: ``FloeResource.build`` as configured by default, the build in a thread of the
  step;
- ``process``: ``FloeResource(build_process=True)``, the build in a child process;
- ``stub``: Dagster alone: the step yields the same materializations and check results (one
  per asset and per check, with metadata like floe-dagster's) at once, running no dbt.

It prints the run's Dagster events by type (``EVENTS {...}``) and when, in seconds since the
script started, its imports ended, the step started and ended (``TIMELINE {...}``).
"""

# No ``from __future__ import annotations``: Dagster reads the asset function's annotations.
import time

STARTED = time.time()

import collections  # noqa: E402  # the imports are timed
import json  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

from dagster import (  # noqa: E402
    AssetCheckResult,
    AssetExecutionContext,
    DagsterEventType,
    DagsterInstance,
    MaterializeResult,
    materialize,
)

from floe_dagster import FloeProject, FloeResource, floe_assets  # noqa: E402

IMPORTED = time.time()


def _stub_results(context: AssetExecutionContext) -> Iterator[Any]:
    checks = collections.defaultdict(list)
    for check in context.selected_asset_check_keys:
        checks[check.asset_key].append(check)
    for key in sorted(context.selected_asset_keys):
        metadata: dict[str, Any] = {
            "execution_time": 0.1,
            "rows_affected": 1,
            "floe/unique_id": str(key),
        }
        yield MaterializeResult(asset_key=key, metadata=metadata)
        for check in checks[key]:
            yield AssetCheckResult(
                asset_key=key, check_name=check.name, passed=True, metadata=metadata
            )


def main(platform_manifest: str, instance_kind: str, mode: str) -> int:
    project = FloeProject(platform_manifest)
    project.prepare_if_dev()

    @floe_assets(project)
    def generated(context: AssetExecutionContext, floe: FloeResource) -> Iterator[Any]:
        if mode == "stub":
            yield from _stub_results(context)
        else:
            yield from floe.build(context)

    instance = (
        DagsterInstance.get() if instance_kind == "persistent" else DagsterInstance.ephemeral()
    )
    floe = FloeResource(
        platform_manifest=platform_manifest, threads=4, build_process=mode == "process"
    )
    result = materialize([generated], instance=instance, resources={"floe": floe})
    print(len(result.get_asset_materialization_events()), "assets materialized")
    logs = instance.all_logs(result.run_id)
    events = collections.Counter(
        entry.dagster_event.event_type_value if entry.dagster_event else "LOG" for entry in logs
    )
    print("EVENTS " + json.dumps(dict(events)))
    if not result.success:
        return 1
    step = {
        entry.dagster_event.event_type: entry.timestamp - STARTED
        for entry in logs
        if entry.dagster_event
        and entry.dagster_event.event_type
        in (DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS)
    }
    timeline = {
        "imports": IMPORTED - STARTED,
        "step_start": step[DagsterEventType.STEP_START],
        "step_end": step[DagsterEventType.STEP_SUCCESS],
        "end": time.time() - STARTED,
    }
    print("TIMELINE " + json.dumps({name: round(at, 2) for name, at in timeline.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
