# Entry points for developers and CI. Everything here must work from a fresh
# clone (no .venv, no instance/), because CI and new machines start from one.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Prefer the interpreter the project targets; fall back to whatever python3 is.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
RUNTIME_STAMP := $(VENV)/.stamp-runtime
DEV_STAMP := $(VENV)/.stamp-dev

HOST ?= 127.0.0.1
PORT ?= 8050
DEMO_DB := instance/dashboard.sqlite
PYTEST_ARGS ?=
# A hung browser or server must not eat the whole CI budget.
PYTEST_TIMEOUT ?= 900

# Debian packages the browser/PDF/CJK-rendering tests rely on.
SYSTEM_PACKAGES := chromium chromium-driver fonts-noto-cjk poppler-utils

.PHONY: plotly-bundle help demo test lint bench clean system-deps serve-prod migrate

help:
	@echo "make demo   - install runtime deps, build the demo DB if missing, serve on http://$(HOST):$(PORT)/"
	@echo "make test   - install system + dev deps, run ruff and the whole pytest suite (PYTEST_ARGS=...)"
	@echo "make lint   - ruff check"
	@echo "make bench  - run the benchmarks (python -m bench)"
	@echo "make serve-prod - gunicorn with several workers (needs DATABASE_URL, SECRET_KEY; REDIS_URL optional)"
	@echo "make migrate    - apply database migrations (alembic upgrade head)"
	@echo "make clean  - remove instance/*.sqlite and artifacts/"
	@echo "make plotly-bundle - rebuild dashboard/vendor/plotly-custom.min.js (needs Node.js and the npm registry)"

$(PY):
	@if [ -z "$(PYTHON)" ]; then echo "error: neither python3.11 nor python3 found" >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)

# Stamps make pip run only when a requirements file changed.
$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PIP) install -r requirements.txt
	@touch $@

# The dev set includes the runtime set (-r), so it satisfies the runtime stamp too.
$(DEV_STAMP): requirements-dev.txt requirements.txt | $(PY)
	$(PIP) install -r requirements-dev.txt
	@touch $(RUNTIME_STAMP) $@

# Builds into a temporary file first so an interrupted build never leaves a
# half-filled database that later runs would mistake for a finished one.
demo: $(RUNTIME_STAMP)
	@if [ -z "$${DATABASE_URL:-}" ] && [ ! -f $(DEMO_DB) ]; then \
	  echo "Building the demo database $(DEMO_DB) (first run only) ..."; \
	  mkdir -p $(dir $(DEMO_DB)); \
	  rm -f $(DEMO_DB).tmp; \
	  DATABASE_URL="sqlite:///$(CURDIR)/$(DEMO_DB).tmp" $(PY) -m dashboard demo; \
	  mv $(DEMO_DB).tmp $(DEMO_DB); \
	elif [ -z "$${DATABASE_URL:-}" ]; then \
	  DATABASE_URL="sqlite:///$(CURDIR)/$(DEMO_DB)" $(PY) -m dashboard migrate; \
	fi
	$(PY) -m dashboard serve --host $(HOST) --port $(PORT)

# dpkg -s also succeeds for removed packages that left config files, hence the Status check.
system-deps:
	@if ! command -v dpkg >/dev/null 2>&1; then \
	  echo "warning: no dpkg; make sure these are installed: $(SYSTEM_PACKAGES)" >&2; exit 0; \
	fi; \
	missing=""; \
	for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	  elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	  else echo "error: need root or sudo to install:$$missing" >&2; exit 1; fi; \
	  echo "Installing system packages:$$missing"; \
	  $$sudo apt-get update -q; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

test: system-deps $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest --timeout=$(PYTEST_TIMEOUT) $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .

# Builds the 1,000,000-case demo (SQLite, and PostgreSQL when reachable) once, then times callbacks, a gunicorn
# load run and the big screen (Chromium: `make system-deps`); output also in artifacts/bench/.
# BENCH_ARGS="--cases 60000 --backends sqlite" etc. (python -m bench --help).
BENCH_ARGS ?=
bench: $(DEV_STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# The partial plotly.js the graphs draw with is committed; rebuild it after changing frontend/plotly/traces.json
# (tests/test_plotly_bundle.py says when). Only this target needs Node.js: the app and its tests do not.
plotly-bundle:
	cd frontend/plotly && npm ci --no-audit --no-fund && npm run build

clean:
	rm -f instance/*.sqlite instance/*.sqlite.tmp
	rm -rf artifacts

# Production: several gunicorn workers against DATABASE_URL (PostgreSQL) with REDIS_URL as the shared cache.
serve-prod: $(RUNTIME_STAMP)
	@if [ -z "$${SECRET_KEY:-}" ]; then echo "error: set SECRET_KEY (and DATABASE_URL, REDIS_URL)" >&2; exit 1; fi
	DASHBOARD_ENV=production $(VENV)/bin/gunicorn -c dashboard/gunicorn.conf.py dashboard.wsgi:server

migrate: $(RUNTIME_STAMP)
	$(PY) -m dashboard migrate
