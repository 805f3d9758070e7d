"""The trigger body (``POST jobs/{id}/run/``) checked field by field, as the API validates it.

The documented fields have fixed types (strings are non-empty; ``cause`` is required and at
most 255 characters); a wrong one is a 400 naming the field. Undocumented fields are
ignored, as the real API does.
"""

from __future__ import annotations

import shlex
from typing import Any

from floe_dbt_cloud.testing._envelope import ApiError

__all__ = ["split_dbt_command", "validate_trigger_body"]

_TEXT_FIELDS = (
    "cause",
    "git_sha",
    "git_branch",
    "schema_override",
    "dbt_version_override",
    "target_name_override",
)
_INTEGER_FIELDS = (
    "threads_override",
    "timeout_seconds_override",
    "github_pull_request_id",
    "gitlab_merge_request_id",
    "azure_pull_request_id",
    "non_native_pull_request_id",
)


def validate_trigger_body(body: Any) -> dict[str, Any]:
    """``body`` if it is a valid trigger request; else :class:`ApiError` 400."""
    if not isinstance(body, dict):
        raise ApiError(400, "cause: This field is required.")
    if not body.get("cause"):
        raise ApiError(400, "cause: This field is required.")
    for name in _TEXT_FIELDS:
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            raise ApiError(400, f"{name}: Not a valid non-empty string.")
    if len(body["cause"]) > 255:
        raise ApiError(400, "cause: Ensure this field has no more than 255 characters.")
    for name in _INTEGER_FIELDS:
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ApiError(400, f"{name}: A valid integer is required.")
    threads = body.get("threads_override")
    if threads is not None and not 1 <= threads <= 64:
        raise ApiError(400, "threads_override: Ensure this value is between 1 and 64.")
    timeout = body.get("timeout_seconds_override")
    if timeout is not None and timeout < 0:
        raise ApiError(400, "timeout_seconds_override: Ensure this value is at least 0.")
    docs = body.get("generate_docs_override")
    if docs is not None and not isinstance(docs, bool):
        raise ApiError(400, "generate_docs_override: Must be a valid boolean.")
    steps = body.get("steps_override")
    if steps is not None:
        if not isinstance(steps, list) or not all(isinstance(s, str) and s for s in steps):
            raise ApiError(400, "steps_override: Expected a list of non-empty strings.")
        for step in steps:
            split_dbt_command(step)
    return body


def split_dbt_command(step: str) -> list[str]:
    """``"dbt build -s x"`` -> ``["build", "-s", "x"]``; anything but a dbt command is a 400."""
    try:
        args = shlex.split(step)
    except ValueError as exc:
        raise ApiError(400, f"steps_override: cannot parse {step!r}: {exc}") from exc
    if len(args) < 2 or args[0] != "dbt":
        raise ApiError(400, f"steps_override: {step!r} is not a dbt command")
    return args[1:]
