# The project's front door. Every target installs what it needs by itself (virtualenv, pinned packages),
# so a fresh clone needs only `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Pip's own noise about this machine's extra package indexes is not ours to print.
PIP := $(PY) -m pip --disable-pip-version-check --no-input --quiet
PYTEST := $(PY) -m pytest -p no:cacheprovider
STAMP := $(VENV)/.installed

export AWS_EC2_METADATA_DISABLED := true

.PHONY: help setup demo test lint format typecheck test-unit test-integration bench clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt functions/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip==25.3 2> >(grep -v '^WARNING: Location' >&2)
	@$(PIP) install -r requirements-dev.txt 2> >(grep -v '^WARNING: Location' >&2)
	@touch $@

setup: $(STAMP) ## create or reuse .venv with the pinned dependencies

demo: $(STAMP) ## run the reset function against an embedded local AWS and show what happened
	@PYTHONPATH=functions:. $(PY) -m local_aws.demo

test: lint typecheck test-unit test-integration test-preview ## ruff, mypy and every test suite

lint: $(STAMP) ## ruff check + format check
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: $(STAMP) ## apply ruff's fixes and formatting
	@$(BIN)/ruff check --fix .
	@$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy, strict
	@$(BIN)/mypy functions local_aws tests

test-unit: $(STAMP) ## unit tests: in-memory fakes, sockets blocked
	@$(PYTEST) tests/unit --disable-socket

test-integration: $(STAMP) ## the real handlers against a moto server over HTTP on 127.0.0.1
	@$(PYTEST) tests/integration

# The custom message trigger: preview every message, check it in a real browser, measure its cold start.
FUNCTIONS_PATH := PYTHONPATH=functions
CHROMIUM := /usr/bin/chromium
.PHONY: preview browser test-preview

preview: $(STAMP) ## render every custom message (brand x locale x reason) into out/preview/ with an index page
	@$(FUNCTIONS_PATH) $(PY) -m custom_message.precompile
	@$(FUNCTIONS_PATH) $(PY) -m custom_message.preview --out out/preview

bench: $(STAMP) ## custom message trigger: cold start and warm rendering beside a Powertools baseline
	@$(PY) bench/custom_message_speed.py --runs 5 --warm-calls 2000

browser: ## install Debian's chromium for the preview test, if it is missing
	@test -x $(CHROMIUM) || { apt-get update && apt-get install -y --no-install-recommends chromium; }

test-preview: $(STAMP) browser ## open the rendered preview in headless Chromium (screenshots land in out/preview/)
	@REQUIRE_CHROMIUM=1 $(PYTEST) tests/preview

clean: ## remove build output (keeps .venv)
	rm -rf cdk.out out build .mypy_cache .ruff_cache .pytest_cache .hypothesis
