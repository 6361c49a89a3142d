# Two commands do all set-up:  `make run`  and  `make test`.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install assets translations catalogue db demo lint typecheck pytest pytest-shifted screenshots clean

run: install assets translations db demo
	$(BIN)/flask riskctl serve --host $(HOST) --port $(PORT)

test: install assets translations lint typecheck pytest

install: .stamp-python
.stamp-python: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

assets: .stamp-assets
.stamp-assets: package.json package-lock.json riskctl/static/vendor.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

translations: install
	$(BIN)/pybabel -q compile -d riskctl/translations

# After adding or changing words in the code or the templates: extract them and bring the
# Chinese catalogue up to date, then write the new entries' msgstr.  No source locations and
# sorted entries, so that two branches adding words merge without conflicts in the catalogue.
catalogue: install
	$(BIN)/pybabel -q extract -F riskctl/translations/babel.cfg -k _l -k lazy_gettext \
	  --no-location --sort-output -o riskctl/translations/messages.pot .
	$(BIN)/pybabel -q update -i riskctl/translations/messages.pot -d riskctl/translations \
	  --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date

db: install
	$(BIN)/flask db upgrade

demo: install
	$(BIN)/flask riskctl demo

lint: install
	$(BIN)/ruff check riskctl config tests bench wsgi.py
	$(BIN)/ruff format --check riskctl config tests bench wsgi.py

typecheck: install
	$(BIN)/mypy riskctl

# The suite on both cores (pytest-xdist; a file's tests stay on one worker, which keeps the
# module fixtures' demo data and live servers shared).  WORKERS=0 runs it in one process.
WORKERS ?= 2
XDIST = $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist loadfile)
pytest: install
	$(BIN)/pytest $(XDIST) --durations=25

# The suite again under a wall clock shifted to AT (a UTC moment), as .ci/run does: nothing
# may depend on the real date.  PYTEST_ARGS narrows the run.
AT ?= 2027-09-15 02:00:00
pytest-shifted: install assets translations
	.ci/shifted "$(AT)" $(BIN)/pytest -q $(XDIST) $(PYTEST_ARGS)

# The browser tests again, saving their screenshots into docs/screenshots (linked from the README).
screenshots: install assets translations
	RISKCTL_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/e2e -p no:randomly -q

clean:
	rm -rf $(VENV) node_modules riskctl/static/vendor .stamp-* instance
