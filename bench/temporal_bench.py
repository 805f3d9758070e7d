"""``python -m bench.temporal_bench``: the temporal runtime against ``dbt run`` on one machine.

For each warehouse: one generated N-model project, ``dbt run --threads 4`` (the CLI, full
parse included) versus one ``run`` through the ``floe_dbt_run`` workflow with 1 (and, on
PostgreSQL, 2) ``floe worker`` processes started beforehand (a worker is a long-lived
service; its parse of the project happens inside the timed run). Peak memory per worker is
the kernel's high-water mark (``VmHWM``) of the worker process; the dbt CLI's is its own.
DuckDB accepts one writer process, so DuckDB runs use one worker.

CPU is counted per process: each worker's (``/proc``), the client's (this process follows the
run and relays its events) and the dbt CLI's; per executed node it moves far less with other
load on the machine than wall time. The load average is recorded around every run.
``--at-commit REV`` measures floe as committed at REV (workers and client alike);
``--py-spy PATH`` samples each worker with py-spy (collapsed stacks in its work folder).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

from bench.generate import ProjectSpec, generate_project
from bench.measure import measure
from bench.services import start_services
from bench.warehouses import PostgresWarehouse, Warehouse

_BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def _vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (``/proc/<pid>/stat`` fields 14-15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(pid: int) -> float:
    """CPU of a server process and its children, those it reaped included (PostgreSQL forks a
    backend per connection): own user + system, reaped children's, live children's."""
    tick = os.sysconf("SC_CLK_TCK")

    def fields(of: int) -> list[str]:
        return Path(f"/proc/{of}/stat").read_text().rsplit(")", 1)[1].split()

    own = fields(pid)
    total = sum(int(value) for value in own[11:15])
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                child = fields(int(entry.name))
            except OSError:
                continue
            if int(child[1]) == pid:
                total += int(child[11]) + int(child[12])
    return total / tick


def _postmaster(port: int) -> int | None:
    """The pid of the PostgreSQL server on ``port`` (``postmaster.pid``: pid, data dir, start
    time, port), if it is one floe_core.testing started."""
    for pidfile in Path(tempfile.gettempdir()).glob("floe-pg-*/data/postmaster.pid"):
        try:
            lines = pidfile.read_text().splitlines()
        except OSError:
            continue
        if len(lines) > 3 and lines[3].strip() == str(port):
            return int(lines[0])
    return None


class _ServerClock:
    """CPU the servers (Temporal, PostgreSQL) spent during one measured command: on a 2-core
    machine it competes with the measured command's own."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if pid is not None}
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        return {name: _tree_cpu_seconds(pid) for name, pid in self.pids.items()}

    def spent(self) -> dict[str, float]:
        end = self._read()
        return {name: round(end[name] - self.start[name], 1) for name in self.pids}


def _load() -> float:
    """The 1-minute load average (the machine is shared: read wall times with it)."""
    return round(os.getloadavg()[0], 1)


