"""Jobs named in the manifest (``job: {name: ...}``) resolved to ids, once per runtime.

dbt Cloud does not keep job names unique, so a name matching several jobs is an error that
lists them (id, project, environment) and says how to narrow it; no match lists the names
that come closest.
"""

from __future__ import annotations

import difflib

import structlog

from floe_core import PluginConfigError
from floe_dbt_cloud._client import DbtCloudClient
from floe_dbt_cloud._config import CloudConfig, JobByName, JobRef

__all__ = ["JobResolver"]

_log = structlog.get_logger("floe.dbt_cloud")


class JobResolver:
    """``JobRef -> job id``, asking dbt Cloud once per name for the resolver's lifetime."""

    def __init__(self, client: DbtCloudClient, config: CloudConfig) -> None:
        self._client = client
        self._config = config
        self._resolved: dict[JobByName, int] = {}

    def job_id(self, job: JobRef) -> int:
        if isinstance(job, int):
            return job
        if job not in self._resolved:
            self._resolved[job] = self._look_up(job)
            _log.info("resolved dbt Cloud job name", job=job.name, job_id=self._resolved[job])
        return self._resolved[job]

    def _look_up(self, job: JobByName) -> int:
        field = self._config.config_field_of(job)
        # ``name__icontains`` keeps the listing short and still returns case variants and
        # longer names, from which the "did you mean" comes.
        candidates = self._client.list_jobs(
            project_id=job.project_id, environment_id=job.environment_id, name=job.name
        )
        matches = [c for c in candidates if c.get("name") == job.name]
        if len(matches) == 1:
            return int(matches[0]["id"])
        if not matches:
            names = sorted({str(c.get("name")) for c in candidates})
            close = difflib.get_close_matches(job.name, names, n=3, cutoff=0.5)
            raise PluginConfigError(
                f"{field}: dbt Cloud account {self._config.account_id} has no {job.describe()}",
                hint=(f"did you mean {', '.join(map(repr, close))}? " if close else "")
                + "check the name (it is case-sensitive) and project_id/environment_id, or "
                "set `job_id: <id>` instead",
            )
        listing = "; ".join(
            f"id {m['id']} (project {m.get('project_id')}, environment {m.get('environment_id')})"
            for m in matches
        )
        raise PluginConfigError(
            f"{field}: {len(matches)} dbt Cloud jobs match the {job.describe()}: {listing}",
            hint="add project_id and/or environment_id under the job to pick one, or set "
            "`job_id: <id>` instead",
        )
