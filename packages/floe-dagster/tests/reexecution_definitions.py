"""A workspace's assets as a reconstructable job, for tests that re-execute runs
(``execute_job`` loads it by module name; the platform manifest is its argument, so each
workspace is a different job to Dagster's caches)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dagster import Definitions, JobDefinition, define_asset_job, in_process_executor

from floe_dagster import FloeProject, FloeResource, floe_assets


def define_job(platform_manifest: str) -> JobDefinition:
    project = FloeProject(platform_manifest)
    project.prepare_if_dev()

    @floe_assets(project)
    def assets(context, floe: FloeResource) -> Iterator[Any]:  # type: ignore[no-untyped-def]
        yield from floe.build(context)

    defs = Definitions(
        assets=[assets],
        jobs=[define_asset_job("everything", executor_def=in_process_executor)],
        resources={"floe": FloeResource(platform_manifest=platform_manifest)},
    )
    return defs.resolve_job_def("everything")
