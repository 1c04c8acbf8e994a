# The two commands: `make run` (a working portal on SQLite with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install lint bench evidence messages translations

install: $(STAMP)

$(STAMP): pyproject.toml requirements/build-constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --build-constraint requirements/build-constraints.txt ".[dev]"
	@touch $(STAMP)

# The translations' .mo files are built from the committed .po files, never committed.
messages: $(STAMP)
	@$(PY) -m portal.i18n.catalogs

# Extract every string into locale/es after changing code (needs GNU gettext), then fail on
# any string without a translation: CI runs the same check (docs/translations.md).
translations: $(STAMP)
	PORTAL_ENV=test $(PY) manage.py check_translations

.env:
	$(PY) -m portal.devenv .env

# The portal and one task worker beside it: every email (printed on this console) and every
# scheduled job goes through the queue, as in production. Ctrl-C stops both.
run: $(STAMP) messages .env
	set -a && . ./.env && set +a && \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py seed_demo && \
	{ $(PY) manage.py db_worker --queue-name '*' --no-reload & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000; }

# The whole suite on SQLite; with DATABASE_URL=postgres://... the same suite on PostgreSQL.
test: $(STAMP) messages
	PORTAL_ENV=test $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	PORTAL_ENV=test $(VENV)/bin/lint-imports
	PORTAL_ENV=test $(VENV)/bin/mypy

# Encryption benchmarks: one JSON object of results last (SQLite, or DATABASE_URL's server).
bench: $(STAMP)
	PORTAL_ENV=test $(PY) -m benchmarks

# Load and restore drill against a fresh PostgreSQL database and fresh keys; writes
# docs/evidence.md and fails when a correctness check fails (docs/evidence.md says why).
evidence: $(STAMP)
	@$(PY) -c "import locust" 2>/dev/null || $(PY) -m pip install --quiet \
		--build-constraint requirements/build-constraints.txt ".[dev,evidence]"
	PORTAL_ENV=production $(PY) -m evidence
