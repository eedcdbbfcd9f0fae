# chatbatch — developer commands. Everything runs from .venv (Python 3.12, created on first use).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv dev test bench clean demo

venv: $(STAMP)

$(STAMP): requirements-dev.txt layers/common/requirements.txt pyproject.toml
	@python_bin="$$(scripts/find-python)" && test -n "$$python_bin"; \
	 [ -x $(PY) ] || "$$python_bin" -m venv $(VENV)
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

## make bench: benchmarks, printed as tables
bench: venv
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .aws-sam
