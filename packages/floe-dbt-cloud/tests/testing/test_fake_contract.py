"""The fake and the client, each checked against the documented dbt Cloud contract
(dbt Labs' OpenAPI documents and API docs), not against each other, so they cannot drift
together silently. Beyond these behaviours, the ``fake`` fixture checks every answer of every
test against ``floe_dbt_cloud.testing._contract`` (the documented shapes).
"""

from __future__ import annotations

import json
import shlex
import socket
import time
from collections.abc import Callable

import httpx
import pytest

from floe_core import DBTInvocation, RunStatus
from floe_dbt_cloud import CloudRuntime
from floe_dbt_cloud.testing import FakeDbtCloud
from floe_dbt_cloud.testing._contract import contract_violation
from floe_dbt_cloud.testing._envelope import status_block


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
    baseline, trigger = fake.requests[:2]  # the job's newest run, then the trigger
    assert (baseline.method, baseline.path) == ("GET", f"{base}runs/")
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
    created = api.post("jobs/42/run/", json={"cause": "contract test", "git_branch": "dev"})
    assert created.status_code == 200
    body = created.json()
    assert body["status"] == {
        "code": 200,
        "is_success": True,
        "user_message": "Success!",
        "developer_message": "",
    }
    run = body["data"]
    assert run["trigger"]["cause"] == "contract test"
    assert run["trigger_id"] != run["id"]
    assert run["git_branch"] == "dev"
    assert run["status"] in (1, 2)
    assert run["in_progress"] is True  # queued and starting runs are in progress too
    # Status 2 (Starting) is observable while a runner is found (here: stretched).
    assert _poll_status(api, run["id"], until=2) == 2

    cancelled = api.post(f"runs/{run['id']}/cancel/").json()["data"]
    assert (cancelled["status"], cancelled["is_cancelled"]) == (30, True)
    assert cancelled["in_progress"] is False
    detail = api.get(f"runs/{run['id']}/", params={"include_related": "trigger,run_steps"})
    data = detail.json()["data"]
    assert [step["index"] for step in data["run_steps"]] == [1, 2, 3, 4]
    assert "debug_logs" not in data["run_steps"][0]
    assert data["run_steps"][3]["name"] == "Invoke dbt with `dbt build`"

    listed = api.get("runs/", params={"job_definition_id": 42, "limit": 1, "order_by": "-id"})
    page = listed.json()
    assert page["extra"]["pagination"] == {"count": 1, "total_count": 1}
    assert page["extra"]["filters"]["limit"] == 1
    assert page["data"][0]["trigger"] is None  # related objects only when asked for
    repeated = api.get("runs/", params=[("include_related", "trigger")]).json()
    assert repeated["data"][0]["trigger"]["cause"] == "contract test"


def _poll_status(api: httpx.Client, run_id: int, *, until: int) -> int:
    deadline = time.monotonic() + 10
    status = 0
    while time.monotonic() < deadline and status != until:
        status = api.get(f"runs/{run_id}/").json()["data"]["status"]
        time.sleep(0.02)
    return status


@pytest.mark.slow
def test_finished_run_serves_steps_debug_logs_artifacts_and_lookups(
    fake: FakeDbtCloud, api: httpx.Client
) -> None:
    body = {"cause": "lookups", "generate_docs_override": True, "threads_override": 2}
    run_id = api.post("jobs/42/run/", json=body).json()["data"]["id"]
    fake.wait_idle()
    run = api.get(f"runs/{run_id}/", params={"include_related": "run_steps,debug_logs,job"})
    data = run.json()["data"]
    assert data["status"] == 10, data["status_message"]
    assert data["has_docs_generated"] is True
    assert [s["name"] for s in data["run_steps"]][-1] == "Invoke dbt with `dbt docs generate`"
    build_step = data["run_steps"][3]
    assert "[debug]" in build_step["debug_logs"]
    assert data["job"]["job_type"] == "other"
    assert {"triggers", "schedule", "dbt_version"} <= set(data["job"])

    step = api.get(f"steps/{build_step['id']}/").json()["data"]
    assert (step["run_id"], step["index"]) == (run_id, 4)
    assert api.get("jobs/42/artifacts/catalog.json").json()["nodes"]  # the latest run's file
    assert api.get(f"runs/{run_id}/retry/").json()["data"] == {
        "failed_step": None,
        "skipped_steps": [],
    }
    assert api.get("steps/1/").status_code == 404


