# Disfruta — every target sets itself up from the project's own files (idempotent, skipped when done).
SHELL := /bin/bash
ROOT := $(abspath .)
PYTHON ?= python3.11
VENV := $(ROOT)/.venv
SOLC_VERSION := 0.8.28
SOLC_ADAPTER := $(ROOT)/.solcx/solc-v$(SOLC_VERSION)
export PATH := $(ROOT)/node_modules/.bin:$(VENV)/bin:$(PATH)
export SOLCX_BINARY_PATH := $(ROOT)/.solcx
export HYPOTHESIS_PROFILE ?= $(if $(CI),ci,dev)

.PHONY: setup demo test compile bench verify mutation clean app

setup: $(VENV)/.installed node_modules/.installed $(SOLC_ADAPTER)

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c requirements.lock -e '.[all,dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# py-solc-x (ape-solidity) and forge look for an executable named solc-v<version>; ours runs the npm solc-js.
$(SOLC_ADAPTER): tools/solc-adapter.js node_modules/.installed
	mkdir -p $(dir $@)
	ln -sf ../tools/solc-adapter.js $@
	$@ --version | grep -q $(SOLC_VERSION)

compile: setup
	ape compile

# The reference dApp (app/): its npm packages (app/package-lock.json), then the build into app/dist (its ABIs are
# generated from abi/ on every build). Rebuilt when a source, the lock file or an ABI changes.
APP_SOURCES := $(shell find app/src app/public app/scripts -type f -not -path 'app/src/generated/*' 2>/dev/null) \
	$(wildcard app/index.html app/vite.config.ts app/tsconfig*.json) $(wildcard abi/*.json)
app/node_modules/.installed: app/package.json app/package-lock.json
	cd app && npm ci --no-audit --no-fund --loglevel=error
	touch $@

app/dist/index.html: app/node_modules/.installed $(APP_SOURCES)
	cd app && npm run build

app: app/dist/index.html

# The layering contracts first (pyproject.toml [tool.importlinter]: the core never imports an extra; no import cycle)
test: setup app
	lint-imports
	cd app && npm test
	pytest -n 2 tests --ignore=tests/app
	source tools/services.sh && setup_chromium && pytest -n 2 tests/app

demo: setup app
	disfruta demo --serve

# Gas against the DESIGN.md targets, scale to 1,000 lenders, throughput, oracle load, memory, index, the dApp's
# bundle and first load -> bench/results.json
bench: setup app
	source tools/services.sh && setup_postgres && setup_redis && setup_chromium && python -m bench

# The deep security campaign: forge invariants, halmos proofs, slither (prints the counts)
verify: setup
	bash scripts/verify.sh

# Mutation check of the security tests: each protection removed on a throwaway copy must make its tests fail
mutation: setup
	python tools/mutation_check.py

clean:
	rm -rf .venv node_modules .solcx .build contracts/.cache app/node_modules app/dist
