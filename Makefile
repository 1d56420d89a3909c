# evalsite: the two commands users need are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format bench demo migrate worker beat install install-dev clean-demo help

help:
	@echo "make run    - set up .venv, migrate, load the demo, serve on http://$(HOST):$(PORT)/"
	@echo "make test   - set up .venv with test tools, run the test suite (pytest)"
	@echo "make lint   - ruff check + format check + mypy on every product module + import-linter layer contracts"
	@echo "make bench  - run the benchmarks in bench/ (see docs/benchmarks.md)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --no-input -v 0

demo: migrate
	$(PY) manage.py demo_load

run: demo
	@$(PY) manage.py demo_info --host $(HOST) --port $(PORT)
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: install
	$(VENV)/bin/celery -A evalsite worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A evalsite beat --loglevel=INFO

test: install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy evalsite tasks ratings demo
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev
	$(PY) bench/run_all.py

clean-demo:
	rm -rf var/
