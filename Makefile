# The README's two commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint proto venv clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

## An editable install writes no bytecode; compile it once, as pip does for an installed
## package (with PYTHONDONTWRITEBYTECODE set, each command would otherwise compile simhub's
## ~70 modules from source: about 0.3 s of every `simhub` command's start-up).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/python -m compileall -q simhub
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q simhub
	touch $@ $(STAMP)

venv: $(STAMP)

## make run: set up, migrate the SQLite database, load the demo facility, serve gRPC on :50051
run: $(STAMP)
	$(BIN)/simhub db upgrade
	$(BIN)/simhub demo load
	exec $(BIN)/simhub serve

## make test: set up with the test extras and run the whole suite (PostgreSQL tests start a
## private server when initdb/pg_ctl are installed; see tests/postgres.py). On every core
## (pytest-xdist, at most 4 workers; the Ray and browser tests keep to one worker each), while
## the numba kernels are compiled into their disk cache once (tests/numba_warmup.py).
## PYTEST_ARGS="-n 0" runs it in one process. The 30 slowest tests are listed at the end.
PYTEST_ARGS ?= -n auto --maxprocesses=4 --warm-numba --durations=30
test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check simhub tests scripts benchmarks
	$(BIN)/mypy simhub

## regenerate simhub/_proto from proto/ (commit the result; a test fails when it is stale)
proto: $(TEST_STAMP)
	$(BIN)/python scripts/protogen.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
