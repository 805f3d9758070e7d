"""CLI start-up: ``floe --help``, ``floe plugins list`` and ``floe validate`` vs ``dbt --help``.

    .venv/bin/python -m bench.startup [--rounds 7] [--before REV]

Each round runs every subject once, in order (interleaved, so machine noise hits all alike);
the report gives each subject's median wall time and its ratio to the median of
``dbt --help`` measured in the same run. ``floe validate`` checks the repository's
``platform-manifest.yaml`` (the example project on DuckDB). Targets (issue 12):
``floe --help`` and ``floe plugins list`` <= 0.15x ``dbt --help``, ``floe validate`` <= 0.5x.

``--before REV`` also runs each floe subject with floe's packages as committed at REV
(``git archive`` on ``PYTHONPATH``, as ``python -m bench --at-commit`` does), in the same
rounds, for before/after figures from one run.
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


def measure(rounds: int, variants: dict[str, dict[str, str]]) -> dict[str, list[float]]:
    """Samples per ``subject`` (``dbt --help``) or ``subject @ variant`` (floe's)."""
    runs: list[tuple[str, list[str], dict[str, str]]] = []
    for name, (command, target) in SUBJECTS.items():
        if target is None:  # the baseline: floe's sources do not matter
            runs.append((name, command, next(iter(variants.values()))))
        else:
            runs.extend((f"{name} @ {label}", command, env) for label, env in variants.items())
    for _, command, env in runs:  # warm the OS file cache; not timed
        _time(command, env)
    samples: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    for _ in range(rounds):
        for name, command, env in runs:
            samples[name].append(_time(command, env))
    return samples


def report(samples: dict[str, list[float]]) -> str:
    baseline = statistics.median(samples["dbt --help"])
    lines = [
        "| command | median wall | x `dbt --help` | target |",
        "| --- | --- | --- | --- |",
    ]
    for name, values in samples.items():
        target = SUBJECTS[name.split(" @ ")[0]][1]
        median = statistics.median(values)
        ratio = median / baseline
        verdict = (
            "" if target is None else f"<= {target}x " + ("met" if ratio <= target else "missed")
        )
        lines.append(f"| `{name}` | {median:.2f} s | {ratio:.2f}x | {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--before", metavar="REV", help="also floe's packages as committed at REV")
    args = parser.parse_args(argv)
    variants = {"working tree": dict(os.environ)}
    with tempfile.TemporaryDirectory(prefix="floe-startup-") as scratch:
        if args.before:
            path = _sources_at(args.before, Path(scratch))
            variants[args.before] = {**os.environ, "PYTHONPATH": path}
        samples = measure(args.rounds, variants)
    print(f"{args.rounds} interleaved rounds, load average {os.getloadavg()[0]:.1f}")
    print(report(samples))


if __name__ == "__main__":
    main()
