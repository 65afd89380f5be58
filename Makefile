# KvIP: `make run` serves the demo; `make test` runs ruff, mypy and the whole pytest suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Two workers: one per core (each gets its own database; see tests/conftest.py).
PYTEST_ARGS ?= -n 2
export FLASK_APP := kvip

.PHONY: run test install lint typecheck pytest i18n clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

i18n: install
	$(BIN)/flask i18n compile

run: install i18n
	$(BIN)/flask db upgrade
	# Every edition folder in name order (kvip-2026 before kvip-2027, whose mapping needs it).
	for edition in standards/*/edition.yaml; do $(BIN)/flask standards load "$$(dirname "$$edition")" || exit 1; done
	$(BIN)/flask demo load
	@echo "KvIP is running on http://127.0.0.1:$(PORT)  (Ctrl+C stops it)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

lint: install
	$(BIN)/ruff check kvip tests tools benchmarks
	$(BIN)/ruff format --check kvip tests tools benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install i18n
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) instance/*.sqlite3
