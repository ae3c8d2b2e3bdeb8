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

.PHONY: help setup demo local test lint format typecheck test-unit test-integration test-e2e test-faults check-security bench clean

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt functions/requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip==25.3 2> >(grep -v '^WARNING: Location' >&2)
	@$(PIP) install -r requirements-dev.txt 2> >(grep -v '^WARNING: Location' >&2)
	@# The operator CLI's console script (cognito-reset), from this checkout; its dependencies are pinned above.
	@$(PIP) install --no-deps --no-build-isolation --editable . 2> >(grep -v '^WARNING: Location' >&2)
	@touch $@

setup: $(STAMP) ## create or reuse .venv with the pinned dependencies

demo: $(STAMP) ## the whole system on a local AWS (moto on 127.0.0.1), provisioned from the synthesized stack
	@$(PY) -m local_aws.harness.demo

local: $(STAMP) ## keep the local system running (Ctrl-C stops it), its pool on SES out of the sandbox; ARGS="--ses-sandbox lena@example.com" or ARGS="--cognito-sender"
	@$(PY) -m local_aws.harness.local $(ARGS)

test: lint typecheck test-unit test-integration test-e2e test-faults test-preview test-infra ## ruff, mypy and every test suite

lint: $(STAMP) ## ruff check + format check
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: $(STAMP) ## apply ruff's fixes and formatting
	@$(BIN)/ruff check --fix .
	@$(BIN)/ruff format .

typecheck: $(STAMP) ## mypy, strict
	@$(BIN)/mypy functions message_tooling local_aws fault_injection tests infra bench cognito_reset app.py

test-unit: $(STAMP) ## unit tests: in-memory fakes, sockets blocked
	@$(PYTEST) $(XDIST) tests/unit --disable-socket

test-integration: $(STAMP) ## the real handlers against a moto server over HTTP on 127.0.0.1
	@$(PYTEST) $(XDIST) tests/integration

# The unit, integration, e2e and fault suites run on two workers (pytest-xdist; all but the first spend much of their
# time waiting, each worker with its own local account): about a third off. The infra suite runs in one process, which
# synthesizes once (two workers would synthesize twice and gain nothing). PARALLEL=0 runs them all in one process.
# A fault scenario is run once per module and judged by several tests: the fault suite is shared out by file, so each
# runs on one worker only.
PARALLEL ?= 2
XDIST := $(if $(filter 0,$(PARALLEL)),,-n $(PARALLEL))
XDIST_BY_FILE := $(if $(filter 0,$(PARALLEL)),,-n $(PARALLEL) --dist loadfile)

test-e2e: $(STAMP) ## the demo's system end to end: EventBridge, Cognito + trigger, Step Functions Retry/Catch, DLQ
	@$(PYTEST) $(XDIST) tests/e2e

# FAULTS_SEED=<n> replays a seed.
test-faults: $(STAMP) ## exactly once under faults: resets through a fault-injecting proxy (Cognito and the dedupe table), concurrent duplicates
	@$(PYTEST) $(XDIST_BY_FILE) tests/faults

check-security: $(STAMP) $(NODE_STAMP) $(WHEELS_STAMP) ## cdk-nag, cfn-lint, IAM, faults, any input, log privacy: one line per suite
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(PY) tests/security_report.py

# The custom message trigger: preview every message, check it in a real browser, measure its cold start.
CHROMIUM := /usr/bin/chromium
.PHONY: preview browser test-preview

preview: $(STAMP) ## render every custom message (brand x locale x message) into out/preview/; MESSAGE_PACK=dir merges yours
	@$(PY) -m message_tooling.preview --out out/preview $(if $(MESSAGE_PACK),--pack "$(MESSAGE_PACK)")

bench: $(STAMP) $(WHEELS_STAMP) ## the trigger's cold start and warm rendering; resets at Cognito's quota and SES's send rate, and a simulated 25-container fleet (lines + bench/results/)
	@$(PY) -m bench.custom_message_speed --runs 5 --warm-calls 2000
	@$(PY) -m bench.bulk_speed

browser: ## install Debian's chromium for the preview test, if it is missing
	@test -x $(CHROMIUM) || { apt-get update && apt-get install -y --no-install-recommends chromium; }

test-preview: $(STAMP) browser ## open the rendered preview in headless Chromium (screenshots land in out/preview/)
	@REQUIRE_CHROMIUM=1 $(PYTEST) tests/preview

# The CDK app (infra/, app.py): synth needs no AWS credentials, no Docker, and no network once the pinned CLI and the
# Lambda wheels are downloaded (npm ci, make wheels).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
NODE_STAMP := node_modules/.installed
# Lambda's platform (python3.14, arm64); infra/bundling.py installs from this folder, and only from it.
LAMBDA_WHEELS := build/lambda-wheels/cp314-manylinux2014_aarch64
WHEELS_STAMP := $(LAMBDA_WHEELS)/.downloaded
.PHONY: wheels synth test-infra

$(NODE_STAMP): package.json package-lock.json
	@npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

$(WHEELS_STAMP): functions/requirements.txt | $(STAMP)
	@rm -rf $(LAMBDA_WHEELS) && mkdir -p $(LAMBDA_WHEELS)
	@$(PIP) download --no-deps --only-binary=:all: --platform manylinux2014_aarch64 --python-version 3.14 \
		--implementation cp --dest $(LAMBDA_WHEELS) -r functions/requirements.txt 2> >(grep -v '^WARNING: Location' >&2)
	@touch $@

wheels: $(WHEELS_STAMP) ## download the pinned Lambda wheels (arm64, Python 3.14) that synth bundles, once

synth: $(STAMP) $(NODE_STAMP) $(WHEELS_STAMP) ## cdk.out via the pinned CDK CLI, functions bundled without Docker
	@PATH="$(CURDIR)/$(BIN):$$PATH" npx --no-install cdk synth --quiet

test-infra: $(STAMP) $(NODE_STAMP) $(WHEELS_STAMP) ## the CDK stack: both variants synthesized, cdk-nag, cfn-lint, every IAM statement
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(PYTEST) tests/infra --disable-socket

clean: ## remove build output (keeps .venv)
	rm -rf cdk.out out build .mypy_cache .ruff_cache .pytest_cache .hypothesis
