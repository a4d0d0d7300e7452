# Causerie's tasks. `make run` and `make test` each set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
CATALOGS := cms/translations

.PHONY: run serve test test-stress test-postgres install translations messages browser checkers lint clean bench bench-quick

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $@

install: $(VENV)/.installed translations

# Compiled catalogues (.mo) are build products: never edited, never committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --domain messages --directory $(CATALOGS) --use-fuzzy 2>&1 | grep -v '^compiling' || true

# After changing user-visible strings: extract them and merge them into every catalogue.
messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract --mapping babel.cfg --keywords _l --no-location --sort-output --omit-header --output $(CATALOGS)/messages.pot cms templates templates/_macros
	$(BIN)/pybabel -q update --input-file $(CATALOGS)/messages.pot --output-dir $(CATALOGS) --no-fuzzy-matching --omit-header
	$(BIN)/python scripts/complete-english-catalogue $(CATALOGS)/en/LC_MESSAGES/messages.po

run: install
	$(FLASK) init
	$(FLASK) run --host 127.0.0.1 --port 5000

# The production server: gunicorn on 127.0.0.1:8000 (deploy/gunicorn.conf.py), behind nginx.
serve: install
	$(FLASK) init
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py app:app

browser:
	scripts/install-chromium

# The Nu Html Checker (vnu-jar, with Debian's Java) and axe-core, from package.json.
checkers:
	scripts/install-checkers

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -ll -r cms app.py deploy scripts

# tests/stress (servers and imports killed at random moments; about a minute) runs on its own in
# `make test-stress`, which CI runs after this.
test: install browser checkers lint
	$(BIN)/python -m pytest --ignore=tests/stress

test-stress: install
	$(BIN)/python -m pytest -q -p no:logging tests/stress

# The suite again on a throwaway PostgreSQL server (scripts/with-postgres installs Debian's
# postgresql when it is missing); the browser tests do not depend on the database.
test-postgres: install checkers
	scripts/with-postgres $(BIN)/python -m pytest -q -m 'not browser' --ignore=tests/stress

# The benchmark (bench/README.md): a realistic site loaded with wrk, nginx as the reference, then
# 100,000 posts for the scaling figures. Takes about ten minutes; not part of `make test`.
bench: install
	bench/install-tools
	$(BIN)/python -m bench.run --scale

# A few seconds per page with a small Python client (no wrk, no nginx): what the suite runs.
bench-quick: install
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
