"""Connecting to Temporal: TLS, API key, pydantic payloads and tracing headers."""

from __future__ import annotations

import os

from opentelemetry.trace import Tracer
from temporalio.client import Client, TLSConfig
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from floe_core import ConfigError, RuntimeExecutionError, SecretError
from floe_dbt_temporal._config import ConnectionSettings

__all__ = ["connect"]


def _tls(settings: ConnectionSettings) -> TLSConfig | bool:
    if not settings.tls:
        return False
    try:
        return TLSConfig(
            server_root_ca_cert=settings.tls_ca_cert.read_bytes() if settings.tls_ca_cert else None,
            client_cert=settings.tls_client_cert.read_bytes() if settings.tls_client_cert else None,
            client_private_key=(
                settings.tls_client_key.read_bytes() if settings.tls_client_key else None
            ),
        )
    except OSError as exc:
        raise ConfigError(f"temporal TLS file unreadable: {exc}") from exc


async def connect(
    settings: ConnectionSettings, *, tracer: Tracer | None = None, runtime: Runtime | None = None
) -> Client:
    """A client whose calls carry the OpenTelemetry context (worker spans join the trace).

    ``tracer`` defaults to the global tracer provider's; workers built on this client trace
    their workflow and activity executions with it. ``runtime``: Temporal's runtime (its
    metrics exporter); the process default if ``None``.
    """
    api_key = None
    if settings.api_key_env:
        api_key = os.environ.get(settings.api_key_env)
        if not api_key:
            raise SecretError(
                f"environment variable {settings.api_key_env} (temporal api_key_env) is not set"
            )
    try:
        return await Client.connect(
            settings.address,
            namespace=settings.namespace,
            tls=_tls(settings),
            api_key=api_key,
            data_converter=pydantic_data_converter,
            interceptors=[TracingInterceptor(tracer)],
            runtime=runtime,
        )
    except RuntimeError as exc:
        raise RuntimeExecutionError(
            f"cannot reach Temporal at {settings.address} (namespace {settings.namespace}): {exc}",
            hint="start a server (`temporal server start-dev`) or set TEMPORAL_ADDRESS",
        ) from exc
