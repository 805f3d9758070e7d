"""floe benchmarks: floe against the dbt CLI, side by side, in one run.

Run ``python -m bench`` (``make bench``) for the default set; see ``bench/README.md``.
"""
