"""Overhead of lineage and tracing: the example project built with both on vs both off.

    .venv/bin/python -m bench.observability_overhead [--rounds 5] [--threads 4]

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
    url: str, namespace: str, lineage_file: Path | None = None, flush_timeout: float = 5.0
) -> list[RunObserver]:
    """Tracing over OTLP/HTTP; lineage over HTTP, or to ``lineage_file`` (no network)."""
    tracing = create_tracing_observer(TracingConfig(enabled=True, exporter="otlp", endpoint=url))
    transport: dict[str, object] = (
        {"type": "http", "url": url, "timeout": 5}
        if lineage_file is None
        else {"type": "file", "log_file_path": str(lineage_file), "append": True}
    )
    lineage = create_lineage_observer(
        LineageConfig(enabled=True, flush_timeout=flush_timeout, transport=transport),
        compute_namespace=namespace,
        span_ids=tracing.span_ids if tracing else None,
    )
    return [observer for observer in (tracing, lineage) if observer is not None]


def _build(
    runtime: LocalRuntime, invocation: DBTInvocation, observers: list[RunObserver]
) -> tuple[float, float, DBTRunResult]:
    """Wall and CPU seconds (all threads of this process) of one observed build."""
    began, cpu = time.perf_counter(), time.process_time()
    for observer in observers:
        invocation = observer.prepare(invocation)
    with runtime.events.subscribed(*observers):
        result = runtime.build(invocation)
    for observer in observers:
        observer.close()
    return time.perf_counter() - began, time.process_time() - cpu, result


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
    args = parser.parse_args()

    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None
        url = f"http://127.0.0.1:{receiver.stdout.readline().strip()}"
        with tempfile.TemporaryDirectory(prefix="floe-obs-bench-") as tmp:
            project = Path(tmp) / "shop"
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
                wall: dict[str, list[float]] = {"off": [], "on": []}
                cpu: dict[str, list[float]] = {"off": [], "on": []}
                for round_ in range(args.rounds):
                    order = ("off", "on") if round_ % 2 == 0 else ("on", "off")
                    for mode in order:
                        lineage_file = (
                            Path(tmp) / "lineage.jsonl"
                            if args.lineage_transport == "file"
                            else None
                        )
                        observers = _observers(url, namespace, lineage_file) if mode == "on" else []
                        fresh = invocation.model_copy(update={"invocation_id": str(uuid.uuid4())})
                        seconds, cpu_seconds, result = _build(runtime, fresh, observers)
                        assert result.status is RunStatus.SUCCESS, result.error
                        wall[mode].append(seconds)
                        cpu[mode].append(cpu_seconds)
                        print(
                            f"round {round_ + 1} {mode:>3}: {seconds:.3f} s wall, "
                            f"{cpu_seconds:.3f} s cpu",
                            flush=True,
                        )
            absorbed, delivered = _absorb_rate(url, namespace)
    finally:
        receiver.terminate()
        receiver.wait()

    nodes = len(result.nodes)
    print(
        f"\nexample project: {nodes} nodes, {args.rounds} rounds, {args.threads} dbt threads, "
        f"lineage over {args.lineage_transport}, spans and metrics over OTLP/HTTP"
    )
    for label, samples in (("wall", wall), ("cpu", cpu)):
        off, on = statistics.median(samples["off"]), statistics.median(samples["on"])
        # Each round's on/off pair ran back to back: their ratio cancels slow machine drift.
        pairs = zip(samples["on"], samples["off"], strict=True)
        paired = statistics.median(on_run / off_run for on_run, off_run in pairs)
        print(
            f"{label:>4}: off median {off:.3f} s, on median {on:.3f} s, "
            f"ratio of medians {on / off:.4f}, median of paired ratios {paired:.4f}"
        )
    print("target: wall ratio under 1.03")
    print(f"observer intake: {absorbed:,.0f} floe events/s on the emitting thread")
    print(f"lineage delivery: {delivered:,.0f} OpenLineage events/s over HTTP (with spans)")


if __name__ == "__main__":
    main()
