# Cunguan: `make demo` runs a simulated business day on embedded SQLite; `make test` runs every
# check (lint, types, layer contracts, unit, integration on SQLite and PostgreSQL, end to end).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint bench bench-day clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cunguan demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: lint
	./scripts/ensure-chromium
	$(BIN)/pytest

bench: $(STAMP)
	./scripts/ensure-wrk
	$(BIN)/python -m bench.run

# The whole 3,000,000-operation custody day on PostgreSQL and on SQLite, each then closed
# (~25 min).
bench-day: $(STAMP)
	$(BIN)/python -m bench.custody_day

clean:
	rm -rf $(VENV) cunguan-demo.db* cunguan-clearing-demo.db* .pytest_cache .mypy_cache .ruff_cache .hypothesis
