# floe: two commands on a fresh machine with Python 3.11 — `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
PACKAGES := packages/floe-core packages/floe-dbt-inprocess packages/floe-dbt-local packages/floe-dbt-cloud packages/floe-dbt-temporal
STAMP := $(VENV)/.installed
# The example third-party runtime: installed for its tests only, as an author would.
EXAMPLE_RUNTIME := tests/plugin_kit/subprocess_runtime

.PHONY: install demo test lint typecheck pytest bench clean

$(STAMP): $(foreach p,$(PACKAGES),$(p)/pyproject.toml) $(EXAMPLE_RUNTIME)/pyproject.toml requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip install --python $(BIN)/python --quiet $(foreach p,$(PACKAGES),-e $(p)) -e $(EXAMPLE_RUNTIME) -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/floe build --manifest platform-manifest.yaml

lint: install
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
