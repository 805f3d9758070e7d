"""A tiny HTTP health endpoint for a worker (load balancers, k8s probes)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

__all__ = ["HealthServer"]


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
