"""A step's floe build in a child process, its events streamed back as JSON lines.

The local runtime runs dbt in the Python process that calls it. In the Dagster step's process,
dbt's work and Dagster's storing of the step's events (two per node, ~10 ms of CPU each) share
one GIL and so one core; in a child process they can run on two cores at once, and the step's
process does not import dbt. It costs a second interpreter (~1.5 s of CPU for 100 models), so
it is ``FloeResource(build_process=True)``'s opt-in (docs/benchmarks.md, "Dagster"). The
child writes each floe event as one JSON line (pydantic's own serialisation of
:data:`FloeEvent`) on its original stdout, then the run's result or its error; anything else
it prints goes to stderr, as ``floe build``'s logs do.
"""

from __future__ import annotations

import _thread
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any

from opentelemetry import context as otel_context
from pydantic import BaseModel, ConfigDict

from floe_core import DBTRunResult, FloeEvent, RuntimeExecutionError
from floe_core.api import Floe
from floe_core.tracing import context_from_carrier

__all__ = ["BuildRequest", "FloeOptions", "build_here", "build_in_child"]


class FloeOptions(BaseModel):
    """Which floe: :meth:`Floe.from_manifest`'s arguments."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform_manifest: str
    project_dir: str | None = None
    runtime: str | None = None
    runtime_config: dict[str, Any] | None = None

    def open(self) -> Floe:
        return Floe.from_manifest(
            self.platform_manifest,
            project_dir=self.project_dir,
            runtime=self.runtime,
            runtime_config=self.runtime_config,
        )


class BuildRequest(BaseModel):
    """A step's build: on which floe, and :meth:`Floe.build`'s arguments."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    floe: FloeOptions
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    vars: dict[str, Any] = {}
    full_refresh: bool = False
    threads: int | None = None
    trace_context: dict[str, str] = {}
    """W3C carrier of the span floe's invocation span starts under."""


def build_here(
    request: BuildRequest, floe: Floe, subscriber: Callable[[FloeEvent], None]
) -> DBTRunResult:
    """``request``'s build on ``floe``, in this process, its events passed to ``subscriber``."""
    parent = context_from_carrier(request.trace_context)
    token = otel_context.attach(parent) if parent is not None else None
    unsubscribe = floe.subscribe(subscriber)
    try:
        return floe.build(
            select=request.select,
            exclude=request.exclude,
            vars=request.vars,
            full_refresh=request.full_refresh,
            threads=request.threads,
        )
    finally:
        unsubscribe()
        if token is not None:
            otel_context.detach(token)


class _Line(BaseModel):
    """One line of the child's event channel: an event, or at the end a result or an error."""

    event: FloeEvent | None = None
    result: DBTRunResult | None = None
    error: str | None = None


def build_in_child(
    request: BuildRequest,
    subscriber: Callable[[FloeEvent], None],
    env: Mapping[str, str] | None = None,
) -> DBTRunResult:
    """Run ``request`` in ``python -m floe_dagster._build_process`` (with ``env`` added to
    this process's environment), passing each of its events to ``subscriber`` as it comes.
    Raises :class:`RuntimeExecutionError` with the child's error if it returned no result; the
    child is killed if this returns early (the step was interrupted)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "floe_dagster._build_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    assert child.stdin is not None  # both are pipes
    assert child.stdout is not None
    result: DBTRunResult | None = None
    error: str | None = None
    try:
        child.stdin.write(request.model_dump_json().encode() + b"\n")
        child.stdin.close()
        for raw in child.stdout:
            line = _Line.model_validate_json(raw)
            if line.event is not None:
                subscriber(line.event)
            result = line.result or result
            error = line.error or error
        code = child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if result is None:
        raise RuntimeExecutionError(
            error or f"the floe build process ended (exit code {code}) without a result",
            hint=None if error else "its log lines above (stderr) say why",
        )
    return result


def _serve(request: BuildRequest, channel: IO[bytes]) -> None:
    lock = threading.Lock()

    def send(line: _Line) -> None:
        data = line.model_dump_json(exclude_none=True).encode() + b"\n"
        with lock:  # dbt's threads emit node events at once
            try:
                channel.write(data)
                channel.flush()
            except BrokenPipeError:  # the step's process is gone: stop as Ctrl-C would
                _thread.interrupt_main()
                raise

    try:
        with request.floe.open() as floe:
            result = build_here(request, floe, lambda event: send(_Line(event=event)))
        send(_Line(result=result))
    except Exception as exc:
        send(_Line(error=str(exc)))
        raise


def main() -> None:  # pragma: no cover - runs in the child (the tests drive it end to end)
    """The child: read the request from stdin, build, stream the events."""
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt it
    _serve(BuildRequest.model_validate_json(sys.stdin.buffer.readline()), channel)


if __name__ == "__main__":
    main()
