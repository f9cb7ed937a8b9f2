# The README's two commands: `make outputs` builds everything, `make test` runs the tests.
# Both set up what they need first (a venv in .venv/, system packages via apt-get as root).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup setup-test system-build system-test outputs test test-fast bench clean

setup: system-build $(STAMP)

setup-test: system-test $(STAMP) $(NODE_STAMP)

system-build:
	@scripts/system-deps.sh build

system-test:
	@scripts/system-deps.sh test

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

outputs: setup
	$(BIN)/handouts build

# Tests run on every core, at most four (pytest-xdist), a test module per worker so that its fixtures
# are built once; outputs shared across modules are built once under a lock (conftest.py).
test: setup-test
	HANDOUTS_NO_SKIPS=1 $(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile

# The fast loop: everything but the tests that build real PDFs, EPUBs, narration or a library.
test-fast: setup-test
	HANDOUTS_NO_SKIPS=1 $(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile -m "not slow"

bench: setup
	$(BIN)/python bench/benchmark.py

clean:
	rm -rf outputs .cache
