"""The shop project's dbt models, seeds and snapshot as Dagster assets, run by floe.

    dagster dev -f examples/dagster/definitions.py
    dagster definitions validate -f examples/dagster/definitions.py

``FLOE_PLATFORM_MANIFEST`` picks another platform manifest (e.g. one whose runtime is
``temporal``); nothing here names a runtime.
"""

import os
from pathlib import Path

from dagster import AssetExecutionContext, Definitions

from floe_dagster import FloeProject, FloeResource, build_floe_schedule, floe_assets

HERE = Path(__file__).resolve().parent
PLATFORM_MANIFEST = os.environ.get("FLOE_PLATFORM_MANIFEST", str(HERE / "platform-manifest.yaml"))

project = FloeProject(PLATFORM_MANIFEST)
project.prepare_if_dev()  # parses the project through floe under `dagster dev` or when missing


@floe_assets(project)
def shop(context: AssetExecutionContext, floe: FloeResource):
    yield from floe.build(context)


defs = Definitions(
    assets=[shop],
    schedules=[
        build_floe_schedule(
            project, shop, name="revenue_nightly", cron_schedule="0 5 * * *", select=["+daily_revenue"]
        ),
    ],
    resources={"floe": FloeResource(platform_manifest=PLATFORM_MANIFEST)},
)
