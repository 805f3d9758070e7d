"""An S3 server (moto) on loopback for the cross-package store tests, one bucket per module."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto.server import ThreadedMotoServer

BUCKET = "floe-shared"


@pytest.fixture(scope="module")
def s3_options() -> Iterator[dict[str, Any]]:
    """obstore settings for bucket ``floe-shared`` on the server; the secret is read from
    ``FLOE_TEST_S3_SECRET`` (a ``${env:NAME}`` reference, as a manifest would give it)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    yield {
        "endpoint": endpoint,
        "region": "us-east-1",
        "access_key_id": "testing",
        "secret_access_key": "${env:FLOE_TEST_S3_SECRET}",
        "allow_http": True,
    }
    server.stop()


@pytest.fixture
def s3_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_TEST_S3_SECRET", "testing")
