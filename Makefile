# Two commands: `make run` starts the whole system on its embedded default; `make test` runs the checks.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint tools bench

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $@

run: $(BIN)/.installed
	$(BIN)/python -m runtime.launcher

# oathtool is the independent TOTP implementation the tests check enrolment and login against.
tools:
	@command -v oathtool >/dev/null || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq oathtool >/dev/null); } \
		|| { echo "oathtool is required: apt-get install oathtool"; exit 1; }

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: $(BIN)/.installed tools lint
	$(BIN)/python -m contracts.schema --check
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python -m bench
