# The two commands: `make demo` and `make test`. Each bootstraps the virtualenv on first use
# from the pinned lock file; nothing else needs to be installed (no Docker, no database).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

.PHONY: demo test bench install lock clean-state

# --compile-bytecode: every package's .pyc is written once, here. Where PYTHONDONTWRITEBYTECODE
# is set (it is on the 2-core machines the README's figures come from) Python never writes them,
# and every process that imports Airflow, Cosmos, dbt and Great Expectations compiled them from
# source again: 12-13 s of CPU instead of 5.7 s per such process (each Airflow task, dag.test).
$(STAMP): requirements.lock pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==0.13.8
	$(UV) pip sync --quiet --compile-bytecode --python $(PY) requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/infopositie demo

test: $(STAMP)
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) -m bench.ingest_vs_copy
	$(PY) -m bench.platform

# Re-resolve the pins (needs the package registry); commit the result.
lock:
	$(UV) pip compile requirements.in --python-version 3.11 -o requirements.lock

# Throw away local runtime state (warehouse data, landing zone, keys).
clean-state:
	-$(VENV)/bin/infopositie warehouse stop
	rm -rf .infopositie
