"""One kept-alive HTTP/1.1 connection for lineage POSTs: h11 over a plain socket.

The lineage worker thread shares the GIL with dbt's four threads, and there every line of
Python it runs costs several times what it costs alone: each blocking socket call hands the
GIL over, and the thread comes back to caches dbt has filled (ADR 0029). One POST through
urllib3 (connection checks, timeout switches, headers and body in two sends, the
``http.client`` response with its e-mail header parser) takes about 0.15 ms of CPU alone but
~1 ms next to four busy threads: 2 ms of CPU per dbt node, most of the observers' overhead.

:class:`KeptConnection` does the same exchange with the least Python and the fewest system
calls: h11 (httpx's HTTP/1.1 state machine) frames the request (ahead, in the lineage
worker's staging stretch), one ``sendall`` sends it,
usually one ``recv`` brings the whole response, h11 parses it and says whether the connection
can be kept. About 0.3 ms per POST next to four busy threads (a bare ``sendall`` + ``recv``
without parsing: 0.1 ms). Plain ``http://`` without a proxy only; the caller keeps urllib3
for the rest and for retries.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

import h11

__all__ = ["Framed", "KeptConnection"]

_RECEIVE_BYTES = 65_536


Framed = tuple[bytes, h11.Connection]
"""A request's bytes and the h11 state machine that framed it (and will read its response)."""


class KeptConnection:
    """POSTs to one ``http://`` URL over one keep-alive connection (opened on first use)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"not a plain http:// URL: {url!r}")
        self._address = (parts.hostname, parts.port or 80)
        self._host = parts.netloc.rpartition("@")[2].encode()
        self._target = ((parts.path or "/") + (f"?{parts.query}" if parts.query else "")).encode()
        self._timeout = timeout
        self._socket: socket.socket | None = None

    def frame(self, body: bytes, headers: Mapping[str, str]) -> Framed:
        """The request, ready to send: framed ahead (while the GIL is held anyway), the send
        itself runs no h11 code before its ``sendall``."""
        protocol = h11.Connection(h11.CLIENT)
        request = h11.Request(
            method=b"POST",
            target=self._target,
            headers=[
                (b"Host", self._host),
                *((name.encode(), value.encode()) for name, value in headers.items()),
                (b"Content-Length", str(len(body)).encode()),
            ],
        )
        message = b"".join(
            protocol.send(part) or b""
            for part in (request, h11.Data(data=body), h11.EndOfMessage())
        )
        return message, protocol

    def post(
        self, body: bytes, headers: Mapping[str, str], framed: Framed | None = None
    ) -> tuple[int, str]:
        """``(status, reason)`` of the response (``framed``: this request framed already);
        raises ``OSError`` or ``h11.ProtocolError`` when no response came (the connection is
        then closed)."""
        reused = self._socket is not None
        try:
            return self._exchange(framed or self.frame(body, headers))
        except (OSError, h11.ProtocolError):
            self.close()
            if not reused:
                raise
        # The receiver closed the kept connection while it was idle (as urllib3, which checks
        # before reuse, a fresh connection sends it again).
        try:
            return self._exchange(self.frame(body, headers))
        except (OSError, h11.ProtocolError):
            self.close()
            raise

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _connect(self) -> socket.socket:
        if self._socket is None:
            self._socket = socket.create_connection(self._address, timeout=self._timeout)
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._socket

    def _exchange(self, framed: Framed) -> tuple[int, str]:
        message, protocol = framed
        connection = self._connect()
        connection.sendall(message)
        status, reason = 0, ""
        while True:
            event = protocol.next_event()
            if event is h11.NEED_DATA:
                protocol.receive_data(connection.recv(_RECEIVE_BYTES))
            elif isinstance(event, h11.Response):
                status, reason = event.status_code, event.reason.decode("latin-1")
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the receiver closed the connection before responding")
        if protocol.our_state is not h11.DONE or protocol.their_state is not h11.DONE:
            self.close()  # "Connection: close", or a response h11 cannot frame for keep-alive
        return status, reason
