# SafePassage: `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Some machines set PYTHONDONTWRITEBYTECODE=1: then every process (each test worker, each spawned
# solver child, each server worker) compiles every module it imports again, about 3 s of CPU apiece.
# The compiled files go to __pycache__ folders, which git ignores.
unexport PYTHONDONTWRITEBYTECODE
DEMO_HOUSEHOLDS ?= 400

.PHONY: run test test-db lint audit-deps setup system-deps browser-deps catalogues messages bench clean

run: setup catalogues  ## migrate the SQLite database, load the demo once, serve on http://127.0.0.1:8000
	$(BIN)/safepassage init
	$(BIN)/safepassage demo --if-empty --households $(DEMO_HOUSEHOLDS) --with-users
	$(BIN)/safepassage serve

test: setup catalogues browser-deps lint  ## everything the tests need, then the tests
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-db: setup catalogues  ## only the database tests (CI runs them again on PostgreSQL)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m db

lint: setup
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

# Known vulnerabilities in the locked dependencies (every group), from PyPI's advisory data. --strict:
# a package that cannot be audited (service unreachable, unknown version) fails the target rather than
# passing unaudited. A finding: `flock /tmp/sp-uv.lock .tools/bin/uv lock --upgrade-package NAME`.
audit-deps: setup  ## pip-audit the locked requirements (fails on a known vulnerability; reports what it could not audit)
	$(UV) export --frozen --all-groups --no-emit-project --quiet -o $(VENV)/audit-requirements.txt
	$(BIN)/python scripts/audit-deps.py $(VENV)/audit-requirements.txt

setup: system-deps $(VENV)/.synced

system-deps:
	@scripts/system-deps.sh

browser-deps:
	@scripts/system-deps.sh --browser

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $$($(PYTHON) -c 'import sys; print(sys.executable)')
	@touch $@

catalogues: setup  ## compile the gettext catalogues (en, ru, ar)
	$(BIN)/pybabel compile -d src/safepassage/locale -D messages

# After changing page strings: extract them into the template and add the new ones, empty, to each
# catalogue (NC_ marks a label with its context, translated as pgettext; say, a service's refusal).
# Then translate ru and ar.
messages: setup  ## extract the pages' strings and update the catalogues
	$(BIN)/pybabel extract -F babel.cfg -k NC_:1c,2 -k say -o src/safepassage/locale/messages.pot --project SafePassage \
	  --sort-by-file --msgid-bugs-address "" -w 120 .
	$(BIN)/pybabel update -i src/safepassage/locale/messages.pot -d src/safepassage/locale --no-fuzzy-matching -w 120

bench: setup
	@echo "see bench/README.md for each benchmark's command"

clean:
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache
