# Set-up and everyday commands. `make run` serves the console with demo data; `make test`
# runs the whole suite. Nothing here needs more than a Python >= 3.12 with venv and pip.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Reinstalling is skipped until the lock file changes.
STAMP := $(VENV)/.installed-requirements-dev.lock

HOST ?= 127.0.0.1
PORT ?= 8000
ADMIN_USER ?= admin
# `make run` sends the demo appliance's heartbeat every DEMO_HEARTBEAT seconds (0: none), and
# warns when none came for DEMO_HEARTBEAT_EXPECTED seconds. `make stop-heartbeats` stops them.
DEMO_HEARTBEAT ?= 10
DEMO_HEARTBEAT_EXPECTED ?= 60
# The demo's seeded records stop where they were made: its logs are not watched for silence.
DEMO_LOG_SILENCE_FACTOR ?= 0
PYTEST_ARGS ?=
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/console
# The benchmark drops and re-creates this database, and only this one.
BENCH_URL ?= postgres://postgres@127.0.0.1:5432/console_bench
BENCH_ROWS ?= 1000000
# More options of benchmarks/run.py, e.g. BENCH_ARGS="--purge-days 30" or "--skip-load".
BENCH_ARGS ?=
# `make bench-replica` drops and re-creates this one (and drops it again at the end).
BENCH_REPLICA_URL ?= postgres://postgres@127.0.0.1:5432/console_bench_replica
# More options of benchmarks/replica_lag.py, e.g. BENCH_REPLICA_ARGS="--max-cluster-gb 20".
BENCH_REPLICA_ARGS ?=

# Prints "empty" when no account and no log row is stored yet: `make run` then loads demo data.
define DB_IS_EMPTY
from logging_app.models import Account
from logging_app.logs import LOGS
has_data = Account.objects.exists() or any(s.model.objects.exists() for s in LOGS.values())
print("data" if has_data else "empty")
endef
export DB_IS_EMPTY

.PHONY: help venv install run stop-heartbeats test test-postgres bench bench-replica lint format clean

help:
	@echo "make run            set up everything and serve the console on http://$(HOST):$(PORT)/"
	@echo "make stop-heartbeats stop the demo appliance's heartbeats (of make run)"
	@echo "make test           run the whole test suite (PYTEST_ARGS=... to pass options)"
	@echo "make test-postgres  the same against PostgreSQL ($(POSTGRES_URL))"
	@echo "make bench          load BENCH_ROWS rows per log into $(BENCH_URL), time the pages"
	@echo "make bench-replica  a streaming replica's lag while BENCH_ROWS CDRs are ingested"
	@echo "make lint           ruff check and ruff format --check"
	@echo "make format         ruff check --fix, then ruff format"
	@echo "make venv           create $(VENV) and install requirements-dev.lock"
	@echo "make clean          remove $(VENV), collected static files and caches (keeps var/)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { \
		echo "error: Python >= 3.12 is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
		echo "       Install it, or point to one: make PYTHON=/path/to/python3.12 ..." >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements-dev.lock | $(BIN)/python
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { \
		echo "error: $(VENV) was made with $$($(BIN)/python --version 2>&1); Python >= 3.12" \
			"is needed. Run 'make clean' and try again." >&2; \
		exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		--require-hashes -r requirements-dev.lock
	@touch $@

venv install: $(STAMP)

# The development server, with DEBUG on for every step of it, beside the worker's jobs and
# the demo appliance's heartbeats. The sign-in is printed last, framed, once the server
# answers (by a loop beside it): not lost among the set-up's lines. The server runs in the
# foreground, where Ctrl-C reaches it; Ctrl-C stops all three.
run: export DEBUG = 1
run: export HEARTBEAT_EXPECTED_SECONDS = $(DEMO_HEARTBEAT_EXPECTED)
run: export LOG_SILENCE_FACTOR = $(DEMO_LOG_SILENCE_FACTOR)
run: $(STAMP)
	@echo "Setting up the database (manage.py migrate)."
	@$(MANAGE) migrate --noinput -v 0
	@state="$$($(MANAGE) shell --no-imports -c "$$DB_IS_EMPTY")" || exit 1; \
	if [ "$$state" = empty ]; then \
		echo "The database is empty: loading the demo data (manage.py seed_demo)."; \
		$(MANAGE) seed_demo; \
	fi
	@# The command prints only a new password on stdout; its messages are shown on failure.
	@log="$$(mktemp)"; \
	password="$$($(MANAGE) create_console_user $(ADMIN_USER) --role admin 2>"$$log")" \
		|| { cat "$$log" >&2; rm -f "$$log"; exit 1; }; \
	rm -f "$$log"; \
	trap 'kill $$(jobs -p) 2>/dev/null' EXIT; \
	$(MANAGE) run_worker & \
	if [ "$(DEMO_HEARTBEAT)" != 0 ]; then $(MANAGE) demo_heartbeat --every $(DEMO_HEARTBEAT) & fi; \
	{ \
		up=; \
		for _ in $$(seq 200); do \
			$(BIN)/python -c "import urllib.request; urllib.request.urlopen('http://$(HOST):$(PORT)/healthz', timeout=1)" 2>/dev/null && { up=1; break; }; \
			sleep 0.3; \
		done; \
		[ -n "$$up" ] || exit 0; \
		echo; \
		echo "=================================================================="; \
		echo " Logging Console: http://$(HOST):$(PORT)/"; \
		echo " Sign in as:      $(ADMIN_USER)"; \
		if [ -n "$$password" ]; then \
			echo " Password:        $$password"; \
			echo "                  (shown this once: keep it)"; \
		else \
			echo " Password:        unchanged: the one printed when $(ADMIN_USER) was created."; \
			echo " Forgot it?       $(MANAGE) create_console_user $(ADMIN_USER) --role admin --reset-password"; \
		fi; \
		if [ "$(DEMO_HEARTBEAT)" != 0 ]; then \
			echo " Heartbeats:      every $(DEMO_HEARTBEAT) s; make stop-heartbeats stops them,"; \
			echo "                  and the banner shows after $(DEMO_HEARTBEAT_EXPECTED) s."; \
		fi; \
		echo " Stop with Ctrl-C."; \
		echo "=================================================================="; \
		echo; \
	} & \
	$(MANAGE) runserver $(HOST):$(PORT)

# Stops the heartbeats `make run` sends, as if the appliance had gone silent.
stop-heartbeats: $(STAMP)
	$(MANAGE) demo_heartbeat --stop

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres:
	DATABASE_URL=$(POSTGRES_URL) $(MAKE) test

# Performance is measured here, not by timed tests (DESIGN, Quality bars); see docs/benchmarks.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --rows $(BENCH_ROWS) --database-url $(BENCH_URL) $(BENCH_ARGS)

# Starts a replica of the whole server (needs its binaries, and root or a replication rule in
# pg_hba.conf); see docs/benchmarks.md, "Replica lag while ingesting".
bench-replica: $(STAMP)
	$(BIN)/python benchmarks/replica_lag.py --rows $(BENCH_ROWS) \
		--database-url $(BENCH_REPLICA_URL) $(BENCH_REPLICA_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .hypothesis test-output
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
