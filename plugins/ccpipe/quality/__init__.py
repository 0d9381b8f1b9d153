"""The quality gates: Great Expectations suites from expectations/ judge every load.

`validate_feeds` validates each feed's batch of one date (the rows ingest loaded into
raw.<table>) against the feed's whole suite: the row-level expectations ingest compiles to
SQL for the quarantine (ccpipe.rules) and the batch-level ones (meta.level = "batch": required
columns, a file for the date, no refused file, quarantined share, row count band).
`validate_marts` validates the build beside what BI reads now (expectations/marts.kpi_daily.json:
a day published with final FCR keeps its counts unless late data arrived for it), after dbt
and before publishing; the marts' own invariants are dbt data tests. A failed expectation
raises GateError; the run stops before publishing, so the published marts stay as they were.

Every result is kept: one row per expectation in audit.validation_results of the working
warehouse, and GX Data Docs under $CCPIPE_HOME/gx/uncommitted/data_docs/local_site/. Data
Docs costs about half a second a render whatever it renders, so a passed gate may defer its
pages to the end of the run (`render_deferred_docs`); a failed one renders them at once.

Speed: GX runs on pandas. A batch is read from DuckDB as Arrow with only the columns the
suite checks; integers arrive as int64/float64 and timestamps as datetime64 (GX compares
those vectorised), low-cardinality strings dictionary-encoded as categoricals (cheap to
filter) and unique-key strings Arrow-backed. A 1M-row call-leg day validates in seconds.
"""

from ccpipe.quality.gates import render_deferred_docs, validate_feeds, validate_marts
from ccpipe.quality.report import GateError, GateReport

__all__ = [
    "GateError",
    "GateReport",
    "render_deferred_docs",
    "validate_feeds",
    "validate_marts",
]
