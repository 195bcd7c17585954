# Assay: `make run` serves the portal with demo data and a worker; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)
# Test workers: xdist processes (the machine's cores by default).
WORKERS ?= auto

.PHONY: run test test-only lint format bench bench-load deps system-deps messages clean prod prod-stop

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

deps: $(STAMP)

system-deps:
	@scripts/system-deps.sh

var/.prepared: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v0
	touch $@

run: deps system-deps
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py build_pdf_fonts
	scripts/run-dev.sh

# The production stack on this machine, DEBUG=0, data under var/prod (scripts/prod.sh).
prod: deps
	WITH_POSTGRES=1 scripts/system-deps.sh
	scripts/prod.sh start

prod-stop:
	scripts/prod.sh stop

# A bounded locust run (< 10 minutes) against the make prod stack on loopback (docs/scaling.md).
bench-load: deps
	WITH_POSTGRES=1 scripts/system-deps.sh
	$(BIN)/python -m benchmarks.load.run

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: deps system-deps lint test-only

test-only: deps
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

# The directory and programme figures (benchmarks/directory_figures.py) run on PostgreSQL: the
# throwaway cluster of scripts/postgres.sh, as CI's PostgreSQL run uses; without it they are skipped.
bench: deps system-deps
	-WITH_POSTGRES=1 scripts/system-deps.sh && scripts/postgres.sh start
	$(BIN)/python -m benchmarks

messages: deps
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --no-location \
		--ignore='.venv/*' --ignore='var/*' --ignore='tests/*' --ignore='benchmarks/*'
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore='.venv/*'

clean:
	rm -rf $(VENV) var staticfiles
