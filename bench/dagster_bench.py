"""``python -m bench.dagster_bench``: N models materialized through Dagster vs ``floe build``.

Both sides are whole processes on the same generated project, DuckDB file and selection, with
the local runtime and 4 threads, timed by :func:`bench.measure.measure` with interleaved
repetitions after one untimed run of each (warm partial parse, manifest.json prepared):

- ``floe build --select <every model, by fqn>`` (the CLI);
- a Python process that loads ``@floe_assets`` for the project and calls
  ``dagster.materialize`` on all of them (in-process executor): Dagster's import, definitions,
  run and event log, floe-dagster's selection and event translation, and the same floe build
  underneath; once with an ephemeral instance (in-memory SQLite event log, ``materialize``'s
  default) and once with a persistent one (``DAGSTER_HOME`` with Dagster's default SQLite
  storage, as ``dagster dev`` keeps it), in the same interleaved rounds; floe's build runs in
  a thread of the step (``FloeResource``'s default), and with ``--process-build`` also in a
  child process (``build_process=True``, ephemeral instance);
- the same Dagster process with a stub step that yields the same results at once and runs no
  dbt: Dagster's own cost for this selection (bench/dagster_materialize.py).

The figure is ``median(dagster) / median(floe build)`` of wall time (target <= 1.15), for
each instance kind; the run's Dagster events are counted by type, and when the step started
and ended (seconds since the process started) is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bench.generate import ProjectSpec, generate_project
from bench.measure import Measurement, measure
from bench.warehouses import DuckDBWarehouse

_BIN = Path(sys.executable).parent
THREADS = 4
TARGET = 1.15

_MATERIALIZE = Path(__file__).with_name("dagster_materialize.py")
INSTANCES = ("ephemeral", "persistent")
PROCESS_BUILD = "ephemeral, build in a child process"
"""The subject ``--process-build`` adds: floe's build in a child process of the step
(``FloeResource(build_process=True)``)."""
STUB = "ephemeral, no dbt (stub step)"
"""Dagster alone: the step yields the same 200 results at once and runs no dbt; not a figure
against the target but Dagster's own cost for this selection."""


def _selection(manifest: Path) -> list[str]:
    """Every asset's dbt selector, as floe-dagster selects them."""
    from floe_dagster import FloeProject, floe_assets

    project = FloeProject(manifest)
    project.prepare()

    @floe_assets(project)
    def generated():  # type: ignore[no-untyped-def]  # Dagster reads return annotations
        raise NotImplementedError  # never run: only its specs are read

    return sorted(str(spec.metadata["floe/selector"]) for spec in generated.specs)


def _summary(samples: Sequence[Measurement]) -> dict[str, Any]:
    walls = [sample.wall_seconds for sample in samples]
    return {
        "ok": all(sample.ok for sample in samples),
        "wall_seconds": [round(wall, 2) for wall in walls],
        "median_wall_seconds": round(statistics.median(walls), 2),
        "median_cpu_seconds": round(statistics.median(s.cpu_seconds for s in samples), 2),
        "median_peak_rss_mb": round(statistics.median(s.peak_rss_bytes for s in samples) / 2**20),
    }


def _printed(log: Path, prefix: str) -> dict[str, Any]:
    """What the materialize script printed after ``prefix`` (``EVENTS``, ``TIMELINE``)."""
    for line in reversed(log.read_text(encoding="utf-8", errors="replace").splitlines()):
        if line.startswith(prefix + " "):
            printed: dict[str, Any] = json.loads(line.removeprefix(prefix + " "))
            return printed
    return {}


def _median_timeline(timelines: Sequence[dict[str, float]]) -> dict[str, float]:
    """Seconds since the process started, median of each mark over the repetitions."""
    marks = timelines[0].keys() if timelines else ()
    return {mark: round(statistics.median(t[mark] for t in timelines), 2) for mark in marks}


def run(models: int, repetitions: int, root: Path, process_build: bool = False) -> dict[str, Any]:
    project = generate_project(ProjectSpec(models=models, tests_per_model=1), root / "project")
    warehouse = DuckDBWarehouse()
    manifest = root / "platform-manifest.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "floe.dev/v1",
                "kind": "PlatformManifest",
                "project": {"dir": str(project)},
                "plugins": {"dbt_runtime": {"type": "local", "config": {}}},
                "compute": warehouse.floe_compute(root, THREADS),
                "artifacts": {"type": "local", "path": str(root / "artifacts")},
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    selection = _selection(manifest)
    dagster_home = root / "dagster_home"
    dagster_home.mkdir()
    commands = {
        "floe build": [
            str(_BIN / "floe"), "build", "--manifest", str(manifest),
            "--threads", str(THREADS), "--select", " ".join(selection),
        ],
    }  # fmt: skip
    modes = {kind: (kind, "thread") for kind in INSTANCES}
    if process_build:
        modes[PROCESS_BUILD] = ("ephemeral", "process")
    modes[STUB] = ("ephemeral", "stub")
    for kind, (instance, mode) in modes.items():
        commands[f"dagster {kind}"] = [
            sys.executable, str(_MATERIALIZE), str(manifest), instance, mode
        ]  # fmt: skip
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    samples: dict[str, list[Measurement]] = {name: [] for name in commands}
    events: dict[str, dict[str, int]] = {}
    timelines: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    for repetition in range(repetitions + 1):  # the first of each is the untimed warm-up
        for name, argv in commands.items():
            log = root / "logs" / f"{name.replace(' ', '-')}-{repetition}.log"
            measured = measure(argv, cwd=root, log_path=log, env=env)
            if not measured.ok:
                raise RuntimeError(f"{name} failed: see {measured.log_path}")
            if repetition:
                samples[name].append(measured)
                events[name] = _printed(log, "EVENTS")
                timelines[name].append(_printed(log, "TIMELINE"))
    floe = _summary(samples["floe build"])
    figures: dict[str, Any] = {
        "models": models,
        "nodes": 2 * models,  # one not_null test per model
        "repetitions": repetitions,
        "threads": THREADS,
        "target": TARGET,
        "floe_build": floe,
    }
    for kind in modes:
        dagster = _summary(samples[f"dagster {kind}"])
        ratio = dagster["median_wall_seconds"] / floe["median_wall_seconds"]
        figures[kind] = {
            "dagster_materialize": dagster,
            "wall_ratio": round(ratio, 3),
            "cpu_ratio": round(dagster["median_cpu_seconds"] / floe["median_cpu_seconds"], 3),
            "met": ratio <= TARGET,
            "overhead_ms_per_asset": round(
                (dagster["median_wall_seconds"] - floe["median_wall_seconds"]) / models * 1000, 1
            ),
            "dagster_events": events[f"dagster {kind}"],
            "timeline_seconds": _median_timeline(timelines[f"dagster {kind}"]),
        }
    figures["met"] = all(figures[kind]["met"] for kind in INSTANCES)
    figures["load_average"] = [round(load, 2) for load in os.getloadavg()]
    figures["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dagster_bench", description=__doc__)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument(
        "--process-build",
        action="store_true",
        help="also measure the build in a child process of the step (build_process=True)",
    )
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="floe-dagster-bench-"))
    try:
        figures = run(args.models, args.repetitions, root, args.process_build)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    text = json.dumps(figures, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0 if figures["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
