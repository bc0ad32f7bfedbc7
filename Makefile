# Two commands do all the set-up (see README.md):
#   make demo   install, migrate, load the Online Retail data, train, and serve the demo shop
#   make test   run the whole test suite (SQLite and PostgreSQL, Celery worker on Redis, Chromium)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-fast test-install install

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py crosssell_retrain --sync
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed
	# 1. everything but the demo shop, on PostgreSQL, real-stack (slow) tests included; among them
	#    tests/packaging installs the built wheel into fresh virtualenvs and runs a host shop on it
	CROSSSELL_TEST_DB=postgres $(PY) -m pytest
	# 2. the database-facing tests again on the embedded default, SQLite
	CROSSSELL_TEST_DB=sqlite $(PY) -m pytest -m "django_db and not slow" -q
	# 3. the demo shop, its browser tests included, on SQLite
	$(PY) -m pytest --ds=tests.demo.settings tests/demo

test-fast: $(VENV)/.installed
	$(PY) -m pytest -m "not slow"
	$(PY) -m pytest --ds=tests.demo.settings tests/demo -m "not slow"

# The fresh-virtualenv install test alone; SRC=/path/to/checkout builds another tree's package.
test-install: $(VENV)/.installed
	CROSSSELL_PACKAGE_SRC=$(SRC) $(PY) -m pytest tests/packaging/test_install.py -s
