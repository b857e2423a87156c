# touchline: every target bootstraps itself from a fresh clone (creates .venv, installs, starts what it needs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SDK_CLIENTS := tests/sdk_clients
NPM_STAMP := $(SDK_CLIENTS)/node_modules/.installed-stamp
EVENTS ?= 50000
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export DO_NOT_TRACK := 1
export DAGSTER_DISABLE_TELEMETRY := 1
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: install demo dev test lint fmt stop bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat
	@touch $(STAMP)

# The real SDK packages the tests drive, at the versions package-lock.json pins; skipped with a note
# without npm. `npm install` rather than `npm ci`: npm 11's ci refuses this lock (it lacks the optional
# platform builds of msgpackr-extract, a dependency of rudder-sdk-node's queue), install keeps it as is.
$(NPM_STAMP): $(SDK_CLIENTS)/package.json $(SDK_CLIENTS)/package-lock.json
	@if command -v npm >/dev/null; then \
		cd $(SDK_CLIENTS) && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.installed-stamp; \
	else echo "npm not found: the SDK tests will be skipped (install Node.js 20 and npm)"; fi

install: $(STAMP) $(NPM_STAMP) ## create .venv and install touchline with its test tools (and the SDKs the tests drive)

demo: install ## embedded PostgreSQL, ingest API, EVENTS synthetic events over HTTP, the whole pipeline, a summary
	@$(BIN)/touchline demo --events $(EVENTS)

dev: install ## the ingest API and the Dagster UI on localhost; Ctrl-C stops both
	@$(BIN)/touchline dev

test: lint ## the linters, then pytest against a real PostgreSQL (embedded, or DATABASE_URL's server)
	@$(BIN)/pytest -q

# The SQL sqlfluff checks (.sqlfluff): core's with its %(name)s parameters and {{fragment}}s (placeholder
# templater), dbt's with Jinja (a templater cannot be set per folder, so two runs).
SQL_CORE := orchestration ingest_api/migrations ingest_api/queries
SQL_DBT := dbt_project/models dbt_project/tests
SQLFLUFF := $(BIN)/sqlfluff
SQLFLUFF_OPTS := --processes 2 --disable-progress-bar

lint: install ## ruff (lint and format check) and sqlfluff (core and dbt SQL); fails on any violation
	@$(BIN)/ruff check --quiet .
	@$(BIN)/ruff format --check --quiet .
	@$(SQLFLUFF) lint $(SQLFLUFF_OPTS) --templater placeholder $(SQL_CORE)
	@$(SQLFLUFF) lint $(SQLFLUFF_OPTS) --templater jinja $(SQL_DBT)

fmt: install ## apply the formatters: ruff --fix, ruff format, sqlfluff fix
	@$(BIN)/ruff check --fix --quiet . || true
	@$(BIN)/ruff format --quiet .
	@$(SQLFLUFF) fix $(SQLFLUFF_OPTS) --templater placeholder $(SQL_CORE) || true
	@$(SQLFLUFF) fix $(SQLFLUFF_OPTS) --templater jinja $(SQL_DBT) || true

stop: ## stop the embedded PostgreSQL and anything `make dev` left running
	@if [ -x $(BIN)/touchline ]; then $(BIN)/touchline stop; else echo "nothing to stop"; fi
