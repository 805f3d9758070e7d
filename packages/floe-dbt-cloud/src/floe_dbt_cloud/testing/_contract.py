"""The documented shape of every response the fake serves, as strict pydantic models.

Written from dbt Labs' published OpenAPI documents (Admin API v2/v3) and the Discovery API
docs, independently of the fake's own serialisers, so that the fake and this description can
only agree if the fake follows the contract. :func:`contract_violation` checks one response;
the test suite runs it on every response the fake gives (``FakeDbtCloud.responses``).
Fields the real API sends as ``null`` are typed ``X | None``; every documented field listed
here must be present. Undocumented extra fields are allowed, as API clients must ignore them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

__all__ = ["RESPONSE_MODELS", "contract_violation"]

CloudTime = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00$")
]
Duration = Annotated[str, StringConstraints(pattern=r"^\d{2,}:\d\d:\d\d$")]
RunStatusCode = Literal[1, 2, 3, 10, 20, 30]
T = TypeVar("T")


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class Status(_Strict):
    code: int
    is_success: bool
    user_message: str
    developer_message: str | None


class Envelope(_Strict, Generic[T]):
    status: Status
    data: T


class Pagination(_Strict):
    count: int = Field(ge=0)
    total_count: int = Field(ge=0)


class Extra(_Strict):
    filters: dict[str, Any]
    order_by: str
    pagination: Pagination


class ListEnvelope(_Strict, Generic[T]):
    status: Status
    data: list[T]
    extra: Extra


class ErrorEnvelope(_Strict):
    status: Status
    data: None


class Trigger(_Strict):
    cause: str = Field(min_length=1, max_length=255)
    job_definition_id: int
    steps_override: list[str] | None = None
    threads_override: int | None = None
    target_name_override: str | None = None


class Step(_Strict):
    id: int
    run_id: int
    account_id: int
    index: int = Field(ge=1)
    name: str
    status: RunStatusCode
    status_humanized: str
    status_color: str
    logs: str | None
    truncated_debug_logs: str | None
    started_at: CloudTime | None
    finished_at: CloudTime | None
    created_at: CloudTime | None
    updated_at: CloudTime | None
    duration: Duration
    duration_humanized: str


class JobSettings(_Strict):
    threads: int
    target_name: str


class Job(_Strict):
    id: int
    account_id: int
    project_id: int
    environment_id: int
    name: str
    dbt_version: str | None
    job_type: Literal["ci", "scheduled", "other", "merge", "exposure_sync", "adaptive", "hybrid"]
    execute_steps: list[str]
    settings: JobSettings
    execution: dict[str, int]
    triggers: dict[str, bool]
    schedule: dict[str, Any]
    generate_docs: bool
    run_generate_sources: bool
    run_lint: bool
    errors_on_lint_failure: bool
    run_compare_changes: bool
    lifecycle_webhooks: bool
    state: Literal[1, 2]
    created_at: CloudTime
    updated_at: CloudTime


class Environment(_Strict):
    id: int
    account_id: int
    project_id: int
    name: str
    dbt_version: str | None
    raw_dbt_version: str | None
    deployment_type: str | None
    is_deferrable: bool
    created_at: CloudTime
    updated_at: CloudTime


class Run(_Strict):
    id: int
    trigger_id: int
    account_id: int
    environment_id: int
    project_id: int
    job_definition_id: int
    job_id: int
    status: RunStatusCode
    status_humanized: Literal["Queued", "Starting", "Running", "Success", "Error", "Cancelled"]
    status_message: str | None
    dbt_version: str
    git_branch: str | None
    git_sha: str | None
    blocked_by: list[int]
    created_at: CloudTime
    updated_at: CloudTime
    dequeued_at: CloudTime | None
    started_at: CloudTime | None
    finished_at: CloudTime | None
    in_progress: bool
    is_complete: bool
    is_success: bool
    is_error: bool
    is_cancelled: bool
    is_running: bool | None
    duration: Duration
    queued_duration: Duration
    run_duration: Duration
    duration_humanized: str
    queued_duration_humanized: str
    run_duration_humanized: str
    created_at_humanized: str
    finished_at_humanized: str | None
    retrying_run_id: int | None
    href: str
    artifacts_saved: bool
    has_docs_generated: bool
    can_retry: bool
    retry_not_supported_reason: (
        Literal[
            "RETRY_UNSUPPORTED_CMD",
            "RETRY_UNSUPPORTED_VERSION",
            "RETRY_NOT_LATEST_RUN",
            "RETRY_NOT_FAILED_RUN",
            "RETRY_NO_RUN_RESULTS",
        ]
        | None
    )
    trigger: Trigger | None
    job: Job | None
    environment: Environment | None
    run_steps: list[Step]


class Account(_Strict):
    id: int
    name: str
    state: int
    run_slots: int
    locked: bool
    created_at: CloudTime
    updated_at: CloudTime


class Project(_Strict):
    id: int
    account_id: int
    name: str
    state: int
    created_at: CloudTime
    updated_at: CloudTime


class FailureDetails(_Strict):
    failed_step: str | None
    skipped_steps: list[str]


class GraphQLError(_Strict):
    message: str


class GraphQLResponse(_Strict):
    data: dict[str, Any] | None = None
    errors: list[GraphQLError] | None = None


_V2 = r"/api/v2/accounts/\d+/"
_V3 = r"/api/v3/accounts/\d+/"
RESPONSE_MODELS: list[tuple[str, str, type[BaseModel] | None]] = [
    ("GET", r"/api/v[23]/accounts/", ListEnvelope[Account]),
    ("GET", r"/api/v2/whoami/", Envelope[Account]),
    ("GET", _V2, Envelope[Account]),
    ("GET", _V2 + "jobs/", ListEnvelope[Job]),
    ("GET", _V2 + r"jobs/\d+/", Envelope[Job]),
    ("POST", _V2 + r"jobs/\d+/(run|rerun)/", Envelope[Run]),
    ("GET", _V2 + "runs/", ListEnvelope[Run]),
    ("GET", _V2 + r"runs/\d+/", Envelope[Run]),
    ("POST", _V2 + r"runs/\d+/(cancel|retry)/", Envelope[Run]),
    ("GET", _V2 + r"runs/\d+/retry/", Envelope[FailureDetails]),
    ("GET", _V2 + r"runs/\d+/artifacts/", Envelope[list[str] | None]),
    ("GET", _V2 + r"(runs|jobs)/\d+/artifacts/.+", None),  # the raw file
    ("GET", _V2 + r"steps/\d+/", Envelope[Step]),
    ("GET", _V2 + "environments/", ListEnvelope[Environment]),
    ("GET", _V3 + "projects/", ListEnvelope[Project]),
    ("GET", _V3 + r"projects/\d+/", Envelope[Project]),
    ("GET", _V3 + r"projects/\d+/environments/", ListEnvelope[Environment]),
    ("GET", _V3 + r"projects/\d+/environments/\d+/", Envelope[Environment]),
    ("POST", r"/(beta/)?graphql", GraphQLResponse),
]
"""(method, path regex, model of a 2xx body; ``None`` for raw files)."""


def contract_violation(
    method: str, path: str, status: int, content_type: str, payload: Any
) -> str | None:
    """Why this response breaks the documented contract, or ``None`` if it follows it."""
    if 300 <= status < 400:
        return None  # redirects carry no body
    if not content_type.startswith("application/json") and status >= 300:
        return f"a {status} answer must be JSON, got {content_type}"
    model: type[BaseModel] | None = ErrorEnvelope
    if status < 300:
        verb = "GET" if method == "HEAD" else method  # HEAD: the GET's headers (and shape)
        matches = [m for v, p, m in RESPONSE_MODELS if v == verb and re.fullmatch(p, path)]
        if not matches:
            return f"{method} {path} answered {status} but is no documented endpoint"
        model = matches[0]
        if model is None:
            return None
    assert model is not None
    try:
        model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{method} {path} ({status}): {where}: {first['msg']}"
    if model is ErrorEnvelope and payload["status"]["code"] != status:
        return f"{method} {path}: status.code {payload['status']['code']} != HTTP {status}"
    return None
