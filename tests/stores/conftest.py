"""The session's S3 server (moto on loopback) for the cross-package store tests."""

from __future__ import annotations

import pytest

from floe_core.testing import S3Server

BUCKET = "floe-shared"


@pytest.fixture(scope="module")
def s3_options(s3_server: S3Server) -> dict[str, str | bool]:
    """obstore settings for bucket ``floe-shared``; the secret is read from
    ``FLOE_TEST_S3_SECRET`` (a ``${env:NAME}`` reference, as a manifest would give it)."""
    s3_server.create_bucket(BUCKET)
    return s3_server.options(secret_access_key="${env:FLOE_TEST_S3_SECRET}")


@pytest.fixture
def s3_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_TEST_S3_SECRET", "testing")