def test_connection_check_endpoints(fake: FakeDbtCloud) -> None:
    headers = {"Authorization": f"Token {fake.token}"}
    with httpx.Client(base_url=fake.url, headers=headers, follow_redirects=True) as client:
        accounts = client.get("/api/v2/accounts/").json()
        assert [a["id"] for a in accounts["data"]] == [fake.account_id]
        assert accounts["extra"]["pagination"] == {"count": 1, "total_count": 1}
        assert client.get(f"/api/v2/accounts/{fake.account_id}/").json()["data"]["id"] == 1
        assert client.get("/api/v2/accounts/2/").status_code == 404
        v3 = f"/api/v3/accounts/{fake.account_id}/"
        (project,) = client.get(f"{v3}projects/").json()["data"]
        environments = client.get(f"{v3}projects/{project['id']}/environments/").json()
        assert [e["id"] for e in environments["data"]] == [fake.jobs[42].environment_id]
        assert client.get(f"{v3}projects/99/environments/").json()["data"] == []


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"project_id": 999, "limit": 1}, 0),
        ({"project_id": 1}, 1),
        ({"environment_id": 1, "name__icontains": "FLOE"}, 1),
        ({"state": "deleted"}, 0),
        ({"limit": 1, "offset": 1}, 0),
    ],
)
def test_job_list_honours_filters_and_paging(
    api: httpx.Client, params: dict[str, object], count: int
) -> None:
    page = api.get("jobs/", params=params).json()
    assert len(page["data"]) == count
    assert page["extra"]["filters"]["limit"] == params.get("limit", 100)


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("runs/", {"status": "abc"}, "status: A valid integer is required."),
        ("runs/", {"status__in": "[1,x]"}, "status__in: Enter a list of integers"),
        ("runs/", {"order_by": "bogus"}, "order_by: Invalid ordering 'bogus'"),
        ("jobs/", {"order_by": "-bogus"}, "order_by: Invalid ordering '-bogus'"),
        ("runs/", {"limit": 101}, "limit: Ensure this value is between 1 and 100."),
        ("jobs/", {"offset": -1}, "offset: Ensure this value is greater than or equal to 0."),
        ("jobs/", {"state": "gone"}, "state: Select a valid choice"),
    ],
)
def test_bad_query_parameters_are_a_json_400(
    api: httpx.Client, path: str, params: dict[str, object], message: str
) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 400
    assert message in response.json()["status"]["user_message"]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_paths_without_trailing_slash_redirect_keeping_the_method(
    fake: FakeDbtCloud, api: httpx.Client, method: str
) -> None:
    response = api.request(method, "runs/70000001/cancel", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"].endswith("/runs/70000001/cancel/")


def test_cancel_without_trailing_slash_reaches_the_run(
    fake: FakeDbtCloud, api: httpx.Client
) -> None:
    fake.faults.slow_run(seconds=30)
    run_id = api.post("jobs/42/run", json={"cause": "no slash"}).json()["data"]["id"]
    cancelled = api.post(f"runs/{run_id}/cancel")
    assert cancelled.status_code == 200
    assert [r.status_code for r in cancelled.history] == [308]
    assert cancelled.json()["data"]["status"] == 30


@pytest.mark.parametrize("method", ["DELETE", "PATCH", "PUT", "FOO"])
def test_unserved_methods_are_a_json_405(api: httpx.Client, method: str) -> None:
    response = api.request(method, "runs/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["status"]["is_success"] is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"cause": "c", "threads_override": "4"}, "threads_override: A valid integer"),
        ({"cause": "c", "generate_docs_override": "yes"}, "generate_docs_override: Must be"),
        ({"cause": "c", "steps_override": "dbt build"}, "steps_override: Expected a list"),
        ({"cause": "c", "steps_override": ["rm -rf /"]}, "is not a dbt command"),
        ({"cause": "c", "git_branch": ""}, "git_branch: Not a valid non-empty string"),
        (["not", "an", "object"], "cause: This field is required."),
    ],
)
def test_trigger_body_is_validated_field_by_field(
    fake: FakeDbtCloud, api: httpx.Client, body: object, message: str
) -> None:
    response = api.post("jobs/42/run/", json=body)
    assert response.status_code == 400
    assert message in response.json()["status"]["user_message"]
    assert fake.runs() == []


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", ["/graphql", "/beta/graphql"])
def test_discovery_honours_arguments_and_refuses_what_it_does_not_know(
    fake: FakeDbtCloud, api: httpx.Client, endpoint: str
) -> None:
    run_id = api.post("jobs/42/run/", json={"cause": "discovery"}).json()["data"]["id"]
    fake.wait_idle()

    def query(text: str, **variables: object) -> dict[str, object]:
        response = api.post(fake.url + endpoint, json={"query": text, "variables": variables})
        assert response.status_code == 200
        return dict(response.json())

    fields = "uniqueId alias database schema materializedType runGeneratedAt status"
    answer = query(
        f'query($id: BigInt!) {{ job(id: $id) {{ models(schema: "main") {{ {fields} }} '
        f'other: models(schema: "nope") {{ uniqueId }} '
        f'model(uniqueId: "model.tiny.doubled") {{ uniqueId materializedType }} }} }}',
        id=42,
    )
    job = answer["data"]["job"]  # type: ignore[index]
    models = {m["uniqueId"]: m for m in job["models"]}
    assert set(models) == {"model.tiny.numbers", "model.tiny.doubled"}
    doubled = models["model.tiny.doubled"]
    assert (doubled["alias"], doubled["schema"], doubled["materializedType"]) == (
        "doubled",
        "main",
        "view",
    )
    assert doubled["runGeneratedAt"]
    assert job["other"] == []
    assert job["model"] == {"uniqueId": "model.tiny.doubled", "materializedType": "view"}
    by_run = query(f"{{ job(id: 42, runId: {run_id}) {{ tests {{ name }} }} }}")
    assert by_run["data"] == {"job": {"tests": [{"name": "not_null_doubled_n"}]}}
    for bad in (
        '{ job(id: 42) { models(colour: "red") { uniqueId } } }',
        "{ job(id: 42) { models { rowCount } } }",
        "{ job(id: 42) { model { uniqueId } } }",
        "{ job { models { uniqueId } } }",
    ):
        refused = query(bad)
        assert refused["errors"], bad
        assert refused["data"] is None, bad


def test_contract_check_refuses_a_wrong_shape() -> None:
    run = {"status": status_block(200), "data": {"id": 1, "status": 10}}
    violation = contract_violation(
        "GET", "/api/v2/accounts/1/runs/1/", 200, "application/json", run
    )
    assert violation is not None
    assert "data.trigger_id: Field required" in violation
    html = contract_violation("GET", "/api/v2/accounts/1/runs/", 502, "text/html", b"<html>")
    assert html == "a 502 answer must be JSON, got text/html"
    unknown = contract_violation("GET", "/api/v2/nothing/", 200, "application/json", {})
    assert unknown == "GET /api/v2/nothing/ answered 200 but is no documented endpoint"


def test_head_answers_like_get_without_a_body(api: httpx.Client) -> None:
    response = api.head("runs/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b""


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"GARBAGE\r\n\r\n", 400, "Bad request syntax"),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "Request-URI Too Long"),
        (b"GET /api/v2/accounts/ HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400, "Content-Length"),
    ],
)
def test_malformed_requests_get_a_json_answer(
    fake: FakeDbtCloud, raw: bytes, status: int, message: str
) -> None:
    port = int(fake.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"Content-Type: application/json" in head
    assert message in json.loads(body)["status"]["user_message"]
