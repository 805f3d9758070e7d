"""``python -m bench.local_executor``: how should the local runtime execute nodes (ADR 0012)?

Two ways to ``build`` a project in one long-lived process, each in its own child process
(dbt-duckdb keeps one database handle per process), with interleaved repetitions:

- ``dbtrunner``: the local runtime as it is, one ``dbtRunner`` ``build`` invocation per run
  (dbt's own scheduler on ``--threads`` threads; the parsed manifest cached after run 1);
  ``dbtrunner-nolog`` the same without dbt's ``dbt.log`` (``log_level: none``, as the
  executor runs);
- ``executor``: a warm executor leased from an :class:`ExecutorPool`, the plan's nodes
  executed one by one on ``--threads`` threads as their parents finish (what a local runtime
  on the executor would do; the project is parsed once, in run 1).

Each child does ``--runs`` runs against its own DuckDB file: run 1 includes the parse (cold
process), later runs are warm. Printed: the median wall and CPU seconds (the child's
``process_time``, every thread) of run 1 and of the warm runs; on a shared machine CPU is
the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bench.generate import ProjectSpec, generate_project

if TYPE_CHECKING:
    from floe_core import ExecutionPlan
    from floe_dbt_inprocess.executor import NodeExecution, WarmExecutor

_SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"

Sample = tuple[float, float]
"""Wall and CPU seconds of one run."""


def _profiles(root: Path, threads: int) -> Path:
    profiles = root / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    output = {"type": "duckdb", "path": str(root / "warehouse.duckdb"), "threads": threads}
    (profiles / "profiles.yml").write_text(
        yaml.safe_dump({"floe": {"target": "dev", "outputs": {"dev": output}}})
    )
    return profiles


def _dbtrunner_runs(
    project: Path, profiles: Path, threads: int, runs: int, *, log: bool = True
) -> list[Sample]:
    from floe_core import DBTCommand, DBTInvocation, ProfilesDirProfile, RunStatus
    from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

    runtime = LocalRuntime(
        LocalRuntimeConfig(
            threads=threads,
            profiles_cache_dir=profiles.parent / "cache",
            log_level="debug" if log else "none",
        )
    )
    seconds = []
    for _ in range(runs):
        invocation = DBTInvocation(
            project_dir=project, profile=ProfilesDirProfile(profiles_dir=profiles)
        )
        clock, cpu = time.perf_counter(), time.process_time()
        result = runtime.execute(DBTCommand.BUILD, invocation)
        seconds.append((time.perf_counter() - clock, time.process_time() - cpu))
        assert result.status is RunStatus.SUCCESS, result.error
    runtime.close()
    return seconds


def _execute_dag(executor: WarmExecutor, plan: ExecutionPlan, threads: int, run_id: str) -> None:
    """Every node of ``plan`` on ``threads`` threads, each as soon as its parents succeeded
    (the scheduler of the temporal workflow and of the local runtime's processes)."""
    from floe_dbt_inprocess import DagScheduler

    index = {uid: i for i, uid in enumerate(plan.unique_ids)}
    parents = [[index[parent] for parent in node.depends_on] for node in plan.nodes]
    scheduler = DagScheduler(plan.unique_ids, parents, fail_fast=False)
    with ThreadPoolExecutor(threads) as pool:
        running: dict[Future[NodeExecution], str] = {}
        while not scheduler.finished:
            for uid in scheduler.take_ready(threads - len(running)):
                running[pool.submit(executor.execute, uid, run_id=run_id)] = uid
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                status = future.result().result.status
                assert not status.is_failure, running[future]
                scheduler.complete(running.pop(future), status)


def _executor_runs(project: Path, profiles: Path, threads: int, runs: int) -> list[Sample]:
    from floe_core import DBTCommand
    from floe_dbt_inprocess.executor import ExecutorPool, ExecutorSpec

    pool = ExecutorPool(profiles.parent / "executors")
    spec = ExecutorSpec(command=DBTCommand.BUILD, project_dir=project, profiles_dir=profiles)
    seconds = []
    for run in range(runs):
        clock, cpu = time.perf_counter(), time.process_time()
        with pool.lease(spec) as executor:
            plan = executor.plan()
            executor.prepare_run(plan.unique_ids)
            _execute_dag(executor, plan, threads, run_id=str(run))
        seconds.append((time.perf_counter() - clock, time.process_time() - cpu))
    pool.close()
    return seconds


def _child(argv: list[str]) -> None:
    mode, project, profiles, threads, runs = argv
    where = (Path(project), Path(profiles), int(threads), int(runs))
    if mode == "executor":
        samples = _executor_runs(*where)
    else:
        samples = _dbtrunner_runs(*where, log=mode == "dbtrunner")
    print(json.dumps(samples))


def _project(name: str, scratch: Path) -> Path:
    if name == "shop":
        target = scratch / "shop"
        shutil.copytree(_SHOP, target, ignore=shutil.ignore_patterns("target", "logs"))
        return target
    models = int(name)
    return generate_project(ProjectSpec(models=models, tests_per_model=1), scratch / name)


def _summary(runs: list[list[Sample]]) -> dict[str, Any]:
    first = [r[0] for r in runs]
    warm = [sample for r in runs for sample in r[1:]]
    return {
        "first_wall_s": round(statistics.median(s[0] for s in first), 2),
        "first_cpu_s": round(statistics.median(s[1] for s in first), 2),
        "warm_wall_s": round(statistics.median(s[0] for s in warm), 2) if warm else None,
        "warm_cpu_s": round(statistics.median(s[1] for s in warm), 2) if warm else None,
        "all": [[[round(x, 2) for x in s] for s in r] for r in runs],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.local_executor", description=__doc__)
    parser.add_argument("--projects", default="shop,100", help="shop and/or model counts")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3, help="runs per child process")
    parser.add_argument("--repetitions", type=int, default=2, help="child processes per mode")
    parser.add_argument(
        "--modes", default="dbtrunner,executor", help="dbtrunner, dbtrunner-nolog, executor"
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="floe-local-executor-") as tmp:
        for name in args.projects.split(","):
            source = _project(name, Path(tmp) / "sources")
            samples: dict[str, list[list[Sample]]] = {m: [] for m in args.modes.split(",")}
            for repetition in range(args.repetitions):
                for mode in samples:
                    root = Path(tmp) / f"{name}-{mode}-{repetition}"
                    project = root / "project"
                    shutil.copytree(source, project)
                    profiles = _profiles(root, args.threads)
                    child = [mode, str(project), str(profiles), str(args.threads), str(args.runs)]
                    output = subprocess.run(
                        [sys.executable, "-m", "bench.local_executor", "--child", *child],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                    samples[mode].append(json.loads(output.splitlines()[-1]))
            report[name] = {mode: _summary(runs) for mode, runs in samples.items()}
            print(json.dumps({name: report[name]}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
