"""Runs that outlive their client: the handle a runtime reports, and leaving a run to itself.

A runtime whose runs execute elsewhere (a Temporal workflow, a dbt Cloud job run) reports a
:class:`RunHandle` as soon as the run exists; the results store keeps it at once, with
status ``detached``, so a client that dies any way at all leaves a run that ``floe runs
attach ID`` can follow to its end (ADR 0015). What ends a client decides what happens to
the run:

- SIGINT (Ctrl-C) cancels the run, as before;
- SIGTERM (the CLI raises :class:`DetachRequested` in the main thread), a connection to the
  service lost for longer than the runtime's reconnect budget, or a crash leave the run
  going: the runtime raises :class:`RunDetachedError` (a crash raises nothing, the record
  written when the handle was reported stays ``detached``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from floe_core._errors import RuntimeExecutionError

__all__ = ["DetachRequested", "RunDetachedError", "RunHandle"]


class RunHandle(BaseModel):
    """What finds a run again from another process: its id in the service that runs it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    runtime: str
    external_id: str
    """The Temporal workflow id, the dbt Cloud run id."""
    details: dict[str, str] = Field(default_factory=dict)
    """Anything else the runtime needs to follow it (a task queue, an account id, a URL)."""


class DetachRequested(BaseException):
    """Raised in the main thread (the CLI does on SIGTERM) to stop following a run whose
    runtime can attach: the runtime stops waiting and raises :class:`RunDetachedError`.

    A ``BaseException`` like ``KeyboardInterrupt``, so ``except Exception`` does not swallow
    it on its way up.
    """


class RunDetachedError(RuntimeExecutionError):
    """This client stopped following the run; the run goes on where it runs.

    Exit code 3. The results store records the run as ``detached`` with ``handle``;
    ``floe runs attach ID`` follows it to its end and writes the final record.
    """

    exit_code = 3

    def __init__(self, message: str, *, handle: RunHandle, invocation_id: str) -> None:
        super().__init__(
            message,
            hint=f"follow it to its end with `floe runs attach {invocation_id}`",
        )
        self.handle = handle
        self.invocation_id = invocation_id
