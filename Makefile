# Every target installs what it needs into .venv first, so each works on a fresh machine with only Python.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test contract lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/jimeng-mock serve --host $(HOST) --port $(PORT) $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

contract: $(STAMP)
	$(BIN)/python -m pytest tests/contract tests/properties/test_schemathesis.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mockserver tests
	$(BIN)/ruff format --check mockserver tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
