"""``observability.lineage`` in platform-manifest.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["LineageConfig"]


class LineageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    namespace: str = "dbt"
