from __future__ import annotations

from bench.startup import report


def test_report_gives_medians_ratios_to_dbt_help_and_verdicts() -> None:
    samples = {
        "dbt --help": [4.0, 2.0, 3.0],
        "floe --help @ working tree": [0.3, 0.2, 0.4],
        "floe plugins list @ abc123": [1.0, 0.9, 0.8],
        "floe validate @ working tree": [1.2, 1.5, 1.0],
    }
    lines = report(samples).splitlines()
    assert lines[2] == "| `dbt --help` | 3.00 s | 1.00x |  |"
    assert lines[3] == "| `floe --help @ working tree` | 0.30 s | 0.10x | <= 0.15x met |"
    assert lines[4] == "| `floe plugins list @ abc123` | 0.90 s | 0.30x | <= 0.15x missed |"
    assert lines[5] == "| `floe validate @ working tree` | 1.20 s | 0.40x | <= 0.5x met |"
