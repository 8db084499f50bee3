# Two set-up commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/ecociv demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests $(wildcard benchmarks scripts)
	$(BIN)/mypy src

test: lint
	$(BIN)/python -m pytest -q
	$(BIN)/python scripts/pip_audit.py

docs: $(VENV)/.installed
	$(BIN)/python scripts/generate_model_docs.py
	$(BIN)/python scripts/generate_schemas.py

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_water_yield.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
