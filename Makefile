# Set-up and everyday commands. `make run` serves on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# The address tokens, QR codes, status lists and CRLs point at: where `make run` serves, unless set.
REGISTRY_ISSUER ?= http://$(HOST):$(PORT)
DEV := REGISTRY_ENV=development REGISTRY_ISSUER=$(REGISTRY_ISSUER)

.PHONY: venv system-deps translations run test test-slow lint fmt mypy contract bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The pages' message catalogues (.po in git) compiled for Flask-Babel (.mo).
translations: venv
	$(BIN)/python -m registry.web.catalogues

# Development server on SQLite (instance/registry.sqlite3), with the demo world loaded on first start.
run: venv translations
	$(DEV) $(FLASK) db upgrade
	$(DEV) $(FLASK) setup
	$(DEV) $(FLASK) demo load
	$(DEV) $(FLASK) run --host $(HOST) --port $(PORT)

# System tools the tests use, from Debian: zbar (a QR reader that is not ours), chromium and chromedriver
# (page tests) and poppler (pdfsig, pdftoppm, pdffonts and pdftotext check stamped and printed PDFs); the
# font that printed renditions embed (issuers/rendition.py), a file rather than a command; and, from the
# npm registry, axe-core, the accessibility checker the page tests run in Chromium.
AXE_VERSION := 4.14.1
AXE := .cache/npm/node_modules/axe-core/axe.min.js
SYSTEM_TOOLS := zbarimg:zbar-tools chromium:chromium chromedriver:chromium-driver pdfsig:poppler-utils
system-deps:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing$$missing"; apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing system packages: sudo apt-get install$$missing"; exit 1; fi; fi
	@test -f $(AXE) || npm install --silent --no-audit --no-fund --prefix .cache/npm axe-core@$(AXE_VERSION)

# The whole suite on SQLite; set REGISTRY_TEST_DATABASE_URL to run it on PostgreSQL.
test: venv system-deps translations
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The long tests (fuzzing, large logs), which CI runs after `make test`.
test-slow: venv system-deps translations
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

lint: venv mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy --strict over registry/, issuers/ and verifiers/ (pyproject.toml).
mypy: venv
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The API against its own OpenAPI description: schemathesis, every check, as admin, issuer, agency, archivist,
# holder and anonymous, on a served registry with the demo world (about 4 minutes; CI runs it).
contract: venv translations
	$(BIN)/python -m tests.contract.run $(CONTRACT_ARGS)

# Benchmarks (not tests): figures next to the ceilings measured in the same run.
bench: venv
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python -m bench.issuance $(BENCH_N)
	$(BIN)/python -m bench.verification
	$(BIN)/python -m bench.sharing
	$(BIN)/python -m bench.stamps
	$(BIN)/python -m bench.logproofs
	$(BIN)/python -m bench.items
	$(BIN)/python -m bench.archive

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
