"""Pins every dbt-core internal the warm executor relies on: a dbt upgrade that moves one of
them fails here, by name, instead of somewhere inside a run."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from dbt.adapters.factory import FACTORY
from dbt.artifacts.schemas.freshness.v3.freshness import process_freshness_result
from dbt.flags import get_flags
from dbt.graph import Graph
from dbt.parser.manifest import parse_manifest
from dbt.task.base import BaseRunner
from dbt.task.build import BuildTask
from dbt.task.list import ListTask
from dbt.task.run import RunTask
from dbt.task.runnable import GraphRunnableTask
from dbt.version import __version__

from floe_dbt_inprocess.executor import _dbt_internals


def _params(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_dbt_core_is_within_the_pinned_minor() -> None:
    major, minor = (int(part) for part in __version__.split(".")[:2])
    assert (major, minor) == (1, 11), f"dbt-core {__version__}: re-verify _dbt_internals.py"


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (BaseRunner.run_with_hooks, ["self", "manifest"]),
        (BaseRunner.handle_exception, ["self", "e", "ctx"]),
        (GraphRunnableTask.get_runner, ["self", "node"]),
        (GraphRunnableTask.get_graph_queue, ["self"]),
        (GraphRunnableTask.get_model_schemas, ["self", "adapter", "selected_uids"]),
        (GraphRunnableTask.create_schemas, ["self", "adapter", "required_schemas"]),
        (GraphRunnableTask.populate_adapter_cache, ["self", "adapter", "required_schemas"]),
        (RunTask.safe_run_hooks, ["self", "adapter", "hook_type", "extra_context"]),
        (BuildTask.compile_manifest, ["self"]),
        (ListTask.__init__, ["self", "args", "config", "manifest"]),
        (ListTask.run, ["self"]),
        (process_freshness_result, ["result"]),
        (Graph.get_subset_graph, ["self", "selected"]),
        (
            parse_manifest,
            ["runtime_config", "write_perf_info", "write", "write_json", "active_integrations"],
        ),
    ],
    ids=lambda value: getattr(value, "__qualname__", None),
)
def test_internal_signatures(function: Callable[..., Any], expected: list[str]) -> None:
    assert _params(function) == expected


def test_internal_state_the_executor_swaps() -> None:
    assert isinstance(FACTORY.adapters, dict)
    assert callable(get_flags)
    assert "selected_unit_tests" in inspect.getsource(BuildTask.__init__)
    assert set(_dbt_internals._TASKS) == {
        *("build", "run", "test", "seed", "snapshot", "compile"),
        "source freshness",
    }
