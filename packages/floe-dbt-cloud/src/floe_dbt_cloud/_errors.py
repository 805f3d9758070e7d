"""Errors of the dbt Cloud runtime, all rooted in floe's hierarchy::

    FloeError
    ├── PluginConfigError
    │   └── DbtCloudAccessError       401/403/404: token, account, job or host is wrong
    └── RuntimeExecutionError
        └── DbtCloudAPIError          any other refusal or unusable answer
            └── DbtCloudTransientError  408/425/429/5xx/connection/timeout retries did not cure

``_client.py`` is the only place that translates httpx errors into these.
"""

from __future__ import annotations

from floe_core import PluginConfigError, RuntimeExecutionError

__all__ = ["DbtCloudAPIError", "DbtCloudAccessError", "DbtCloudTransientError"]


class DbtCloudAPIError(RuntimeExecutionError):
    """dbt Cloud refused a request or answered something unusable."""

    def __init__(
        self, message: str, *, hint: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code


class DbtCloudTransientError(DbtCloudAPIError):
    """A failure worth retrying: rate limit, server error, lost connection, timeout.

    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint=hint, status_code=status_code)
        self.retry_after = retry_after


class DbtCloudAccessError(PluginConfigError):
    """dbt Cloud rejected our credentials or does not know the account/job/run."""

    def __init__(self, message: str, *, hint: str | None = None, status_code: int) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
