"""``CloudRuntime``: floe's runtime ``cloud``, running invocations as dbt Cloud job runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from floe_core import (
    NODE_COMMANDS,
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    DBTRuntimePlugin,
    DetachRequested,
    EventBus,
    ExecutionPlan,
    FloeError,
    HealthStatus,
    PluginConfigError,
    PluginError,
    RunDetachedError,
    RunHandle,
    RunStatus,
    RuntimeExecutionError,
    RuntimeMetadata,
    read_project_name,
)
from floe_dbt_cloud._client import DbtCloudClient
from floe_dbt_cloud._config import CloudConfig
from floe_dbt_cloud._errors import DbtCloudAccessError
from floe_dbt_cloud._jobs import JobResolver
from floe_dbt_cloud._models import CloudRun, CloudRunStatus
from floe_dbt_cloud._progress import RunProgress
from floe_dbt_cloud._retry import retried_cloud_run
from floe_dbt_cloud._run_handler import CloudRunHandler, RunOutcome
from floe_dbt_cloud._steps import STEP_COMMANDS, cause_tag, trigger_body
from floe_dbt_cloud._translator import CloudEventTranslator

__all__ = ["CloudRuntime"]


def _tail(logs: str, lines: int = 15) -> str:
    """The end of a step's log, where dbt prints the error."""
    return "\n".join(logs.strip().splitlines()[-lines:])


_OWN_ARTIFACTS = {
    DBTCommand.SOURCE_FRESHNESS: "sources.json",
    DBTCommand.DOCS_GENERATE: "catalog.json",
}


def _printed(command: DBTCommand, run: CloudRun) -> str | None:
    """What floe's command printed: its step's log (the last step, floe's own)."""
    if command in (NODE_COMMANDS - {DBTCommand.COMPILE}) | {DBTCommand.RETRY} or not run.run_steps:
        return None
    return run.run_steps[-1].logs or None


