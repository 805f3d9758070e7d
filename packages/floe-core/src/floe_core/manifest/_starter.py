"""The commented starter manifest ``floe init`` writes."""

from __future__ import annotations

import json

__all__ = ["starter_manifest"]

_TEMPLATE = """\
# floe platform manifest: WHERE dbt runs. Data engineers keep writing ordinary dbt models;
# this file picks the runtime, the warehouse and observability for them.
apiVersion: floe.dev/v1
kind: PlatformManifest

metadata:
  name: {name}

# The dbt project floe runs (relative to this file) and its default target/vars.
project:
  dir: {project_dir}
  target: dev
  vars: {{}}

plugins:
  dbt_runtime:
    # An installed runtime (`floe plugins list` shows them): local | cloud | temporal.
    type: {runtime}
    # Options of that runtime, checked by the runtime itself.
    config: {{}}

# floe generates the dbt profile from `compute`; secrets are referenced, never written here.
# Types: duckdb | postgres | snowflake | bigquery | redshift | databricks | trino (and any a
# package registers in entry point group floe.warehouses); see docs/manifest-reference.md.
compute:
  type: duckdb
  config:
    path: .floe/warehouse/warehouse.duckdb
    threads: 4
# compute:
#   type: postgres
#   config:
#     host: localhost
#     port: 5432
#     user: analytics
#     password: ${{env:PG_PASSWORD}}
#     dbname: analytics
#     schema: public
#     threads: 8
#
# ... or use an existing profiles.yml instead of `compute`:
# profile:
#   profiles_dir: ~/.dbt
#   profile_name: my_profile

# Run results, logs and dbt artifacts.
artifacts:
  type: local
  path: .floe/artifacts

observability:
  lineage:
    enabled: false          # true: emit OpenLineage events
  tracing:
    enabled: false          # true: emit OpenTelemetry spans
"""


def starter_manifest(project_dir: str = ".", runtime: str = "local", name: str = "floe") -> str:
    """A commented platform-manifest.yaml for ``floe init`` that loads as is."""
    # JSON strings are valid YAML scalars and keep names like "yes" or "123" strings.
    return _TEMPLATE.format(
        name=json.dumps(name), project_dir=json.dumps(project_dir), runtime=json.dumps(runtime)
    )
