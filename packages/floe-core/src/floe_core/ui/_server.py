"""The workbench's HTTP server: static page, JSON API and server-sent events (stdlib only).

Safe by construction rather than by filtering: the path is split on ``/`` before any
decoding, each segment is decoded once and must then be a known route, an invocation id
(letters, digits, ``-``, ``_``) or a name from the fixed list of static files, so no request
names a file the server chose not to serve. On loopback the ``Host`` header must be a
loopback name too (a DNS-rebinding page cannot read the API); anywhere else a token is
required on every API call.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from importlib.metadata import version
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import structlog
from pydantic import BaseModel

from floe_core._errors import ConfigError, FloeError
from floe_core.stores import ArtifactNotFoundError
from floe_core.ui._models import ApiError
from floe_core.ui._openapi import openapi_document
from floe_core.ui._workbench import SelectionError, Workbench, is_run_id

__all__ = ["UIServer", "is_loopback"]

_log = structlog.get_logger("floe.ui")

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".LICENSE": "text/plain; charset=utf-8",
}
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
        " frame-ancestors 'none'"
    ),
}
_KEEPALIVE_SECONDS = 15.0
_MAX_DEPTH = 50
_LOCAL_POLL_SECONDS = 0.5
_REMOTE_POLL_SECONDS = 5.0
_END_EVENT = b"event: end\ndata: {}\n\n"
_QUIET_SECONDS = 1.0
"""No request for this long: the server may parse ahead what no one is waiting for."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _static_files() -> dict[str, tuple[bytes, str]]:
    """Every file the server may send, read once: name -> (content, content type)."""
    files: dict[str, tuple[bytes, str]] = {}
    root = resources.files("floe_core.ui") / "static"
    for folder, prefix in ((root, ""), (root / "vendor", "vendor/")):
        for entry in folder.iterdir():
            suffix = "." + entry.name.rsplit(".", 1)[-1]
            if entry.is_file() and suffix in _CONTENT_TYPES:
                files[prefix + entry.name] = (entry.read_bytes(), _CONTENT_TYPES[suffix])
    return files


class _BadRequest(Exception):
    pass