def _temporal_server(stack: ExitStack, scratch: Path) -> tuple[str, int]:
    port = _free_port()
    process = subprocess.Popen(
        [
            str(shutil.which("temporal") or _BIN / "temporal"),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--http-port",
            str(_free_port()),
            "--metrics-port",
            str(_free_port()),
            "--log-level",
            "error",
            *[
                arg
                for name in ("DbtProject", "DbtCommand", "DbtTarget", "DbtStatus")
                for arg in ("--search-attribute", f"{name}=Keyword")
            ],
        ],
        stdout=(scratch / "temporal.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    stack.callback(process.wait)
    stack.callback(process.terminate)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(1.0)  # frontend up; let the namespace settle
                return f"127.0.0.1:{port}", process.pid
        time.sleep(0.2)
    raise TimeoutError("temporal dev server did not start")


def _dbt_run(
    project: Path,
    warehouse: Warehouse,
    root: Path,
    threads: int,
    models: int,
    servers: dict[str, int | None],
    timeout: float,
) -> dict[str, Any]:
    profiles = root / "dbt-profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    output = warehouse.dbt_output(root, threads)
    (profiles / "profiles.yml").write_text(
        yaml.safe_dump({"floe": {"target": "dev", "outputs": {"dev": output}}})
    )
    shutil.rmtree(project / "target", ignore_errors=True)
    warehouse.reset(root)
    load = _load()
    clock = _ServerClock(servers)
    result = measure(
        [str(_BIN / "dbt"), "run", "--threads", str(threads), "--profiles-dir", str(profiles)],
        cwd=project,
        log_path=root / "dbt-run.log",
        env={**os.environ, **warehouse.env()},
        timeout=timeout,
    )
    return {
        "tool": "dbt run",
        "threads": threads,
        "ok": result.ok,
        "wall_seconds": round(result.wall_seconds, 2),
        "peak_rss_mb": round(result.peak_rss_bytes / 2**20),
        "cpu_seconds": round(result.cpu_seconds, 1),
        "cpu_ms_per_node": round(result.cpu_seconds / models * 1000, 1),
        "server_cpu_seconds": clock.spent(),
        "load_average": [load, _load()],
    }


def _start_worker(
    address: str, queue: str, artifacts: Path, work: Path, threads: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    work.mkdir(parents=True, exist_ok=True)
    health = _free_port()
    process = subprocess.Popen(
        [
            str(_BIN / "floe"),
            "worker",
            "--address",
            address,
            "--task-queue",
            queue,
            "--artifact-dir",
            str(artifacts),
            "--work-dir",
            str(work),
            "--max-concurrent-activities",
            str(threads),
            "--health-port",
            str(health),
            "--allow-any-project",  # the generated project is sent by the client
        ],
        stdout=(work / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
    )
    _wait_http(f"http://127.0.0.1:{health}/health")
    if env.get("FLOE_BENCH_PY_SPY"):  # sampled after start-up: the run's own work
        # --gil: only samples of a thread holding the GIL, i.e. Python's own CPU time
        sampler = [env["FLOE_BENCH_PY_SPY"], "record", "--pid", str(process.pid), "--threads"]
        sampler += ["--gil", "--format", "raw", "--rate", "50"]
        sampler += ["--output", str(work / "py-spy.txt")]
        subprocess.Popen(sampler, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process


def _default_concurrency(threads: int, workers: int, node_batch_size: int) -> int:
    """The workers' activity slots; twice that without batching, to hide each node's activity
    round trip. With batching, ready nodes wait in the workflow while every slot is busy and
    leave in full batches (ADR 0030): 2x the slots halved the nodes per activity."""
    return threads * workers * (1 if node_batch_size > 1 else 2)


def _temporal_run(
    project: Path,
    warehouse: Warehouse,
    root: Path,
    address: str,
    workers: int,
    threads: int,
    env: dict[str, str],
    servers: dict[str, int | None],
    timeout: float,
    node_batch_size: int,
    max_concurrency: int | None,
) -> dict[str, Any]:
    from floe_core import DBTInvocation, GeneratedProfile
    from floe_dbt_temporal import ActivityTimeouts, TemporalRuntime, TemporalRuntimeConfig

    warehouse.reset(root)
    queue = f"bench-{root.name}-{workers}w-{node_batch_size}b"
    artifacts = root / "artifacts"
    processes = [
        _start_worker(
            address,
            queue,
            artifacts,
            root / f"worker-{workers}w-{node_batch_size}b-{index}",
            threads,
            {**env, **warehouse.env()},
        )
        for index in range(workers)
    ]
    output = warehouse.dbt_output(root, threads)
    runtime = TemporalRuntime(
        TemporalRuntimeConfig(
            address=address,
            task_queue=queue,
            artifact_dir=artifacts,
            work_dir=root / "client",
            max_concurrency=max_concurrency
            or _default_concurrency(threads, workers, node_batch_size),
            node_batch_size=node_batch_size,
            secret_env=tuple(warehouse.env()),
            # a cold parse of 5,000 models on a loaded machine outlasts the defaults
            pickup_timeout_seconds=timeout,
            timeouts=ActivityTimeouts(plan_seconds=timeout),
        )
    )
    invocation = DBTInvocation(
        project_dir=project, profile=GeneratedProfile(outputs={"dev": output})
    )
    idle_rss = [_vm_hwm(process.pid) for process in processes]
    load = _load()
    clock = _ServerClock(servers)
    cpu_before = [_cpu_seconds(process.pid) for process in processes]
    client_before = time.process_time()
    started = time.perf_counter()
    result = runtime.run_models(invocation)
    wall = time.perf_counter() - started
    client_cpu = time.process_time() - client_before
    server_cpu = clock.spent()
    peaks = [_vm_hwm(process.pid) for process in processes]
    cpu = [_cpu_seconds(p.pid) - before for p, before in zip(processes, cpu_before, strict=True)]
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(120)
    counts = {status.value: count for status, count in result.counts().items() if count}
    executed = max(1, sum(n for status, n in counts.items() if status != "skipped"))
    return {
        "tool": f"floe temporal, {workers} worker{'s' if workers > 1 else ''}",
        "ok": result.status.value == "success",
        "wall_seconds": round(wall, 2),
        "peak_rss_mb_per_worker": [round(peak / 2**20) for peak in peaks],
        "idle_rss_mb_per_worker": [round(peak / 2**20) for peak in idle_rss],
        "cpu_seconds_per_worker": [round(seconds, 1) for seconds in cpu],
        "client_cpu_seconds": round(client_cpu, 1),
        "cpu_ms_per_node": round((sum(cpu) + client_cpu) / executed * 1000, 1),
        "worker_cpu_ms_per_node": round(sum(cpu) / executed * 1000, 1),
        "server_cpu_seconds": server_cpu,
        "nodes": counts,
        "node_batch_size": node_batch_size,
        "max_concurrency": max_concurrency
        or _default_concurrency(threads, workers, node_batch_size),
        "load_average": [load, _load()],
    }


def _executor_per_node(models: int, scratch: Path) -> dict[str, Any]:
    """Median and p90 cost of one node through the warm executor (DuckDB, one thread)."""
    from floe_core import DBTCommand
    from floe_dbt_inprocess.executor import ExecutorSpec, WarmExecutor

    project = generate_project(ProjectSpec(models=models), scratch / "project")
    profiles = scratch / "profiles"
    profiles.mkdir()
    output = {"type": "duckdb", "path": str(scratch / "warehouse.duckdb"), "threads": 1}
    (profiles / "profiles.yml").write_text(
        yaml.safe_dump({"floe": {"target": "dev", "outputs": {"dev": output}}})
    )
    started = time.perf_counter()
    spec = ExecutorSpec(command=DBTCommand.RUN, project_dir=project, profiles_dir=profiles)
    executor = WarmExecutor.open(spec, work_dir=scratch / "work")
    plan = executor.plan()
    executor.prepare_run(plan.unique_ids)
    opened = time.perf_counter() - started
    costs = []
    for node in plan.nodes:
        clock = time.perf_counter()
        executor.execute(node.unique_id, run_id="bench")
        costs.append(time.perf_counter() - clock)
    executor.close()
    costs.sort()
    # The same nodes inside one `dbt run --threads 1` (parse included), same machine load.
    (scratch / "warehouse.duckdb").unlink()
    shutil.rmtree(project / "target", ignore_errors=True)
    dbt = measure(
        [str(_BIN / "dbt"), "run", "--threads", "1", "--profiles-dir", str(profiles)],
        cwd=project,
        log_path=scratch / "dbt.log",
    )
    return {
        "models": models,
        "executor_open_seconds": round(opened, 2),
        "executor_median_ms": round(costs[len(costs) // 2] * 1000, 1),
        "executor_p90_ms": round(costs[int(len(costs) * 0.9)] * 1000, 1),
        "executor_total_seconds": round(sum(costs), 2),
        "dbt_run_threads_1_seconds": round(dbt.wall_seconds, 2),
    }


def _source(rev: str | None, scratch: Path) -> tuple[str, dict[str, str]]:
    from bench.__main__ import _source as bench_source

    return bench_source(rev, scratch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.temporal_bench", description=__doc__)
    parser.add_argument("--models", default="1000", help="comma-separated project sizes")
    parser.add_argument("--warehouses", default="duckdb,postgres")
    parser.add_argument(
        "--workers", default="1,2", help="worker counts on PostgreSQL (DuckDB: always 1)"
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--max-concurrency",
        type=int,
        help="the runs' max_concurrency (default: threads x workers, twice that unbatched)",
    )
    parser.add_argument(
        "--node-batch-sizes",
        default="8",
        help="comma-separated node_batch_size values, each a temporal run (1: no batching)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds: the dbt CLI's run, and the temporal run's plan and activity pickup",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/temporal.json"))
    parser.add_argument("--at-commit", help="measure floe as committed at this revision")
    parser.add_argument(
        "--py-spy",
        help="path of a py-spy binary: sample each worker (py-spy.txt in its work folder,"
        " collapsed stacks; the scratch folders are kept)",
    )
    parser.add_argument("--keep", type=Path, help="keep the scratch folders under this path")
    parser.add_argument(
        "--executor-only", action="store_true", help="only the warm executor's per-node cost"
    )
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.models.split(",")]
    if args.executor_only:
        with tempfile.TemporaryDirectory(prefix="floe-tbench-") as tmp:
            print(json.dumps(_executor_per_node(sizes[0], Path(tmp))))
        return 0
    base = args.keep or Path(tempfile.mkdtemp(prefix="floe-tbench-"))
    base.mkdir(parents=True, exist_ok=True)
    source, env = _source(args.at_commit, base)
    if args.py_spy:
        env["FLOE_BENCH_PY_SPY"] = args.py_spy
    started = time.time()
    report: dict[str, Any] = {
        "source": source,
        "started_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "threads": args.threads,
        "runs": [],
    }
    for models in sizes:
        for kind in args.warehouses.split(","):
            with ExitStack() as stack:
                scratch = Path(tempfile.mkdtemp(prefix=f"{kind}-{models}-", dir=base))
                if args.keep is None and not args.py_spy:
                    stack.callback(shutil.rmtree, scratch, ignore_errors=True)
                warehouse, _ = start_services(stack, kind, (), scratch)
                spec = ProjectSpec(models=models, warehouse=kind)
                project = generate_project(spec, scratch / "project")
                address, temporal_pid = _temporal_server(stack, scratch)
                servers = {
                    "temporal": temporal_pid,
                    "postgres": _postmaster(warehouse.port)
                    if isinstance(warehouse, PostgresWarehouse)
                    else None,
                }
                run = _dbt_run(
                    project, warehouse, scratch / "dbt", args.threads, models, servers, args.timeout
                )
                runs = [run]
                workers = [int(n) for n in args.workers.split(",")] if kind == "postgres" else [1]
                for count in workers:
                    for batch_size in (int(n) for n in args.node_batch_sizes.split(",")):
                        runs.append(
                            _temporal_run(
                                project,
                                warehouse,
                                scratch / "floe",
                                address,
                                count,
                                args.threads,
                                env,
                                servers,
                                args.timeout,
                                batch_size,
                                args.max_concurrency,
                            )
                        )
                for run in runs:
                    run.update(models=models, warehouse=kind)
                    print(json.dumps(run), flush=True)
                report["runs"].extend(runs)
    report["minutes"] = round((time.time() - started) / 60, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
