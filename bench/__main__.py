"""``python -m bench``: time floe against the dbt CLI and write docs/benchmarks.md.

With no arguments it runs the default set (under 15 minutes on a 2-core machine); see
bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import bench.cloud  # noqa: F401  (runtime subject modules register their subjects on import)
from bench.report import render_markdown, to_json, write_json, write_markdown
from bench.runner import BenchConfig, Pass, run_benchmarks
from bench.subjects import SUBJECTS

_REPO = Path(__file__).resolve().parent.parent

DEFAULT_PASSES = (
    Pass(100, tuple(SUBJECTS), repetitions=3),
    # At 1,000 models only parse/plan and the local build: `run` is covered by `build`, and
    # the cloud build (the fake executes the whole project again) would add ~8 CPU-minutes.
    # This set took 10.3 minutes here (2 cores, load ~2); the budget is 15.
    Pass(1000, ("dbt-parse", "floe-plan", "dbt-build", "floe-build[local]"), repetitions=2),
)


def _versions() -> str:
    found = []
    for dist in ("dbt-core", "dbt-duckdb", "dbt-postgres", "duckdb"):
        try:
            found.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            continue
    return f"Python {platform.python_version()}, " + ", ".join(found)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", help="comma-separated model counts, e.g. 100,1000,5000")
    parser.add_argument("--subjects", help="comma-separated subject name prefixes (default all)")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--warehouse", choices=["duckdb", "postgres"], default="duckdb")
    parser.add_argument("--layers", type=int, default=10)
    parser.add_argument("--fan-in", type=int, default=2)
    parser.add_argument("--tests-per-model", type=int, default=1)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--sleep-ms", type=int, default=0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per command")
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--json", type=Path, help="default bench/results/bench-<time>.json")
    parser.add_argument("--markdown", type=Path, default=_REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-markdown", action="store_true", help="only write the JSON")
    parser.add_argument(
        "--at-commit",
        metavar="REV",
        help="benchmark floe's packages as committed at REV (git archive), not the working tree",
    )
    parser.add_argument("--list", action="store_true", help="list the subjects and exit")
    return parser


def _passes(args: argparse.Namespace) -> tuple[Pass, ...]:
    # Split on commas outside brackets: names like ``floe-plan[local,warm]`` hold one.
    subjects = (
        tuple(re.split(r",(?![^\[]*\])", args.subjects)) if args.subjects else tuple(SUBJECTS)
    )
    if args.sizes is None and args.subjects is None:
        return DEFAULT_PASSES
    sizes = [int(size) for size in (args.sizes or "100").split(",")]
    return tuple(Pass(models, subjects, args.repetitions) for models in sizes)


def _source(rev: str | None, workdir: Path) -> tuple[str, dict[str, str]]:
    """Describe the floe source measured; for ``rev``, extract it and put it first on paths.

    The packages are installed editable (``.pth`` path entries), so ``PYTHONPATH`` entries
    take precedence over them in the commands, and ``sys.path`` in this process (services
    such as the fake dbt Cloud run here).
    """
    git = ["git", "-C", str(_REPO)]
    if rev is None:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        dirty = subprocess.run([*git, "status", "--porcelain", "packages"], capture_output=True)
        return f"{head.stdout.strip()}{' + uncommitted changes' if dirty.stdout else ''}", {}
    commit = subprocess.run(
        [*git, "rev-parse", "--short", rev], capture_output=True, text=True, check=True
    ).stdout.strip()
    snapshot = workdir / "source"
    snapshot.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run([*git, "archive", commit, "packages"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive.stdout, check=True)
    paths = [str(src) for src in sorted((snapshot / "packages").glob("*/src"))]
    sys.path[0:0] = paths
    return commit, {"PYTHONPATH": os.pathsep.join(paths)}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for subject in SUBJECTS.values():
            print(f"{subject.name:28} vs {subject.baseline or '-'}")
        return 0
    passes = _passes(args)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="floe-bench-"))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    source, source_env = _source(args.at_commit, workdir)
    json_path = args.json or _REPO / "bench" / "results" / f"bench-{stamp}.json"
    config = BenchConfig(
        workdir=workdir,
        threads=args.threads,
        layers=args.layers,
        fan_in=args.fan_in,
        tests_per_model=args.tests_per_model,
        rows=args.rows,
        sleep_ms=args.sleep_ms,
        seed=args.seed,
        timeout=args.timeout,
        env=source_env,
    )
    started = time.perf_counter()
    try:
        sizes = run_benchmarks(config, passes, args.warehouse)
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    meta: dict[str, Any] = {
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "versions": _versions(),
        "floe_source": source,
        "repetitions": ", ".join(f"{p.models}: {p.repetitions}" for p in passes),
        "threads": args.threads,
        "warehouse": args.warehouse,
        "elapsed_seconds": time.perf_counter() - started,
        "json_path": str(
            json_path.relative_to(_REPO) if json_path.is_relative_to(_REPO) else json_path
        ),
    }
    document = to_json(meta, sizes)
    write_json(json_path, document)
    if not args.no_markdown:
        write_markdown(args.markdown, render_markdown([meta], sizes))
    print(f"bench: wrote {json_path}" + ("" if args.no_markdown else f" and {args.markdown}"))
    return (
        1
        if any(r["failures"] or r["error"] for s in document["sizes"] for r in s["results"])
        else 0
    )


if __name__ == "__main__":
    raise SystemExit(main())
