# touchline: every target bootstraps itself from a fresh clone (creates .venv, installs, starts what it needs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
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

install: $(STAMP) ## create .venv and install touchline with its test tools

demo: install ## embedded PostgreSQL, ingest API, EVENTS synthetic events over HTTP, the whole pipeline, a summary
	@$(BIN)/touchline demo --events $(EVENTS)

dev: install ## the ingest API and the Dagster UI on localhost; Ctrl-C stops both
	@$(BIN)/touchline dev

test: install ## pytest against a real PostgreSQL (embedded, or DATABASE_URL's server), own database per session
	@$(BIN)/pytest -q

stop: ## stop the embedded PostgreSQL and anything `make dev` left running
	@if [ -x $(BIN)/touchline ]; then $(BIN)/touchline stop; else echo "nothing to stop"; fi
