"""The OpenLineage client floe emits through: openlineage-python's, made cheaper per event.

Per event, on the thread that shares the GIL with dbt's (two events per dbt node):

- the client scans the whole environment for the variables of its
  ``facets.environment_variables`` setting, even when that list is empty (about 0.1 ms):
  :class:`FloeLineageClient` skips the scan when there is nothing to look for;
- openlineage-python's ``HttpTransport`` sends each event with ``requests.Session.post``:
  with ``Serde.to_json``, about 0.5 ms, most of it requests merging the session with the
  environment (proxies, ``NO_PROXY``, netrc, CA bundle) on every call.
  :class:`PooledHttpTransport` is that transport (same ``HttpConfig``, so the same keys:
  ``url``, ``endpoint``, ``timeout``, ``verify``, ``auth``, ``compression``,
  ``custom_headers``, ``retry``, ``sslContext``) with ``emit`` on a keep-alive urllib3
  ``PoolManager`` (what requests itself sends with): the environment is read once, when the
  pool is made, the same ``Retry`` applies, a status >= 400 raises ``requests.HTTPError`` as
  before, and the body is the same JSON text (:func:`~floe_core.lineage._serde.event_json`).
  About 0.15 ms per event. Where requests would do what the pool does not (a client
  certificate and its no-redirect rule, credentials from ``~/.netrc``, a session or adapter
  passed in code) it stays on requests (``super().emit``).
- next to dbt's busy threads that pool's POST still costs ~1 ms of CPU: to a plain
  ``http://`` receiver without a proxy, each event's first attempt goes over a
  :class:`~floe_core.lineage._kept_connection.KeptConnection` (h11, one send, ~0.07 ms; ADR
  0029); a status the retry rules retry, or no response, continues on the pool with the same
  ``Retry``, one attempt spent.

:func:`lineage_client` builds the client from the configuration and swaps openlineage-python's
HTTP transport for the pooled one, whichever way it was configured (manifest,
``openlineage.yml``, ``OPENLINEAGE_URL``); other transports are left as they are.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import h11
import requests
import urllib3
from openlineage.client import OpenLineageClient
from openlineage.client.transport.http import HttpConfig, HttpTransport
from requests.utils import (
    DEFAULT_CA_BUNDLE_PATH,
    get_auth_from_url,
    get_netrc_auth,
    select_proxy,
)

from floe_core.lineage._kept_connection import Framed, KeptConnection
from floe_core.lineage._serde import event_json

if TYPE_CHECKING:
    from openlineage.client.client import Event

__all__ = ["FloeLineageClient", "PooledHttpTransport", "Post", "lineage_client"]

Post = tuple[bytes, dict[str, str], Framed | None]
"""One event's request body (serialised, compressed if configured), headers, and the
request framed for the kept connection when there is one."""


class PooledHttpTransport(HttpTransport):
    """``HttpTransport`` on a keep-alive urllib3 pool (module docstring)."""

    kind = "http"
    config_class = HttpConfig

    def __init__(self, config: HttpConfig) -> None:
        super().__init__(config)
        self._target = urljoin(self.url, self.endpoint)
        self._retry = urllib3.util.Retry(**config.retry)
        self._pool: urllib3.PoolManager | None = None
        self._kept: KeptConnection | None = None
        self._collected: list[Post] | None = None
        self._pooled = (
            config.session is None
            and config.adapter is None
            and self.cert is None
            and get_netrc_auth(self._target) is None
        )

    def emit(self, event: Event) -> Any:
        if not self._pooled:
            return super().emit(event)
        text, headers = self._prepare_request(event_json(event))
        body = text.encode() if isinstance(text, str) else text
        if self._collected is not None:
            self._manager()  # decides whether there is a kept connection
            framed = self._kept.frame(body, headers) if self._kept is not None else None
            self._collected.append((body, headers, framed))
            return None
        return self._post((body, headers, None))

    @contextlib.contextmanager
    def collecting(self) -> Iterator[list[Post]]:
        """Events emitted inside are serialised into the list, not sent: :meth:`send` them."""
        collected: list[Post] = []
        self._collected = collected
        try:
            yield collected
        finally:
            self._collected = None

    def send(self, posts: list[Post]) -> None:
        """POST what :meth:`collecting` gathered, in order; raises as ``emit`` does."""
        for post in posts:
            self._post(post)

    def _post(self, post: Post) -> Any:
        body, headers, framed = post
        manager = self._manager()
        retry = self._retry
        if self._kept is not None:
            try:
                status, reason = self._kept.post(body, headers, framed)
            except (OSError, h11.ProtocolError) as exc:
                retry = retry.increment("POST", self._target, error=exc)
            else:
                if status < 400 or not retry.is_retry("POST", status):
                    self._raise_for_status(status, reason)
                    return status
                refusal = urllib3.HTTPResponse(status=status, reason=reason)
                retry = retry.increment("POST", self._target, response=refusal)
                retry.sleep(refusal)
        response = manager.request(
            "POST", self._target, body=body, headers=headers, timeout=self.timeout, retries=retry
        )
        self._raise_for_status(response.status, response.reason)
        return response

    def _raise_for_status(self, status: int, reason: str | None) -> None:
        if status >= 400:
            kind = "Client" if status < 500 else "Server"
            raise requests.HTTPError(f"{status} {kind} Error: {reason} for url: {self._target}")

    def _manager(self) -> urllib3.PoolManager:
        if self._pool is None:
            self._pool = self._new_manager()
            if type(self._pool) is urllib3.PoolManager and self._target.startswith("http://"):
                self._kept = KeptConnection(self._target, self.timeout)
        return self._pool

    def _new_manager(self) -> urllib3.PoolManager:
        """The pool as requests would set up the connection: proxies and the CA bundle from
        the environment (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``...)."""
        settings = requests.Session().merge_environment_settings(
            self._target, {}, None, self.verify, None
        )
        verify = settings["verify"]
        tls: dict[str, Any] = (
            {"cert_reqs": ssl.CERT_NONE}
            if verify is False
            else {
                "cert_reqs": ssl.CERT_REQUIRED,
                "ca_certs": DEFAULT_CA_BUNDLE_PATH if verify is True else verify,
            }
        )
        proxy = select_proxy(self._target, settings["proxies"])
        if proxy:
            username, password = get_auth_from_url(proxy)
            credentials = f"{username}:{password}" if username else None
            return urllib3.ProxyManager(
                proxy,
                maxsize=1,
                proxy_headers=urllib3.util.make_headers(proxy_basic_auth=credentials),
                **tls,
            )
        return urllib3.PoolManager(maxsize=1, **tls)

    def close(self, timeout: float = -1) -> bool:
        if self._pool is not None:
            self._pool.clear()
            self._pool = None
        if self._kept is not None:
            self._kept.close()
            self._kept = None
        return super().close(timeout)


class FloeLineageClient(OpenLineageClient):
    """``OpenLineageClient`` that reads no environment when no variable is to be collected."""

    def _collect_environment_variables(self) -> dict[str, str]:
        if not self.config.facets.environment_variables:
            return {}
        return super()._collect_environment_variables()


def lineage_client(transport: dict[str, Any] | None) -> OpenLineageClient:
    """The OpenLineage client of ``observability.lineage.transport`` (``None``: the client's
    own configuration: ``openlineage.yml``, ``OPENLINEAGE_*``), its HTTP transport pooled."""
    client = (
        FloeLineageClient(config={"transport": transport}) if transport else FloeLineageClient()
    )
    if type(client.transport) is HttpTransport:
        client.transport = PooledHttpTransport(client.transport.config)
    return client
