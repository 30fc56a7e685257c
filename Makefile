# The one developer interface. `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
export DJANGO_SETTINGS_MODULE ?= gpequity.web.settings.dev

.PHONY: help setup setup-app setup-test system-packages demo serve test test-sqlite test-postgres check fmt bench bench-web bench-load bench-system lock clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,spark]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup-app: $(VENV)/.installed node_modules/.installed  ## Python and front-end dependencies

system-packages:  ## Debian packages for browser tests and PDFs (Chromium, fonts, poppler)
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null || [ ! -d /usr/share/fonts/truetype/liberation ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation poppler-utils >/dev/null; \
	fi

setup: setup-app system-packages  ## Everything: app, tests, browser

demo: setup-app  ## Install, build the demo database and start the app at http://127.0.0.1:8000
	$(BIN)/gpequity demo

serve: setup-app  ## Start the app on the existing database
	$(BIN)/gpequity serve

test: setup  ## The whole suite: SQLite (with browser tests), then PostgreSQL
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite:
	DJANGO_SETTINGS_MODULE=gpequity.web.settings.test $(BIN)/pytest -p xdist -n 2 --dist loadfile $(PYTEST_ARGS)

# A throwaway PostgreSQL 15 cluster of its own for the database-backed tests (the script sets
# PG*; unlike pg_virtualenv as root, it never meets another run's or a killed run's cluster).
test-postgres:
	scripts/throwaway-postgres env GPEQUITY_DATABASE=postgres \
	  DJANGO_SETTINGS_MODULE=gpequity.web.settings.test \
	  $(BIN)/pytest -p xdist -n 2 --dist loadfile -m "not browser and not spark" tests/web $(PYTEST_ARGS)

check: setup-app  ## Lint, format check, Django deploy check, copied-seed check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	@if [ -f ../shared/tools/seedcopy.py ]; then python3 ../shared/tools/seedcopy.py . ; fi

fmt: setup-app  ## Format and fix lint
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: setup-app  ## Benchmarks: HNA engine versus a bare scan and the pure-Python twin
	$(BIN)/python bench/hna_bench.py $(BENCH_ARGS)

bench-system: setup-app  ## Benchmark: a system run (200 practices, 2M patients) versus the same extract without practice_code
	$(BIN)/python bench/system_bench.py $(BENCH_ARGS)

bench-web: setup-app  ## Benchmark: HNA upload to finished report in the web app versus the CLI
	$(BIN)/python bench/hna_web_bench.py $(BENCH_ARGS)

bench-load: setup-app  ## Load test: 50 people on gunicorn, PostgreSQL then SQLite (bench/RESULTS.md)
	scripts/throwaway-postgres $(BIN)/python bench/load_test.py --db postgres $(BENCH_ARGS)
	$(BIN)/python bench/load_test.py --db sqlite $(BENCH_ARGS)

lock:  ## Re-pin every Python dependency into constraints.txt from a fresh resolve
	rm -rf /tmp/gpequity-lock && $(PY) -m venv /tmp/gpequity-lock
	/tmp/gpequity-lock/bin/pip install -q -e '.[dev,spark]'
	/tmp/gpequity-lock/bin/pip freeze --exclude-editable | grep -v '^gpequity' > constraints.txt

clean:  ## Remove the virtualenv, node_modules and local data
	rm -rf $(VENV) node_modules var
