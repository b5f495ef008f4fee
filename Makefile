# Two commands do all the set-up on a fresh machine (Python 3.11 as python3):
#   make run    create .venv, install the project (the core: no extra), run the whole
#               pipeline (`kedro run`)
#   make test   the same set-up plus every extra (test, dev, server, spark, benchmarks),
#               then the test suite
#   make lint   ruff check and ruff format --check (CI runs it before the tests)
# VENV=path puts the venv elsewhere (CI's core stage: a fresh one for the core alone).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# No telemetry from Kedro (also refused by the committed .telemetry file) or MLflow.
export KEDRO_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1
export MLFLOW_DISABLE_TELEMETRY := true
# `mlflow models serve` and friends find uvicorn and the rest in the venv.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test install install-test lint clean server

run: install
	$(BIN)/kedro run

test: install-test
	$(BIN)/pytest

# What CI and the pre-commit hooks check: ruff's lint rules and its formatting.
LINTED := src tests benchmarks docs .ci

lint: install-test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test,dev,server,spark,benchmarks]"
	touch $@

# A team's MLflow server on PostgreSQL with logins, on 127.0.0.1:5000 (README, "A team's
# server"); the first start needs MLFLOW_AUTH_ADMIN_PASSWORD.
server: install
	$(BIN)/pip install --quiet -c constraints.txt -e ".[server]"
	$(BIN)/digit-pipeline server

clean:
	rm -rf $(VENV) mlflow.db mlruns/[0-9]* mlruns/models data/0[2-8]_*/[!.]*
