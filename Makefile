# Retain: `make demo` serves the product with a demo workspace; `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
SECRET_FILE := var/secret_key
PYTEST_WORKERS ?= 2
# The port `make demo` and `make serve` listen on (127.0.0.1 only): make demo PORT=8001
PORT ?= 8000

.PHONY: help demo serve install assets migrate lint typecheck test test-sqlite test-postgres bench soak clean

help:
	@echo "make demo   set everything up, build the demo workspace and serve it on http://127.0.0.1:8000"
	@echo "make test   lint, type-check and run the whole suite (SQLite, then PostgreSQL)"

$(UV):
	$(PYTHON) -m pip install --quiet --user 'uv>=0.5,<1'

# The virtualenv, with the exact versions in uv.lock.
$(BIN)/retain: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON) --quiet
	@touch $@

install: $(BIN)/retain

# Browser libraries from the npm registry (package.json + lock) into a git-ignored static folder.
assets:
	@scripts/build-assets

$(SECRET_FILE):
	@mkdir -p var
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@
	@chmod 600 $@

DEMO_ENV = RETAIN_SECRET_KEY=$$(cat $(SECRET_FILE)) RETAIN_SECURE_COOKIES=false

migrate: install $(SECRET_FILE)
	$(DEMO_ENV) $(BIN)/retain migrate --verbosity 0

demo: install assets migrate
	$(DEMO_ENV) $(BIN)/retain demo --bind 127.0.0.1:$(PORT)

serve: install assets migrate
	$(DEMO_ENV) $(BIN)/retain serve --bind 127.0.0.1:$(PORT)

# lint-imports: the apps import one way (the layers contract in pyproject.toml, docs/architecture.md).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy retain

test: install assets lint typecheck test-sqlite test-postgres

# Heavy benchmarks are marked `bench` and run only on request (make bench).
test-sqlite: install assets
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=25 -p no:cacheprovider -m "not bench"

# The database-touching suite again on PostgreSQL (browser tests aside: they exercise the UI, not
# the database; `embedded` tests aside: their processes use a SQLite file of their own whatever the
# suite's database, so a second run would repeat the first; `engine_neutral` tests aside: the access
# table, the classifier and the demo generator's statistics come out the same on either engine, and
# test_demo.py still builds a whole demo on PostgreSQL). Skipped with a clear line when no server is
# reachable, except under CI.
test-postgres: install
	@scripts/test-postgres $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=25 -p no:cacheprovider -m "not browser and not bench and not embedded and not engine_neutral"

# Speed against raw references, measured in the same run (docs/benchmarks.md).
bench: install $(SECRET_FILE)
	$(BIN)/pytest -m bench -p no:cacheprovider; status=$$?; test $$status -eq 0 -o $$status -eq 5
	$(DEMO_ENV) $(BIN)/retain bench ingest
	$(DEMO_ENV) $(BIN)/retain bench ingest --database postgres
	$(DEMO_ENV) $(BIN)/retain bench health
	$(DEMO_ENV) $(BIN)/retain bench health --database postgres
	$(DEMO_ENV) $(BIN)/retain bench playbooks
	$(DEMO_ENV) $(BIN)/retain bench playbooks --database postgres

# Several web and worker processes behind nginx on PostgreSQL and Redis, under load and faults, for
# 10 minutes (retain/tests/soak.py; docs/deploy.md, "Proven under load"). Not part of `make test`.
# It runs a PostgreSQL cluster and a Redis of its own (initdb as the postgres account when run as
# root) and restarts only that cluster; SOAK_ARGS="--postgres URL" uses an existing server instead.
SOAK_ARGS ?=
soak: install
	$(BIN)/python -m retain.tests.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) node_modules retain/web/static/vendor .pytest_cache .mypy_cache .ruff_cache
