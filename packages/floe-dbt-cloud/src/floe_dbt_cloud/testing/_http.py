"""The fake's HTTP layer: parsing, auth, trailing-slash redirects, faults, envelopes."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from floe_dbt_cloud.testing._faults import Fault, FaultInjector

__all__ = ["ApiError", "RecordedRequest", "make_handler", "status_block"]

_BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it (for request-level contract assertions)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class ApiError(Exception):
    """An API refusal, sent as an envelope with ``is_success: false``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _App(Protocol):
    token: str
    faults: FaultInjector
    requests: list[RecordedRequest]

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any, str]: ...


def status_block(code: int, message: str | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "is_success": code < 400,
        "user_message": message or "Success!",
        "developer_message": "" if code < 400 else message,
    }


def _error_payload(code: int, message: str) -> dict[str, Any]:
    return {"status": status_block(code, message), "data": None}


def make_handler(app: _App) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real API behind a load balancer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``app.requests`` instead of stderr."""

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._send(400, _error_payload(400, "JSON parse error"))
                return
            app.requests.append(
                RecordedRequest(method, parts.path, query, dict(self.headers.items()), body)
            )
            fault = app.faults.take(method, parts.path)
            if fault is not None and self._send_fault(fault):
                return
            if not self._authorized():
                self._send(401, _error_payload(401, "Invalid token."))
                return
            if method == "GET" and _wants_slash(parts.path):
                location = parts.path + "/" + (f"?{parts.query}" if parts.query else "")
                self._send(301, b"", "text/plain", {"Location": location})
                return
            try:
                status, payload, content_type = app.route(method, parts.path, query, body)
            except ApiError as exc:
                status, payload, content_type = (
                    exc.code,
                    _error_payload(exc.code, exc.message),
                    "application/json",
                )
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
            if fault is not None and fault.kind == "lose_response":
                self.close_connection = True  # processed, but the client never hears back
                return
            self._send(status, payload, content_type)

        def _send_fault(self, fault: Fault) -> bool:
            """Answer with the fault instead of the API; ``False`` for after-the-fact faults."""
            if fault.kind == "rate_limit":
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                payload = _error_payload(429, "Request was throttled.")
                self._send(429, payload, "application/json", headers)
                return True
            if fault.kind == "server_error":
                self._send(fault.status, _error_payload(fault.status, "Internal server error"))
                return True
            if fault.kind == "redirect":
                location = self.path
                if fault.location_host is not None:
                    port = self.headers.get("Host", "").rpartition(":")[2]
                    location = f"http://{fault.location_host}:{port}{self.path}"
                self._send(307, b"", "text/plain", {"Location": location})
                return True
            if fault.kind == "html_502":
                self._send(502, _BAD_GATEWAY_PAGE, "text/html")
                return True
            return False

        def _authorized(self) -> bool:
            scheme, _, credential = (self.headers.get("Authorization") or "").partition(" ")
            return scheme in ("Token", "Bearer") and credential == app.token

        def _send(
            self,
            status: int,
            payload: Any,
            content_type: str = "application/json",
            headers: dict[str, str] | None = None,
        ) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. its timeout fired)

    return Handler


def _wants_slash(path: str) -> bool:
    """API paths end in ``/``; artifact file paths and GraphQL do not."""
    return path.startswith("/api/") and not path.endswith("/") and "/artifacts/" not in path
