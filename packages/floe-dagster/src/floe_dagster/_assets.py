"""``@floe_assets``: a dbt project's models, seeds and snapshots as one subsettable multi-asset."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dagster import (
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    PartitionsDefinition,
    multi_asset,
)

from floe_dagster._project import FloeProject
from floe_dagster._specs import build_specs
from floe_dagster._translator import FloeDagsterTranslator

__all__ = ["floe_assets", "floe_source_specs"]


def floe_assets(
    project: FloeProject,
    *,
    name: str | None = None,
    translator: FloeDagsterTranslator | None = None,
    partitions_def: PartitionsDefinition[Any] | None = None,
    backfill_policy: BackfillPolicy | None = None,
    op_tags: Mapping[str, Any] | None = None,
    pool: str | None = None,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Decorate the function that runs the project's assets, usually::

        @floe_assets(FloeProject("platform-manifest.yaml"))
        def shop(context: AssetExecutionContext, floe: FloeResource):
            yield from floe.build(context)

    Every model, seed and snapshot of the project's manifest.json is an asset of the returned
    definition (dbt tests attached to one are its asset checks); any subset can be
    materialized, and only that subset runs. ``name`` defaults to the dbt project's name.
    """
    manifest = project.load_manifest()
    specs = build_specs(manifest, translator)
    project_name = (manifest.get("metadata") or {}).get("project_name") or "dbt"
    return multi_asset(
        specs=specs.assets,
        check_specs=specs.checks,
        name=name or f"{project_name}_assets",
        can_subset=True,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy,
        op_tags=op_tags,
        pool=pool,
    )


def floe_source_specs(
    project: FloeProject, translator: FloeDagsterTranslator | None = None
) -> list[AssetSpec]:
    """The project's dbt sources as external assets (add them to ``Definitions(assets=...)``
    so the lineage graph shows them, with owners and descriptions)."""
    return build_specs(project.load_manifest(), translator).sources
