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

.PHONY: install demo dev test stop bench

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

test: install ## pytest against a real PostgreSQL (embedded, or DATABASE_URL's server), own database per session
	@$(BIN)/pytest -q

stop: ## stop the embedded PostgreSQL and anything `make dev` left running
	@if [ -x $(BIN)/touchline ]; then $(BIN)/touchline stop; else echo "nothing to stop"; fi
