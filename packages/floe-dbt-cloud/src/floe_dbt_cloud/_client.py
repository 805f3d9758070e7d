"""Plain HTTP to the dbt Cloud Administrative API v2 and the Discovery API.

This module knows envelopes, retries and error translation, and nothing of runs' lifecycle
(that is ``_run_handler.py``). Every httpx error and every non-2xx answer becomes a
:mod:`floe_dbt_cloud._errors` error here, in :func:`_translate_http_errors`.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import structlog
from pydantic import ValidationError

from floe_dbt_cloud._config import CloudConfig
from floe_dbt_cloud._errors import DbtCloudAccessError, DbtCloudAPIError, DbtCloudTransientError
from floe_dbt_cloud._models import CloudRun

__all__ = ["PAGE_SIZE", "DbtCloudClient", "retry_after_seconds"]

PAGE_SIZE = 100
"""Items per list request: the Admin API's maximum ``limit``."""

_log = structlog.get_logger("floe.dbt_cloud")


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A ``Retry-After`` header (delta seconds or HTTP date) in seconds, ``None`` if absent."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _body_excerpt(response: httpx.Response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.text)
    return " ".join(text.split())[:200] or "<empty body>"


def _user_message(response: httpx.Response) -> str:
    """The API's own explanation, or a readable excerpt of a non-JSON body (an HTML 502)."""
    try:
        status = response.json().get("status") or {}
    except (ValueError, AttributeError):
        content_type = response.headers.get("content-type", "unknown type")
        return f"non-JSON {content_type} body: {_body_excerpt(response)}"
    parts = dict.fromkeys(
        str(p) for p in (status.get("user_message"), status.get("developer_message")) if p
    )
    return " ".join(parts) or _body_excerpt(response)


def _run(data: Any) -> CloudRun:
    """A run object; an unexpected shape is an API error, not a pydantic traceback."""
    try:
        return CloudRun.model_validate(data)
    except ValidationError as exc:
        raise DbtCloudAPIError(
            f"dbt Cloud returned a run object floe cannot read: {exc.errors()[0]['msg']} "
            f"at {'.'.join(str(p) for p in exc.errors()[0]['loc'])}",
            hint="the dbt Cloud API may have changed; please report it with the run id",
        ) from exc


