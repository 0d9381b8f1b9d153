# The two README commands set themselves up: a pinned venv in .venv, then the job.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export CCPIPE_HOME ?= $(CURDIR)/.ccpipe
SAMPLE_START ?= 2026-11-01
SAMPLE_DAYS ?= 10

.PHONY: setup browser run test lint bench docs clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	rm -rf $(CCPIPE_HOME)
	$(BIN)/ccpipe generate --start $(SAMPLE_START) --days $(SAMPLE_DAYS)
	$(BIN)/ccpipe run --start $(SAMPLE_START) --end $$(date -d "$(SAMPLE_START) + $$(( $(SAMPLE_DAYS) - 1 )) days" +%F)
	$(BIN)/ccpipe kpis
	@echo "ops report (opens offline): $(CCPIPE_HOME)/reports/latest.html"

# The browser the report's test drives: Debian's chromium, installed where missing (as root).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
		{ echo "need Debian's chromium for the report's browser test (apt-get install chromium)"; exit 1; }

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n auto --dist loadfile

docs: setup
	$(BIN)/ccpipe docs

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .ccpipe
