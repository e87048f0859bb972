# Two commands a newcomer needs: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check format clean

$(STAMP): pyproject.toml scripts/install_system_deps.sh
	sh scripts/install_system_deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/advisor demo --out demo-report

check: $(STAMP)
	$(BIN)/ruff check advisor tests benchmarks scripts
	$(BIN)/ruff format --check advisor tests benchmarks scripts
	$(BIN)/mypy

test: check
	$(BIN)/python -m pytest -q

format: $(STAMP)
	$(BIN)/ruff check --fix advisor tests benchmarks scripts
	$(BIN)/ruff format advisor tests benchmarks scripts

clean:
	rm -rf $(VENV) demo-report .pytest_cache .mypy_cache .ruff_cache
