# Causerie's tasks. `make run` and `make test` each set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
CATALOGS := cms/translations

.PHONY: run test install translations messages browser lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations

# Compiled catalogues (.mo) are build products: never edited, never committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --domain messages --directory $(CATALOGS) --use-fuzzy 2>&1 | grep -v '^compiling' || true

# After changing user-visible strings: extract them and merge them into every catalogue.
messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract --mapping babel.cfg --keywords _l --no-location --sort-output --omit-header --output $(CATALOGS)/messages.pot cms templates templates/_macros
	$(BIN)/pybabel -q update --input-file $(CATALOGS)/messages.pot --output-dir $(CATALOGS) --no-fuzzy-matching --omit-header

run: install
	$(FLASK) init
	$(FLASK) run --host 127.0.0.1 --port 5000

browser:
	scripts/install-chromium

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install browser lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
