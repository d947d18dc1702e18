# Two entry points: `make demo` and `make test`. Both bootstrap .venv from nothing.
PYTHON ?= python3
# Two workers: the machines have two cores; each worker gets its own PostgreSQL database.
PYTEST_ARGS ?= -n 2
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint typecheck pytest serve clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Browser libraries come from the npm registry into .venv/web (never committed); without npm the
# pages still work (plain forms and links) and /api/v1/docs links to the OpenAPI file.
WEB_VENDOR := $(VENV)/web
HTMX_VERSION := 2.0.11
SWAGGER_UI_VERSION := 5.35.0

STAMP_WEB := $(WEB_VENDOR)/.installed

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_WEB): Makefile | $(BIN)/python
	@mkdir -p $(WEB_VENDOR)
	@if command -v npm >/dev/null 2>&1 && npm install --silent --no-audit --no-fund --ignore-scripts --prefix $(WEB_VENDOR) \
	    htmx.org@$(HTMX_VERSION) swagger-ui-dist@$(SWAGGER_UI_VERSION); then touch $@; \
	else echo "npm unavailable: the pages work without htmx (plain forms and links)"; fi

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN) $(STAMP_WEB)
	$(BIN)/hygie demo

serve: $(STAMP_RUN) $(STAMP_WEB)
	$(BIN)/hygie serve

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP_TEST)
	$(BIN)/mypy src

# PostgreSQL: HYGIE_TEST_POSTGRES_URL if set, else a throwaway cluster started by tools/pg-test-server.
pytest: $(STAMP_TEST) $(STAMP_WEB)
	@if [ -n "$$HYGIE_TEST_POSTGRES_URL" ]; then \
	  $(BIN)/pytest $(PYTEST_ARGS); \
	else \
	  url=$$(tools/pg-test-server start) || exit 1; \
	  HYGIE_TEST_POSTGRES_URL="$$url" $(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	  tools/pg-test-server stop; exit $$rc; \
	fi

test: lint typecheck pytest

bench: $(STAMP_TEST)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .tmp .pytest_cache .mypy_cache .ruff_cache
