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

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/hygie demo

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP_TEST)
	$(BIN)/mypy src

# PostgreSQL: HYGIE_TEST_POSTGRES_URL if set, else a throwaway cluster started by tools/pg-test-server.
pytest: $(STAMP_TEST)
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
