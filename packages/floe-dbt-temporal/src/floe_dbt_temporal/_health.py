"""A worker's health for load balancers and Kubernetes probes: an HTTP endpoint and a file.

Both say the same: healthy while the worker runs and reaches its Temporal server. The file
(JSON, rewritten atomically every interval) serves exec probes, ``floe worker healthcheck``,
which also fails once the file is stale (a hung worker stops refreshing it).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["HealthServer", "check_health_file", "write_health_file"]


class HealthServer:
    """``GET /health`` answers 200 with ``report()`` as JSON while the worker runs, else 503."""

    def __init__(self, report: Callable[[], dict[str, Any]], *, host: str, port: int) -> None:
        self._report = report
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self.healthy = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=5)
            while (await asyncio.wait_for(reader.readline(), timeout=5)).strip():
                pass  # headers
            path = request.decode("latin-1").split(" ")[1] if request.count(b" ") >= 2 else ""
            body: dict[str, Any]
            if path.rstrip("/") not in ("/health", "/healthz"):
                status, body = "404 Not Found", {"error": "try GET /health"}
            else:
                body = {**self._report(), "healthy": self.healthy}
                status = "200 OK" if self.healthy else "503 Service Unavailable"
            payload = json.dumps(body).encode()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


def write_health_file(path: Path, healthy: bool, interval: float, report: dict[str, Any]) -> None:
    """Replace ``path`` atomically with the worker's state and when it was written."""
    body = {**report, "healthy": healthy, "updated_at": time.time(), "interval_seconds": interval}
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.write_text(json.dumps(body), encoding="utf-8")
    os.replace(staging, path)


def check_health_file(path: Path, max_age: float | None = None) -> tuple[bool, str]:
    """Whether the health file says healthy and is fresh (``max_age`` seconds, default three
    of its intervals), and why not."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        updated_at = float(body["updated_at"])
        interval = float(body.get("interval_seconds", 5.0))
    except FileNotFoundError:
        return False, f"{path} does not exist: the worker has not started (or has no health_file)"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return False, f"{path} is not a floe worker health file: {exc}"
    age = time.time() - updated_at
    limit = max_age if max_age is not None else 3 * interval
    if age > limit:
        return False, f"{path} is {age:.1f} s old (limit {limit:g} s): the worker is stuck or gone"
    if body.get("healthy") is not True:
        return False, f"{path}: worker unhealthy (Temporal unreachable or shutting down)"
    return True, f"healthy ({path} written {age:.1f} s ago)"
