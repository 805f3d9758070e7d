"""Which dbt nodes a Dagster step runs: its selected assets and checks, less what earlier
attempts of the same run already did when Dagster re-executes from failure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
)

from floe_dagster._specs import SELECTOR_METADATA_KEY
from floe_dagster._translator import UNIQUE_ID_METADATA_KEY

__all__ = ["StepSelection", "select_for_step"]

_RESUME_RETRY_TAG = "dagster/is_resume_retry"
"""Set by Dagster (UI, run retries) on a run that re-executes a failed run from failure."""


def _resumes_failure(run: DagsterRun) -> bool:
    """Whether ``run`` re-executes its parent from failure: tagged so by the UI and run
    retries, or (``execute_job`` with ``ReexecutionOptions.from_failure``) a re-execution
    limited to some steps. Re-executing *all* steps runs everything again, as asked."""
    if run.parent_run_id is None:
        return False
    return run.tags.get(_RESUME_RETRY_TAG) == "true" or run.step_keys_to_execute is not None


@dataclass(frozen=True)
class StepSelection:
    """What one step runs, as dbt selectors and as the Dagster keys of the nodes."""

    asset_keys: Mapping[str, AssetKey]
    """dbt unique_id -> asset key of each asset to materialize."""
    check_keys: Mapping[str, AssetCheckKey]
    """dbt unique_id -> check key of each check to evaluate."""
    select: tuple[str, ...]
    exclude: tuple[str, ...]
    already_done: frozenset[AssetKey | AssetCheckKey] = field(default_factory=frozenset)
    """Keys an earlier attempt of this run materialized or evaluated (left out of this one)."""

    @property
    def empty(self) -> bool:
        return not self.select


def _done_in_earlier_attempts(
    instance: DagsterInstance, parent_run_id: str | None
) -> frozenset[AssetKey | AssetCheckKey]:
    """Assets materialized and checks evaluated by the chain of failed attempts, counting an
    asset as not done when one of its blocking checks failed (as Dagster's own
    re-execution from asset failure does)."""
    materialized: set[AssetKey] = set()
    evaluated: set[AssetCheckKey] = set()
    blocked: set[AssetKey] = set()
    run_id = parent_run_id
    while run_id is not None:
        for record in instance.all_logs(
            run_id,
            of_type={
                DagsterEventType.ASSET_MATERIALIZATION,
                DagsterEventType.ASSET_CHECK_EVALUATION,
            },
        ):
            event = record.dagster_event
            if event is None:
                continue
            data = event.event_specific_data
            if isinstance(data, AssetCheckEvaluation):
                if data.blocking and not data.passed:
                    blocked.add(data.asset_check_key.asset_key)
                else:
                    evaluated.add(data.asset_check_key)
            elif event.asset_key is not None:
                materialized.add(event.asset_key)
        run = instance.get_run_by_id(run_id)
        run_id = run.parent_run_id if run is not None and _resumes_failure(run) else None
    return frozenset(
        {*(materialized - blocked), *(c for c in evaluated if c.asset_key not in blocked)}
    )


def _selector(metadata: Mapping[str, object], what: str) -> tuple[str, str]:
    unique_id, selector = metadata.get(UNIQUE_ID_METADATA_KEY), metadata.get(SELECTOR_METADATA_KEY)
    if not isinstance(unique_id, str) or not isinstance(selector, str):
        raise ValueError(
            f"{what} has no {UNIQUE_ID_METADATA_KEY!r}/{SELECTOR_METADATA_KEY!r} metadata: it"
            " was not built by floe_assets (or its translator dropped floe's metadata)"
        )
    return unique_id, selector


def select_for_step(context: AssetExecutionContext) -> StepSelection:
    """dbt ``--select``/``--exclude`` for exactly the step's selected assets and checks."""
    assets_def = context.assets_def
    run = context.run
    done: frozenset[AssetKey | AssetCheckKey] = frozenset()
    if _resumes_failure(run):
        done = _done_in_earlier_attempts(context.instance, run.parent_run_id)
    keys = {key for key in context.selected_asset_keys if key not in done}
    all_checks: Iterable[AssetCheckSpec] = assets_def.node_check_specs_by_output_name.values()
    checks_by_key = {spec.key: spec for spec in all_checks}
    selected_checks = {
        key for key in context.selected_asset_check_keys if key not in done or key.asset_key in keys
    }
    asset_ids: dict[str, AssetKey] = {}
    select: list[str] = []
    for key in sorted(keys):
        unique_id, selector = _selector(assets_def.specs_by_key[key].metadata, str(key))
        asset_ids[unique_id] = key
        select.append(selector)
    check_ids: dict[str, AssetCheckKey] = {}
    exclude: list[str] = []
    for check_key, spec in sorted(checks_by_key.items()):
        unique_id, selector = _selector(spec.metadata, str(check_key))
        if check_key in selected_checks:
            check_ids[unique_id] = check_key
            if check_key.asset_key not in keys:  # not reached by dbt's indirect selection
                select.append(selector)
        elif check_key.asset_key in keys:  # dbt would run it with its model: leave it out
            exclude.append(selector)
    return StepSelection(
        asset_keys=asset_ids,
        check_keys=check_ids,
        select=tuple(select),
        exclude=tuple(exclude),
        already_done=done,
    )
