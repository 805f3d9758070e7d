"""Run the dbt CLI as a child process and hand its output over line by line."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from floe_core import RunCancelledError, RuntimeExecutionError

__all__ = ["run_streaming"]

# dbt's anonymous usage tracking makes network calls; floe runs must not wait on them.
_QUIET_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def run_streaming(
    argv: Sequence[str],
    *,
    on_line: Callable[[str], None],
    env: Mapping[str, str],
    timeout_seconds: float | None,
) -> int:
    """Start ``argv``, call ``on_line`` for each stdout/stderr line, return the exit code.

    Ctrl-C or an exception in ``on_line`` stops dbt before propagating; the timeout raises
    :class:`RunCancelledError`.
    """
    try:
        process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env={**os.environ, **_QUIET_ENV, **env},
        )
    except OSError as exc:
        raise RuntimeExecutionError(
            f"could not start {Path(argv[0]).name}: {exc}",
            hint="check plugins.dbt_runtime.config.dbt_executable",
        ) from exc
    timed_out = threading.Event()

    def kill_after_timeout() -> None:
        timed_out.set()
        process.kill()

    timer = threading.Timer(timeout_seconds, kill_after_timeout) if timeout_seconds else None
    try:
        if timer is not None:
            timer.start()
        assert process.stdout is not None
        for line in process.stdout:
            on_line(line)
        returncode = process.wait()
    finally:
        if timer is not None:
            timer.cancel()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
    if timed_out.is_set():
        raise RunCancelledError(
            f"dbt did not finish within {timeout_seconds} s and was stopped",
            hint="raise plugins.dbt_runtime.config.timeout_seconds or select fewer nodes",
        )
    return returncode
