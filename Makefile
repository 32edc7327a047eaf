# The two commands: `make run` and `make test`. Everything they need is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-python test-js lint bench clean generate

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# make run PORT=8080 to serve on another port.
PORT ?= 8000
run: $(STAMP)
	$(BIN)/python -m hub init-db
	$(BIN)/python -m hub demo
	$(BIN)/python -m hub run --port $(PORT)

test: test-python test-js

# The browser tests drive Debian's Chromium (Playwright cannot download browsers here); skipped only with
# HUB_SKIP_BROWSER_TESTS=1, otherwise they fail without it.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || \
	  { $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test-python: $(STAMP) $(if $(filter 1,$(HUB_SKIP_BROWSER_TESTS)),,$(CHROMIUM))
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# npm ci only when a lockfile changed; the Zapier app's install also brings its own Node 22.
zapier-app/node_modules/.installed: zapier-app/package-lock.json
	cd zapier-app && npm ci --no-audit --no-fund
	touch $@

n8n-node/node_modules/.installed: n8n-node/package-lock.json
	cd n8n-node && npm ci --no-audit --no-fund
	touch $@

test-js: zapier-app/node_modules/.installed n8n-node/node_modules/.installed
	cd zapier-app && npm test
	cd n8n-node && npm test

lint: $(STAMP)
	$(BIN)/ruff check .

# The HTTP harness (bench/harness/): installs wrk itself, starts gunicorn, rq, scheduler, a database and a
# Redis db of its own and a bare-Flask baseline, prints the table and writes bench/RESULTS.md.
# make bench BENCH_ARGS="--events 200000" or BENCH_ARGS=--smoke; bench/run.py counts SQL per request.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

generate: zapier-app/node_modules/.installed
	cd zapier-app && npm run generate

clean:
	rm -rf $(VENV) var zapier-app/node_modules n8n-node/node_modules