class CloudRuntime(DBTRuntimePlugin[CloudConfig]):
    """Triggers the configured dbt Cloud job with ``steps_override`` built from the invocation.

    ``transport``, ``sleep`` and ``clock`` exist for tests; ``translator`` lets users change
    how dbt Cloud data maps to floe results.
    """

    name = "cloud"
    config_model = CloudConfig
    api_version = "1.0"
    supported_commands = STEP_COMMANDS | {DBTCommand.RETRY}

    def __init__(
        self,
        config: CloudConfig,
        *,
        events: EventBus | None = None,
        translator: CloudEventTranslator | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(config, events=events)
        self.translator = translator if translator is not None else CloudEventTranslator()
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._client: DbtCloudClient | None = None
        self._jobs: JobResolver | None = None

    @property
    def client(self) -> DbtCloudClient:
        """Built on first use, so a missing token fails the run, not the manifest load."""
        if self._client is None:
            self._client = DbtCloudClient(self.config, transport=self._transport, sleep=self._sleep)
        return self._client

    @property
    def jobs(self) -> JobResolver:
        """Job names -> ids, each asked of dbt Cloud once for this runtime's lifetime."""
        if self._jobs is None:
            self._jobs = JobResolver(self.client, self.config)
        return self._jobs

    def supports_parallel_execution(self) -> bool:
        return True  # dbt Cloud runs the DAG with the job's threads

    def execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        started_at = datetime.now(UTC)
        handler = self._handler()
        job_id, run = self._start_run(handler, command, invocation)
        handle = RunHandle(
            runtime=self.name,
            external_id=str(run.id),
            details={"job_id": str(job_id), "url": run.href or ""},
        )
        # Recorded at once: a client that dies from here on leaves a run to attach to, and
        # attaching only polls it (never a second trigger).
        self.report_handle(invocation, handle)
        return self._follow_run(handler, run, handle, command, invocation, started_at)

    def follow(
        self, command: DBTCommand, invocation: DBTInvocation, handle: RunHandle
    ) -> DBTRunResult:
        """Poll the dbt Cloud run an earlier client triggered until it ends."""
        handler = self._handler()
        run = self.client.get_run(int(handle.external_id), with_steps=False)
        return self._follow_run(handler, run, handle, command, invocation, datetime.now(UTC))

    def _handler(self) -> CloudRunHandler:
        return CloudRunHandler(self.client, self.config, clock=self._clock, sleep=self._sleep)

    def _follow_run(
        self,
        handler: CloudRunHandler,
        run: CloudRun,
        handle: RunHandle,
        command: DBTCommand,
        invocation: DBTInvocation,
        started_at: datetime,
    ) -> DBTRunResult:
        progress = RunProgress(
            client=self.client,
            translator=self.translator,
            events=self.events,
            invocation_id=invocation.invocation_id,
            artifacts_dir=self.config.artifacts_dir or invocation.artifacts_dir,
            use_discovery=self.config.use_discovery,
            own_artifact=_OWN_ARTIFACTS.get(command),
            selects_all=not (invocation.select or invocation.exclude or invocation.selector),
        )
        try:
            outcome = handler.wait(run, progress.on_poll)
        except DetachRequested:
            raise RunDetachedError(
                f"stopped following dbt Cloud run {run.id} (SIGTERM); it goes on in dbt Cloud",
                handle=handle,
                invocation_id=invocation.invocation_id,
            ) from None
        nodes = progress.finish(outcome.run)
        status = self.translator.get_run_status(
            outcome.run, nodes, timed_out_by_floe=outcome.timed_out_by_floe
        )
        completed_at = datetime.now(UTC)
        return DBTRunResult(
            invocation_id=invocation.invocation_id,
            command=command,
            runtime=self.name,
            status=status,
            started_at=started_at,
            completed_at=completed_at,
            elapsed_seconds=(completed_at - started_at).total_seconds(),
            nodes=tuple(nodes),
            manifest_path=progress.manifest_path,
            run_results_path=progress.run_results_path,
            error=self._run_error(outcome, status),
            output=_printed(command, outcome.run),
            dbt_version=progress.dbt_version or outcome.run.dbt_version,
            metadata={
                "dbt_cloud_run_id": outcome.run.id,
                "dbt_cloud_job_id": int(handle.details["job_id"]),
                "dbt_cloud_status": outcome.run.status_humanized or outcome.run.status.name,
                "dbt_cloud_url": outcome.run.href,
                "retried_from_failure": self.config.retry_failed or command is DBTCommand.RETRY,
            },
        )

    def _start_run(
        self, handler: CloudRunHandler, command: DBTCommand, invocation: DBTInvocation
    ) -> tuple[int, CloudRun]:
        """The job and its new run: ``command`` triggered; ``retry`` retries the stored
        run's dbt Cloud run (in that run's job); with ``retry_failed`` the job's last run's
        failures are rerun."""
        if command is DBTCommand.RETRY:
            retried = retried_cloud_run(self.client, invocation)
            return retried.job_definition_id or 0, handler.retry(retried)
        job_id = self.jobs.job_id(self.config.job_for_target(invocation.target))
        if self.config.retry_failed:
            return job_id, handler.rerun(job_id)
        project_name = read_project_name(invocation.project_dir)
        body = trigger_body(
            command, invocation, project_name=project_name, overrides=self.config.run_overrides
        )
        return job_id, handler.trigger(job_id, body, tag=cause_tag(invocation.invocation_id))

    def _run_error(self, outcome: RunOutcome, status: RunStatus) -> str | None:
        run = outcome.run
        if status in (RunStatus.SUCCESS, RunStatus.FAILED):
            return None
        where = f"dbt Cloud run {run.id}" + (f" ({run.href})" if run.href else "")
        if outcome.timed_out_by_floe:
            return (
                f"{where} did not finish within floe's timeout of "
                f"{self.config.timeout_seconds:g}s; floe cancelled it and its final status "
                f"is {run.status_humanized or run.status.name}"
            )
        failed_steps = [step for step in run.run_steps if step.status is CloudRunStatus.ERROR]
        details = [run.status_message or ""]
        if failed_steps and failed_steps[-1].logs:
            details.append(f"{failed_steps[-1].name}:\n{_tail(failed_steps[-1].logs)}")
        status_name = run.status_humanized or run.status.name
        return f"{where} ended {status_name}: " + "\n".join(d for d in details if d)

    def plan(self, invocation: DBTInvocation) -> ExecutionPlan:
        """Planned by parsing the project locally with the ``local`` runtime (no queries).

        The dbt Cloud API lists a job's nodes only once a run executed them, so the honest
        way to know them beforehand is dbt's own parse and selection of the same project.
        """
        from floe_core.registry import PluginRegistry

        try:
            local = PluginRegistry().create("local", {})
        except PluginError as exc:
            raise RuntimeExecutionError(
                "runtime 'cloud' plans by parsing the project locally, which needs the "
                f"'local' runtime: {exc.message}",
                hint="pip install floe-dbt-local (and the dbt adapter of the profile), or skip "
                "planning: `floe build` works without it",
            ) from exc
        with local:
            return local.plan(invocation)

    def health_check(self) -> HealthStatus:
        default = self.config.job_id or self.config.job or next(iter(self.config.jobs.values()))
        try:
            job_id = self.jobs.job_id(default)
            job = self.client.get_job(job_id)
        except DbtCloudAccessError as exc:
            return HealthStatus(
                healthy=False, message=exc.message, checks={"dbt_cloud_api": "refused"}
            )
        except PluginConfigError as exc:  # the API answered, but the job name does not fit
            return HealthStatus(
                healthy=False,
                message=exc.message,
                checks={"dbt_cloud_api": "ok", "job": "not resolved"},
            )
        except FloeError as exc:
            return HealthStatus(
                healthy=False, message=exc.message, checks={"dbt_cloud_api": "unreachable"}
            )
        return HealthStatus(
            healthy=True,
            message=f"dbt Cloud job {job_id} ({job.get('name', '?')}) is reachable",
            checks={"dbt_cloud_api": "ok", "job": str(job.get("name", job_id))},
        )

    def get_runtime_metadata(self) -> RuntimeMetadata:
        metadata = super().get_runtime_metadata()
        details = {
            "access_url": self.config.access_url,
            "account_id": self.config.account_id,
            "job_id": self.config.job_id,
            "job": self.config.job.model_dump() if self.config.job else None,
            "jobs": {
                target: ref if isinstance(ref, int) else ref.model_dump()
                for target, ref in self.config.jobs.items()
            },
        }
        return metadata.model_copy(update={"details": details})

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
            self._jobs = None
