"""The Admin API v2/v3 endpoints the fake serves, one function each, and their route table.

Each handler takes the fake, the path match, the typed query and the JSON body and returns
``(status, payload, content type)``; a refusal raises :class:`ApiError`. :data:`ROUTES` is
the list of what is served; a path it knows under another method is a 405.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from floe_dbt_cloud.testing._envelope import NOT_FOUND, ApiError, envelope
from floe_dbt_cloud.testing._query import Query
from floe_dbt_cloud.testing._state import (
    CANCELLED,
    FakeJob,
    FakeRun,
    FakeStep,
    cloud_time,
    environment_object,
)
from floe_dbt_cloud.testing._trigger import validate_trigger_body

if TYPE_CHECKING:
    from floe_dbt_cloud.testing._server import FakeDbtCloud

__all__ = ["ROUTES", "Response", "Route"]

Response = tuple[int, Any, str]
Handler = Callable[["FakeDbtCloud", "re.Match[str]", Query, Any], Response]
_JSON = "application/json"
_HIDDEN_ARTIFACTS = {"partial_parse.msgpack", "graph.gpickle"}
_RUN_ORDER = ("id", "created_at", "finished_at")
_JOB_ORDER = ("id", "name", "created_at", "updated_at")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def _ok(data: Any) -> Response:
    return 200, envelope(data), _JSON


def _job(fake: FakeDbtCloud, job_id: str) -> FakeJob:
    job = fake.jobs.get(int(job_id))
    if job is None:
        raise ApiError(404, NOT_FOUND)
    return job


def _run(fake: FakeDbtCloud, run_id: str) -> FakeRun:
    run = fake.store.get(int(run_id))
    if run is None:
        raise ApiError(404, NOT_FOUND)
    return run


# -- accounts, projects, environments ---------------------------------------------------
def _account(fake: FakeDbtCloud) -> dict[str, Any]:
    return {
        "id": fake.account_id,
        "name": "fake account",
        "state": 1,
        "plan": "enterprise",
        "run_slots": 1,
        "locked": False,
        "pending_cancel": False,
        "docs_job_id": None,
        "freshness_job_id": None,
        "static_subdomain": None,
        "vanity_subdomain": None,
        "created_at": cloud_time(fake.created_at),
        "updated_at": cloud_time(fake.created_at),
    }


def list_accounts(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    return 200, query.page([_account(fake)], order_fields=("id",), filters={}), _JSON


def get_account(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    return _ok(_account(fake))


def _projects(fake: FakeDbtCloud) -> dict[int, dict[str, Any]]:
    return {
        job.project_id: {
            "id": job.project_id,
            "account_id": fake.account_id,
            "name": f"Project {job.project_id}",
            "description": "",
            "dbt_project_subdirectory": None,
            "connection_id": None,
            "repository_id": None,
            "docs_job_id": None,
            "freshness_job_id": None,
            "state": 1,
            "type": 0,
            "created_at": cloud_time(fake.created_at),
            "updated_at": cloud_time(fake.created_at),
        }
        for job in sorted(fake.jobs.values(), key=lambda job: job.id)
    }


def list_projects(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    filters = {"name__icontains": query.text("name__icontains"), "pk": query.integer("pk")}
    items = [
        p
        for p in _projects(fake).values()
        if (filters["pk"] is None or p["id"] == filters["pk"])
        and str(filters["name__icontains"] or "").lower() in p["name"].lower()
    ]
    return 200, query.page(items, order_fields=("id", "name"), filters=filters), _JSON


def get_project(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    project = _projects(fake).get(int(m["id"]))
    if project is None:
        raise ApiError(404, NOT_FOUND)
    return _ok(project)


def _environments(fake: FakeDbtCloud, project_id: int | None) -> list[dict[str, Any]]:
    unique = {(job.project_id, job.environment_id): job for job in fake.jobs.values()}
    return [
        environment_object(job, fake.account_id)
        for (project, _), job in sorted(unique.items())
        if project_id is None or project == project_id
    ]


def list_environments(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    project_id = int(m["project"]) if m.groupdict().get("project") else query.integer("project_id")
    name = query.text("name")
    items = [e for e in _environments(fake, project_id) if name is None or e["name"] == name]
    filters = {"project_id": project_id, "name": name}
    return 200, query.page(items, order_fields=("id", "name"), filters=filters), _JSON


def get_environment(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    for environment in _environments(fake, int(m["project"])):
        if environment["id"] == int(m["id"]):
            return _ok(environment)
    raise ApiError(404, NOT_FOUND)


# -- jobs ---------------------------------------------------------------------------------
def list_jobs(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    state = (query.text("state") or "active").lower()
    states = {"active": {1}, "1": {1}, "deleted": {2}, "2": {2}, "all": {1, 2}}.get(state)
    if states is None:
        raise ApiError(400, "state: Select a valid choice: active, deleted, all, 1 or 2.")
    filters: dict[str, Any] = {
        "project_id": query.integer("project_id"),
        "project_id__in": query.integers("project_id__in"),
        "environment_id": query.integer("environment_id"),
        "name__icontains": query.text("name__icontains"),
        "pk": query.integer("pk"),
        "state": state,
    }
    jobs = [
        job
        for job in fake.jobs.values()
        if job.state in states
        and filters["project_id"] in (None, job.project_id)
        and (filters["project_id__in"] is None or job.project_id in filters["project_id__in"])
        and filters["environment_id"] in (None, job.environment_id)
        and filters["pk"] in (None, job.id)
        and str(filters["name__icontains"] or "").lower() in job.name.lower()
    ]
    items = [job.as_api(fake.account_id) for job in jobs]
    return 200, query.page(items, order_fields=_JOB_ORDER, filters=filters), _JSON


def get_job(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    return _ok(_job(fake, m["id"]).as_api(fake.account_id))


def trigger_run(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    job = _job(fake, m["id"])
    run = fake.trigger(job, validate_trigger_body(body))
    return _ok(fake.run_object(run, {"trigger", "job"}))


def rerun_job(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    return _ok(fake.run_object(fake.rerun(_job(fake, m["id"])), {"trigger"}))


def job_artifact(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    """The file from the job's newest run that has it (the real API's default filters)."""
    job = _job(fake, m["id"])
    for run in reversed(fake.runs(job.id)):
        step = _artifact_step(run, None)
        if step is not None and step.target_dir is not None and run.is_complete:
            try:
                return _artifact_file(step, m["path"])
            except ApiError:
                continue
    raise ApiError(404, NOT_FOUND)


# -- runs and steps -----------------------------------------------------------------------
def list_runs(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    filters: dict[str, Any] = {
        "job_definition_id": query.integer("job_definition_id"),
        "project_id": query.integer("project_id"),
        "environment_id": query.integer("environment_id"),
        "status": query.integer("status"),
        "status__in": query.integers("status__in"),
        "pk": query.integer("pk"),
        "id__gt": query.integer("id__gt"),
    }
    runs = [
        run
        for run in fake.store.all()
        if filters["job_definition_id"] in (None, run.job.id)
        and filters["project_id"] in (None, run.job.project_id)
        and filters["environment_id"] in (None, run.job.environment_id)
        and filters["status"] in (None, run.status)
        and (filters["status__in"] is None or run.status in filters["status__in"])
        and filters["pk"] in (None, run.id)
        and run.id > (filters["id__gt"] or 0)
    ]
    items = [fake.run_object(run, query.related()) for run in runs]
    return 200, query.page(items, order_fields=_RUN_ORDER, filters=filters), _JSON


def get_run(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    return _ok(fake.run_object(_run(fake, m["id"]), query.related()))


def cancel_run(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    run = _run(fake, m["id"])
    run.finish(CANCELLED, "Cancelled by user")
    return _ok(fake.run_object(run, query.related()))


def run_failure_details(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    return _ok(_run(fake, m["id"]).failure_details())


def retry_run(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    """Unlike ``jobs/{id}/rerun/``, a run that cannot be retried is refused (no new run)."""
    previous = _run(fake, m["id"])
    newest = fake.store.newest_of_job(previous.job.id)
    reason = previous.retry_not_supported_reason(newest.id if newest else 0)
    if reason is not None:
        raise ApiError(400, f"Run {previous.id} cannot be retried: {reason}")
    return _ok(fake.run_object(fake.rerun(previous.job, previous), {"trigger"}))


def get_step(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    found = fake.store.step(int(m["id"]))
    if found is None:
        raise ApiError(404, NOT_FOUND)
    run, step = found
    return _ok(step.as_api(fake.account_id, run.id, query.related()))


def _artifact_step(run: FakeRun, index: int | None) -> FakeStep | None:
    if index is not None:
        matching = [s for s in run.steps if s.index == index]
        return matching[0] if matching and matching[0].target_dir else None
    with_artifacts = [s for s in run.steps if s.target_dir is not None]
    return with_artifacts[-1] if with_artifacts else None


def _artifact_file(step: FakeStep, path: str) -> Response:
    if step.target_dir is None or ".." in path.split("/"):
        raise ApiError(404, NOT_FOUND)
    file = step.target_dir / path
    if not file.is_file():
        raise ApiError(404, NOT_FOUND)
    content_type = _JSON if path.endswith(".json") else "text/plain"
    return 200, file.read_bytes(), content_type


def list_run_artifacts(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    step = _artifact_step(_run(fake, m["id"]), query.integer("step"))
    if step is None or step.target_dir is None:
        return _ok(None)
    root = step.target_dir
    paths = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.name not in _HIDDEN_ARTIFACTS
    )
    return _ok(paths)


def run_artifact(fake: FakeDbtCloud, m: re.Match[str], query: Query, body: Any) -> Response:
    step = _artifact_step(_run(fake, m["id"]), query.integer("step"))
    if step is None:
        raise ApiError(404, NOT_FOUND)
    return _artifact_file(step, m["path"])


def _route(method: str, path: str, handler: Handler) -> Route:
    pattern = path.replace("{account}", r"(?P<account>\d+)")
    for name in ("id", "project"):
        pattern = pattern.replace("{" + name + "}", rf"(?P<{name}>\d+)")
    pattern = pattern.replace("{path}", r"(?P<path>.+)")
    return Route(method, re.compile(pattern), handler)


_V2 = "/api/v2/accounts/{account}/"
_V3 = "/api/v3/accounts/{account}/"
ROUTES = [
    _route("GET", "/api/v2/accounts/", list_accounts),
    _route("GET", "/api/v3/accounts/", list_accounts),
    _route("GET", "/api/v2/whoami/", get_account),
    _route("GET", _V2, get_account),
    _route("GET", _V2 + "jobs/", list_jobs),
    _route("GET", _V2 + "jobs/{id}/", get_job),
    _route("POST", _V2 + "jobs/{id}/run/", trigger_run),
    _route("POST", _V2 + "jobs/{id}/rerun/", rerun_job),
    _route("GET", _V2 + "jobs/{id}/artifacts/{path}", job_artifact),
    _route("GET", _V2 + "runs/", list_runs),
    _route("GET", _V2 + "runs/{id}/", get_run),
    _route("POST", _V2 + "runs/{id}/cancel/", cancel_run),
    _route("GET", _V2 + "runs/{id}/retry/", run_failure_details),
    _route("POST", _V2 + "runs/{id}/retry/", retry_run),
    _route("GET", _V2 + "runs/{id}/artifacts/", list_run_artifacts),
    _route("GET", _V2 + "runs/{id}/artifacts/{path}", run_artifact),
    _route("GET", _V2 + "steps/{id}/", get_step),
    _route("GET", _V2 + "environments/", list_environments),
    _route("GET", _V3 + "projects/", list_projects),
    _route("GET", _V3 + "projects/{id}/", get_project),
    _route("GET", _V3 + "projects/{project}/environments/", list_environments),
    _route("GET", _V3 + "projects/{project}/environments/{id}/", get_environment),
]
