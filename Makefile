# The README's two commands: `make run` and `make test`. Each creates or refreshes
# .venv/ and installs the project into it, so both work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## run: the main job end to end, offline, on the bundled snapshot, then the digest of its latest week
run: install
	$(BIN)/owingest sources check
	$(BIN)/owingest ingest --replay snapshot --warehouse warehouse/owingest.duckdb
	$(BIN)/owingest digest --week latest --warehouse warehouse/owingest.duckdb

## test: the whole test suite
test: install
	$(BIN)/python -m pytest

## bench: the benchmark suite (about 6 minutes; see benchmarks/README.md)
bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/*.duckdb.wal .pytest_cache
