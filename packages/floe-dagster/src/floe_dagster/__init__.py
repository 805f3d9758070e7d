"""floe for Dagster: a dbt project's models as Dagster assets, run by the platform manifest's
runtime (local, cloud, temporal or any installed runtime).

>>> from dagster import AssetExecutionContext, Definitions
>>> from floe_dagster import FloeProject, FloeResource, floe_assets
>>> project = FloeProject("platform-manifest.yaml")
>>> project.prepare_if_dev()
>>> @floe_assets(project)
... def shop(context: AssetExecutionContext, floe: FloeResource):
...     yield from floe.build(context)
>>> defs = Definitions(assets=[shop], resources={"floe": FloeResource()})
"""

from __future__ import annotations

from floe_dagster._assets import floe_assets, floe_source_specs
from floe_dagster._freshness_sensor import build_source_freshness_sensor
from floe_dagster._project import FloeProject
from floe_dagster._resource import FloeResource, partition_vars
from floe_dagster._schedules import build_floe_schedule, select_asset_keys
from floe_dagster._source_freshness import SourceFreshness, read_sources_json
from floe_dagster._translator import UNIQUE_ID_METADATA_KEY, FloeDagsterTranslator

__all__ = [
    "UNIQUE_ID_METADATA_KEY",
    "FloeDagsterTranslator",
    "FloeProject",
    "FloeResource",
    "SourceFreshness",
    "build_floe_schedule",
    "build_source_freshness_sensor",
    "floe_assets",
    "floe_source_specs",
    "partition_vars",
    "read_sources_json",
    "select_asset_keys",
]
