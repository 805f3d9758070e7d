"""Sources dbt 1.11 leaves out of sources.json, read back from a step log as dbt Cloud keeps
it (dbt's console format: a timestamp on each event's first line)."""

from __future__ import annotations

from floe_dbt_cloud._freshness import with_runtime_errors

_LOG = """\
14:36:20  Running with dbt=1.11.16
14:36:21  1 of 3 START freshness of feeds.broken ..................................... [RUN]
14:36:21  2 of 3 START freshness of feeds.fresh ...................................... [RUN]
14:36:21  3 of 3 START freshness of other.broken ..................................... [RUN]
14:36:21  1 of 3 ERROR freshness of feeds.broken ............................ [ERROR in 0.35s]
14:36:22
14:36:22    Runtime Error in source broken (models/feeds.yml)
  Catalog Error: Table with name broken does not exist!

  LINE 5:     from "w"."main"."broken"
14:36:22    Runtime Error in source broken (models/other.yml)
  Binder Error: column "loaded_at" not found
14:36:22  Done.
"""


def _source(source_name: str, name: str, path: str) -> dict[str, object]:
    return {
        "source_name": source_name,
        "name": name,
        "original_file_path": path,
        "freshness": {"warn_after": {"count": 1, "period": "day"}},
    }


_MANIFEST = {
    "sources": {
        "source.p.feeds.broken": _source("feeds", "broken", "models/feeds.yml"),
        "source.p.feeds.fresh": _source("feeds", "fresh", "models/feeds.yml"),
        "source.p.other.broken": _source("other", "broken", "models/other.yml"),
        "source.p.other.unchecked": _source("other", "unchecked", "models/other.yml"),
    }
}
_FRESH = {"unique_id": "source.p.feeds.fresh", "status": "pass"}


def test_checked_sources_missing_from_sources_json_are_runtime_errors_with_their_message() -> None:
    sources = with_runtime_errors({"results": [_FRESH]}, _MANIFEST, _LOG, selects_all=False)
    added = {entry["unique_id"]: entry for entry in sources["results"][1:]}
    assert set(added) == {"source.p.feeds.broken", "source.p.other.broken"}
    assert {entry["status"] for entry in added.values()} == {"runtime error"}
    assert added["source.p.feeds.broken"]["error"] == (
        "Runtime Error in source broken (models/feeds.yml)\n"
        "  Catalog Error: Table with name broken does not exist!\n\n"
        '  LINE 5:     from "w"."main"."broken"'
    )
    assert "loaded_at" in added["source.p.other.broken"]["error"]


def test_without_a_log_every_source_with_a_rule_counts_only_when_nothing_was_selected() -> None:
    everything = with_runtime_errors({"results": [_FRESH]}, _MANIFEST, "", selects_all=True)
    assert len(everything["results"]) == 4
    assert "see the step's log" in everything["results"][-1]["error"]
    selected = with_runtime_errors({"results": [_FRESH]}, _MANIFEST, "", selects_all=False)
    assert selected["results"] == [_FRESH]
