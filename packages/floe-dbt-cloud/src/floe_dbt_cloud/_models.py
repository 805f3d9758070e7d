"""The dbt Cloud API objects floe reads, as typed models (unknown fields are ignored)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["CloudRun", "CloudRunStatus", "CloudRunStep", "parse_cloud_timestamp"]


class CloudRunStatus(IntEnum):
    QUEUED = 1
    STARTING = 2
    RUNNING = 3
    SUCCESS = 10
    ERROR = 20
    CANCELLED = 30

    @property
    def is_terminal(self) -> bool:
        return self >= CloudRunStatus.SUCCESS


def parse_cloud_timestamp(value: Any) -> datetime | None:
    """dbt Cloud writes ``2024-05-27 10:42:16.179903+00:00`` (space separator) or ISO."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class _ApiModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class CloudRunStep(_ApiModel):
    id: int | None = None
    index: int
    name: str = ""
    status: CloudRunStatus
    logs: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @field_validator("started_at", "finished_at", mode="before")
    @classmethod
    def _timestamp(cls, value: Any) -> datetime | None:
        return parse_cloud_timestamp(value)

    @property
    def dbt_command(self) -> str | None:
        """``dbt build --select x`` for ``Invoke dbt with `dbt build --select x` ``."""
        start, end = self.name.find("`"), self.name.rfind("`")
        if start == -1 or end <= start:
            return None
        return self.name[start + 1 : end]


class CloudRun(_ApiModel):
    id: int
    job_definition_id: int | None = None
    status: CloudRunStatus
    status_humanized: str | None = None
    status_message: str | None = None
    dbt_version: str | None = None
    href: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    is_complete: bool = False
    can_retry: bool | None = None
    retry_not_supported_reason: str | None = None
    trigger: dict[str, Any] | None = None
    run_steps: list[CloudRunStep] = Field(default_factory=list)

    @field_validator("created_at", "started_at", "finished_at", mode="before")
    @classmethod
    def _timestamp(cls, value: Any) -> datetime | None:
        return parse_cloud_timestamp(value)

    @property
    def cause(self) -> str | None:
        value = (self.trigger or {}).get("cause")
        return value if isinstance(value, str) else None

    @property
    def timed_out(self) -> bool:
        """Cancelled by the job's own timeout (dbt Cloud reports that as a cancel)."""
        return (
            self.status is CloudRunStatus.CANCELLED
            and "timed out" in (self.status_message or "").lower()
        )

    def command_steps(self) -> list[CloudRunStep]:
        """The steps that invoked a dbt command other than ``deps`` (they have artifacts)."""
        return [
            step
            for step in sorted(self.run_steps, key=lambda s: s.index)
            if (command := step.dbt_command) is not None and command.split()[1:2] != ["deps"]
        ]
