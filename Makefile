# calmdesk — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST := $(BIN)/pytest

.PHONY: help install demo test test-sqlite test-postgres lint format clean

help:
	@echo "make demo     install, migrate, load demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test     install and run every test suite (SQLite and PostgreSQL)"
	@echo "make lint     ruff, mypy and import-linter"
	@echo "make format   format the code with ruff"
	@echo "make install  create or update .venv (idempotent)"

# Idempotent: installs uv with pip when missing, then syncs .venv exactly to uv.lock.
install:
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || $(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv
	@UV_BIN=$$(command -v uv 2>/dev/null || echo "$(UV)"); \
	  "$$UV_BIN" sync --locked --quiet --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"

demo: install
	$(BIN)/calmdesk demo --port $(PORT)

# Every suite.  Outside CI a suite whose tool is missing (e.g. PostgreSQL) is skipped with a
# one-line reason; with CI=true any skip fails the run (see calmdesk.testing.pytest_plugin).
test: install
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	$(PYTEST) -q

test-postgres:
	$(PYTEST) -q --db=postgres tests/desk tests/channels tests/training tests/reports tests/connectors tests/imports tests/scale

lint: install
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format src tests scripts benchmarks
	$(BIN)/ruff check --fix src tests scripts benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
