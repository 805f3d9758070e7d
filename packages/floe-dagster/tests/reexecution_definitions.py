"""A workspace's assets as a reconstructable job, for tests that re-execute runs
(``execute_job`` loads it by module name). The workspace is ``FLOE_DAGSTER_TEST_MANIFEST``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from dagster import Definitions, JobDefinition, define_asset_job, in_process_executor

from floe_dagster import FloeProject, FloeResource, floe_assets

PROJECT = FloeProject(os.environ["FLOE_DAGSTER_TEST_MANIFEST"])
PROJECT.prepare_if_dev()


@floe_assets(PROJECT)
def assets(context, floe: FloeResource) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    yield from floe.build(context)


def define_job() -> JobDefinition:
    defs = Definitions(
        assets=[assets],
        jobs=[define_asset_job("everything", executor_def=in_process_executor)],
        resources={"floe": FloeResource(platform_manifest=str(PROJECT.platform_manifest))},
    )
    return defs.resolve_job_def("everything")
