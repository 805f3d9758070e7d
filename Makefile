# floe: two commands on a fresh machine with Python 3.11 — `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
PACKAGES := packages/floe-core packages/floe-dbt-inprocess packages/floe-dbt-local packages/floe-dbt-cloud packages/floe-dbt-temporal
STAMP := $(VENV)/.installed
# The example third-party runtime: not installed; its tests register it for themselves.
EXAMPLE_RUNTIME := tests/plugin_kit/subprocess_runtime

.PHONY: install lock lock-check demo test lint typecheck pytest bench clean

# Exactly what uv.lock pins (the packages editable, with the extras and tools pyproject.toml's
# root lists); `--frozen` never re-resolves, so every machine gets the same versions.
$(STAMP): pyproject.toml uv.lock $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --all-packages --python $(BIN)/python --quiet
	touch $(STAMP)

install: $(STAMP)

# After changing a dependency (any pyproject.toml): re-resolve, then commit uv.lock.
lock:
	test -x $(UV) || $(MAKE) install
	$(UV) lock

# Fails when a pyproject.toml changed without `make lock` (part of `make lint`).
lock-check: install
	$(UV) lock --check

demo: install
	$(BIN)/floe build --manifest platform-manifest.yaml

lint: lock-check
	$(BIN)/ruff check packages tests bench
	$(BIN)/ruff format --check packages tests bench

typecheck: install
	$(BIN)/mypy packages/floe-core/src packages/floe-dbt-inprocess/src packages/floe-dbt-local/src packages/floe-dbt-cloud/src packages/floe-dbt-temporal/src $(EXAMPLE_RUNTIME)/src bench

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .floe examples/*/target examples/*/logs
