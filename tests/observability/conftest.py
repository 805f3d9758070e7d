"""Loopback receivers: the OpenLineage HTTP API and OTLP collectors (HTTP and gRPC).

The HTTP one is a ``ThreadingHTTPServer`` on port 0 that keeps what it receives, by path;
``delay`` makes it slow (to check a slow receiver never slows a run beyond the configured
timeout). The gRPC one serves the OTLP trace and metrics services on a free port.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from floe_core.testing import validate_openlineage_event


class Receiver:
    """What a loopback server received, by path, with a way to wait for it."""

    def __init__(self) -> None:
        self.received: dict[str, list[Any]] = {}
        self.authorizations: set[str | None] = set()
        """The ``Authorization`` headers of the lineage requests."""
        self.lineage_requests: list[tuple[dict[str, str], bytes]] = []
        """Every lineage request as it came: headers and (decompressed) body."""
        self.lineage_status: int | None = None
        """The status to answer lineage requests with instead of accepting them."""
        self.delay = 0.0
        self._condition = threading.Condition()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, path: str, item: Any) -> None:
        with self._condition:
            self.received.setdefault(path, []).append(item)
            self._condition.notify_all()

    def wait_for(self, path: str, count: int, timeout: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.received.get(path, [])) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)
            return list(self.received.get(path, []))


def _decode(path: str, body: bytes) -> Any:
    if path == "/api/v1/lineage":
        return json.loads(body)
    if path == "/v1/traces":
        traces = ExportTraceServiceRequest()
        traces.ParseFromString(body)
        return traces
    if path == "/v1/metrics":
        metrics = ExportMetricsServiceRequest()
        metrics.ParseFromString(body)
        return metrics
    return None


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if receiver.delay:
                time.sleep(receiver.delay)
            if self.path == "/api/v1/lineage":
                receiver.lineage_requests.append((dict(self.headers.items()), body))
                if receiver.lineage_status is not None:
                    self.send_error(receiver.lineage_status)
                    return
            item = _decode(self.path, body)
            if item is None:
                self.send_error(404)
                return
            if self.path == "/api/v1/lineage":
                receiver.authorizations.add(self.headers.get("Authorization"))
            receiver.add(self.path, item)
            status = 201 if self.path == "/api/v1/lineage" else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.server = server
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    for event in receiver.received.get("/api/v1/lineage", []):  # every event a test received
        validate_openlineage_event(event)


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nothing listens on (bound, then released)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"


class _GrpcTraces(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def Export(self, request: Any, context: Any) -> ExportTraceServiceResponse:
        self.receiver.add("/v1/traces", request)
        return ExportTraceServiceResponse()


class _GrpcMetrics(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def Export(self, request: Any, context: Any) -> ExportMetricsServiceResponse:
        self.receiver.add("/v1/metrics", request)
        return ExportMetricsServiceResponse()


@pytest.fixture
def grpc_receiver() -> Iterator[tuple[Receiver, str]]:
    """An OTLP/gRPC collector on loopback and its ``http://127.0.0.1:<port>`` endpoint."""
    receiver = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_GrpcTraces(receiver), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_GrpcMetrics(receiver), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield receiver, f"http://127.0.0.1:{port}"
    server.stop(grace=None)
