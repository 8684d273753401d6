# Voorkomen — the two commands that matter: `make run` and `make test`.
# Optional parts (real test peers, benchmarks) add themselves in mk/*.mk.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

TEST_PREREQS :=

# The suite runs on as many pytest-xdist workers as CI has cores; each worker
# starts its own peers (free ports), tests of one module stay on one worker.
TEST_WORKERS ?= 2

.PHONY: run test lint typecheck contracts pytest clean

run: $(STAMP)
	$(BIN)/voorkomen chat

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

-include mk/*.mk

test: $(STAMP) $(TEST_PREREQS) lint typecheck contracts pytest

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP) $(TEST_PREREQS)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope

clean:
	rm -rf $(VENV) .venv-synapse .mypy_cache .ruff_cache .pytest_cache
