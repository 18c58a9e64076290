# The two commands a newcomer types: `make run` and `make test`. Everything else is set up on demand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fast lint typecheck audit unit explore bench setup clean

# (Re)create the virtualenv whenever the pins change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/dialer demo

lint: $(STAMP)
	$(BIN)/ruff check dialer tests
	$(BIN)/ruff format --check dialer tests

typecheck: $(STAMP)
	$(BIN)/mypy dialer

# Known vulnerabilities in the pinned dependencies (pip-audit on constraints.txt). When the vulnerability service
# cannot be reached it prints "dependency audit NOT performed: <why>" and passes; STRICT=1 makes that a failure.
audit: $(STAMP)
	$(BIN)/python tests/audit/dependency_audit.py --requirements constraints.txt $(if $(STRICT),--strict)

# The whole suite: lint, types, the dependency audit, every test tier. PostgreSQL is installed and started by
# tests/pg.sh.
test: $(STAMP)
	$(MAKE) lint typecheck audit
	bash tests/ensure_packages.sh
	pg="$$(bash tests/pg.sh start)" && eval "$$pg" && $(BIN)/pytest -q -m "not own_process" && $(BIN)/pytest -q -m own_process

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

# The quick loop while coding: the tiers that need no database server, browser or network (unit tables and
# properties, recorded-trace replay, the simulated PBX and the discrete-event model), on every core, without the
# simulations of hours of calls marked `slow` (make test runs those).
fast: $(STAMP)
	$(BIN)/pytest -q -n auto -m "not slow" tests/unit tests/trace tests/sim

# Fresh hypothesis examples: `make test` and `make fast` draw the same ones every run (tests/harness/properties.py);
# this runs the unit tier's properties ROUNDS times with new ones and keeps what fails in .hypothesis/.
ROUNDS ?= 5
explore: $(STAMP)
	for i in $$(seq $(ROUNDS)); do \
		DIALER_PROPERTIES=explore $(BIN)/pytest -q -p no:cacheprovider $$(grep -rl "@given" tests/unit) || exit 1; \
	done

bench: $(STAMP)
	pg="$$(bash tests/pg.sh start)" && eval "$$pg" && $(BIN)/dialer bench all

clean:
	rm -rf $(VENV) var/*.db .mypy_cache .ruff_cache .pytest_cache
