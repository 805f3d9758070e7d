"""``floe retry`` on dbt Cloud: the stored run's dbt Cloud run, retried where it ran.

floe core hands the runtime the project's last stored run (``retry_of``) with that run's
handle; for a ``cloud`` run it names the dbt Cloud run and its job. dbt Cloud's ``POST
runs/{id}/retry/`` runs ``dbt retry`` of that run's own command with its own arguments (vars
included), so nothing but the run id is needed. dbt Cloud retries only a job's latest run
that failed after writing run results; anything else is refused here, before a request
that would create a run, with dbt Cloud's reason in words.
"""

from __future__ import annotations

from floe_core import DBTInvocation, RunHandle, RuntimeExecutionError
from floe_dbt_cloud._client import DbtCloudClient
from floe_dbt_cloud._models import CloudRun

__all__ = ["retried_cloud_run"]

_REASONS = {
    "RETRY_NOT_LATEST_RUN": "the job ran again since; dbt Cloud retries only a job's latest run",
    "RETRY_NOT_FAILED_RUN": "it did not fail: there is nothing to retry",
    "RETRY_NO_RUN_RESULTS": "it failed before dbt wrote run results, so dbt cannot tell what"
    " to re-run",
    "RETRY_UNSUPPORTED_CMD": "its command cannot be retried by dbt Cloud",
    "RETRY_UNSUPPORTED_VERSION": "its dbt version cannot be retried by dbt Cloud",
}
_HINT = "run the command again (e.g. `floe build -s ...`) instead of retrying it"


def _handle(invocation: DBTInvocation) -> RunHandle:
    handle = invocation.command_args.retried_handle
    if handle is None or handle.runtime != "cloud":
        ran_on = f" ran on runtime {handle.runtime!r}" if handle is not None else " has no handle"
        raise RuntimeExecutionError(
            f"cannot retry run {invocation.retry_of or '?'} on dbt Cloud: it{ran_on}, and"
            " dbt Cloud retries only its own runs",
            hint=f"retry it on the runtime it ran on (`floe retry --runtime "
            f"{handle.runtime if handle is not None else 'local'}`), or {_HINT}",
        )
    return handle


def retried_cloud_run(client: DbtCloudClient, invocation: DBTInvocation) -> CloudRun:
    """The dbt Cloud run ``invocation`` retries, checked to be one dbt Cloud can retry."""
    run = client.get_run(int(_handle(invocation).external_id), with_steps=False)
    if run.can_retry is False:
        reason = run.retry_not_supported_reason or "unknown reason"
        raise RuntimeExecutionError(
            f"dbt Cloud cannot retry run {run.id} (floe run {invocation.retry_of}): "
            f"{_REASONS.get(reason, reason)} ({reason})",
            hint=_HINT,
        )
    return run
