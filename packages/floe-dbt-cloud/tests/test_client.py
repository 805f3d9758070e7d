"""The HTTP client against the fake dbt Cloud over real loopback HTTP: retries and errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from floe_dbt_cloud import (
    CloudConfig,
    DbtCloudAccessError,
    DbtCloudAPIError,
    DbtCloudClient,
    DbtCloudTransientError,
    RetryPolicy,
)
from floe_dbt_cloud._client import retry_after_seconds
from floe_dbt_cloud.testing import FakeDbtCloud

JOB_ID = 42
JOBS_PATH = rf"/jobs/{JOB_ID}/$"


def _client(
    fake: FakeDbtCloud, sleep: Callable[[float], None], **overrides: object
) -> DbtCloudClient:
    return DbtCloudClient(fake.cloud_config(JOB_ID, **overrides), sleep=sleep, jitter=lambda: 0.5)


def test_rate_limit_honours_retry_after(
    fake: FakeDbtCloud, sleep: Callable[[float], None], delays: list[float]
) -> None:
    fake.faults.rate_limit(times=2, retry_after=1.5, path=JOBS_PATH)
    with _client(fake, sleep) as client:
        assert client.get_job(JOB_ID)["id"] == JOB_ID
    assert delays == [1.5, 1.5]


def test_rate_limit_without_retry_after_backs_off_exponentially_with_jitter(
    fake: FakeDbtCloud, sleep: Callable[[float], None], delays: list[float]
) -> None:
    fake.faults.rate_limit(times=3, path=JOBS_PATH)
    policy = RetryPolicy(backoff_base_seconds=0.02, backoff_max_seconds=0.05)
    with _client(fake, sleep, retry=policy) as client:
        assert client.get_job(JOB_ID)["id"] == JOB_ID
    # full jitter (here 0.5) of base * 2**attempt, capped at backoff_max
    assert delays == pytest.approx([0.01, 0.02, 0.025])


@pytest.mark.parametrize("fault", ["server_error", "html_502", "slow", "redirect"])
def test_transient_faults_are_retried(
    fake: FakeDbtCloud, sleep: Callable[[float], None], delays: list[float], fault: str
) -> None:
    timeout = 5.0
    if fault == "slow":
        fake.faults.slow(delay=1.5, path=JOBS_PATH)
        timeout = 0.5  # a fast answer takes milliseconds, even on a loaded machine
    else:
        getattr(fake.faults, fault)(path=JOBS_PATH)
    with _client(fake, sleep, http_timeout_seconds=timeout) as client:
        assert client.get_job(JOB_ID)["id"] == JOB_ID
    assert len(delays) == (0 if fault == "redirect" else 1)
    assert [kind for kind, _, _ in fake.faults.fired] == [fault]


def test_html_502_that_persists_is_a_clear_error(
    fake: FakeDbtCloud, sleep: Callable[[float], None], delays: list[float]
) -> None:
    fake.faults.html_502(times=10)
    with (
        _client(fake, sleep, retry=RetryPolicy(max_attempts=3)) as client,
        pytest.raises(DbtCloudTransientError) as excinfo,
    ):
        client.get_job(JOB_ID)
    message = str(excinfo.value)
    assert "HTTP 502" in message
    assert "non-JSON text/html body: 502 Bad Gateway" in message
    assert "<html>" not in message
    assert len(delays) == 2


def test_bad_token_names_what_to_check_without_echoing_it(
    fake: FakeDbtCloud, sleep: Callable[[float], None], delays: list[float]
) -> None:
    with (
        _client(fake, sleep, token="wrong-token-value") as client,
        pytest.raises(DbtCloudAccessError) as excinfo,
    ):
        client.get_job(JOB_ID)
    assert excinfo.value.status_code == 401
    assert excinfo.value.exit_code == 2
    assert "Invalid token." in str(excinfo.value)
    assert "service token" in str(excinfo.value)
    assert "wrong-token-value" not in str(excinfo.value)
    assert delays == []


def test_unknown_job_gives_the_api_message_and_what_to_check(
    fake: FakeDbtCloud, sleep: Callable[[float], None]
) -> None:
    with _client(fake, sleep) as client, pytest.raises(DbtCloudAccessError) as excinfo:
        client.get_job(999)
    assert excinfo.value.status_code == 404
    assert "The requested resource was not found" in excinfo.value.message
    assert f"account_id {fake.account_id}" in (excinfo.value.hint or "")


def test_connection_refused_is_transient_and_names_the_host(
    sleep: Callable[[float], None], delays: list[float]
) -> None:
    config = CloudConfig(
        access_url="http://127.0.0.1:9",
        account_id=1,
        job_id=1,
        token="t",  # type: ignore[arg-type]
        retry=RetryPolicy(max_attempts=2, backoff_base_seconds=0.001),
    )
    with (
        DbtCloudClient(config, sleep=sleep) as client,
        pytest.raises(DbtCloudTransientError, match=r"connection to http://127\.0\.0\.1:9"),
    ):
        client.get_job(1)
    assert len(delays) == 1


def test_graphql_errors_with_http_200_raise(
    fake: FakeDbtCloud, sleep: Callable[[float], None]
) -> None:
    with (
        _client(fake, sleep) as client,
        pytest.raises(DbtCloudAPIError, match="Discovery API query failed"),
    ):
        client.graphql("query { environment(id: 1) { applied { models } } }", {})


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(later, now=now.timestamp()) == pytest.approx(30.0)


def test_redirect_to_another_host_names_the_access_url_to_use(
    fake: FakeDbtCloud, sleep: Callable[[float], None]
) -> None:
    fake.faults.redirect(path=JOBS_PATH, to_host="localhost")
    with _client(fake, sleep) as client, pytest.raises(DbtCloudAccessError) as excinfo:
        client.get_job(JOB_ID)
    port = fake.url.rsplit(":", 1)[1]
    assert excinfo.value.hint == (
        "dbt Cloud redirected 127.0.0.1 to localhost, which does not get the token: "
        f"set access_url to http://localhost:{port}"
    )
    redirected = fake.requests[-1]
    assert "Authorization" not in redirected.headers


def test_unreadable_run_object_is_an_api_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": {"code": 200}, "data": {"id": 1, "status": 99}})

    config = CloudConfig.model_validate(
        {"access_url": "https://cloud.example", "account_id": 1, "job_id": 1, "token": "t"}
    )
    client = DbtCloudClient(config, transport=httpx.MockTransport(answer))
    with (
        client,
        pytest.raises(DbtCloudAPIError, match=r"run object floe cannot read: .* at status"),
    ):
        client.get_run(1)
