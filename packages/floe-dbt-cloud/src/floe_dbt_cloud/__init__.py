"""floe runtime ``cloud``: run dbt through the dbt Cloud Administrative and Discovery APIs.

``CloudRuntime`` triggers a job with ``steps_override`` built from the floe invocation,
follows the run, and returns the same ``DBTRunResult`` as every runtime. Its layers:
``DbtCloudClient`` (plain HTTP, retries, error translation), ``CloudRunHandler`` (idempotent
trigger, polling, cancel, rerun) and ``CloudEventTranslator`` (dbt Cloud data -> floe results
and events). ``floe_dbt_cloud.testing`` ships a fake dbt Cloud that executes real dbt.
"""

from __future__ import annotations

from floe_dbt_cloud._client import DbtCloudClient
from floe_dbt_cloud._config import CloudConfig, JobByName, RetryPolicy, RunOverrides
from floe_dbt_cloud._errors import DbtCloudAccessError, DbtCloudAPIError, DbtCloudTransientError
from floe_dbt_cloud._models import CloudRun, CloudRunStatus, CloudRunStep
from floe_dbt_cloud._run_handler import CloudRunHandler, RunOutcome
from floe_dbt_cloud._runtime import CloudRuntime
from floe_dbt_cloud._translator import CloudEventTranslator

__all__ = [
    "CloudConfig",
    "CloudEventTranslator",
    "CloudRun",
    "CloudRunHandler",
    "CloudRunStatus",
    "CloudRunStep",
    "CloudRuntime",
    "DbtCloudAPIError",
    "DbtCloudAccessError",
    "DbtCloudClient",
    "DbtCloudTransientError",
    "JobByName",
    "RetryPolicy",
    "RunOutcome",
    "RunOverrides",
]
