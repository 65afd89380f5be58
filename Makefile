# KvIP: `make run` serves the demo; `make test` runs ruff, lint-imports (the layers of
# ARCHITECTURE.md), mypy and the whole pytest suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Two workers: one per core (each gets its own database; see tests/conftest.py).
PYTEST_ARGS ?= -n 2
export FLASK_APP := kvip

.PHONY: run test install install-run lock lint typecheck pytest i18n i18n-update clean

# Installs come from the hashed lock files (pip-tools): requirements.txt for serving,
# requirements-dev.txt for the test toolchain. `make lock` regenerates both after a change
# to pyproject.toml's dependencies.
$(BIN)/python:
	@echo "==> Creating the virtual environment in $(VENV)"
	$(PYTHON) -m venv $(VENV)

$(BIN)/.installed-run: requirements.txt | $(BIN)/python
	@echo "==> Installing what serving needs (requirements.txt; about a minute the first time)"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on --require-hashes -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --no-deps -e .
	touch $@

$(BIN)/.installed: requirements-dev.txt $(BIN)/.installed-run
	@echo "==> Installing the test toolchain (requirements-dev.txt)"
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --require-hashes -r requirements-dev.txt
	touch $@

install-run: $(BIN)/.installed-run

install: $(BIN)/.installed

lock:
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
	  --no-emit-find-links -o requirements.txt pyproject.toml
	$(BIN)/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
	  --no-emit-find-links --extra dev -o requirements-dev.txt pyproject.toml

# One catalogue: kvip/translations/nb/LC_MESSAGES/messages.po (msgids are English; nb is the
# default locale, so every msgid needs an nb translation; tests/core/test_translations.py checks).
# `make i18n-update` after adding or changing strings: extract (babel.cfg) into messages.pot,
# merge into the nb catalogue (new strings arrive untranslated, never guessed as fuzzy; strings
# no longer used are dropped), then translate the empty msgstr "" entries and `make i18n`.
# No source locations and sorted msgids keep merges between branches small.
I18N_DIR := kvip/translations
i18n: install-run
	$(BIN)/pybabel compile --statistics -d $(I18N_DIR)

i18n-update: install-run
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project KvIP --copyright-holder KvIP -o $(I18N_DIR)/messages.pot .
	$(BIN)/pybabel update -i $(I18N_DIR)/messages.pot -d $(I18N_DIR) --no-fuzzy-matching --ignore-obsolete
	sed -i '/^"POT-Creation-Date:/d' $(I18N_DIR)/messages.pot $(I18N_DIR)/*/LC_MESSAGES/messages.po
	@msgfmt --check --statistics -o /dev/null $(I18N_DIR)/nb/LC_MESSAGES/messages.po 2>&1 || true

run: install-run i18n
	$(BIN)/flask db upgrade
	# Every edition folder in name order (kvip-2026 before kvip-2027, whose mapping needs it).
	for edition in standards/*/edition.yaml; do $(BIN)/flask standards load "$$(dirname "$$edition")" || exit 1; done
	# The questionnaires and the record audit of each edition that has them (after its edition).
	for folder in standards/*/instruments; do $(BIN)/flask surveys load "$$folder" || exit 1; done
	$(BIN)/flask demo load
	@# The job queue's worker (e-mail, daily reminders, exports) in the background; stopped
	@# with the web server (Ctrl+C, or the server ending for any reason).
	@$(BIN)/flask jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Running: the job worker (flask jobs worker, PID $$worker; queue in instance/jobs.sqlite3)"; \
	echo "Running: the web server (flask run); KvIP is on http://127.0.0.1:$(PORT)  (Ctrl+C stops both)"; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

lint: install
	$(BIN)/ruff check kvip tests tools benchmarks
	$(BIN)/ruff format --check kvip tests tools benchmarks
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install i18n
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) instance/*.sqlite3
