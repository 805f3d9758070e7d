"""floe's OpenLineage client against openlineage-python's, on a real loopback receiver.

floe swaps the client's requests-based HTTP transport for a pooled one
(``floe_core.lineage._client``, ADR 0028); what reaches the receiver, and how refusals and
retries go, must stay what openlineage-python's own transport does with the same settings.
"""

from __future__ import annotations

import copy
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, Run, RunEvent, RunState
from openlineage.client.facet_v2 import error_message_run, sql_job

from floe_core.lineage._client import PooledHttpTransport, lineage_client

HEADERS = ("Content-Type", "Content-Encoding", "Content-Length", "Authorization", "X-Team")


def _event(state: RunState = RunState.FAIL) -> RunEvent:
    return RunEvent(
        eventType=state,
        eventTime="2026-12-06T17:00:00.123456+00:00",
        producer="https://github.com/floe",
        run=Run(
            runId=str(uuid.UUID(int=7)),
            facets={
                "errorMessage": error_message_run.ErrorMessageRunFacet(
                    message="déjà vu", programmingLanguage="sql", stackTrace=None
                )
            },
        ),
        job=Job(
            namespace="dbt",
            name="shop.main.orders",
            facets={"sql": sql_job.SQLJobFacet(query="select 1", dialect="duckdb")},
        ),
        inputs=[InputDataset(namespace="duckdb:///x", name="shop.main.raw")],
    )


def _both(url: str, **options: Any) -> tuple[OpenLineageClient, OpenLineageClient]:
    """openlineage-python's client and floe's, from the same transport settings."""
    config = {"type": "http", "url": url, **options}
    stock = OpenLineageClient(config={"transport": copy.deepcopy(config)})
    floe = lineage_client(copy.deepcopy(config))
    assert type(floe.transport) is PooledHttpTransport
    assert type(stock.transport) is not PooledHttpTransport
    return stock, floe


def test_the_receiver_gets_the_same_bytes_and_headers_as_from_openlineage_python(
    receiver: Any,
) -> None:
    stock, floe = _both(
        receiver.url,
        auth={"type": "api_key", "apiKey": "s3cret"},
        compression="gzip",
        custom_headers={"X-Team": "data"},
    )
    for client in (stock, floe, floe):  # the second event goes over the kept connection
        client.emit(_event())
    floe.close()

    (stock_headers, stock_body), *pooled = receiver.lineage_requests
    assert b"deja" not in stock_body  # non-ASCII escaped, as json.dumps does
    for headers, body in pooled:
        assert body == stock_body
        assert {k: headers.get(k) for k in HEADERS} == {k: stock_headers.get(k) for k in HEADERS}
    assert stock_headers["Authorization"] == "Bearer s3cret"
    assert stock_headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize(("status", "requests_per_event"), [(400, 1), (503, 3)])
def test_refusals_and_retries_follow_openlineage_pythons_rules(
    receiver: Any, status: int, requests_per_event: int
) -> None:
    receiver.lineage_status = status
    # 5xx is retried (the default retry's status list), 4xx is not.
    for client in _both(receiver.url, retry={"total": 2, "backoff_factor": 0}):
        before = len(receiver.lineage_requests)
        with pytest.raises(Exception, match=str(status) if status < 500 else "retries"):
            client.emit(_event())
        assert len(receiver.lineage_requests) - before == requests_per_event


def test_a_receiver_that_is_down_fails_the_emit(closed_port_url: str) -> None:
    client = lineage_client({"type": "http", "url": closed_port_url, "retry": {"total": 0}})
    with pytest.raises(Exception, match=r"refused|Max retries"):
        client.emit(_event())


def test_zero_config_lineage_is_pooled_too(receiver: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    monkeypatch.setenv("OPENLINEAGE_API_KEY", "from-env")
    saved = dict(os.environ)
    try:
        client = lineage_client(None)
    finally:  # the OpenLineage client writes OPENLINEAGE__TRANSPORT__* into the environment
        os.environ.clear()
        os.environ.update(saved)
    assert type(client.transport) is PooledHttpTransport
    client.emit(_event(RunState.START))
    [event] = receiver.wait_for("/api/v1/lineage", 1)
    assert event["eventType"] == "START"
    assert receiver.authorizations == {"Bearer from-env"}


def test_other_transports_are_left_as_configured(tmp_path: Any) -> None:
    client = lineage_client({"type": "file", "log_file_path": str(tmp_path / "events.jsonl")})
    assert client.transport.kind == "file"


def test_events_share_a_kept_connection_reopened_after_the_receiver_drops_it() -> None:
    """To a plain http:// receiver events go over one kept-alive connection (ADR 0029); one
    the receiver closed while idle is reopened without spending a retry."""
    connections: list[object] = []
    bodies: list[bytes] = []

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            connections.append(self.client_address)

        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()
            # Dropped without saying so, as a receiver's idle timeout does.
            self.close_connection = len(bodies) == 2

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client = lineage_client({"type": "http", "url": url, "retry": {"total": 0}})
        for _ in range(4):
            client.emit(_event())
        client.close()
    finally:
        server.shutdown()
        server.server_close()
    assert len(bodies) == 4
    assert len(connections) == 2  # events 1-2 on the first connection, 3-4 on the second
