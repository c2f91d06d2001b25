# Maoyi: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 3
export MAOYI_DATA_DIR ?= $(CURDIR)/var
export PYTHONPATH := $(CURDIR)

.PHONY: run test install install-dev messages lint types check-migrations pytest serve demo vendor makemessages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements/constraints.txt
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e ".[dev,bench]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-bench: $(VENV)/.installed-bench

# gettext catalogues are compiled as part of the build (pure Python: no msgfmt needed).
messages: install
	$(BIN)/python scripts/compile_messages.py

run: install messages
	mkdir -p "$(MAOYI_DATA_DIR)"
	$(BIN)/maoyi migrate --noinput
	$(BIN)/maoyi demo --first-start
	$(BIN)/maoyi collectstatic --noinput --verbosity 0
	@$(BIN)/maoyi demo --accounts
	@echo "Maoyi is serving on http://127.0.0.1:$(PORT)/  (data in $(MAOYI_DATA_DIR); stop with Ctrl+C)"
	MAOYI_SECURE_COOKIES=$${MAOYI_SECURE_COOKIES:-0} $(BIN)/gunicorn maoyi.config.wsgi:application --bind 127.0.0.1:$(PORT) --workers $(WORKERS) \
		--access-logfile - --graceful-timeout 10

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install-dev
	$(BIN)/mypy
	$(BIN)/lint-imports

check-migrations: install-dev
	env -u MAOYI_TEST_DATABASE_URL DJANGO_SETTINGS_MODULE=maoyi.config.settings_test $(BIN)/maoyi makemigrations --check --dry-run

# The suite runs on SQLite, then on PostgreSQL when MAOYI_TEST_DATABASE_URL is set.
pytest: install-dev messages
	env -u MAOYI_TEST_DATABASE_URL $(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)
	@if [ -n "$$MAOYI_TEST_DATABASE_URL" ]; then \
		echo "== the suite again on PostgreSQL =="; \
		$(BIN)/pytest -n 2 --dist loadfile -m "not browser" $(PYTEST_ARGS); \
	fi

test: lint types check-migrations pytest

demo: install messages
	$(BIN)/maoyi migrate --noinput
	$(BIN)/maoyi demo

# Developers only: refresh the vendored front-end assets from the npm registry (pinned versions).
vendor:
	$(BIN)/python scripts/vendor_assets.py

# Developers only: extract new strings into the catalogues (needs GNU gettext's xgettext).
makemessages: install
	cd src/maoyi && ../../$(BIN)/maoyi makemessages -l en --no-obsolete --no-location

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache

# The stock ledger benchmark (bench/README.md): 10,000 and 1,000,000 moves; SQLite in a temp dir
# unless BENCH_ARGS names a database, e.g. BENCH_ARGS="--database postgres://postgres@127.0.0.1:5432/maoyi_bench".
.PHONY: bench chaos install-bench bench-stock bench-import
bench-stock: install
	$(BIN)/python bench/stock_ledger.py $(BENCH_ARGS)

# The Excel import benchmark: 50,000 customers read, checked and imported into an empty database.
bench-import: install
	$(BIN)/python bench/import_50k.py $(BENCH_ARGS)

# Issue 8: every benchmark in one report, bench/results/<date>.md and .json (bench/README.md).
# PostgreSQL is the local server unless BENCH_DATABASE names another; its database names contain "bench".
BENCH_DATABASE ?= postgres://postgres@127.0.0.1:5432/maoyi_bench
bench: install-bench messages
	$(BIN)/python bench/run.py --database $(BENCH_DATABASE) $(BENCH_ARGS)

# Crash atomicity: documents posted with Idempotency-Keys while gunicorn workers are SIGKILLed.
chaos: install-bench messages
	$(BIN)/python bench/chaos.py --database $(BENCH_DATABASE) $(BENCH_ARGS)
