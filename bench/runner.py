"""Time subjects against their dbt CLI baselines with interleaved repetitions.

For every project size the runner generates one project, gives each subject a private copy
(its own ``target/``, profile or manifest, and warehouse), runs every subject's priming
command once (untimed: warms caches and the OS page cache alike), then repeats
``dbt, floe A, floe B, dbt, floe A, floe B, ...`` so drift in machine load hits both sides of a
ratio equally. Each repetition starts from the subject's own state: an empty warehouse for
``run``/``build``, no ``target/`` for a cold parse.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.generate import ProjectSpec, generate_project
from bench.measure import Measurement, measure
from bench.services import start_services
from bench.subjects import SUBJECTS, Action, Cache, Subject, Tool, Workspace
from bench.warehouses import Warehouse

__all__ = ["BenchConfig", "Pass", "Spread", "SubjectResult", "run_benchmarks", "select_subjects"]

_ENV = {
    # The same quiet, offline settings for both tools.
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "DBT_PRINTER_WIDTH": "100",
}


@dataclass(frozen=True)
class Pass:
    """Subjects (name prefixes) timed ``repetitions`` times on a project of ``models`` models."""

    models: int
    subjects: tuple[str, ...]
    repetitions: int


@dataclass(frozen=True)
class BenchConfig:
    """Options shared by every pass."""

    workdir: Path
    threads: int = 4
    layers: int = 10
    fan_in: int = 2
    tests_per_model: int = 1
    rows: int = 1000
    sleep_ms: int = 0
    seed: int = 42
    timeout: float = 1800.0
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment of every command (e.g. ``PYTHONPATH`` of a source snapshot)."""


@dataclass(frozen=True)
class Spread:
    median: float
    min: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        if not values:
            return None
        return cls(statistics.median(values), min(values), max(values))


@dataclass
class SubjectResult:
    """All repetitions of one subject at one project size."""

    subject: str
    tool: str
    action: str
    runtime: str
    cache: str
    baseline: str | None
    models: int
    nodes: int
    samples: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    """Why the subject did not run or failed (priming failed, command missing, ...)."""

    def add(self, measurement: Measurement, extra: dict[str, float] | None = None) -> None:
        sample = asdict(measurement)
        sample["log_path"] = str(measurement.log_path)
        sample["extra"] = extra or {}
        self.samples.append(sample)

    @property
    def ok_samples(self) -> list[dict[str, Any]]:
        return [sample for sample in self.samples if sample["returncode"] == 0]

    @property
    def failures(self) -> int:
        return len(self.samples) - len(self.ok_samples)

    @property
    def wall(self) -> Spread | None:
        return Spread.of([sample["wall_seconds"] for sample in self.ok_samples])

    @property
    def rss(self) -> Spread | None:
        return Spread.of([float(sample["peak_rss_bytes"]) for sample in self.ok_samples])

    @property
    def process_rss(self) -> Spread | None:
        """The largest single process (``ru_maxrss`` of the command and its waited-for
        children): with worker processes, what each one costs at most."""
        return Spread.of(
            [float(s["child_maxrss_bytes"]) for s in self.ok_samples if "child_maxrss_bytes" in s]
        )

    @property
    def cpu(self) -> Spread | None:
        return Spread.of([sample["cpu_seconds"] for sample in self.ok_samples])

    @property
    def executed_nodes(self) -> int:
        """Nodes the command executes: models for ``run``, models and tests for ``build``."""
        return self.models if self.action == Action.RUN else self.nodes


def select_subjects(patterns: Sequence[str]) -> list[Subject]:
    """Subjects whose name starts with one of ``patterns``, plus the baselines they need."""
    chosen = [s for s in SUBJECTS.values() if any(s.name.startswith(p) for p in patterns)]
    unknown = [p for p in patterns if not any(s.name.startswith(p) for s in SUBJECTS.values())]
    if unknown:
        raise ValueError(f"no bench subject matches {unknown}; known: {', '.join(SUBJECTS)}")
    needed = {s.baseline for s in chosen if s.baseline} | {s.name for s in chosen}
    return [s for s in SUBJECTS.values() if s.name in needed]


def _groups(subjects: Sequence[Subject]) -> list[list[Subject]]:
    """Each dbt baseline followed by the floe subjects compared with it."""
    groups = [[s] for s in subjects if s.tool is Tool.DBT]
    for group in groups:
        group += [s for s in subjects if s.baseline == group[0].name]
    return groups


