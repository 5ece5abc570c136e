# The two set-up commands of the README:
#   make demo   install pkm in .venv and run it end to end on examples/ (offline), then
#               the three-person team demo (examples/team-demo.sh)
#   make test   install the test dependencies in .venv and run the whole test suite
# .ci/run calls `make test`, then `make corpus` (the checks over ../shared/corpus).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test corpus check lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

$(VENV)/.installed: $(BIN)/python pyproject.toml
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e .
	touch $@

demo: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/team-demo.sh

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

corpus: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -m corpus

lint: $(VENV)/.installed-test
	$(BIN)/ruff check pkm tests benchmarks
	$(BIN)/ruff format --check pkm tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/seek.py
	$(BIN)/python benchmarks/extraction.py
	$(BIN)/python benchmarks/share.py
	$(BIN)/python benchmarks/share_digest.py
	$(BIN)/python benchmarks/sense.py
	$(BIN)/python benchmarks/help.py
	$(BIN)/python benchmarks/stats.py
	$(BIN)/python benchmarks/imports.py
	$(BIN)/python benchmarks/doctor.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
