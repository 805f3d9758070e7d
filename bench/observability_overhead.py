"""Overhead of lineage and tracing: the example project built with both on vs both off.

    .venv/bin/python -m bench.observability_overhead [--rounds 5] [--threads 4] [--models 1000]
        [--delivery thread,process] [--json bench/results/FILE.json]

``--delivery`` lists the lineage delivery modes (``observability.lineage.delivery``) measured
against off, interleaved; CPU is reported for the run's process and with the child processes
it waited for (the ``process`` mode's delivery process) added.

``--models N`` builds a generated project of N models (``bench.generate``, 10 layers, fan-in 2,
one test per model) instead of the example project.

The example project is copied to a temporary folder and built on DuckDB with the local runtime,
in one process (parse cached after a warm-up build). Rounds alternate off/on so machine noise
hits both alike. "On" is the production path: OpenLineage over the HTTP transport and spans and
metrics over OTLP/HTTP, both to a receiver in a separate process on loopback (so its CPU is not
charged to the GIL of the run), observers created, prepared, subscribed and closed per run as the
API does. Wall time covers ``build`` plus closing the observers (the flush the user waits for).

Also reported: how many floe events per second the observers absorb on the emitting thread (the
cost a dbt worker thread pays per event) and lineage events delivered per second.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from bench.generate import ProjectSpec, generate_project
from floe_core import (
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    EventBus,
    FloeEvent,
    GeneratedProfile,
    NodeFinished,
    NodeResult,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunObserver,
    RunStarted,
    RunStatus,
)
from floe_core.lineage import LineageConfig, create_lineage_observer
from floe_core.tracing import TracingConfig, create_tracing_observer
from floe_core.warehouses import dataset_namespace
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shop"

RECEIVER = textwrap.dedent(
    """
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real collector or Marquez

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """
)


def _observers(
    url: str,
    namespace: str,
    lineage_file: Path | None = None,
    flush_timeout: float = 5.0,
    delivery: Literal["thread", "process"] = "thread",
) -> list[RunObserver]:
    """Tracing over OTLP/HTTP; lineage over HTTP, or to ``lineage_file`` (no network)."""
    tracing = create_tracing_observer(TracingConfig(enabled=True, exporter="otlp", endpoint=url))
    transport: dict[str, object] = (
        {"type": "http", "url": url, "timeout": 5}
        if lineage_file is None
        else {"type": "file", "log_file_path": str(lineage_file), "append": True}
    )
    lineage = create_lineage_observer(
        LineageConfig(
            enabled=True, flush_timeout=flush_timeout, transport=transport, delivery=delivery
        ),
        compute_namespace=namespace,
        span_ids=tracing.span_ids if tracing else None,
    )
    return [observer for observer in (tracing, lineage) if observer is not None]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _build(
    runtime: LocalRuntime, invocation: DBTInvocation, observers: list[RunObserver]
) -> tuple[float, float, float, DBTRunResult]:
    """Wall and CPU seconds (all threads of this process) of one observed build, and the
    CPU seconds of the child processes it waited for (a lineage delivery process)."""
    began, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    for observer in observers:
        invocation = observer.prepare(invocation)
    with runtime.events.subscribed(*observers):
        result = runtime.build(invocation)
    for observer in observers:
        observer.close()
    return (
        time.perf_counter() - began,
        time.process_time() - cpu,
        _children_cpu() - children,
        result,
    )


def _absorb_rate(url: str, namespace: str, nodes: int = 500) -> tuple[float, float]:
    """Floe events per second through ``__call__`` of both observers, and lineage events/s."""
    observers = _observers(url, namespace, flush_timeout=60.0)
    bus = EventBus()
    now = datetime.now(UTC)
    inv = "bench"
    events: list[FloeEvent] = [
        RunStarted(
            invocation_id=inv,
            command=DBTCommand.RUN,
            runtime="bench",
            project_name="bench",
            project_dir=Path("."),
            started_at=now,
        )
    ]
    for index in range(nodes):
        uid = f"model.bench.m{index}"
        events.append(
            NodeStarted(
                invocation_id=inv, unique_id=uid, name=uid, resource_type="model", started_at=now
            )
        )
        result = NodeResult(
            unique_id=uid,
            name=uid,
            resource_type="model",
            status=NodeStatus.SUCCESS,
            started_at=now,
            completed_at=now,
        )
        events.append(NodeFinished(invocation_id=inv, result=result))
    events.append(
        RunFinished(
            invocation_id=inv,
            result=DBTRunResult(
                invocation_id=inv,
                command=DBTCommand.RUN,
                runtime="bench",
                status=RunStatus.SUCCESS,
                started_at=now,
                completed_at=now,
                elapsed_seconds=0.0,
            ),
        )
    )
    with bus.subscribed(*observers):
        began = time.perf_counter()
        for event in events:
            bus.emit(event)
        absorbed = time.perf_counter() - began
        for observer in observers:
            observer.close()
        delivered = time.perf_counter() - began
    lineage_events = 2 + 2 * nodes
    return len(events) / absorbed, lineage_events / delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--lineage-transport",
        choices=("http", "file"),
        default="http",
        help="file: OpenLineage events to a local file, to separate floe's cost from HTTP's",
    )
    parser.add_argument("--models", type=int, default=0, help="a generated project of N models")
    parser.add_argument(
        "--delivery",
        default="thread",
        help="lineage delivery modes measured against off, comma-separated: thread, process",
    )
    parser.add_argument("--json", type=Path, help="write the samples to this file")
    args = parser.parse_args()
    on_modes: list[Literal["thread", "process"]] = []
    for name in args.delivery.split(","):
        if name not in ("thread", "process"):
            parser.error(f"--delivery: {name!r} is not thread or process")
        on_modes.append("process" if name == "process" else "thread")
    modes = ["off", *on_modes]

    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None
        url = f"http://127.0.0.1:{receiver.stdout.readline().strip()}"
        with tempfile.TemporaryDirectory(prefix="floe-obs-bench-") as tmp:
            project = Path(tmp) / "shop"
            if args.models:
                generate_project(ProjectSpec(models=args.models, tests_per_model=1), project)
            else:
                shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("target", "logs"))
            database = project / "shop.duckdb"
            profile = GeneratedProfile(
                outputs={"dev": {"type": "duckdb", "path": str(database), "threads": args.threads}}
            )
            namespace = dataset_namespace(profile.outputs["dev"])
            runtime = LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=Path(tmp) / "profiles"))
            with runtime:
                invocation = DBTInvocation(project_dir=project, profile=profile)
                _build(runtime, invocation, [])  # warm-up: parse, create the relations
                wall: dict[str, list[float]] = {mode: [] for mode in modes}
                cpu: dict[str, list[float]] = {mode: [] for mode in modes}
                children: dict[str, list[float]] = {mode: [] for mode in modes}
                loads: list[float] = []
                for round_ in range(args.rounds):
                    # rotate the order so that drift hits every mode alike
                    order = modes[round_ % len(modes) :] + modes[: round_ % len(modes)]
                    for mode in order:
                        lineage_file = (
                            Path(tmp) / "lineage.jsonl"
                            if args.lineage_transport == "file"
                            else None
                        )
                        observers = (
                            []
                            if mode == "off"
                            else _observers(
                                url,
                                namespace,
                                lineage_file,
                                delivery="process" if mode == "process" else "thread",
                            )
                        )
                        fresh = invocation.model_copy(update={"invocation_id": str(uuid.uuid4())})
                        seconds, cpu_seconds, child_seconds, result = _build(
                            runtime, fresh, observers
                        )
                        assert result.status is RunStatus.SUCCESS, result.error
                        wall[mode].append(seconds)
                        cpu[mode].append(cpu_seconds)
                        children[mode].append(child_seconds)
                        loads.append(os.getloadavg()[0])
                        print(
                            f"round {round_ + 1} {mode:>7}: {seconds:.3f} s wall, "
                            f"{cpu_seconds:.3f} s cpu (+{child_seconds:.3f} s in children), "
                            f"load {loads[-1]:.1f}",
                            flush=True,
                        )
            absorbed, delivered = _absorb_rate(url, namespace)
    finally:
        receiver.terminate()
        receiver.wait()

    nodes = len(result.nodes)
    subject = f"generated project ({args.models} models)" if args.models else "example project"
    print(
        f"\n{subject}: {nodes} nodes, {args.rounds} rounds, {args.threads} dbt threads, "
        f"lineage over {args.lineage_transport}, spans and metrics over OTLP/HTTP"
    )
    total = {
        mode: [c + k for c, k in zip(cpu[mode], children[mode], strict=True)] for mode in modes
    }
    for mode in on_modes:
        for label, samples in (("wall", wall), ("cpu", cpu), ("cpu+children", total)):
            off, on = statistics.median(samples["off"]), statistics.median(samples[mode])
            # Each round's builds ran back to back: their ratio cancels slow machine drift.
            pairs = zip(samples[mode], samples["off"], strict=True)
            paired = statistics.median(on_run / off_run for on_run, off_run in pairs)
            print(
                f"{mode:>7} {label:>12}: off median {off:.3f} s, on median {on:.3f} s, "
                f"ratio of medians {on / off:.4f}, median of paired ratios {paired:.4f}"
            )
    print("target: wall and cpu ratios under 1.03")
    print(f"load average (1 min) during the rounds: {min(loads):.1f}-{max(loads):.1f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "subject": subject,
                    "nodes": nodes,
                    "threads": args.threads,
                    "rounds": args.rounds,
                    "lineage_transport": args.lineage_transport,
                    "wall": wall,
                    "cpu": cpu,
                    "children_cpu": children,
                    "load_1min": loads,
                    "absorbed_events_per_s": absorbed,
                    "delivered_events_per_s": delivered,
                },
                indent=1,
            )
            + "\n"
        )
    print(f"observer intake: {absorbed:,.0f} floe events/s on the emitting thread")
    print(f"lineage delivery: {delivered:,.0f} OpenLineage events/s over HTTP (with spans)")


if __name__ == "__main__":
    main()