Progress = Callable[[str], None]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _SizeRun:
    """One project size: workspaces, priming and the interleaved repetitions."""

    def __init__(
        self,
        config: BenchConfig,
        repetitions: int,
        spec: ProjectSpec,
        warehouse: Warehouse,
        services: dict[str, dict[str, Any]],
        progress: Progress,
    ) -> None:
        self.config, self.spec, self.progress = config, spec, progress
        self.repetitions = repetitions
        self.root = config.workdir / f"{spec.warehouse}-{spec.models}"
        self.warehouse, self.services = warehouse, services
        service_env = {k: v for info in services.values() for k, v in info.get("env", {}).items()}
        self.env = {**os.environ, **_ENV, **config.env, **warehouse.env(), **service_env}

    def workspace(self, subject: Subject) -> Workspace:
        services = {name: self.services[name] for name in subject.services}
        return Workspace(self.root / subject.slug, self.warehouse, self.config.threads, services)

    def prepare(self, subject: Subject, template: Path) -> str | None:
        """Copy the project, write config files, prime caches; an error message or None."""
        ws = self.workspace(subject)
        executable = subject.argv(ws)[0]
        if not Path(executable).exists():
            return f"{executable} is not installed"
        shutil.rmtree(ws.root, ignore_errors=True)
        shutil.copytree(template, ws.project_dir)
        subject.configure(ws)
        if subject.cache is Cache.COLD:
            return None  # every repetition clears the caches anyway
        priming = measure(
            subject.prime_argv(ws),
            cwd=ws.project_dir,
            log_path=ws.logs_dir / "prime.log",
            env=self.env,
            timeout=self.config.timeout,
        )
        if not priming.ok:
            return f"priming failed (exit {priming.returncode}); see {priming.log_path}"
        return None

    def run(self, subjects: Sequence[Subject]) -> list[SubjectResult]:
        template = generate_project(self.spec, self.root / "template")
        results = {
            s.name: SubjectResult(
                s.name, s.tool, s.action, s.runtime, s.cache, s.baseline,
                self.spec.models, self.spec.nodes,
            )
            for s in subjects
        }  # fmt: skip
        for subject in subjects:
            results[subject.name].error = self.prepare(subject, template)
        for group in _groups(subjects):
            runnable = [s for s in group if results[s.name].error is None]
            for repetition in range(1, self.repetitions + 1):
                for subject in runnable:
                    ws = self.workspace(subject)
                    subject.before_repetition(ws)
                    measurement = measure(
                        subject.argv(ws),
                        cwd=ws.project_dir,
                        log_path=ws.logs_dir / f"rep{repetition}.log",
                        env=self.env,
                        timeout=self.config.timeout,
                    )
                    extra = subject.observe(ws) if subject.observe and measurement.ok else {}
                    results[subject.name].add(measurement, extra)
                    self.progress(
                        f"[{self.spec.models} models] rep {repetition}/{self.repetitions} "
                        f"{subject.name}: {measurement.wall_seconds:.2f} s, "
                        f"{measurement.cpu_seconds:.2f} s CPU, "
                        f"{measurement.peak_rss_bytes / 2**20:.0f} MiB"
                        + ("" if measurement.ok else f", FAILED: see {measurement.log_path}")
                    )
        return list(results.values())


def run_benchmarks(
    config: BenchConfig, passes: Sequence[Pass], warehouse_kind: str, progress: Progress = _log
) -> list[dict[str, Any]]:
    """Run every pass; one entry per pass with its project spec and the subjects' results."""
    chosen = [
        [s for s in select_subjects(p.subjects) if warehouse_kind in s.warehouses] for p in passes
    ]
    needed = sorted({name for subjects in chosen for s in subjects for name in s.services})
    sizes = []
    with ExitStack() as stack:
        warehouse, services = start_services(stack, warehouse_kind, needed, config.workdir)
        for bench_pass, subjects in zip(passes, chosen, strict=True):
            spec = ProjectSpec(
                models=bench_pass.models,
                layers=min(config.layers, bench_pass.models),
                fan_in=config.fan_in,
                tests_per_model=config.tests_per_model,
                rows=config.rows,
                sleep_ms=config.sleep_ms,
                seed=config.seed,
                warehouse="postgres" if warehouse_kind == "postgres" else "duckdb",
            )
            size_run = _SizeRun(config, bench_pass.repetitions, spec, warehouse, services, progress)
            sizes.append({"spec": asdict(spec), "results": size_run.run(subjects)})
    return sizes
