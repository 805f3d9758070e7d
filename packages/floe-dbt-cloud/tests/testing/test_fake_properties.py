"""Generated requests against the fake: never a 5xx, never a non-JSON answer, always the
documented shape (``_contract``). Paths come from the fake's own route table with real,
unknown and malformed ids; query values and trigger bodies are drawn with the documented
names but arbitrary types. Runs a generated request creates are cancelled straight away, so
the run stays bounded (a few seconds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floe_dbt_cloud.testing import FakeDbtCloud, FakeJob
from floe_dbt_cloud.testing._admin import ROUTES
from floe_dbt_cloud.testing._contract import contract_violation

pytestmark = pytest.mark.slow  # one real dbt run for the artifacts, then generated requests

JOB_ID = 42
QUERY_NAMES = (
    *("limit", "offset", "order_by", "status", "status__in", "job_definition_id"),
    *("project_id", "project_id__in", "environment_id", "include_related", "step", "state"),
    *("name__icontains", "pk", "id__gt", "name"),
)
TRIGGER_FIELDS = (
    *("cause", "git_sha", "git_branch", "schema_override", "dbt_version_override"),
    *("threads_override", "target_name_override", "generate_docs_override"),
    *("timeout_seconds_override", "steps_override"),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def served(
    tiny_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FakeDbtCloud, int]]:
    root = tmp_path_factory.mktemp("properties")
    job = FakeJob(JOB_ID, tiny_project, {"type": "duckdb", "path": str(root / "wh.duckdb")})
    with FakeDbtCloud([job], work_dir=root / "runs") as fake:
        run = fake.trigger(job, {"cause": "a finished run with artifacts"})
        fake.wait_idle()
        yield fake, run.id


@pytest.fixture(scope="module")
def client(served: tuple[FakeDbtCloud, int]) -> Iterator[httpx.Client]:
    """One client for every example: building one (its TLS context) costs ~0.1 s."""
    fake, _ = served
    headers = {"Authorization": f"Token {fake.token}"}
    with httpx.Client(base_url=fake.url, headers=headers, timeout=10) as client:
        yield client


def _segment(known: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(str(known)),
        st.integers(min_value=0, max_value=10**20).map(str),
        st.sampled_from(["abc", "-1", "%00", "1e3", ""]),
    )


@st.composite
def requests(draw: st.DrawFn, run_id: int) -> tuple[str, str, dict[str, Any], Any]:
    route = draw(st.sampled_from(ROUTES))
    template = route.pattern.pattern
    ids = {"account": 1, "id": draw(st.sampled_from([JOB_ID, run_id, run_id * 100 + 4, 1]))}
    path = template
    for name, known in {**ids, "project": 1}.items():
        path = re.sub(rf"\(\?P<{name}>[^)]*\)", lambda _m, k=known: draw(_segment(k)), path)
    path = path.replace("(?P<path>.+)", draw(st.sampled_from(["manifest.json", "x/../y", "n"])))
    if draw(st.booleans()):
        path = path.rstrip("/")
    method = draw(st.sampled_from(["GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD"]))
    query = draw(
        st.dictionaries(
            st.sampled_from(QUERY_NAMES),
            st.one_of(st.integers(-5, 300).map(str), st.text(max_size=12), st.just("[1,2]")),
            max_size=4,
        )
    )
    body = draw(
        st.one_of(
            st.none(),
            JSON_VALUES,
            st.fixed_dictionaries({}, optional=dict.fromkeys(TRIGGER_FIELDS, JSON_VALUES)),
        )
    )
    return method, path, query, body


def _check(response: httpx.Response, method: str) -> None:
    path = response.request.url.path
    assert response.status_code < 500, f"{method} {response.request.url}: {response.text}"
    content_type = response.headers.get("content-type", "")
    raw_file = response.status_code == 200 and "/artifacts/" in path and not path.endswith("/")
    if method != "HEAD" and response.status_code not in (308,) and not raw_file:
        assert content_type == "application/json", f"{method} {path}: {content_type}"
        payload = json.loads(response.content)
        violation = contract_violation(method, path, response.status_code, content_type, payload)
        assert violation is None, violation


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_admin_api_requests(
    served: tuple[FakeDbtCloud, int], client: httpx.Client, data: st.DataObject
) -> None:
    fake, run_id = served
    method, path, query, body = data.draw(requests(run_id))
    content = None if body is None else json.dumps(body)
    _check(client.request(method, path, params=query, content=content), method)
    for run in fake.runs():  # runs a generated trigger created: no dbt work for them
        if run.id != run_id:
            run.finish(30, "Cancelled by the property test")


GRAPHQL_QUERIES = st.sampled_from(
    [
        "{ job(id: $id) { models { uniqueId alias schema } } }",
        "query($id: BigInt!, $run: BigInt) { job(id: $id, runId: $run) { tests { name } } }",
        "query($id: BigInt!) { job(id: $id) { model(uniqueId: $id) { name } } }",
        "query($id: BigInt!) { job(id: $id) { seeds(schema: $id) { name } } }",
        "{ job(id: 42) { snapshots { uniqueId status error } } }",
        "{ job(id: 42) { models { ",
        "mutation { job }",
    ]
)


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    query=GRAPHQL_QUERIES | st.text(max_size=40),
    variables=st.dictionaries(st.sampled_from(["id", "run"]), JSON_VALUES, max_size=2),
    endpoint=st.sampled_from(["/graphql", "/beta/graphql"]),
)
def test_generated_discovery_queries(
    client: httpx.Client, query: str, variables: dict[str, Any], endpoint: str
) -> None:
    response = client.post(endpoint, json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    _check(response, "POST")
