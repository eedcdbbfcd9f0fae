# chatbatch — developer commands. Everything runs from .venv (Python 3.12, created on first use).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv dev test test-fast chaos bench clean demo sam build deploy lint format clean-dev checkov checkov-venv

venv: $(STAMP)

$(STAMP): requirements-dev.txt layers/common/requirements.txt pyproject.toml
	@python_bin="$$(scripts/find-python)" && \
	 { [ -x $(PY) ] || "$$python_bin" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -e .
	@touch $@

## make dev: the whole pipeline locally (Postgres, API on PORT=3000, ...); Ctrl-C stops it
dev: venv
	$(VENV)/bin/chatbatch dev

## make demo: three bubbles to a running `make dev`; prints the one reply and the room's history
demo: venv
	$(PY) -m chatbatch_local.demo $(DEMO_ARGS)

## make test: the whole suite; starts a throwaway Postgres unless DATABASE_URL is set
test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

## make test-fast: the suite without the tests marked slow (make dev stacks, browsers, fuzzers, benchmarks)
test-fast: venv
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

## make chaos: a seeded bursty trace through make dev under injected faults, a table per scenario (docs/reliability.md)
chaos: venv
	$(PY) -m chatbatch_local.chaos $(CHAOS_ARGS)

## make bench: benchmarks, printed as tables
bench: venv
	$(PY) -m bench $(BENCH_ARGS)

## --- deploy (AWS SAM). The SAM CLI lives in its own virtualenv: its pins must not fight the project's.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)
ENV ?= dev
# sam build looks for "python3.12" on PATH (the Lambda runtime's version); find-python knows where it is.
SAM_RUN = PYTHON_DIR="$$(dirname "$$(scripts/find-python)")" && PATH="$$PYTHON_DIR:$$PATH" SAM_CLI_TELEMETRY=0 \
	AWS_DEFAULT_REGION="$${AWS_DEFAULT_REGION:-$${AWS_REGION:-us-east-1}}" $(SAM)

sam: $(SAM_STAMP)

$(SAM_STAMP):
	@python_bin="$$(scripts/find-python)" && test -n "$$python_bin"; \
	 [ -x $(SAM_VENV)/bin/python ] || "$$python_bin" -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION)
	@touch $@

## make build: sam build (arm64 layer + functions into .aws-sam/, no container needed)
build: sam
	$(SAM_RUN) build

## make deploy [ENV=dev|prod]: sam deploy with samconfig.toml's environment (first time: see docs/deploy.md)
deploy: build
	$(SAM_RUN) deploy --config-env $(ENV)

## --- checkov (IaC security scanner) in its own virtualenv too: its pins (boto3, networkx, ...) would fight ours.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
# Offline: no policy download from the Bridgecrew/Prisma platform, no API key, no update check; a failed check
# fails the run.
CHECKOV_RUN = env -u BC_API_KEY CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE \
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --skip-download --compact --quiet

checkov-venv: $(CHECKOV_STAMP)

$(CHECKOV_STAMP):
	@python_bin="$$(scripts/find-python)" && test -n "$$python_bin"; \
	 [ -x $(CHECKOV_VENV)/bin/python ] || "$$python_bin" -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	@touch $@

## make checkov: checkov on template.yaml; each check it fails is fixed, or skipped in the template with its reason
checkov: checkov-venv
	$(CHECKOV_RUN)

## make lint: ruff (lint + format check) on the code, sam validate --lint, cfn-lint and checkov on template.yaml
lint: venv sam checkov-venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(SAM_RUN) validate --lint --template-file template.yaml
	$(VENV)/bin/cfn-lint template.yaml
	$(CHECKOV_RUN)

## make format: ruff's formatter and safe fixes, in place
format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make clean-dev: wipe make dev's local data (.dev: Postgres cluster, stack file); refuses while make dev runs
clean-dev: venv
	@$(VENV)/bin/chatbatch clean-dev

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .pytest_cache .aws-sam
