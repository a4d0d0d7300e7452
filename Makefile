# Causerie's tasks. `make run` and `make test` each set up everything they need on a fresh machine.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
CATALOGS := cms/translations
# The version of uv that `make lock` resolves with (it never installs anything into .venv).
UV_VERSION := 0.13.9

.PHONY: run serve author test test-latest test-stress test-postgres install install-dev lock translations messages browser checkers lint clean bench bench-quick nginx

# Everything comes from the committed lock (requirements/*.txt, with hashes): the versions the suite
# ran on, never whatever is newest today; pip refuses a dependency the lock does not name.
# run.txt is what serving needs; dev.txt adds the test and lint tools at the same versions.
# A changed lock builds the environment anew, so nothing the lock dropped stays installed.
define fresh_venv
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(1)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
endef

$(VENV)/.installed-run: requirements/run.txt
	$(call fresh_venv,requirements/run.txt)
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt requirements/run.txt
	$(call fresh_venv,requirements/dev.txt)
	touch $(VENV)/.installed-run $@

# Re-resolve the ranges of pyproject.toml into the lock. An upgrade is then a reviewed commit
# with the suite green (`make lock test`), never a surprise on the next machine.
lock:
	test -x .tools/bin/uv || { $(PYTHON) -m venv .tools && .tools/bin/pip install --quiet uv==$(UV_VERSION); }
	.tools/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	  --extra postgres --output-file requirements/run.txt pyproject.toml requirements/build.in
	.tools/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	  --extra postgres --extra dev --constraint requirements/run.txt \
	  --output-file requirements/dev.txt pyproject.toml requirements/build.in

install: $(VENV)/.installed-run translations

# The development set: install plus pytest, Playwright, hypothesis, ruff and bandit.
install-dev: $(VENV)/.installed-dev install

# Compiled catalogues (.mo) are build products: never edited, never committed.
translations: $(VENV)/.installed-run
	$(BIN)/pybabel compile --domain messages --directory $(CATALOGS) --use-fuzzy 2>&1 | grep -v '^compiling' || true

# After changing user-visible strings: extract them and merge them into every catalogue. Each
# catalogue keeps its header, whose Plural-Forms says how many forms a count has in its language.
messages: $(VENV)/.installed-run
	$(BIN)/pybabel -q extract --mapping babel.cfg --keywords _l --no-location --sort-output \
	  --project Causerie --version 0.1 --copyright-holder "Causerie's authors" \
	  --output $(CATALOGS)/messages.pot cms templates templates/_macros
	$(BIN)/pybabel -q update --input-file $(CATALOGS)/messages.pot --output-dir $(CATALOGS) \
	  --no-fuzzy-matching --ignore-pot-creation-date
	$(BIN)/python scripts/complete-english-catalogue $(CATALOGS)/en/LC_MESSAGES/messages.po

# The development server, in this terminal until Ctrl+C: `make run PORT=8080 HOST=0.0.0.0` to change.
run: install
	$(FLASK) init
	@$(BIN)/python scripts/check-port $(HOST) $(PORT)
	$(FLASK) run --host $(HOST) --port $(PORT)

# An author who can log in: `make author NAME=alice` (asks for the password twice).
# NAME reaches the shell as an environment variable, so quotes or a $ in it stay as typed.
author: install
	@test -n "$$NAME" || { echo 'Say who: make author NAME=alice'; exit 2; }
	$(FLASK) create-author "$$NAME"

# The production server: gunicorn on 127.0.0.1:8000 (deploy/gunicorn.conf.py), behind nginx.
serve: install
	$(FLASK) init
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py app:app

browser:
	scripts/install-chromium

# Debian's nginx, for the slow-client test in tests/stress (it runs deploy/nginx.conf itself).
nginx:
	scripts/install-nginx

# The Nu Html Checker (vnu-jar, with Debian's Java) and axe-core, from package.json.
checkers:
	scripts/install-checkers

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -ll -r cms app.py deploy scripts

# tests/stress (servers and imports killed at random moments; about a minute) runs on its own in
# `make test-stress`, which CI runs after this.
test: install-dev browser checkers lint
	$(BIN)/python -m pytest --ignore=tests/stress

# The newest versions pyproject.toml's ranges allow, in a separate environment: shows a coming
# break before `make lock` brings it in. Not run by CI.
test-latest: translations browser checkers
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/pip install --quiet --upgrade pip
	.venv-latest/bin/pip install --quiet --upgrade -e '.[dev,postgres]'
	.venv-latest/bin/pip list --format=freeze
	.venv-latest/bin/python -m pytest --ignore=tests/stress

# On SQLite, then on a throwaway PostgreSQL server (scripts/with-postgres); the second pass runs
# even when the first fails, and the target fails if either did. A few minutes in all.
test-stress: install-dev nginx
	status=0; \
	$(BIN)/python -m pytest -q -p no:logging tests/stress || status=$$?; \
	scripts/with-postgres $(BIN)/python -m pytest -q -p no:logging tests/stress || status=$$?; \
	exit $$status

# The suite again on a throwaway PostgreSQL server (scripts/with-postgres installs Debian's
# postgresql when it is missing); the browser tests do not depend on the database.
test-postgres: install-dev checkers
	scripts/with-postgres $(BIN)/python -m pytest -q -m 'not browser' --ignore=tests/stress

# The benchmark (bench/README.md): a realistic site loaded with wrk, nginx as the reference, then
# 100,000 posts for the scaling figures. Takes about ten minutes; not part of `make test`.
bench: install-dev
	bench/install-tools
	$(BIN)/python -m bench.run --scale

# A few seconds per page with a small Python client (no wrk, no nginx): what the suite runs.
bench-quick: install-dev
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) .venv-latest .tools .pytest_cache .ruff_cache