class DbtCloudClient:
    """A thin, retrying client of one dbt Cloud account.

    ``sleep`` and ``jitter`` (a ``() -> [0, 1)`` source) are injectable so that backoff can
    be tested without waiting; ``transport`` lets tests swap the network (httpx transports).
    """

    def __init__(
        self,
        config: CloudConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._config = config
        self._sleep = sleep
        self._jitter = jitter
        self._http = httpx.Client(
            base_url=config.api_base_url,
            headers={
                "Authorization": f"Token {config.resolved_token().get_secret_value()}",
                "Accept": "application/json",
                "User-Agent": "floe-dbt-cloud",
            },
            timeout=config.http_timeout_seconds,
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DbtCloudClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- Administrative API ---------------------------------------------------------------
    def trigger_job_run(self, job_id: int, body: Mapping[str, Any]) -> CloudRun:
        """``POST jobs/{id}/run/``, tried once: a blind retry could start a second run."""
        return _run(self._json("POST", f"jobs/{job_id}/run/", json=dict(body), retry=False))

    def rerun_job(self, job_id: int) -> CloudRun:
        """``POST jobs/{id}/rerun/`` (retry from failure), tried once for the same reason."""
        return _run(self._json("POST", f"jobs/{job_id}/rerun/", retry=False))

    def retry_run(self, run_id: int) -> CloudRun:
        """``POST runs/{id}/retry/`` (the run's failed nodes again), tried once likewise."""
        return _run(self._json("POST", f"runs/{run_id}/retry/", retry=False))

    def get_run(self, run_id: int, *, with_steps: bool = True) -> CloudRun:
        """The run; ``with_steps`` adds its run_steps (and their logs, which can be large)."""
        related = ["trigger", "run_steps"] if with_steps else ["trigger"]
        params = {"include_related": json.dumps(related)}
        return _run(self._json("GET", f"runs/{run_id}/", params=params))

    def list_runs(self, job_id: int, *, limit: int = 20) -> list[CloudRun]:
        """The job's ``limit`` newest runs, newest first, with their trigger (``cause``)."""
        return list(itertools.islice(self.iter_runs(job_id, page_size=limit), limit))

    def iter_runs(self, job_id: int, *, page_size: int = 100) -> Iterator[CloudRun]:
        """Every run of the job, newest first, fetched a page (<= 100 runs) at a time."""
        params = {
            "job_definition_id": str(job_id),
            "order_by": "-id",
            "include_related": json.dumps(["trigger"]),
        }
        for item in self._pages("runs/", params, page_size=page_size):
            yield _run(item)

    def list_jobs(
        self, *, project_id: int | None = None, environment_id: int | None = None, name: str = ""
    ) -> list[dict[str, Any]]:
        """Every job of the account (all pages); the filters are the API's own."""
        filters = {"project_id": project_id, "environment_id": environment_id}
        params = {k: str(v) for k, v in filters.items() if v is not None}
        if name:
            params["name__icontains"] = name
        return list(self._pages("jobs/", {**params, "order_by": "id"}))

    def cancel_run(self, run_id: int) -> CloudRun:
        return _run(self._json("POST", f"runs/{run_id}/cancel/"))

    def get_artifact(self, run_id: int, path: str, *, step: int | None = None) -> bytes:
        """The raw file (artifact GETs are not enveloped)."""
        params = {"step": str(step)} if step is not None else None
        return self._request("GET", f"runs/{run_id}/artifacts/{path}", params=params).content

    def get_job(self, job_id: int) -> dict[str, Any]:
        data = self._json("GET", f"jobs/{job_id}/")
        return data if isinstance(data, dict) else {}

    # -- Discovery API --------------------------------------------------------------------
    def graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """One Discovery query; GraphQL ``errors[]`` (sent with HTTP 200) raise."""
        response = self._request(
            "POST", self._config.graphql_url, json={"query": query, "variables": dict(variables)}
        )
        payload = self._decode(response)
        if payload.get("errors"):
            messages = "; ".join(str(e.get("message", e)) for e in payload["errors"])
            raise DbtCloudAPIError(f"Discovery API query failed: {messages}")
        data = payload.get("data")
        return data if isinstance(data, dict) else {}

    # -- transport ------------------------------------------------------------------------
    def _pages(
        self, path: str, params: Mapping[str, str], *, page_size: int = PAGE_SIZE
    ) -> Iterator[Any]:
        """The items of a list endpoint, page by page, until ``total_count`` is reached.

        Lists are newest-first or id-ordered: items created meanwhile shift later pages,
        so an item may repeat across pages but none is skipped.
        """
        size = max(1, min(page_size, PAGE_SIZE))
        offset = 0
        while True:
            page = {**params, "limit": str(size), "offset": str(offset)}
            payload = self._decode(self._request("GET", path, params=page))
            items = payload.get("data") or []
            yield from items
            offset += len(items)
            extra = payload.get("extra") or {}
            total = (extra.get("pagination") or {}).get("total_count")
            if len(items) < size or (isinstance(total, int) and offset >= total):
                return

    def retry_delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry ``attempt`` (0-based)."""
        policy = self._config.retry
        if retry_after is not None:
            return min(retry_after, policy.retry_after_max_seconds)
        ceiling: float = min(policy.backoff_max_seconds, policy.backoff_base_seconds * 2**attempt)
        return ceiling * self._jitter()

    def _json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        retry: bool = True,
    ) -> Any:
        response = self._request(method, url, params=params, json=json, retry=retry)
        return self._decode(response).get("data")

    def _decode(self, response: httpx.Response) -> dict[str, Any]:
        try:
            payload = response.json()
        except ValueError as exc:
            raise DbtCloudAPIError(
                f"{response.request.method} {response.request.url.path}: dbt Cloud answered "
                f"HTTP {response.status_code} with {_user_message(response)}",
                hint="check access_url points at the dbt Cloud account host",
                status_code=response.status_code,
            ) from exc
        if not isinstance(payload, dict):
            raise DbtCloudAPIError(
                f"{response.request.url.path}: expected a JSON object, got {type(payload).__name__}"
            )
        return payload

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        retry: bool = True,
    ) -> httpx.Response:
        attempts = self._config.retry.max_attempts if retry else 1
        for attempt in range(attempts):
            try:
                with _translate_http_errors(method, url, self._config):
                    response = self._http.request(method, url, params=params, json=json)
                    _raise_for_status(response, self._config)
                    return response
            except DbtCloudTransientError as exc:
                if attempt + 1 >= attempts:
                    raise
                delay = self.retry_delay(attempt, exc.retry_after)
                _log.warning(
                    "dbt Cloud request failed; retrying",
                    method=method,
                    path=url,
                    error=exc.message,
                    attempt=attempt + 1,
                    delay_seconds=round(delay, 3),
                )
                self._sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")


@contextmanager
def _translate_http_errors(method: str, url: str, config: CloudConfig) -> Iterator[None]:
    """httpx's errors -> floe errors, at this one boundary (``raise ... from exc``)."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise DbtCloudTransientError(
            f"{method} {url}: no answer from dbt Cloud within {config.http_timeout_seconds}s",
            hint="raise http_timeout_seconds, or check dbt Cloud's status page",
        ) from exc
    except httpx.TransportError as exc:
        raise DbtCloudTransientError(
            f"{method} {url}: connection to {config.access_url} failed: {exc}",
            hint="check access_url and the network path to dbt Cloud",
        ) from exc
    except httpx.HTTPError as exc:
        raise DbtCloudAPIError(f"{method} {url}: {exc}") from exc


_RETRY_LATER = {408, 425, 429}
"""4xx answers that mean "not now" (request timeout, too early, rate limit): retried."""

_ACCESS_HINTS = {
    401: "check that the token (plugins.dbt_runtime.config.token) is a valid, unexpired "
    "dbt Cloud service token for this account",
    403: "the token lacks permission: give the service token 'Job Admin' (trigger/cancel) "
    "and 'Metadata Only' (Discovery) on account {account}",
    404: "check account_id {account}, the job id and access_url {url} (the account's own "
    "access URL, e.g. https://<prefix>.us1.dbt.com)",
}


def _raise_for_status(response: httpx.Response, config: CloudConfig) -> None:
    code = response.status_code
    if code < 400:
        return
    where = f"{response.request.method} {response.request.url.path}"
    message = f"{where}: dbt Cloud answered HTTP {code}: {_user_message(response)}"
    if code in _RETRY_LATER or code >= 500:
        raise DbtCloudTransientError(
            message,
            hint="dbt Cloud is rate limiting or unavailable; retries were exhausted",
            status_code=code,
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )
    if code in _ACCESS_HINTS:
        hint = _ACCESS_HINTS[code].format(account=config.account_id, url=config.access_url)
        first_host = response.history[0].request.url.host if response.history else None
        if first_host is not None and first_host != response.url.host:
            # httpx drops the token on a redirect to another host, as it should.
            hint = (
                f"dbt Cloud redirected {first_host} to {response.url.host}, which does not get "
                f"the token: set access_url to {response.url.scheme}://{response.url.netloc.decode()}"
            )
        raise DbtCloudAccessError(message, hint=hint, status_code=code)
    raise DbtCloudAPIError(message, status_code=code)
