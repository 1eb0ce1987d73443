# smsgate: `make serve` runs it, `make test` checks it. Both build .venv from pinned versions.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: serve test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python pyproject.toml constraints.txt
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(PIP_INSTALL) -e '.[test]'
	touch $@

serve: $(VENV)/.runtime
	$(BIN)/smsgate serve

lint: $(VENV)/.test
	$(BIN)/ruff check smsgate tests bench
	$(BIN)/ruff format --check smsgate tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

format: $(VENV)/.test
	$(BIN)/ruff check --fix smsgate tests bench
	$(BIN)/ruff format smsgate tests bench

bench: $(VENV)/.test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
