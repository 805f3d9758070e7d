"""CLI start-up: ``floe --help``, ``floe plugins list`` and ``floe validate`` vs ``dbt --help``.

    .venv/bin/python -m bench.startup [--rounds 7] [--at-commit REV]

Each round runs every subject once, in order (interleaved, so machine noise hits all alike);
the report gives each subject's median wall time and its ratio to the median of
``dbt --help`` measured in the same run. ``floe validate`` checks the repository's
``platform-manifest.yaml`` (the example project on DuckDB). Targets (issue 12):
``floe --help`` and ``floe plugins list`` <= 0.15x ``dbt --help``, ``floe validate`` <= 0.5x.

``--at-commit REV`` measures floe's packages as committed at REV (``git archive`` on
``PYTHONPATH``, as ``python -m bench --at-commit`` does), for before/after figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
_BIN = Path(sys.executable).parent

_FLOE = [sys.executable, "-c", "from floe_core.cli import main; main()"]
SUBJECTS: dict[str, tuple[list[str], float | None]] = {
    "dbt --help": ([str(_BIN / "dbt"), "--help"], None),
    "floe --help": ([*_FLOE, "--help"], 0.15),
    "floe plugins list": ([*_FLOE, "plugins", "list"], 0.15),
    "floe validate": ([*_FLOE, "validate", "--manifest", "platform-manifest.yaml"], 0.5),
}
"""Name -> (command, target as a fraction of ``dbt --help``). floe runs as the console
script does, through ``python -c``, so that ``--at-commit`` sources on ``PYTHONPATH`` win."""


def _time(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=_REPO, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _sources_at(commit: str, into: Path) -> str:
    archive = subprocess.run(
        ["git", "archive", commit, "packages"], cwd=_REPO, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return os.pathsep.join(str(src) for src in sorted(into.glob("packages/*/src")))


def measure(rounds: int, env: dict[str, str]) -> dict[str, list[float]]:
    for command, _ in SUBJECTS.values():  # warm the OS file cache; not timed
        _time(command, env)
    samples: dict[str, list[float]] = {name: [] for name in SUBJECTS}
    for _ in range(rounds):
        for name, (command, _) in SUBJECTS.items():
            samples[name].append(_time(command, env))
    return samples


def report(samples: dict[str, list[float]]) -> str:
    baseline = statistics.median(samples["dbt --help"])
    lines = [
        "| command | median wall | x `dbt --help` | target |",
        "| --- | --- | --- | --- |",
    ]
    for name, (_, target) in SUBJECTS.items():
        median = statistics.median(samples[name])
        ratio = median / baseline
        verdict = (
            "" if target is None else f"<= {target}x " + ("met" if ratio <= target else "missed")
        )
        lines.append(f"| `{name}` | {median:.2f} s | {ratio:.2f}x | {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--at-commit", metavar="REV", help="floe's packages as committed at REV")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="floe-startup-") as scratch:
        if args.at_commit:
            env["PYTHONPATH"] = _sources_at(args.at_commit, Path(scratch))
        samples = measure(args.rounds, env)
    load = os.getloadavg()[0]
    print(f"{args.rounds} interleaved rounds, load average {load:.1f}")
    print(report(samples))


if __name__ == "__main__":
    main()
