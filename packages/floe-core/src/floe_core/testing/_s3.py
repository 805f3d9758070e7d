"""A throwaway S3-compatible server on loopback (moto's HTTP server) for tests.

Real HTTP, real S3 wire protocol: obstore, boto3 and git-free project stores talk to it as
they would to AWS. moto and boto3 are test dependencies, imported only when it starts.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

__all__ = ["S3Server"]

_REGION = "us-east-1"
_KEY = "testing"


class S3Server:
    """``with S3Server() as s3: s3.create_bucket("b"); store options = s3.options()``."""

    def __init__(self) -> None:
        self.endpoint = ""
        self._server: Any = None

    def __enter__(self) -> S3Server:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self) -> Any:
        """A boto3 S3 client on this server, to look at buckets behind the code under test."""
        import boto3  # type: ignore[import-untyped]

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=_KEY,
            aws_secret_access_key=_KEY,
            region_name=_REGION,
        )

    def create_bucket(self, name: str) -> str:
        """Create bucket ``name`` unless it exists; returns its name."""
        client = self.client()
        existing = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
        if name not in existing:
            client.create_bucket(Bucket=name)
        return name

    def options(self, *, secret_access_key: str = _KEY) -> dict[str, str | bool]:
        """obstore settings for this server, as a manifest's ``artifacts.options`` gives them
        (pass ``"${env:NAME}"`` as the secret to exercise secret references)."""
        return {
            "endpoint": self.endpoint,
            "region": _REGION,
            "access_key_id": _KEY,
            "secret_access_key": secret_access_key,
            "allow_http": True,
        }
