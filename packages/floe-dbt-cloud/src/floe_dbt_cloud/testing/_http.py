"""The fake's HTTP layer: parsing, auth, trailing-slash redirects, faults, envelopes."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from floe_dbt_cloud.testing._envelope import ApiError, error_payload
from floe_dbt_cloud.testing._faults import Fault, FaultInjector

__all__ = ["RecordedRequest", "RecordedResponse", "make_handler"]

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


@dataclass(frozen=True)
class RecordedResponse:
    """One answer the fake gave (not injected faults): the JSON payload; ``None`` for raw
    files and redirects (not kept: a long-lived fake would hold every artifact it served)."""

    method: str
    path: str
    status: int
    content_type: str
    payload: Any


class _App(Protocol):
    token: str
    faults: FaultInjector
    requests: list[RecordedRequest]
    responses: list[RecordedResponse]

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any, str]: ...


def make_handler(app: _App) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real API behind a load balancer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read ``app.requests`` instead of stderr."""

        def __getattr__(self, name: str) -> Any:
            """``do_<METHOD>`` for every method: the router answers 405 for unserved ones."""
            if name.startswith("do_"):
                return lambda: self._handle(name[3:])
            raise AttributeError(name)

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            """Malformed requests (bad request line, huge headers) get a JSON body too."""
            self.close_connection = True
            self.request_version = self.protocol_version  # a status line even for garbage
            phrase = message or explain or HTTPStatus(code).phrase
            self._send(code, error_payload(code, phrase))

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self.send_error(400, "Content-Length must be a number of bytes")
                return
            raw = self.rfile.read(length) if length > 0 else b""
            try:
                body = json.loads(raw) if raw.strip() else None
            except ValueError:
                self.close_connection = True
                self._send(400, error_payload(400, "JSON parse error"))
                return
            app.requests.append(
                RecordedRequest(method, parts.path, query, dict(self.headers.items()), body)
            )
            fault = app.faults.take(method, parts.path)
            if fault is not None and self._send_fault(fault):
                return
            if not self._authorized():
                self._answer(method, parts.path, 401, error_payload(401, "Invalid token."))
                return
            if _wants_slash(parts.path):
                # 308 keeps the method and body, as the real API's redirect does.
                location = parts.path + "/" + (f"?{parts.query}" if parts.query else "")
                self._answer(method, parts.path, 308, b"", "text/plain", {"Location": location})
                return
            headers: dict[str, str] = {}
            try:
                status, payload, content_type = app.route(method, parts.path, query, body)
            except ApiError as exc:
                status, payload, content_type = (
                    exc.code,
                    error_payload(exc.code, exc.message),
                    "application/json",
                )
                headers = exc.headers
            except Exception as exc:  # a fake must answer JSON even when it is wrong
                status, payload, content_type = (
                    500,
                    error_payload(500, f"fake dbt Cloud error: {type(exc).__name__}: {exc}"),
                    "application/json",
                )
            if fault is not None and fault.kind == "slow":
                time.sleep(fault.delay)
            if fault is not None and fault.kind == "lose_response":
                self.close_connection = True  # processed, but the client never hears back
                return
            self._answer(method, parts.path, status, payload, content_type, headers)

        def _answer(
            self,
            method: str,
            path: str,
            status: int,
            payload: Any,
            content_type: str = "application/json",
            headers: dict[str, str] | None = None,
        ) -> None:
            kept = None if isinstance(payload, bytes) else payload
            app.responses.append(RecordedResponse(method, path, status, content_type, kept))
            self._send(status, payload, content_type, headers, head_only=method == "HEAD")

        def _send_fault(self, fault: Fault) -> bool:
            """Answer with the fault instead of the API; ``False`` for after-the-fact faults."""
            if fault.kind == "rate_limit":
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                payload = error_payload(429, "Request was throttled.")
                self._send(429, payload, "application/json", headers)
                return True
            if fault.kind == "server_error":
                self._send(fault.status, error_payload(fault.status, "Internal server error"))
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
            *,
            head_only: bool = False,
        ) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                if not head_only:
                    self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. its timeout fired)

    return Handler


def _wants_slash(path: str) -> bool:
    """API paths end in ``/``; artifact file paths and GraphQL do not."""
    return (
        path.startswith("/api/")
        and not path.endswith("/")
        and re.search(r"/(runs|jobs)/\d+/artifacts/.", path) is None
    )
