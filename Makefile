# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# DEBUG is off unless set; the development commands below turn it on unless told otherwise,
# and the links in emails point at the address `make run` serves unless PORTAL_URL is set.
DEV := DEBUG=$${DEBUG:-true} PORTAL_URL=$${PORTAL_URL:-http://127.0.0.1:$(PORT)}

.PHONY: install setup run test lint format bench worker beat dispatcher messages clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11).")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

setup: install
	$(DEV) $(PY) manage.py migrate --noinput

run: setup
	$(DEV) $(PY) manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ (admin: /admin/, API docs: /api/docs/)"
	$(DEV) $(VENV)/bin/uvicorn portal.asgi:application --host 127.0.0.1 --port $(PORT) --no-proxy-headers --reload --reload-exclude '.venv/*' --reload-exclude 'tests/*' --reload-include '*.html' --reload-include '*.mo'

test: install
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run > /dev/null || (echo "Models changed without a migration: run manage.py makemigrations." && exit 1)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: setup
	$(DEV) $(VENV)/bin/celery -A portal worker --loglevel=info

beat: setup
	$(DEV) $(VENV)/bin/celery -A portal beat --loglevel=info

dispatcher: setup
	$(DEV) $(PY) manage.py dispatch_outbox

# Needs DATABASE_URL=postgres://... and wrk; migrates and loads its own data (docs/performance.md).
# BENCH_ARGS passes options, e.g. BENCH_ARGS=--two-instances; then the live stream bench
# (1,000 open streams on one ASGI process, STREAM_BENCH_ARGS=--streams 200 for fewer).
bench: install
	$(PY) -m bench $(BENCH_ARGS)
	$(PY) -m bench.streams $(STREAM_BENCH_ARGS)

messages: install
	$(DEV) $(PY) manage.py makemessages -l ja --no-obsolete --ignore='.venv/*' --ignore='bench/*' --ignore='tests/*'
	$(DEV) $(PY) manage.py compilemessages -l ja --ignore='.venv/*'

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache .mypy_cache .ruff_cache
