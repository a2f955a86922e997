# Two commands do everything from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install test test-fast demo bench bench-quick lint clean system-deps bytecode

install: $(STAMP)

# Re-install only when the project's metadata changed; the package is editable.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@$(MAKE) --no-print-directory bytecode
	@touch $(STAMP)

# Compiled bytecode of the package, as a regular (non-editable) install has: with
# PYTHONDONTWRITEBYTECODE set, every command would otherwise compile its modules anew.
bytecode:
	@$(BIN)/python -m compileall -q ssi_wallet

# Services the suite starts itself (Secret Service keyring, D-Bus, PostgreSQL);
# installed when missing and we are root, otherwise those tests skip and say why.
system-deps:
	@scripts/system-deps.sh

test: install system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite without the end-to-end tests that start ACA-Py agents.
test-fast: install
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The demo keeps its home between runs: agencies reuse their credential definitions
# (key generation takes seconds), so a second `make demo` is the warm one.
DEMO_HOME ?= .demo-home

demo: install bytecode
	$(BIN)/ssi-wallet demo --home $(DEMO_HOME)

bench: install bytecode
	$(BIN)/python -m bench

bench-quick: install bytecode
	$(BIN)/python -m bench --quick

lint: install
	$(BIN)/ruff check ssi_wallet tests bench

clean:
	-test -x $(BIN)/ssi-wallet && test -d $(DEMO_HOME) && $(BIN)/ssi-wallet --home $(DEMO_HOME) ledger stop >/dev/null 2>&1
	rm -rf $(VENV) $(DEMO_HOME) build *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
