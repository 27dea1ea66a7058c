# Two entry points for a fresh machine with Python 3.11 and make:
#   make demo   - create .venv, install pinned dependencies, run the demo crawl
#   make test   - same set-up, then the whole test suite
# For contributors: make lint, make test-fast (skips the slow end-to-end tests), make docs, make bench,
# make scale-demo (the distributed setup on this machine).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PY_DIRS := crawlers nlp pipeline flows tests bench tools

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: demo test test-fast lint docs install clean bench scale-demo

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cityfacts demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/python -m compileall -q $(PY_DIRS) >/dev/null
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/mypy

docs: $(STAMP)
	$(BIN)/cityfacts schema > docs/schema.md
	$(BIN)/python -m flows.cli_docs > docs/cli.md

clean:
	rm -rf $(VENV) cityfacts.duckdb .pytest_cache .mypy_cache .ruff_cache

# Redis, PostgreSQL, a Prefect server and two workers on loopback (needs apt's redis-server and postgresql).
scale-demo: $(STAMP)
	$(BIN)/python -m flows.scale_demo

bench: $(STAMP)
	$(BIN)/python -m bench