class UIServer:
    """``floe ui``: serves ``workbench`` on ``host``:``port`` (0 picks a free port).

    Event streams look for new lines every ``poll_seconds`` (0.5 s on a local store, 5 s on
    object storage unless given).

    >>> with UIServer(workbench) as server:
    ...     print(server.url)
    """

    def __init__(
        self,
        workbench: Workbench,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        poll_seconds: float | None = None,
    ) -> None:
        if not is_loopback(host) and not token:
            raise ConfigError(
                f"floe ui would serve the runs of {workbench.store.url} on {host} without a token",
                hint="pass --token (or set FLOE_UI_TOKEN), or bind to 127.0.0.1",
            )
        self.workbench = workbench
        self.token = token
        if poll_seconds is None:
            # A remote store's log only changes at each upload of the results store (15 s by
            # default), and every poll there is a GET of the whole log.
            remote = workbench.store.local_path(workbench.project) is None
            poll_seconds = _REMOTE_POLL_SECONDS if remote else _LOCAL_POLL_SECONDS
        self.poll_seconds = poll_seconds
        self.loopback = is_loopback(host)
        self.static = _static_files()
        self.openapi = json.dumps(openapi_document(version("floe-core"))).encode()
        self.stopping = threading.Event()
        self.last_request = time.monotonic()
        handler = type("_BoundHandler", (_Handler,), {"ui": self})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True  # an open event stream never blocks shutdown
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def serve_forever(self) -> None:
        warm = threading.Thread(
            target=self.workbench.warm, args=(self._quiet,), name="floe-ui-warm", daemon=True
        )
        warm.start()
        self._httpd.serve_forever(poll_interval=0.2)

    def _quiet(self) -> None:
        """Return once no request came for :data:`_QUIET_SECONDS` (or the server stops)."""
        while not self.stopping.is_set():
            idle = time.monotonic() - self.last_request
            if idle >= _QUIET_SECONDS:
                return
            self.stopping.wait(_QUIET_SECONDS - idle)

    def start(self) -> UIServer:
        """Serve on a background thread (tests, embedding)."""
        self._thread = threading.Thread(target=self.serve_forever, name="floe-ui", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def __enter__(self) -> UIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    ui: UIServer
    server_version = "floe-ui"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("request", line=format % args)

    def do_GET(self) -> None:
        self.ui.last_request = time.monotonic()
        url = urlsplit(self.path)
        # Split first, decode each segment once: an encoded "/" stays inside its segment.
        segments = [unquote(part) for part in url.path.split("/")[1:]]
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        if not self._host_allowed():
            self._json(HTTPStatus.FORBIDDEN, ApiError(error="Host header is not a loopback name"))
            return
        if segments[0] == "api":
            if not self._authorised(query):
                self._json(HTTPStatus.UNAUTHORIZED, ApiError(error="token missing or wrong"))
                return
            self._api(segments[1:], query)
        elif segments in ([""], ["runs"], ["models"], ["lineage"]):
            self._static("index.html")
        elif segments[0] == "static" and len(segments) in (2, 3):
            self._static("/".join(segments[1:]))
        else:
            self._json(HTTPStatus.NOT_FOUND, ApiError(error="not found"))

    # -- checks --------------------------------------------------------------------------
    def _host_allowed(self) -> bool:
        if not self.ui.loopback:
            return True
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return is_loopback(name)

    def _authorised(self, query: dict[str, str]) -> bool:
        if not self.ui.token:
            return True
        header = self.headers.get("Authorization", "")
        given = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        given = given or query.get("token", "")  # EventSource cannot send headers
        return hmac.compare_digest(given.encode(), self.ui.token.encode())

    # -- routes --------------------------------------------------------------------------
    def _api(self, route: list[str], query: dict[str, str]) -> None:
        if route == ["openapi.json"]:
            self._send(HTTPStatus.OK, self.ui.openapi, "application/json")
            return
        if len(route) == 3 and route[0] == "runs" and route[2] == "events" and is_run_id(route[1]):
            self._events(route[1])
            return
        if len(route) == 4 and route[0] == "runs" and route[2] == "files" and is_run_id(route[1]):
            self._file(route[1], route[3])
            return
        try:
            body = self._answer(route, query)
        except (_BadRequest, SelectionError) as exc:
            self._json(HTTPStatus.BAD_REQUEST, ApiError(error=str(exc)))
        except ArtifactNotFoundError as exc:
            self._json(HTTPStatus.NOT_FOUND, ApiError(error=str(exc)))
        except FloeError as exc:
            _log.warning("ui request failed", path=self.path, error=str(exc))
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, ApiError(error=str(exc)))
        except Exception:
            # A bug must not kill the connection without an answer; the log has the traceback.
            _log.exception("ui request failed unexpectedly", path=self.path)
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, ApiError(error="internal error"))
        else:
            found = body is not None
            self._json(HTTPStatus.OK if found else HTTPStatus.NOT_FOUND,
                       body or ApiError(error="not found"))  # fmt: skip

    def _answer(self, route: list[str], query: dict[str, str]) -> BaseModel | None:
        workbench = self.ui.workbench
        match route:
            case ["runs"]:
                return workbench.runs(_int(query, "limit", 50, 1, 10_000))
            case ["runs", run_id] if is_run_id(run_id):
                return workbench.run(run_id)
            case ["runs", run_id, "nodes", unique_id] if is_run_id(run_id):
                return workbench.run_node(run_id, unique_id)
            case ["models"]:
                return workbench.models(query.get("q", ""))
            case ["models", unique_id]:
                return workbench.model(unique_id)
            case ["column-lineage"]:
                node, column = query.get("node", "").strip(), query.get("column", "").strip()
                if not node or not column:
                    raise _BadRequest("column-lineage needs node= and column=")
                return workbench.column_trace(node, column)
            case ["lineage"]:
                depth = _int(query, "depth", 2, 0, _MAX_DEPTH)
                return workbench.lineage(
                    query.get("node") or None,
                    depth,
                    tests=query.get("tests") == "1",
                    select=query.get("select", "").strip() or None,
                )
        return None

    def _events(self, run_id: str) -> None:
        """Tail the run's events.jsonl as server-sent events until run_finished."""
        last_id = self.headers.get("Last-Event-ID", "")
        offset = int(last_id) if last_id.isdigit() else 0  # ids are byte offsets we sent
        try:
            lines, offset = self.ui.workbench.events(run_id, offset)
        except ArtifactNotFoundError as exc:
            self._json(HTTPStatus.NOT_FOUND, ApiError(error=str(exc)))
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        quiet_since = time.monotonic()
        try:
            while not self.ui.stopping.is_set():
                if lines:
                    body = "".join(f"data: {line}\n\n" for line in lines[:-1])
                    body += f"id: {offset}\ndata: {lines[-1]}\n\n"
                    self.wfile.write(body.encode())
                    quiet_since = time.monotonic()
                    if any('"kind":"run_finished"' in line for line in lines):
                        self.wfile.write(_END_EVENT)
                        return
                elif self.ui.workbench.finished(run_id):
                    # Resumed after the last event (its log is closed before result.json).
                    self.wfile.write(_END_EVENT)
                    return
                elif time.monotonic() - quiet_since > _KEEPALIVE_SECONDS:
                    self.wfile.write(b": keepalive\n\n")
                    quiet_since = time.monotonic()
                self.wfile.flush()
                self.ui.stopping.wait(self.ui.poll_seconds)
                lines, offset = self.ui.workbench.events(run_id, offset)
        except (BrokenPipeError, ConnectionResetError):
            return  # the browser left

    def _file(self, run_id: str, name: str) -> None:
        """A kept file of the run, shown by the browser as text (never run as a page)."""
        try:
            body, content_type = self.ui.workbench.file(run_id, name)
        except ArtifactNotFoundError as exc:
            self._json(HTTPStatus.NOT_FOUND, ApiError(error=str(exc)))
            return
        except FloeError as exc:
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, ApiError(error=str(exc)))
            return
        self._send(HTTPStatus.OK, body, content_type)

    def _static(self, name: str) -> None:
        found = self.ui.static.get(name)
        if found is None:
            self._json(HTTPStatus.NOT_FOUND, ApiError(error="not found"))
            return
        self._send(HTTPStatus.OK, *found)

    # -- responses -----------------------------------------------------------------------
    def _json(self, status: HTTPStatus, body: BaseModel) -> None:
        self._send(status, body.model_dump_json().encode(), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in _SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the browser left (a new page, a closed tab)


def _int(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise _BadRequest(f"{name} must be an integer, not {text!r}") from None
    if not low <= value <= high:
        raise _BadRequest(f"{name} must be between {low} and {high}, not {value}")
    return value
