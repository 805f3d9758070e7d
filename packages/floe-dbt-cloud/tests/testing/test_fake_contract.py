"""The fake and the client, each checked against the documented dbt Cloud contract
(/work/shared/reference/dbt-cloud-api.md, from dbt Cloud's API docs), not against each other,
so they cannot drift together silently.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable

import httpx
import pytest

from floe_core import DBTInvocation, RunStatus
from floe_dbt_cloud import CloudRuntime
from floe_dbt_cloud.testing import FakeDbtCloud

CLOUD_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00$")
HH_MM_SS = re.compile(r"^\d{2,}:\d\d:\d\d$")
RUN_FIELDS = {
    "id", "trigger_id", "account_id", "environment_id", "project_id", "job_definition_id",
    "job_id", "status", "status_humanized", "status_message", "dbt_version", "git_branch",
    "git_sha", "created_at", "started_at", "finished_at", "in_progress", "is_complete",
    "is_success", "is_error", "is_cancelled", "is_running", "duration", "queued_duration",
    "run_duration", "href", "artifacts_saved", "can_retry", "retry_not_supported_reason",
    "trigger", "job", "run_steps",
}  # fmt: skip
STEP_FIELDS = {
    "id", "run_id", "index", "name", "status", "status_humanized", "logs",
    "truncated_debug_logs", "started_at", "finished_at", "duration",
}  # fmt: skip


@pytest.fixture
def api(fake: FakeDbtCloud) -> httpx.Client:
    return httpx.Client(
        base_url=f"{fake.url}/api/v2/accounts/{fake.account_id}/",
        headers={"Authorization": f"Bearer {fake.token}"},
        follow_redirects=True,
    )


@pytest.mark.slow
def test_client_requests_follow_the_contract(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    invocation = invocation.model_copy(
        update={"select": ("numbers+",), "vars": {"who": "it's me"}, "threads": 2, "target": "ci"}
    )
    result = make_runtime().run_models(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    base = f"/api/v2/accounts/{fake.account_id}/"
    assert all(r.headers["Authorization"] == f"Token {fake.token}" for r in fake.requests)
    trigger = fake.requests[0]
    assert (trigger.method, trigger.path) == ("POST", f"{base}jobs/42/run/")
    assert set(trigger.body) == {
        "cause",
        "steps_override",
        "threads_override",
        "target_name_override",
    }
    assert len(trigger.body["cause"]) <= 255
    assert invocation.invocation_id in trigger.body["cause"]
    (step,) = trigger.body["steps_override"]
    assert shlex.split(step) == [
        "dbt",
        "run",
        "--select",
        "numbers+",
        "--vars",
        '{"who":"it\'s me"}',
    ]
    assert (trigger.body["threads_override"], trigger.body["target_name_override"]) == (2, "ci")
    run_id = result.metadata["dbt_cloud_run_id"]
    polls = [r for r in fake.requests if r.path == f"{base}runs/{run_id}/"]
    assert polls
    assert all(r.method == "GET" for r in polls)
    related = [json.loads(r.query["include_related"][0]) for r in polls]
    assert related[-1] == ["trigger", "run_steps"]  # steps and their logs once, at the end
    assert all(asked == ["trigger"] for asked in related[:-1])
    artifact_gets = {
        (r.path.rsplit("/", 1)[1], r.query["step"][0])
        for r in fake.requests
        if "/artifacts/" in r.path
    }
    assert artifact_gets == {("manifest.json", "4"), ("run_results.json", "4")}
    graphql = [r for r in fake.requests if r.path == "/graphql"]
    assert graphql
    assert graphql[0].method == "POST"
    assert graphql[0].body["variables"] == {"jobId": 42, "runId": run_id}
    assert fake.runs()[0].trigger["target_name_override"] == "ci"


def test_run_objects_and_envelopes_match_the_documented_shape(
    fake: FakeDbtCloud, api: httpx.Client
) -> None:
    fake.faults.slow_run(seconds=30)
    created = api.post("jobs/42/run/", json={"cause": "contract test"})
    assert created.status_code == 200
    body = created.json()
    assert body["status"] == {
        "code": 200,
        "is_success": True,
        "user_message": "Success!",
        "developer_message": "",
    }
    run = body["data"]
    assert set(run) >= RUN_FIELDS
    assert run["trigger"]["cause"] == "contract test"
    assert run["status"] in (1, 2, 3)
    assert CLOUD_TIMESTAMP.match(run["created_at"])
    assert HH_MM_SS.match(run["duration"])

    cancelled = api.post(f"runs/{run['id']}/cancel/").json()["data"]
    assert cancelled["status"] == 30
    assert cancelled["is_cancelled"] is True
    detail = api.get(f"runs/{run['id']}/", params={"include_related": "trigger,run_steps"})
    data = detail.json()["data"]
    assert CLOUD_TIMESTAMP.match(data["finished_at"])
    assert [step["index"] for step in data["run_steps"]] == [1, 2, 3, 4]
    assert all(set(step) == STEP_FIELDS for step in data["run_steps"])
    assert data["run_steps"][3]["name"] == "Invoke dbt with `dbt build`"

    listed = api.get("runs/", params={"job_definition_id": 42, "limit": 1, "order_by": "-id"})
    page = listed.json()
    assert page["extra"]["pagination"] == {"count": 1, "total_count": 1}
    assert page["extra"]["filters"]["limit"] == 1
    assert page["data"][0]["trigger"] is None  # related objects only when asked for
    repeated = api.get("runs/", params=[("include_related", "trigger")]).json()
    assert repeated["data"][0]["trigger"]["cause"] == "contract test"


@pytest.mark.parametrize(
    ("request_args", "status", "message"),
    [
        (("POST", "jobs/42/run/", {}), 400, "cause: This field is required."),
        (("POST", "jobs/42/run/", {"cause": "x" * 256}), 400, "no more than 255 characters"),
        (("POST", "jobs/9/run/", {"cause": "c"}), 404, "The requested resource was not found"),
        (("GET", "runs/1/artifacts/manifest.json", None), 404, "not found"),
    ],
)
def test_refusals_use_the_error_envelope(
    api: httpx.Client, request_args: tuple[str, str, object], status: int, message: str
) -> None:
    method, path, body = request_args
    response = api.request(method, path, json=body)
    assert response.status_code == status
    envelope = response.json()
    assert envelope["status"]["is_success"] is False
    assert envelope["status"]["code"] == status
    assert message in envelope["status"]["user_message"]


def test_auth_needs_a_token_or_bearer_prefix(fake: FakeDbtCloud) -> None:
    url = f"{fake.url}/api/v2/accounts/{fake.account_id}/jobs/"
    assert httpx.get(url, headers={"Authorization": f"Token {fake.token}"}).status_code == 200
    assert httpx.get(url, headers={"Authorization": fake.token}).status_code == 401
    assert httpx.get(url).status_code == 401


def test_paths_without_trailing_slash_redirect(fake: FakeDbtCloud, api: httpx.Client) -> None:
    response = api.get("jobs/42")
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [301]
