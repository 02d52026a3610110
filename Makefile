# OneStop: `make run` serves the demo, `make test` runs the suite. Both set everything up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PO := $(wildcard booking/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-fast lint install translations extract clean

install: $(STAMP) $(MO)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

run: install
	$(BIN)/onestop db upgrade
	$(BIN)/onestop demo
	$(BIN)/onestop index sync
	$(BIN)/onestop serve --host $(HOST) --port $(PORT)

# Two workers (xdist): each gets its own SQLite files and PostgreSQL schema, so they never meet.
PYTEST_WORKERS ?= auto

test: lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The inner loop: SQLite only, no browser, no processes started (a minute or two).
test-fast: install
	env -u ONESTOP_TEST_DATABASE_URL -u ONESTOP_TEST_REQUIRE_ALL \
		$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not browser and not slow" $(PYTEST_ARGS)

# Lint and import order (ruff), types (mypy); settings in pyproject.toml.
lint: install
	$(BIN)/ruff check booking search tests bench migrations
	$(BIN)/mypy

# Refresh the message catalogue after changing user-visible strings.
extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d booking/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance .pytest_cache
