"""`make bench` (python -m bench): the scenarios, their floors and where their data lives."""

from datetime import date
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
SEED = 7  # `ccpipe generate`'s default
SAMPLE_START, SAMPLE_DAYS = date(2026, 11, 1), 10  # the Makefile's, for `make run`
BACKFILL_START = date(2025, 1, 1)
BIG_DAY = date(2026, 10, 1)
SETTLED = "settled-warehouse"  # a home's warehouse once its history settled: --reuse-history
SETTLED_PARSE = "settled-partial_parse.msgpack"  # and dbt's parse state then
