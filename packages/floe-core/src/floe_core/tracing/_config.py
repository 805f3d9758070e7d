"""``observability.tracing`` in platform-manifest.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["TracingConfig"]


class TracingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    service_name: str = "floe"
