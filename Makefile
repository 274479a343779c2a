# Every target installs what it needs into .venv first, so each works on a fresh machine with only Python.
# `make run` installs only what serving needs; the development tools come with `make test`, `make lint`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
RUN_STAMP := $(VENV)/.installed-run
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test contract lint bench clean redis-server chromium screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q mockserver
	touch $(STAMP)

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q mockserver
	touch $(RUN_STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/jimeng-mock serve --host $(HOST) --port $(PORT) $(ARGS)

# The store tests start a real redis-server: install Debian's when it is missing and we may (root).
redis-server:
	@command -v redis-server >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq redis-server >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq redis-server; }; } || { echo "redis-server is missing: apt-get install redis-server"; exit 1; }

# The dashboard tests drive Debian's chromium with Playwright (whose own browser download is not used): install it
# when it is missing and we may (root).
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium; }; } || { echo "chromium is missing: apt-get install chromium"; exit 1; }

test: $(STAMP) redis-server chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The README's screenshots of the dashboard, taken by its browser tests.
screenshots: $(STAMP) chromium
	DASHBOARD_SCREENSHOTS=docs $(BIN)/python -m pytest -q tests/dashboard

contract: $(STAMP)
	$(BIN)/python -m pytest tests/contracts tests/properties tests/fuzz $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mockserver tests bench examples
	$(BIN)/ruff format --check mockserver tests bench examples
	$(BIN)/mypy

# Not part of `make test`: a few minutes of load on loopback. ARGS="--duration 3" and more: python -m bench --help
# The project's own bytecode is compiled first, as pip compiles the bare app's (starlette, uvicorn) at install:
# where PYTHONDONTWRITEBYTECODE is set, an editable install would otherwise compile every module at each start.
bench: $(STAMP)
	sh bench/setup.sh
	$(BIN)/python -m compileall -q mockserver
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
	find mockserver -name __pycache__ -prune -exec rm -rf {} +
