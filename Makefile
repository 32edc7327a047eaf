# The two commands: `make run` and `make test`. Everything they need is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-python test-js lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m hub init-db
	$(BIN)/python -m hub demo
	$(BIN)/python -m hub run

test: test-python test-js

test-python: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

test-js:
	@echo "(no JavaScript suites yet)"

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var
