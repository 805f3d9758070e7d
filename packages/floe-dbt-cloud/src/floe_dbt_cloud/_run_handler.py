"""The lifecycle of one dbt Cloud run: trigger (idempotently), poll, cancel, rerun, retry.

Triggering is the one request that must never be repeated blindly: a POST whose answer was
lost may still have created a run. So after a lost answer, a timeout or a 5xx the handler
looks for a run of the job that carries the invocation's cause tag and is newer than the
job's newest run before the first POST, and adopts it; only if there is none does it trigger
again. A 429 (or 408/425, the other "not now" answers) created nothing: the trigger is
simply sent again, with no search. Reruns and retries are guarded the same way by the
job's newest run id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import structlog

from floe_core import FloeError
from floe_dbt_cloud._client import DbtCloudClient
from floe_dbt_cloud._config import CloudConfig
from floe_dbt_cloud._errors import DbtCloudAPIError, DbtCloudTransientError
from floe_dbt_cloud._models import CloudRun

__all__ = ["CloudRunHandler", "RunOutcome"]

_log = structlog.get_logger("floe.dbt_cloud")

_CANCEL_GRACE_POLLS = 10


@dataclass(frozen=True)
class RunOutcome:
    """A run in a terminal status (or as far as it got), and whether floe gave up waiting."""

    run: CloudRun
    timed_out_by_floe: bool = False


class CloudRunHandler:
    """Drives runs of one account's jobs; time and sleep are injectable for tests."""

    def __init__(
        self,
        client: DbtCloudClient,
        config: CloudConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._config = config
        self._clock = clock
        self._sleep = sleep

    def trigger(self, job_id: int, body: Mapping[str, Any], *, tag: str) -> CloudRun:
        """Start one run of ``job_id``; never two, whatever the network loses.

        A run is adopted only if it carries ``tag`` *and* is newer than the job's newest run
        before the first POST: an invocation id used again (a re-run of the same command)
        must not adopt the earlier run it tagged. On ``KeyboardInterrupt`` the run the
        trigger may have created is cancelled before the interrupt propagates.
        """
        newest_before = self._newest_run_id(job_id)
        find_created = partial(self._find_new_run_by_tag, job_id, tag, newest_before)
        try:
            return self._create_once(
                lambda: self._client.trigger_job_run(job_id, body),
                find_created,
                what=f"trigger of job {job_id}",
            )
        except KeyboardInterrupt:
            self._cancel_created(find_created)  # a run may exist though we never heard
            raise

    def rerun(self, job_id: int) -> CloudRun:
        """Retry the job's latest run from its failure point (``POST jobs/{id}/rerun/``)."""
        return self._create_in_job(
            job_id, lambda: self._client.rerun_job(job_id), what=f"rerun of job {job_id}"
        )

    def retry(self, run: CloudRun) -> CloudRun:
        """Retry ``run`` (its job's latest, failed run) from its failure point (``POST
        runs/{id}/retry/``): dbt retry of the run's own command, so it needs no arguments."""
        job_id = run.job_definition_id or 0
        return self._create_in_job(
            job_id, lambda: self._client.retry_run(run.id), what=f"retry of run {run.id}"
        )

    def _create_in_job(self, job_id: int, create: Callable[[], CloudRun], *, what: str) -> CloudRun:
        """A run-creating request without a cause tag, guarded by the job's newest run id."""
        newest_before = self._newest_run_id(job_id)

        def find_new_run() -> CloudRun | None:
            runs = self._client.list_runs(job_id, limit=1)
            return runs[0] if runs and runs[0].id > newest_before else None

        return self._create_once(create, find_new_run, what=what)

    def _newest_run_id(self, job_id: int) -> int:
        newest = self._client.list_runs(job_id, limit=1)
        return newest[0].id if newest else 0

    def _find_new_run_by_tag(self, job_id: int, tag: str, newer_than: int) -> CloudRun | None:
        """The run carrying ``tag`` created after run ``newer_than`` (ids grow), if any."""
        for run in self._client.iter_runs(job_id):
            if run.id <= newer_than:
                return None  # newest first: every run from here existed before the trigger
            if tag in (run.cause or ""):
                return run
        return None

    def _create_once(
        self,
        create: Callable[[], CloudRun],
        find_created: Callable[[], CloudRun | None],
        *,
        what: str,
    ) -> CloudRun:
        attempts = self._config.retry.max_attempts
        for attempt in range(attempts):
            try:
                return create()
            except DbtCloudTransientError as exc:
                if attempt + 1 >= attempts:
                    raise
                self._sleep(self._client.retry_delay(attempt, exc.retry_after))
                # A 4xx (429/408/425) is an answer: it created nothing. Only a lost answer,
                # a timeout or a 5xx leaves the doubt that a search for the run settles.
                refused = exc.status_code is not None and exc.status_code < 500
                existing = None if refused else find_created()
                if existing is not None:
                    _log.warning(
                        "the answer to a run-creating request was lost; adopting the run it made",
                        request=what,
                        run_id=existing.id,
                        error=exc.message,
                    )
                    return existing
                _log.warning(
                    "run-creating request failed; sending it again", request=what, error=exc.message
                )
        raise AssertionError("unreachable: the loop returns or raises")

    def wait(self, run: CloudRun, on_poll: Callable[[CloudRun], None]) -> RunOutcome:
        """Poll until ``run`` ends; past ``timeout_seconds`` cancel it and read it once more.

        ``on_poll`` sees every observed state (progress reporting). On ``KeyboardInterrupt``
        the remote run is cancelled before the interrupt propagates.
        """
        deadline = self._clock() + self._config.timeout_seconds
        try:
            while True:
                try:
                    # Steps (with their logs) only once the run ended: polls stay small.
                    run = self._client.get_run(run.id, with_steps=False)
                    if run.status.is_terminal:
                        run = self._client.get_run(run.id)
                except DbtCloudTransientError as exc:
                    # The run goes on in dbt Cloud: an API outage must not lose it.
                    if self._clock() >= deadline:
                        raise
                    _log.warning("dbt Cloud unreachable; still waiting", error=exc.message)
                else:
                    on_poll(run)
                    if run.status.is_terminal:
                        return RunOutcome(run)
                remaining = deadline - self._clock()
                if remaining <= 0:
                    _log.warning(
                        "dbt Cloud run exceeded floe's timeout; cancelling it",
                        run_id=run.id,
                        timeout_seconds=self._config.timeout_seconds,
                    )
                    final = self.cancel(run.id)
                    on_poll(final)
                    return RunOutcome(final, timed_out_by_floe=True)
                self._sleep(min(self._config.poll_interval_seconds, remaining))
        except KeyboardInterrupt:
            self._cancel_quietly(run.id)
            raise

    def cancel(self, run_id: int) -> CloudRun:
        """Cancel ``run_id`` and return its state once it is terminal (or after a grace)."""
        try:
            run = self._client.cancel_run(run_id)
        except DbtCloudAPIError as exc:
            # A run that finished meanwhile cannot be cancelled; its state says what happened.
            _log.warning("cancel request failed; reading the run", run_id=run_id, error=str(exc))
            run = self._client.get_run(run_id)
        for _ in range(_CANCEL_GRACE_POLLS):
            if run.status.is_terminal:
                return run
            self._sleep(self._config.poll_interval_seconds)
            run = self._client.get_run(run_id)
        return run

    def _cancel_created(self, find_created: Callable[[], CloudRun | None]) -> None:
        """Best effort: cancel the run an interrupted trigger created, if it created one."""
        try:
            run = find_created()
        except FloeError as exc:
            _log.error("could not look for the run to cancel", error=str(exc))
            return
        if run is not None and not run.status.is_terminal:
            self._cancel_quietly(run.id)

    def _cancel_quietly(self, run_id: int) -> None:
        try:
            self._client.cancel_run(run_id)
            _log.warning("cancelled dbt Cloud run after interrupt", run_id=run_id)
        except FloeError as exc:
            _log.error("could not cancel dbt Cloud run", run_id=run_id, error=str(exc))
