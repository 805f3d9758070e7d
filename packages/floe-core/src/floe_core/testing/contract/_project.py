"""The contract suite's dbt project and DuckDB warehouse, and what each run must report."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_core._invocation import DBTInvocation, GeneratedProfile
from floe_core._results import NodeStatus

__all__ = [
    "BUILD_WITH_FAILURES",
    "CONTRACT_PROJECT_DIR",
    "FAILURE_VARS",
    "ContractProject",
]

CONTRACT_PROJECT_DIR = Path(__file__).parent / "project"
"""The pristine project; tests work on a copy (dbt writes target/ and logs/ into it)."""

FAILURE_VARS = {"fail_model": True, "fail_test": True}
"""Vars that make one model error (and its child skip) and one test fail."""

BUILD_WITH_FAILURES: dict[str, NodeStatus] = {
    "raw_customers": NodeStatus.SUCCESS,
    "raw_orders": NodeStatus.SUCCESS,
    "stg_customers": NodeStatus.SUCCESS,
    "stg_orders": NodeStatus.SUCCESS,
    "unique_stg_customers_customer_id": NodeStatus.SUCCESS,
    "not_null_stg_customers_customer_id": NodeStatus.SUCCESS,
    "unique_stg_orders_order_id": NodeStatus.SUCCESS,
    "not_null_stg_orders_order_id": NodeStatus.SUCCESS,
    "customer_orders": NodeStatus.SUCCESS,
    "customer_orders_have_orders": NodeStatus.FAIL,
    "customer_orders_over_ten": NodeStatus.WARN,
    "order_totals": NodeStatus.ERROR,
    "order_report": NodeStatus.SKIPPED,
}
"""Node name -> status of ``build`` with :data:`FAILURE_VARS`."""


@dataclass(frozen=True)
class ContractProject:
    """A private copy of the contract project with a DuckDB warehouse next to it, or the
    warehouse of ``output`` (a dbt profile output, e.g. a PostgreSQL database)."""

    project_dir: Path
    warehouse: Path
    output: dict[str, Any] | None = None

    @classmethod
    def create(cls, root: Path, *, output: dict[str, Any] | None = None) -> ContractProject:
        project_dir = root / "project"
        shutil.copytree(
            CONTRACT_PROJECT_DIR,
            project_dir,
            ignore=shutil.ignore_patterns("target", "logs", "__pycache__"),
        )
        return cls(project_dir=project_dir, warehouse=root / "warehouse.duckdb", output=output)

    @property
    def profile(self) -> GeneratedProfile:
        output = self.output or {"type": "duckdb", "path": str(self.warehouse), "threads": 4}
        return GeneratedProfile(outputs={"dev": output})

    def invocation(self, **fields: Any) -> DBTInvocation:
        """An invocation of this project; ``fields`` override any :class:`DBTInvocation` field."""
        return DBTInvocation.model_validate(
            {"project_dir": self.project_dir, "profile": self.profile, "threads": 4, **fields}
        )
